//! The worker side of the protocol: reads requests, runs the pipeline, streams progress.
//!
//! The pipeline runs synchronously between its awaits, so a request is handled to the end
//! before the next one is read; the page cancels by terminating the worker.

use std::cell::RefCell;

use burn::tensor::Device;
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use super::protocol::{ComputeDevice, Request, Response};
use super::worker_client::describe_js_error;
use crate::core::generate::{GeneratorConfig, generate_transactions};
use crate::core::ingest;
use crate::core::pipeline::{self, PipelineOptions, Progress};

/// Seed of the built-in demo data set, so every visitor sees the same demo.
const DEMO_SEED: u64 = 2010;

thread_local! {
    /// burn's WebGPU runtime can be initialised once per worker; later runs reuse it.
    static WEBGPU: RefCell<Option<(Device, String)>> = const { RefCell::new(None) };
}

pub fn install() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let data = event.data();
        spawn_local(async move {
            if let Err(message) = handle(&data).await {
                post(&Response::Error { message });
            }
        });
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The worker lives as long as the page keeps it; so does its handler.
    on_message.forget();
    post(&Response::Ready);
}

async fn handle(data: &JsValue) -> Result<(), String> {
    let json = Reflect::get(data, &"json".into())
        .ok()
        .and_then(|v| v.as_string())
        .ok_or("the message has no JSON part")?;
    let request: Request =
        serde_json::from_str(&json).map_err(|e| format!("unreadable request: {e}"))?;
    let bytes = || -> Result<Vec<u8>, String> {
        let bytes = Reflect::get(data, &"bytes".into()).map_err(describe_js_error)?;
        bytes
            .dyn_into::<Uint8Array>()
            .map(|b| b.to_vec())
            .map_err(|_| "the request carries no file bytes".to_string())
    };
    match request {
        Request::Ping => post(&Response::Pong {
            compute: probe_webgpu().await,
        }),
        Request::Sniff => {
            let sniffed = ingest::sniff(&bytes()?).map_err(|e| e.to_string())?;
            post(&Response::Sniffed {
                sniffed: Box::new(sniffed),
            });
        }
        Request::Run { options, force_cpu } => run(&bytes()?, &options, force_cpu).await?,
        Request::Demo {
            rows,
            options,
            force_cpu,
        } => {
            let mut csv = Vec::new();
            let config = GeneratorConfig {
                rows: rows as u64,
                seed: DEMO_SEED,
                customers: None,
            };
            generate_transactions(&config, &mut csv)
                .map_err(|e| format!("generating the demo data failed: {e}"))?;
            run(&csv, &options, force_cpu).await?;
        }
    }
    Ok(())
}

async fn run(bytes: &[u8], options: &PipelineOptions, force_cpu: bool) -> Result<(), String> {
    let (device, compute) = training_device(force_cpu).await;
    post(&Response::Training {
        compute: compute.clone(),
    });
    let performance = js_sys::global()
        .unchecked_into::<DedicatedWorkerGlobalScope>()
        .performance();
    let now = move || {
        performance
            .as_ref()
            .map(|p| p.now() / 1000.0)
            .unwrap_or(0.0)
    };
    let report = pipeline::run(
        bytes,
        Some(bytes.len() as u64),
        options,
        &device,
        &compute.label(),
        &now,
        &mut |progress: Progress| post(&Response::Progress { progress }),
    )
    .await
    .map_err(|e| e.to_string())?;
    post(&Response::Done {
        report: Box::new(report),
    });
    Ok(())
}

/// WebGPU only on a real GPU: a fallback adapter (SwiftShader in headless Chromium) is a CPU
/// emulation that trains this small model far slower than burn's own CPU backend.
async fn probe_webgpu() -> ComputeDevice {
    match adapter_name().await {
        Ok(Some(name)) => ComputeDevice::WebGpu { adapter: name },
        Ok(None) => ComputeDevice::Cpu {
            reason: "WebGPU unavailable".into(),
        },
        Err(reason) => ComputeDevice::Cpu { reason },
    }
}

/// The adapter's name, `Ok(None)` without WebGPU, `Err(reason)` for an adapter we do not use.
async fn adapter_name() -> Result<Option<String>, String> {
    let navigator =
        Reflect::get(&js_sys::global(), &"navigator".into()).map_err(describe_js_error)?;
    let gpu = Reflect::get(&navigator, &"gpu".into()).map_err(describe_js_error)?;
    if gpu.is_undefined() || gpu.is_null() {
        return Ok(None);
    }
    let request: js_sys::Function = Reflect::get(&gpu, &"requestAdapter".into())
        .map_err(describe_js_error)?
        .unchecked_into();
    let promise: js_sys::Promise = request
        .call0(&gpu)
        .map_err(describe_js_error)?
        .unchecked_into();
    let adapter = JsFuture::from(promise).await.map_err(describe_js_error)?;
    if adapter.is_null() || adapter.is_undefined() {
        return Ok(None);
    }
    let info = Reflect::get(&adapter, &"info".into()).map_err(describe_js_error)?;
    let text = |key: &str| {
        Reflect::get(&info, &key.into())
            .ok()
            .and_then(|v| v.as_string())
            .filter(|s| !s.is_empty())
    };
    let name = [text("description"), text("vendor"), text("architecture")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let fallback = Reflect::get(&info, &"isFallbackAdapter".into())
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
        || Reflect::get(&adapter, &"isFallbackAdapter".into())
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
    if fallback {
        return Err(format!(
            "WebGPU adapter is a software fallback ({}); CPU is faster",
            if name.is_empty() { "unnamed" } else { &name }
        ));
    }
    Ok(Some(if name.is_empty() { "GPU".into() } else { name }))
}

async fn training_device(force_cpu: bool) -> (Device, ComputeDevice) {
    if force_cpu {
        return (
            Device::flex(),
            ComputeDevice::Cpu {
                reason: "forced by the user".into(),
            },
        );
    }
    if let Some((device, adapter)) = WEBGPU.with(|w| w.borrow().clone()) {
        return (device, ComputeDevice::WebGpu { adapter });
    }
    match probe_webgpu().await {
        ComputeDevice::WebGpu { adapter } => match Device::wgpu_options().init_async().await {
            Ok(device) => {
                WEBGPU.with(|w| *w.borrow_mut() = Some((device.clone(), adapter.clone())));
                (device, ComputeDevice::WebGpu { adapter })
            }
            Err(e) => (
                Device::flex(),
                ComputeDevice::Cpu {
                    reason: format!("WebGPU failed to start ({e})"),
                },
            ),
        },
        cpu => (Device::flex(), cpu),
    }
}

fn post(response: &Response) {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    match serde_json::to_string(response) {
        Ok(json) => {
            let _ = scope.post_message(&json.into());
        }
        Err(e) => {
            let fallback = Response::Error {
                message: format!("cannot encode the worker's answer: {e}"),
            };
            if let Ok(json) = serde_json::to_string(&fallback) {
                let _ = scope.post_message(&json.into());
            }
        }
    }
}

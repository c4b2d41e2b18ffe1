//! The worker side of the protocol: reads requests, runs the pipeline, streams progress.
//!
//! The pipeline runs synchronously between its awaits, so a request is handled to the end
//! before the next one is read; the page cancels by terminating the worker. The user's file
//! arrives as a `File` handle and is read in slices ([`FileSlices`]), never whole.

use std::cell::RefCell;
use std::io::{self, Read};
use std::rc::Rc;

use burn::tensor::Device;
use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{Blob, DedicatedWorkerGlobalScope, MessageEvent};

use super::file_slices::FileSlices;
use super::map_worker::MapWorker;
use super::protocol::{
    ComputeDevice, Envelope, FILE_KEY, FromWorker, JSON_KEY, Request, RequestId, Response,
};
use super::report_transfer::{self, COLUMNS_KEY};
use super::worker_client::describe_js_error;
use crate::core::generate::{GeneratorConfig, generate_transactions};
use crate::core::ingest::{self, NoReadAhead, ReadAhead, ReadSeek, SNIFF_BYTES};
use crate::core::pipeline::{self, CustomerColumns, PipelineOptions, Platform, Progress, make_map};

/// Seed of the built-in demo data set, so every visitor sees the same demo.
const DEMO_SEED: u64 = 2010;

thread_local! {
    /// burn's WebGPU runtime can be initialised once per worker; later runs reuse it.
    static WEBGPU: RefCell<Option<(Device, String)>> = const { RefCell::new(None) };
}

pub fn install() {
    install_panic_hook();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let data = event.data();
        let Envelope { id, request } = match read_envelope(&data) {
            Ok(envelope) => envelope,
            Err(message) => return post(&FromWorker::Fatal { message }),
        };
        let file = Reflect::get(&data, &FILE_KEY.into())
            .ok()
            .and_then(|file| file.dyn_into::<Blob>().ok());
        spawn_local(async move {
            if let Err(message) = handle(id, request, file.as_ref()).await {
                post_answer(id, Response::Error { message });
            }
        });
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The worker lives as long as the page keeps it; so does its handler.
    on_message.forget();
    post(&FromWorker::Ready);
}

/// A panic aborts the worker (`panic = "abort"` in the web profiles) and the page's `error`
/// event then says only "unreachable": the hook tells the page the panic's own message first.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        let message = info.payload_as_str().unwrap_or("unknown panic").to_string();
        post(&FromWorker::Fatal { message });
    }));
}

fn read_envelope(data: &JsValue) -> Result<Envelope, String> {
    let json = Reflect::get(data, &JSON_KEY.into())
        .ok()
        .and_then(|v| v.as_string())
        .ok_or("the message has no JSON part")?;
    serde_json::from_str(&json).map_err(|e| format!("unreadable request: {e}"))
}

async fn handle(id: RequestId, request: Request, file: Option<&Blob>) -> Result<(), String> {
    let answer = &|response| post_answer(id, response);
    let open = || FileSlices::open(file.ok_or("the request carries no file")?);
    match request {
        Request::Ping => answer(Response::Pong {
            compute: probe_webgpu().await,
        }),
        Request::Sniff => {
            let slices = open()?;
            // The header is in the first slice; a workbook can only be read whole.
            let wanted = if slices.is_workbook() {
                u64::MAX
            } else {
                SNIFF_BYTES as u64
            };
            let mut head = Vec::new();
            slices
                .take(wanted)
                .read_to_end(&mut head)
                .map_err(|e| e.to_string())?;
            let sniffed = ingest::sniff(&head).map_err(|e| e.to_string())?;
            answer(Response::Sniffed {
                sniffed: Box::new(sniffed),
            });
        }
        Request::Run { options, force_cpu } => {
            let mut slices = open()?;
            let size = slices.size();
            let read_ahead = slices.clone();
            run(id, &mut slices, &read_ahead, size, &options, force_cpu).await?;
        }
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
            let size = csv.len() as u64;
            run(
                id,
                &mut io::Cursor::new(csv),
                &NoReadAhead,
                size,
                &options,
                force_cpu,
            )
            .await?;
        }
        Request::Map {
            points,
            columns,
            config,
        } => {
            let rows = points.len() / columns.max(1);
            let points = ndarray::Array2::from_shape_vec((rows, columns), points)
                .map_err(|e| format!("unreadable map input: {e}"))?;
            let map = make_map(
                points.view(),
                &config,
                "a second worker",
                &clock(),
                &|progress| answer(Response::Progress { progress }),
            )
            .map_err(|e| e.to_string())?;
            answer(Response::Map { map: Box::new(map) });
        }
    }
    Ok(())
}

async fn run(
    id: RequestId,
    file: &mut dyn ReadSeek,
    read_ahead: &dyn ReadAhead,
    size: u64,
    options: &PipelineOptions,
    force_cpu: bool,
) -> Result<(), String> {
    let answer = |response| post_answer(id, response);
    // Started first, so it loads while the file is read.
    let maps = MapWorker::start(
        Rc::new(clock()),
        Rc::new(move |progress| post_answer(id, Response::Progress { progress })),
    );
    let (device, compute) = training_device(force_cpu).await;
    answer(Response::Training {
        compute: compute.clone(),
    });
    let now = clock();
    let platform = Platform {
        device: &device,
        device_label: &compute.label(),
        now: &now,
        maps: &maps,
    };
    let report = pipeline::run(
        file,
        read_ahead,
        Some(size),
        options,
        &platform,
        &mut |progress: Progress| answer(Response::Progress { progress }),
    )
    .await
    .map_err(|e| e.to_string())?;
    // The helper is ended before the report goes out: the page ends this worker on the report,
    // and a nested worker terminated while its parent is being terminated keeps the parent from
    // ever shutting down in Chromium (measured: a million customers' run left the old worker's
    // 800 MB of wasm memory resident, the dashboard peaking at 1.7 GB instead of 1.34).
    drop(maps);
    answer(Response::Done {
        report: Box::new(report),
    });
    Ok(())
}

/// Seconds on this worker's clock.
fn clock() -> impl Fn() -> f64 + 'static {
    let performance = js_sys::global()
        .unchecked_into::<DedicatedWorkerGlobalScope>()
        .performance();
    move || {
        performance
            .as_ref()
            .map(|p| p.now() / 1000.0)
            .unwrap_or(0.0)
    }
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

fn post(message: &FromWorker) {
    post_with_columns(message, None);
}

/// Posts an answer; a finished report's per-customer data goes beside its JSON as columns.
fn post_answer(id: RequestId, mut response: Response) {
    let columns = match &mut response {
        Response::Done { report } => match CustomerColumns::take_from(report) {
            Ok(columns) => Some(columns),
            Err(e) => {
                response = Response::Error {
                    message: format!("cannot send the report: {e}"),
                };
                None
            }
        },
        _ => None,
    };
    post_with_columns(&FromWorker::Answer { id, response }, columns.as_ref());
}

fn post_with_columns(message: &FromWorker, columns: Option<&CustomerColumns>) {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let json = serde_json::to_string(message).or_else(|e| {
        // Only an answer's payload can fail to encode: that request fails, the worker goes on.
        let reason = format!("cannot encode the worker's answer: {e}");
        serde_json::to_string(&match message {
            FromWorker::Answer { id, .. } => FromWorker::Answer {
                id: *id,
                response: Response::Error { message: reason },
            },
            _ => FromWorker::Fatal { message: reason },
        })
    });
    let Ok(json) = json else { return };
    let sent = match columns.map(report_transfer::to_js) {
        None => scope.post_message(&json.into()),
        Some(Ok((columns, transfer))) => {
            let message = js_sys::Object::new();
            let _ = Reflect::set(&message, &JSON_KEY.into(), &json.into());
            let _ = Reflect::set(&message, &COLUMNS_KEY.into(), &columns);
            scope.post_message_with_transfer(&message, &transfer)
        }
        Some(Err(e)) => Err(e),
    };
    if let Err(e) = sent {
        let reason = format!("cannot send the worker's answer: {}", describe_js_error(e));
        if let Ok(json) = serde_json::to_string(&FromWorker::Fatal { message: reason }) {
            let _ = scope.post_message(&json.into());
        }
    }
}

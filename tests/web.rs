//! Tests that need a real browser: run by `./run test` through wasm-bindgen-test-runner in
//! headless Chromium.
#![cfg(target_arch = "wasm32")]

use std::io::Cursor;

use rfm_studio::app::protocol::{ComputeDevice, Request, Response};
use rfm_studio::app::worker_client::describe_js_error;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn javascript_errors_are_described_by_their_message() {
    let error = js_sys::Error::new("quota exceeded");
    assert_eq!(describe_js_error(error.into()), "quota exceeded");
    assert_eq!(describe_js_error("plain text".into()), "plain text");
}

#[wasm_bindgen_test]
fn protocol_messages_round_trip_through_json() {
    let json = serde_json::to_string(&Request::Ping).unwrap();
    assert_eq!(json, r#""ping""#);
    let pong: Response =
        serde_json::from_str(r#"{"pong":{"compute":{"kind":"cpu","reason":"no adapter"}}}"#)
            .unwrap();
    match pong {
        Response::Pong { compute } => assert_eq!(compute.label(), "CPU: no adapter"),
        other => panic!("expected a pong, got {other:?}"),
    }
    let gpu = ComputeDevice::WebGpu {
        adapter: "SwiftShader".into(),
    };
    assert_eq!(gpu.label(), "WebGPU: SwiftShader");
}

/// The WebGPU path, functionally: burn's wgpu runtime starts in the browser (headless Chromium
/// offers SwiftShader with --enable-unsafe-webgpu) and trains the autoencoder with async reads
/// only. A tiny problem keeps it quick on a software adapter; speed is not tested here.
#[wasm_bindgen_test]
async fn autoencoder_trains_on_webgpu_in_the_browser() {
    use burn::tensor::Device;
    use ndarray::Array2;
    use rfm_studio::core::embed::autoencoder::{AutoencoderConfig, train_autoencoder};

    let device = Device::wgpu_options()
        .init_async()
        .await
        .expect("headless Chromium with --enable-unsafe-webgpu has a WebGPU adapter");
    let x = Array2::from_shape_fn((48, 3), |(i, j)| ((i * 7 + j * 3) % 11) as f64 / 5.0 - 1.0);
    let config = AutoencoderConfig {
        epochs: 3,
        batch_size: 16,
        patience: 0,
        ..AutoencoderConfig::default()
    };
    let mut epochs = Vec::new();
    let fit = train_autoencoder(x.view(), &config, &device, &mut |e| epochs.push(e))
        .await
        .expect("training on WebGPU succeeds");
    assert_eq!(epochs.len(), 3);
    assert_eq!(fit.embedding.dim(), (48, 2));
    assert!(fit.embedding.iter().all(|v| v.is_finite()));
    assert!(
        epochs
            .iter()
            .all(|e| e.train_loss.is_finite() && e.val_loss.is_finite())
    );
    // The CPU-side copy of the encoder reproduces the device's embedding.
    let again = fit.encoder.encode(x.view());
    let gap = (&again - &fit.embedding)
        .mapv(f64::abs)
        .fold(0.0_f64, |a, &b| a.max(b));
    assert!(gap < 1e-4, "encoder copy differs from the device by {gap}");
}

/// The numeric core runs in wasm32 (no threads, no clock, no file system): generated
/// transactions go through the streaming reader and RFM, every row is accounted for, and the
/// generator's registered customers bound the customers found.
#[wasm_bindgen_test]
fn core_pipeline_reads_generated_transactions_in_wasm() {
    use rfm_studio::core::generate::{GeneratorConfig, generate_transactions};
    use rfm_studio::core::ingest::{IngestOptions, read_transactions};
    use rfm_studio::core::rfm::RfmTable;

    let mut csv = Vec::new();
    let config = GeneratorConfig {
        rows: 5_000,
        seed: 3,
        customers: None,
    };
    let summary = generate_transactions(&config, &mut csv).unwrap();
    let ingested = read_transactions(
        &mut Cursor::new(&csv[..]),
        Some(csv.len() as u64),
        &IngestOptions::default(),
        &mut |_, _| {},
    )
    .unwrap();
    let table = RfmTable::from_ingested(&ingested, None).unwrap();
    assert_eq!(ingested.report.rows_read, summary.rows);
    assert!(!table.customers.is_empty());
    assert!(table.customers.len() as u32 <= summary.customers);
    assert!(
        table
            .customers
            .iter()
            .all(|c| c.frequency >= 1 && c.monetary > 0.0)
    );
}

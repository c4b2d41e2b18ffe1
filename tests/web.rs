//! Tests that need a real browser: run by `./run test` through wasm-bindgen-test-runner in
//! headless Chromium.
#![cfg(target_arch = "wasm32")]

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
    assert_eq!(json, r#"{"kind":"ping"}"#);
    let pong: Response =
        serde_json::from_str(r#"{"kind":"pong","compute":{"kind":"cpu","reason":"no adapter"}}"#)
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

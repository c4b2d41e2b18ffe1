//! The page's handle on the pipeline worker.
//!
//! Cancelling terminates the worker and starts a fresh one: the pipeline runs synchronously
//! inside the worker, so a cooperative cancel message could not be read until it finished.

use js_sys::{Object, Reflect};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use web_sys::{MessageEvent, Worker};

use super::protocol::{Request, Response};

/// Served beside `index.html`; it loads the worker's wasm relative to its own URL, so the app
/// works from any sub-path (GitHub Pages) without a blob: URL in the Content-Security-Policy.
const WORKER_LOADER: &str = "worker_loader.js";

pub struct WorkerClient {
    worker: Worker,
    // Kept alive as long as the worker can call it.
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl WorkerClient {
    /// Starts the worker; `on_response` receives every message it sends, starting with `Ready`.
    pub fn spawn(mut on_response: impl FnMut(Response) + 'static) -> Result<Self, String> {
        let worker = Worker::new(WORKER_LOADER).map_err(describe_js_error)?;
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let response = event
                .data()
                .as_string()
                .ok_or_else(|| "the worker sent a message that is not text".to_string())
                .and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string()))
                .unwrap_or_else(|message| Response::Error { message });
            on_response(response);
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Ok(Self {
            worker,
            _on_message: on_message,
        })
    }

    pub fn send(&self, request: &Request) -> Result<(), String> {
        self.send_with_bytes(request, None)
    }

    /// Sends a request with a file's bytes, transferring (not copying) the buffer.
    pub fn send_with_bytes(
        &self,
        request: &Request,
        bytes: Option<js_sys::Uint8Array>,
    ) -> Result<(), String> {
        let json = serde_json::to_string(request).map_err(|e| e.to_string())?;
        let message = Object::new();
        Reflect::set(&message, &"json".into(), &json.into()).map_err(describe_js_error)?;
        match bytes {
            None => self.worker.post_message(&message),
            Some(bytes) => {
                Reflect::set(&message, &"bytes".into(), &bytes).map_err(describe_js_error)?;
                let transfer = js_sys::Array::of1(&bytes.buffer());
                self.worker.post_message_with_transfer(&message, &transfer)
            }
        }
        .map_err(describe_js_error)
    }
}

impl Drop for WorkerClient {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.terminate();
    }
}

pub fn describe_js_error(error: JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| format!("{error:?}"))
}

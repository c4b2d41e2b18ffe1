// Starts the pipeline worker. Relative URLs resolve against this script, so the app works from
// any sub-path. The wasm-bindgen glue (worker.js) defines the global `wasm_bindgen`.
importScripts("./worker.js");
// A failed start (the wasm cannot be fetched or compiled) becomes the worker's `error` event, which
// the page listens for; a bare promise rejection would leave the page waiting for the worker.
wasm_bindgen("./worker_bg.wasm").catch((error) => self.reportError(error));

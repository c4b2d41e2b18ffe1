// Starts the pipeline worker. Relative URLs resolve against this script, so the app works from
// any sub-path. The wasm-bindgen glue (worker.js) defines the global `wasm_bindgen`.
importScripts("./worker.js");
wasm_bindgen("./worker_bg.wasm");

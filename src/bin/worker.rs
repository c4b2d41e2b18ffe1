//! Web Worker entry point: runs the pipeline off the page's main thread.

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
    rfm_studio::app::worker::install();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}

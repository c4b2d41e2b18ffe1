//! Web Worker entry point: runs the pipeline off the page's main thread.

#[cfg(target_arch = "wasm32")]
fn main() {
    // Installs the panic hook too: the page must learn why a worker died.
    rfm_studio::app::worker::install();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}

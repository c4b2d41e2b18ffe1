//! Browser entry point: mounts the Leptos page.

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(rfm_studio::app::App);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}

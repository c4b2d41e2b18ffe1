#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    rfm_studio::cli::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {}

//! rfm-studio: customer segmentation that runs entirely on the user's device.
//!
//! `core` is the numeric pipeline (plain Rust, no browser types), shared by the browser worker,
//! the native command-line twin and the tests. `app` is the thin browser layer on top of it.

pub mod core;

#[cfg(target_arch = "wasm32")]
pub mod app;

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;

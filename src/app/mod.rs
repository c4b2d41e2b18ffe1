//! Browser layer: the Leptos page and its client for the pipeline worker.
//! Everything numeric lives in `crate::core`; this layer only moves messages and draws.

pub mod protocol;
pub mod worker_client;

mod charts;
mod dashboard;
mod downloads;
mod report_transfer;
mod running;
mod shell;
mod start;
mod state;
mod views;
pub mod worker;

pub use shell::App;

//! Browser layer: the Leptos page and its client for the pipeline worker.
//! Everything numeric lives in `crate::core`; this layer only moves messages and draws.
//!
//! Read top-down: `shell` (the frame) shows one screen per phase (`start`, `preview`, `running`,
//! `dashboard`); the dashboard provides the `segmentation` context to the `views` (one per tab);
//! screens and views draw with `components` and write numbers with `format`; all of them read
//! and change `state`, which talks to the worker through `worker_client` and `protocol`.
//! `worker` is the other end, run in the Web Worker: it reads the user's file through
//! `file_slices` and starts a second worker (`map_worker`) for the t-SNE map.

pub mod protocol;
#[cfg(feature = "training")]
pub mod worker;
pub mod worker_client;

mod components;
mod dashboard;
mod downloads;
#[cfg(feature = "training")]
mod file_slices;
mod format;
#[cfg(feature = "training")]
mod map_worker;
mod preview;
mod report_transfer;
mod running;
mod segmentation;
mod shell;
mod start;
mod state;
mod views;

pub use shell::App;

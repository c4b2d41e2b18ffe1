//! Messages between the page and the pipeline worker.
//!
//! Each message is a JSON string, so both sides stay serde types; bulk file bytes travel beside
//! the JSON as a transferred `ArrayBuffer` instead of being encoded into it.

use serde::{Deserialize, Serialize};

use crate::core::ingest::Sniffed;
use crate::core::pipeline::{PipelineOptions, Progress, Report};

/// Page -> worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Request {
    /// Liveness check and device probe; answered by [`Response::Pong`].
    Ping,
    /// The attached bytes are the start of a file: detect its layout and columns.
    Sniff,
    /// Run the whole pipeline on the attached file bytes.
    Run {
        options: Box<PipelineOptions>,
        force_cpu: bool,
    },
    /// Run the pipeline on the built-in demo data, generated in the worker.
    Demo {
        rows: usize,
        options: Box<PipelineOptions>,
        force_cpu: bool,
    },
}

/// Worker -> page.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Response {
    /// The worker's wasm is loaded and its message handler installed; messages sent before this
    /// would have been dropped by the browser.
    Ready,
    Pong {
        compute: ComputeDevice,
    },
    Sniffed {
        sniffed: Box<Sniffed>,
    },
    Progress {
        progress: Progress,
    },
    /// The device the autoencoder of the current run trains on.
    Training {
        compute: ComputeDevice,
    },
    Done {
        report: Box<Report>,
    },
    /// The request failed; the message is meant for the user. The worker stays usable.
    Error {
        message: String,
    },
}

/// Where the autoencoder will train, as shown in the page's badge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ComputeDevice {
    WebGpu {
        adapter: String,
    },
    /// CPU training, with the reason WebGPU is not used.
    Cpu {
        reason: String,
    },
}

impl ComputeDevice {
    pub fn label(&self) -> String {
        match self {
            ComputeDevice::WebGpu { adapter } => format!("WebGPU: {adapter}"),
            ComputeDevice::Cpu { reason } => format!("CPU: {reason}"),
        }
    }
}

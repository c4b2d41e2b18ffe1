//! Messages between the page and the pipeline worker.
//!
//! Each message is JSON, so both sides stay serde types. The message enums are externally
//! tagged (serde's default, `{"answer": {...}}`): an internally tagged enum (`"kind": ...`) is
//! read through serde's buffered `Content` tree, which copied every report once more while
//! reading it and made a second deserialiser of every type in it (a tenth of the page's code).
//! The user's file travels beside the JSON of a request as a `File`: structured cloning passes
//! a handle, not bytes, and the worker reads it in slices, so the file is never held whole by
//! the page or the worker.

use serde::{Deserialize, Serialize};

use crate::core::ingest::Sniffed;
use crate::core::pipeline::{Map, PipelineOptions, Progress, Report};
use crate::core::tsne::TsneConfig;

/// Numbers a page's requests (unique per page, across workers), so an answer can be matched to
/// the request it answers and a stale one dropped.
pub type RequestId = u64;

/// Keys of the object the page posts: the [`Envelope`] as JSON under `JSON_KEY` and, for a
/// request about the user's file, the `File` itself under `FILE_KEY`.
pub const JSON_KEY: &str = "json";
pub const FILE_KEY: &str = "file";

/// Page -> worker: the JSON part of a message.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope {
    pub id: RequestId,
    pub request: Request,
}

/// What the page asks of the worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Request {
    /// Liveness check and device probe; answered by [`Response::Pong`].
    Ping,
    /// Detect the attached file's layout and columns from its start.
    Sniff,
    /// Run the whole pipeline on the attached file.
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
    /// Compute a t-SNE map of `points` (row-major, `columns` wide): sent by the pipeline
    /// worker to the helper it starts, so the map is computed on another core.
    Map {
        points: Vec<f64>,
        columns: usize,
        config: TsneConfig,
    },
}

/// Worker -> page.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FromWorker {
    /// The worker's wasm is loaded and its message handler installed; messages sent before this
    /// would have been dropped by the browser.
    Ready,
    /// An answer to request `id`.
    Answer { id: RequestId, response: Response },
    /// The worker cannot go on and must be replaced: posted by its panic hook before the abort
    /// (the `error` event that follows carries only the trap, "unreachable"), or for a message
    /// it cannot read (a bug: page and worker come from one build).
    Fatal { message: String },
}

/// The worker's answers to a request.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Response {
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
    /// The answer to [`Request::Map`].
    Map {
        map: Box<Map>,
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

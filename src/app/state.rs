//! The page's state: signals shared by every view, and the worker conversation that fills them.

use std::sync::Arc;

use leptos::prelude::*;

use super::protocol::{ComputeDevice, Request, Response};
use super::worker_client::WorkerClient;
use crate::core::embed::autoencoder::EpochReport;
use crate::core::ingest::{SNIFF_BYTES, Sniffed};
use crate::core::pipeline::{PipelineOptions, Progress, Report, Stage};
use crate::core::roi::RoiAssumptions;

/// Rows of the built-in demo data set (generated in the worker by the project's generator).
pub const DEMO_ROWS: usize = 60_000;

#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    Start,
    /// A file's header was read: the user checks the mapping and options, then runs.
    Preview(Arc<Sniffed>),
    Running,
    Dashboard,
}

/// What the current run reads: the user's file (kept for re-runs) or the demo.
#[derive(Clone)]
pub enum Source {
    File { name: String, bytes: Arc<Vec<u8>> },
    Demo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Overview,
    Segments,
    Distributions,
    Profiles,
    Map,
    Models,
    Validation,
    Roi,
}

impl Tab {
    pub const ALL: [Tab; 8] = [
        Tab::Overview,
        Tab::Segments,
        Tab::Distributions,
        Tab::Profiles,
        Tab::Map,
        Tab::Models,
        Tab::Validation,
        Tab::Roi,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Tab::Overview => "Overview",
            Tab::Segments => "Segments",
            Tab::Distributions => "Distributions",
            Tab::Profiles => "Profiles",
            Tab::Map => "Map",
            Tab::Models => "Models",
            Tab::Validation => "Validation",
            Tab::Roi => "ROI",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StageProgress {
    pub stage: Stage,
    pub done: u64,
    pub total: u64,
}

#[derive(Clone, Copy)]
pub struct AppState {
    pub phase: RwSignal<Phase>,
    pub worker_status: RwSignal<Option<Result<ComputeDevice, String>>>,
    pub training_device: RwSignal<Option<ComputeDevice>>,
    pub error: RwSignal<Option<String>>,
    pub options: RwSignal<PipelineOptions>,
    pub force_cpu: RwSignal<bool>,
    pub stages: RwSignal<Vec<StageProgress>>,
    pub losses: RwSignal<Vec<EpochReport>>,
    pub run_started_ms: RwSignal<f64>,
    pub now_ms: RwSignal<f64>,
    pub report: RwSignal<Option<Arc<Report>>>,
    /// Index into the report's variants whose clusters the dashboard shows.
    pub variant: RwSignal<usize>,
    pub cluster_filter: RwSignal<Option<usize>>,
    pub lookup: RwSignal<String>,
    pub tab: RwSignal<Tab>,
    pub dark: RwSignal<bool>,
    pub log_axis: RwSignal<bool>,
    pub roi: RwSignal<RoiAssumptions>,
    source: StoredValue<Option<Source>, LocalStorage>,
    client: StoredValue<Option<WorkerClient>, LocalStorage>,
}

const THEME_KEY: &str = "rfm-studio-theme";

impl AppState {
    pub fn new() -> Self {
        let dark = local_storage()
            .and_then(|s| s.get_item(THEME_KEY).ok().flatten())
            .map(|v| v == "dark")
            .unwrap_or(false);
        let state = Self {
            phase: RwSignal::new(Phase::Start),
            worker_status: RwSignal::new(None),
            training_device: RwSignal::new(None),
            error: RwSignal::new(None),
            options: RwSignal::new(PipelineOptions::default()),
            force_cpu: RwSignal::new(false),
            stages: RwSignal::new(Vec::new()),
            losses: RwSignal::new(Vec::new()),
            run_started_ms: RwSignal::new(0.0),
            now_ms: RwSignal::new(0.0),
            report: RwSignal::new(None),
            variant: RwSignal::new(0),
            cluster_filter: RwSignal::new(None),
            lookup: RwSignal::new(String::new()),
            tab: RwSignal::new(Tab::Overview),
            dark: RwSignal::new(dark),
            log_axis: RwSignal::new(true),
            roi: RwSignal::new(RoiAssumptions::default()),
            source: StoredValue::new_local(None),
            client: StoredValue::new_local(None),
        };
        Effect::new(move |_| {
            let dark = state.dark.get();
            if let Some(root) = document().document_element() {
                let _ = root.set_attribute("data-theme", if dark { "dark" } else { "light" });
            }
            if let Some(s) = local_storage() {
                let _ = s.set_item(THEME_KEY, if dark { "dark" } else { "light" });
            }
        });
        state.start_worker();
        state
    }

    /// (Re)starts the worker; a running pipeline in the old one is stopped by terminating it.
    fn start_worker(self) {
        self.client.set_value(None);
        self.worker_status.set(None);
        match WorkerClient::spawn(move |response| self.on_response(response)) {
            Ok(client) => self.client.set_value(Some(client)),
            Err(e) => self.worker_status.set(Some(Err(e))),
        }
    }

    fn send(&self, request: &Request, bytes: Option<&[u8]>) {
        let sent = self.client.with_value(|client| match client {
            Some(client) => client.send_with_bytes(request, bytes.map(js_sys::Uint8Array::from)),
            None => Err("the pipeline worker is not running".to_string()),
        });
        if let Err(e) = sent {
            self.fail(e);
        }
    }

    fn on_response(self, response: Response) {
        match response {
            Response::Ready => self.send(&Request::Ping, None),
            Response::Pong { compute } => self.worker_status.set(Some(Ok(compute))),
            Response::Sniffed { sniffed } => {
                let mapping = sniffed.mapping.clone();
                self.options.update(|o| o.ingest.mapping = mapping);
                self.phase.set(Phase::Preview(Arc::new(*sniffed)));
            }
            Response::Training { compute } => self.training_device.set(Some(compute)),
            Response::Progress { progress } => self.on_progress(progress),
            Response::Done { report } => {
                self.variant.set(report.winner);
                self.cluster_filter.set(None);
                self.report.set(Some(Arc::new(*report)));
                self.phase.set(Phase::Dashboard);
            }
            Response::Error { message } => self.fail(message),
        }
    }

    fn on_progress(&self, progress: Progress) {
        self.now_ms.set(now_ms());
        match progress {
            Progress::Stage { stage, done, total } => {
                self.stages.update(
                    |stages| match stages.iter_mut().find(|s| s.stage == stage) {
                        Some(s) => (s.done, s.total) = (done, total),
                        None => stages.push(StageProgress { stage, done, total }),
                    },
                )
            }
            Progress::Epoch(epoch) => {
                self.losses.update(|l| l.push(epoch));
                self.stages.update(|stages| {
                    let (done, total) = (epoch.epoch as u64, epoch.epochs as u64);
                    match stages.iter_mut().find(|s| s.stage == Stage::Autoencoder) {
                        Some(s) => (s.done, s.total) = (done, total),
                        None => stages.push(StageProgress {
                            stage: Stage::Autoencoder,
                            done,
                            total,
                        }),
                    }
                });
            }
        }
    }

    /// Shows an error and returns to where the user can act: the preview of the current file,
    /// or the start screen.
    fn fail(&self, message: String) {
        self.error.set(Some(message));
        if self.phase.get_untracked() == Phase::Running {
            self.phase.set(if self.report.get_untracked().is_some() {
                Phase::Dashboard
            } else {
                Phase::Start
            });
        }
    }

    /// A file was chosen: keep its bytes and ask the worker to read its header.
    pub fn open_file(&self, name: String, bytes: Vec<u8>) {
        self.error.set(None);
        // An XLSX workbook is a zip archive that can only be read whole.
        let is_zip = bytes.starts_with(b"PK\x03\x04");
        let prefix_len = if is_zip {
            bytes.len()
        } else {
            bytes.len().min(SNIFF_BYTES)
        };
        self.send(&Request::Sniff, Some(&bytes[..prefix_len]));
        self.source.set_value(Some(Source::File {
            name,
            bytes: Arc::new(bytes),
        }));
    }

    pub fn run_demo(&self) {
        self.error.set(None);
        self.source.set_value(Some(Source::Demo));
        self.options.update(|o| o.ingest = Default::default());
        self.run();
    }

    /// Runs (or re-runs, with the current options) the pipeline on the current source.
    pub fn run(&self) {
        let Some(source) = self.source.get_value() else {
            return;
        };
        self.error.set(None);
        self.stages.set(Vec::new());
        self.losses.set(Vec::new());
        self.training_device.set(None);
        self.run_started_ms.set(now_ms());
        self.now_ms.set(now_ms());
        self.phase.set(Phase::Running);
        let options = Box::new(self.options.get_untracked());
        let force_cpu = self.force_cpu.get_untracked();
        match source {
            Source::File { bytes, .. } => {
                self.send(&Request::Run { options, force_cpu }, Some(&bytes))
            }
            Source::Demo => self.send(
                &Request::Demo {
                    rows: DEMO_ROWS,
                    options,
                    force_cpu,
                },
                None,
            ),
        }
    }

    pub fn cancel(&self) {
        self.start_worker();
        self.error.set(Some("Run cancelled.".into()));
        self.phase.set(if self.report.get_untracked().is_some() {
            Phase::Dashboard
        } else {
            Phase::Start
        });
    }

    pub fn source_name(&self) -> String {
        match self.source.get_value() {
            Some(Source::File { name, .. }) => name,
            Some(Source::Demo) => "Demo data (generated)".into(),
            None => String::new(),
        }
    }

    pub fn back_to_start(&self) {
        self.error.set(None);
        self.phase.set(Phase::Start);
    }
}

fn local_storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

pub fn now_ms() -> f64 {
    window().performance().map(|p| p.now()).unwrap_or(0.0)
}

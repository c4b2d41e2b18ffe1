//! The page's state: signals shared by every view, and the intents that change them (open a
//! file, run, cancel, pick a variant, ...). The conversation with the worker that fills them is
//! in [`conversation`].

mod conversation;

use std::sync::Arc;

use leptos::prelude::*;

use super::protocol::{ComputeDevice, Request};
use super::worker_client::WorkerClient;
use crate::core::embed::autoencoder::EpochReport;
use crate::core::ingest::Sniffed;
use crate::core::pipeline::{OptionsError, PipelineOptions, Report, Stage};
use crate::core::roi::campaign::CampaignPlan;
use conversation::{Job, JobKind};

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

/// What the current run reads: the user's file (kept for re-runs and retries) or the demo.
#[derive(Clone)]
pub enum Source {
    /// A handle on the file, which the worker reads in slices: the page never holds its bytes.
    /// `header` is set once the worker has read it.
    File {
        file: web_sys::File,
        header: Option<Arc<Sniffed>>,
    },
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
    Value,
    Cohorts,
    Roi,
}

impl Tab {
    pub const ALL: [Tab; 10] = [
        Tab::Overview,
        Tab::Segments,
        Tab::Distributions,
        Tab::Profiles,
        Tab::Map,
        Tab::Models,
        Tab::Validation,
        Tab::Value,
        Tab::Cohorts,
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
            Tab::Value => "Value",
            Tab::Cohorts => "Cohorts",
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
    /// Why `options` cannot run, if they cannot: shown beside the control at fault.
    pub options_error: Memo<Option<OptionsError>>,
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
    pub roi: RwSignal<CampaignPlan>,
    job: RwSignal<Option<Job>>,
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
        let options = RwSignal::new(PipelineOptions::default());
        let state = Self {
            phase: RwSignal::new(Phase::Start),
            worker_status: RwSignal::new(None),
            training_device: RwSignal::new(None),
            error: RwSignal::new(None),
            options,
            options_error: Memo::new(move |_| options.with(|o| o.validate().err())),
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
            roi: RwSignal::new(CampaignPlan::default()),
            job: RwSignal::new(None),
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

    /// A file was chosen: keep a handle on it and ask the worker to read its header.
    pub fn open_file(&self, file: web_sys::File) {
        self.error.set(None);
        self.source
            .set_value(Some(Source::File { file, header: None }));
        self.start_job(JobKind::Sniff, Request::Sniff);
    }

    /// Whether the worker is reading a file's header (the start screen says so).
    pub fn reading_header(&self) -> bool {
        self.job
            .with(|job| job.is_some_and(|job| job.kind == JobKind::Sniff))
    }

    pub fn run_demo(&self) {
        self.error.set(None);
        self.source.set_value(Some(Source::Demo));
        self.options.update(|o| o.ingest = Default::default());
        self.run();
    }

    /// Runs (or re-runs, with the current options) the pipeline on the current source. Options
    /// that cannot run are refused here, before the worker sees them: the control at fault shows
    /// why (an option without a control on the page is reported in the error banner).
    pub fn run(&self) {
        let Some(demo) = self
            .source
            .with_value(|source| source.as_ref().map(|s| matches!(s, Source::Demo)))
        else {
            return;
        };
        self.error.set(None);
        if let Some(error) = self.options_error.get_untracked() {
            if !OPTIONS_WITH_CONTROLS.contains(&error.field()) {
                self.error.set(Some(format!("Settings: {error}")));
            }
            return;
        }
        self.stages.set(Vec::new());
        self.losses.set(Vec::new());
        self.training_device.set(None);
        self.run_started_ms.set(now_ms());
        self.now_ms.set(now_ms());
        self.phase.set(Phase::Running);
        let options = Box::new(self.options.get_untracked());
        let force_cpu = self.force_cpu.get_untracked();
        let request = if demo {
            Request::Demo {
                rows: DEMO_ROWS,
                options,
                force_cpu,
            }
        } else {
            Request::Run { options, force_cpu }
        };
        self.start_job(JobKind::Run, request);
    }

    pub fn cancel(&self) {
        self.start_worker();
        self.error.set(Some("Run cancelled.".into()));
        self.phase.set(self.resting_phase());
    }

    pub fn source_name(&self) -> String {
        match self.source.get_value() {
            Some(Source::File { file, .. }) => file.name(),
            Some(Source::Demo) => "Demo data (generated)".into(),
            None => String::new(),
        }
    }

    pub fn back_to_start(&self) {
        self.error.set(None);
        self.phase.set(Phase::Start);
    }

    /// Shows another variant's clusters; a cluster filter of the previous variant means nothing
    /// for it, so the filter is cleared.
    pub fn select_variant(&self, variant: usize) {
        self.variant.set(variant);
        self.cluster_filter.set(None);
    }

    pub fn toggle_theme(&self) {
        self.dark.update(|dark| *dark = !*dark);
    }

    pub fn reset_roi(&self) {
        self.roi.set(CampaignPlan::default());
    }
}

/// The [`OptionsError::field`] names the page has a control for (see `RunOptions`).
const OPTIONS_WITH_CONTROLS: [&str; 2] = ["k", "sample_size"];

fn local_storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

pub fn now_ms() -> f64 {
    window().performance().map(|p| p.now()).unwrap_or(0.0)
}

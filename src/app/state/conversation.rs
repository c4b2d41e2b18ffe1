//! The page's side of the worker conversation: which request the page waits on, what each
//! answer changes, and what happens when the worker dies.

use std::sync::Arc;

use leptos::prelude::*;

use super::{AppState, Phase, Source, StageProgress, now_ms};
use crate::app::protocol::{Request, RequestId, Response};
use crate::app::worker_client::{WorkerClient, WorkerEvent};
use crate::core::pipeline::{Progress, Stage};

/// The request the page waits on. Only its answers are applied: one to an earlier file or to a
/// run the user left is stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Job {
    id: RequestId,
    pub(super) kind: JobKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum JobKind {
    Sniff,
    Run,
}

impl AppState {
    /// (Re)starts the worker; a running pipeline in the old one is stopped by terminating it,
    /// and nothing it sent can arrive any more.
    pub(super) fn start_worker(self) {
        self.worker_status.set(None);
        self.spawn_worker();
    }

    /// Replaces the worker, keeping the badge: a fresh worker in this browser finds the same
    /// device.
    fn spawn_worker(self) {
        self.client.set_value(None);
        self.job.set(None);
        let started = WorkerClient::spawn(move |event| self.on_worker_event(event))
            .and_then(|client| client.send(Request::Ping, None).map(|_| client));
        match started {
            Ok(client) => self.client.set_value(Some(client)),
            Err(e) => self.worker_status.set(Some(Err(e))),
        }
    }

    /// Sends the request the page will wait on, with the user's file when the source is one.
    pub(super) fn start_job(&self, kind: JobKind, request: Request) {
        let file = self.source.with_value(|source| match source {
            Some(Source::File { file, .. }) => Some(file.clone()),
            _ => None,
        });
        let sent = self.client.with_value(|client| match client {
            Some(client) => client.send(request, file.as_deref()),
            None => Err("the pipeline worker is not running".to_string()),
        });
        match sent {
            Ok(id) => self.job.set(Some(Job { id, kind })),
            Err(e) => self.fail(e),
        }
    }

    fn on_worker_event(self, event: WorkerEvent) {
        match event {
            WorkerEvent::Answer { id, response } => self.on_answer(id, response),
            WorkerEvent::Died { reason } => self.on_worker_died(reason),
        }
    }

    fn on_answer(self, id: RequestId, response: Response) {
        let current = self.job.get_untracked().is_some_and(|job| job.id == id);
        match response {
            // The badge describes the worker, whichever job is current.
            Response::Pong { compute } => {
                self.worker_status.set(Some(Ok(compute)));
                announce_ready();
            }
            _ if !current => {}
            Response::Sniffed { sniffed } => {
                self.job.set(None);
                let sniffed = Arc::new(*sniffed);
                self.options
                    .update(|o| o.ingest.mapping = sniffed.mapping.clone());
                self.source.update_value(|source| {
                    if let Some(Source::File { header, .. }) = source {
                        *header = Some(sniffed.clone());
                    }
                });
                self.phase.set(Phase::Preview(sniffed));
            }
            Response::Training { compute } => self.training_device.set(Some(compute)),
            Response::Progress { progress } => self.on_progress(progress),
            Response::Done { report } => {
                self.job.set(None);
                // The client ended the worker on its report; the next run gets a fresh one
                // (after this event: the old client is still running this handler).
                queue_microtask(move || self.spawn_worker());
                self.select_variant(report.winner);
                self.report.set(Some(Arc::new(*report)));
                self.phase.set(Phase::Dashboard);
            }
            Response::Error { message } => self.fail(message),
            // Only the pipeline worker's helper answers with a map, to the pipeline worker.
            Response::Map { .. } => {}
        }
    }

    /// Says what failed and where, and replaces the worker so the user can try again with the
    /// same file and settings. A worker that dies with no job running and before answering its
    /// ping would die again: the badge reports it instead, and requests fail at once.
    fn on_worker_died(self, reason: String) {
        let job = self.job.get_untracked();
        let healthy = matches!(self.worker_status.get_untracked(), Some(Ok(_)));
        let replace = job.is_some() || healthy;
        // After this event: the dying worker's client is still running this handler.
        queue_microtask(move || {
            if replace {
                self.start_worker()
            } else {
                self.client.set_value(None)
            }
        });
        if !replace {
            self.worker_status.set(Some(Err(reason)));
            return;
        }
        let during = match job.map(|job| job.kind) {
            Some(JobKind::Sniff) => "while reading the file's header".to_string(),
            Some(JobKind::Run) => match self.stages.with_untracked(|s| s.last().map(|p| p.stage)) {
                Some(stage) => format!("during \u{201c}{}\u{201d}", stage.label()),
                None => "as the run started".to_string(),
            },
            None => "while idle".to_string(),
        };
        self.fail(format!(
            "The pipeline stopped {during}: {reason}. A fresh worker has started; your file and \
             settings are kept, so you can try again."
        ));
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

    /// Shows an error and, from the run screen, returns to where the user can act.
    pub(super) fn fail(&self, message: String) {
        self.job.set(None);
        self.error.set(Some(message));
        if self.phase.get_untracked() == Phase::Running {
            self.phase.set(self.resting_phase());
        }
    }

    /// Where a run that ends without a new report leaves the user: the dashboard they had, else
    /// the preview of their file (mapping and options kept, so Run retries), else the start.
    pub(super) fn resting_phase(&self) -> Phase {
        if self.report.with_untracked(Option::is_some) {
            return Phase::Dashboard;
        }
        self.source.with_value(|source| match source {
            Some(Source::File {
                header: Some(header),
                ..
            }) => Phase::Preview(header.clone()),
            _ => Phase::Start,
        })
    }
}

/// Tells the page's scripts that the page and its worker have loaded (the event
/// [`WORKER_READY_EVENT`]): the service worker's registration waits for it, so its precaching
/// never competes with the first load on a slow link.
fn announce_ready() {
    if let (Some(window), Ok(event)) = (web_sys::window(), web_sys::Event::new(WORKER_READY_EVENT))
    {
        let _ = window.dispatch_event(&event);
    }
}

/// Named in public/sw_register.js too.
const WORKER_READY_EVENT: &str = "rfm-studio-worker-ready";

//! The pipeline worker's helper: a second worker, started with each run, that computes the
//! t-SNE map on another core while the pipeline trains, clusters and evaluates
//! ([`crate::core::pipeline::MapMaker`]). It has loaded by the time the map's input is known.
//! Where it cannot start or dies, the pipeline worker computes the map itself: the same map,
//! later. Terminating the pipeline worker (Cancel) terminates its helper too.

use std::cell::RefCell;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Poll, Waker};

use ndarray::Array2;

use super::protocol::{Request, Response};
use super::worker_client::{WorkerClient, WorkerEvent};
use crate::core::pipeline::{Map, MapMaker, PendingMap, Progress, make_map};
use crate::core::tsne::TsneConfig;

/// Reads the worker's clock in seconds.
pub type Seconds = Rc<dyn Fn() -> f64>;

pub struct MapWorker {
    helper: Option<WorkerClient>,
    answer: Rc<Answer>,
    now: Seconds,
    /// Passes the map's progress on to the page.
    progress: Rc<dyn Fn(Progress)>,
}

/// The helper's answer, once it has one.
#[derive(Default)]
struct Answer {
    map: RefCell<Option<Result<Map, String>>>,
    waker: RefCell<Option<Waker>>,
}

impl Answer {
    fn set(&self, map: Result<Map, String>) {
        let mut slot = self.map.borrow_mut();
        // The first answer counts: a death after a finished map changes nothing.
        if slot.is_none() {
            *slot = Some(map);
            if let Some(waker) = self.waker.take() {
                waker.wake();
            }
        }
    }

    async fn wait(&self) -> Result<Map, String> {
        poll_fn(|context| match self.map.borrow_mut().take() {
            Some(map) => Poll::Ready(map),
            None => {
                *self.waker.borrow_mut() = Some(context.waker().clone());
                Poll::Pending
            }
        })
        .await
    }
}

impl MapWorker {
    /// Starts the helper. Its progress goes to `progress`; its failure to start is no error.
    pub fn start(now: Seconds, progress: Rc<dyn Fn(Progress)>) -> Self {
        let answer = Rc::new(Answer::default());
        let helper = {
            let (answer, progress) = (answer.clone(), progress.clone());
            WorkerClient::spawn(move |event| match event {
                WorkerEvent::Answer { response, .. } => match response {
                    Response::Progress { progress: p } => progress(p),
                    Response::Map { map } => answer.set(Ok(*map)),
                    Response::Error { message } => answer.set(Err(message)),
                    _ => {}
                },
                WorkerEvent::Died { reason } => answer.set(Err(reason)),
            })
            .ok()
        };
        MapWorker {
            helper,
            answer,
            now,
            progress,
        }
    }

    /// The map computed here, after the helper failed (`why`).
    fn make_here(
        &self,
        points: &Array2<f64>,
        config: &TsneConfig,
        why: &str,
    ) -> Result<Map, String> {
        let computed_on = format!("the pipeline worker ({why})");
        make_map(
            points.view(),
            config,
            &computed_on,
            &*self.now,
            &*self.progress,
        )
        .map_err(|e| e.to_string())
    }
}

impl MapMaker for MapWorker {
    // Yielding a future is the point: this one resolves once the helper has the input, the
    // map it yields is awaited stages later.
    #[allow(clippy::async_yields_async)]
    fn start(
        &self,
        points: Array2<f64>,
        config: TsneConfig,
    ) -> Pin<Box<dyn Future<Output = PendingMap<'_>> + '_>> {
        Box::pin(async move {
            let sent = self.helper.as_ref().map(|helper| {
                let request = Request::Map {
                    columns: points.ncols(),
                    points: points.iter().copied().collect(),
                    config: config.clone(),
                };
                helper.send(request, None)
            });
            if let (Some(Ok(_)), Some(helper)) = (&sent, &self.helper) {
                // The request waits in the client until the helper is ready, which this
                // worker only hears between tasks: wait for it here, once.
                helper.ready().await;
            }
            let pending: PendingMap<'_> = Box::pin(async move {
                let why = match (&self.helper, sent) {
                    (None, _) => "no second worker could start".to_string(),
                    (Some(_), Some(Err(e))) => format!("the second worker could not be asked: {e}"),
                    (Some(_), _) => match self.answer.wait().await {
                        Ok(map) => return Ok(map),
                        Err(e) => format!("the second worker failed: {e}"),
                    },
                };
                self.make_here(&points, &config, &why)
            });
            pending
        })
    }
}

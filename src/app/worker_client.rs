//! The page's handle on the pipeline worker (and the pipeline worker's on its map helper).
//!
//! Cancelling terminates the worker and starts a fresh one: the pipeline runs synchronously
//! inside the worker, so a cooperative cancel message could not be read until it finished.
//! A finished report ends the worker too, so that its memory is returned before the page
//! decodes the report.
//! A worker that dies (a panic, a failed allocation, an unreadable message) is reported once, as
//! [`WorkerEvent::Died`], so the page never waits on a dead worker.

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};

use js_sys::{Object, Reflect};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use web_sys::{Blob, ErrorEvent, Event, MessageEvent, Worker};

use super::protocol::{Envelope, FILE_KEY, FromWorker, JSON_KEY, Request, RequestId, Response};
use super::report_transfer::{self, COLUMNS_KEY};

/// Served beside `index.html`; it loads the worker's wasm relative to its own URL, so the app
/// works from any sub-path (GitHub Pages) without a blob: URL in the Content-Security-Policy.
const WORKER_LOADER: &str = "worker_loader.js";

/// What the page hears from its worker.
pub enum WorkerEvent {
    Answer {
        id: RequestId,
        response: Response,
    },
    /// The worker can answer no more; `reason` is meant for the user.
    Died {
        reason: String,
    },
}

pub struct WorkerClient {
    shared: Rc<Shared>,
    // Kept alive as long as the worker can call them.
    _listeners: [Closure<dyn FnMut(Event)>; 3],
}

struct Shared {
    worker: Worker,
    /// Messages posted before the worker's `Ready` would be dropped by the browser: they wait
    /// here until then. `None` once the worker is ready.
    waiting: RefCell<Option<Vec<Object>>>,
    dead: Cell<bool>,
    /// Who awaits [`WorkerClient::ready`].
    on_ready: RefCell<Vec<Waker>>,
}

impl Shared {
    fn post(&self, message: &Object) -> Result<(), String> {
        self.worker.post_message(message).map_err(describe_js_error)
    }

    /// Sends what waited for the worker's `Ready`.
    fn flush_waiting(&self) -> Result<(), String> {
        let waiting = self.waiting.take().unwrap_or_default();
        let posted = waiting.iter().try_for_each(|message| self.post(message));
        self.wake_ready();
        posted
    }

    fn wake_ready(&self) {
        self.on_ready.take().into_iter().for_each(Waker::wake);
    }
}

thread_local! {
    static LAST_REQUEST_ID: Cell<RequestId> = const { Cell::new(0) };
}

impl WorkerClient {
    /// Starts the worker; `on_event` receives its answers and, at most once, its death.
    pub fn spawn(on_event: impl FnMut(WorkerEvent) + 'static) -> Result<Self, String> {
        let shared = Rc::new(Shared {
            worker: Worker::new(WORKER_LOADER).map_err(describe_js_error)?,
            waiting: RefCell::new(Some(Vec::new())),
            dead: Cell::new(false),
            on_ready: RefCell::new(Vec::new()),
        });
        let on_event = Rc::new(RefCell::new(on_event));
        let die = {
            let (shared, on_event) = (shared.clone(), on_event.clone());
            move |detail: String| {
                if !shared.dead.replace(true) {
                    shared.wake_ready();
                    (on_event.borrow_mut())(WorkerEvent::Died {
                        reason: death_reason(&detail),
                    });
                }
            }
        };
        let on_message = {
            let (shared, die) = (shared.clone(), die.clone());
            Closure::<dyn FnMut(Event)>::new(move |event: Event| {
                let data = event.unchecked_into::<MessageEvent>().data();
                if carries_report(&data) {
                    // A finished report is the worker's last word on its run. Its memory (wasm
                    // memory never shrinks: as much as the run's peak, a gigabyte at a million
                    // customers) goes back before the page decodes the report beside it.
                    shared.worker.terminate();
                }
                let message = read_message(&data);
                match message {
                    // A request that cannot be posted would never be answered: give up the worker.
                    Ok(FromWorker::Ready) => {
                        if let Err(e) = shared.flush_waiting() {
                            die(e)
                        }
                    }
                    Ok(FromWorker::Answer { id, response }) if !shared.dead.get() => {
                        (on_event.borrow_mut())(WorkerEvent::Answer { id, response })
                    }
                    Ok(FromWorker::Answer { .. }) => {}
                    Ok(FromWorker::Fatal { message }) | Err(message) => die(message),
                }
            })
        };
        let on_error = {
            let die = die.clone();
            Closure::<dyn FnMut(Event)>::new(move |event: Event| {
                // Handled here: the browser need not report it again as uncaught.
                event.prevent_default();
                die(event
                    .dyn_ref::<ErrorEvent>()
                    .map(|e| e.message())
                    .filter(|m| !m.is_empty())
                    .unwrap_or_else(|| "the worker's script could not be loaded".into()));
            })
        };
        let on_message_error = Closure::<dyn FnMut(Event)>::new(move |_: Event| {
            die("a message from the worker could not be read".into())
        });
        let worker = &shared.worker;
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        worker.set_onmessageerror(Some(on_message_error.as_ref().unchecked_ref()));
        Ok(Self {
            shared,
            _listeners: [on_message, on_error, on_message_error],
        })
    }

    /// Sends a request, with the user's file beside it when it is about that file (a `File` is
    /// structured-cloned as a handle: no bytes are copied). Returns the id its answers carry.
    pub fn send(&self, request: Request, file: Option<&Blob>) -> Result<RequestId, String> {
        let id = LAST_REQUEST_ID.with(|last| {
            last.set(last.get() + 1);
            last.get()
        });
        let json = serde_json::to_string(&Envelope { id, request }).map_err(|e| e.to_string())?;
        let message = Object::new();
        Reflect::set(&message, &JSON_KEY.into(), &json.into()).map_err(describe_js_error)?;
        if let Some(file) = file {
            Reflect::set(&message, &FILE_KEY.into(), file).map_err(describe_js_error)?;
        }
        match self.shared.waiting.borrow_mut().as_mut() {
            Some(waiting) => waiting.push(message),
            None => self.shared.post(&message)?,
        }
        Ok(id)
    }

    /// Resolves once the worker is ready and what was sent before has been posted to it, or
    /// once it has died. Only needed by a caller that keeps its thread busy after sending: the
    /// worker's `Ready` is heard between tasks, and until then requests wait in the client.
    pub async fn ready(&self) {
        poll_fn(|context| {
            let shared = &self.shared;
            if shared.waiting.borrow().is_none() || shared.dead.get() {
                Poll::Ready(())
            } else {
                shared.on_ready.borrow_mut().push(context.waker().clone());
                Poll::Pending
            }
        })
        .await
    }
}

impl Drop for WorkerClient {
    fn drop(&mut self) {
        let worker = &self.shared.worker;
        worker.set_onmessage(None);
        worker.set_onerror(None);
        worker.set_onmessageerror(None);
        worker.terminate();
    }
}

/// Whether a message is a finished report: the only one with columns beside its JSON.
fn carries_report(data: &JsValue) -> bool {
    !data.is_string() && Reflect::has(data, &COLUMNS_KEY.into()).unwrap_or(false)
}

/// A message is its JSON text, or an object with the JSON and a report's columns beside it.
fn read_message(data: &JsValue) -> Result<FromWorker, String> {
    let parse = |text: String| serde_json::from_str(&text).map_err(|e| e.to_string());
    if let Some(text) = data.as_string() {
        return parse(text);
    }
    let text = Reflect::get(data, &JSON_KEY.into())
        .ok()
        .and_then(|json| json.as_string())
        .ok_or("the worker sent a message with no JSON")?;
    let mut message = parse(text)?;
    if let FromWorker::Answer {
        response: Response::Done { report },
        ..
    } = &mut message
    {
        let columns = Reflect::get(data, &COLUMNS_KEY.into()).map_err(describe_js_error)?;
        report_transfer::from_js(&columns)?
            .restore_into(report)
            .map_err(|e| format!("the report's columns are unreadable: {e}"))?;
    }
    Ok(message)
}

/// Why a worker died, in the user's words. A failed allocation shows as a panic ("capacity
/// overflow", "memory allocation of N bytes failed"), as the engine's own out-of-memory error,
/// or as a bare trap ("unreachable") when Rust's allocator gives up, which it does without
/// panicking (a panic posts its message before the trap): each means the input needs more
/// memory than this tab has.
fn death_reason(detail: &str) -> String {
    const OUT_OF_MEMORY: [&str; 4] = [
        "capacity overflow",
        "memory allocation",
        "allocation failed",
        "out of memory",
    ];
    let detail = detail.trim_start_matches("Uncaught ");
    let lower = detail.to_lowercase();
    if OUT_OF_MEMORY.iter().any(|sign| lower.contains(sign)) {
        format!("the file is too large for this tab: {detail}")
    } else if lower.contains("unreachable") {
        format!("the file is too large for this tab: its memory ran out ({detail})")
    } else {
        detail.to_string()
    }
}

pub fn describe_js_error(error: JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| format!("{error:?}"))
}

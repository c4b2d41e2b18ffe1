//! The start screen: drop zone, file picker and the demo.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::components::RunOptions;
use super::state::{AppState, DEMO_ROWS};

/// What the page reads, under the drop zone.
const FORMATS: &str = "CSV (comma, semicolon or tab; UTF-8 or Windows-1252), .csv.gz or .xlsx — UCI \
    Online Retail II, Online Retail, an export you map yourself, or an aggregated RFM table.";

#[component]
pub fn Start() -> impl IntoView {
    let state = expect_context::<AppState>();
    let dragging = RwSignal::new(false);
    // The page keeps only a handle: the worker reads the file itself, in slices.
    let open = move |file: web_sys::File| state.open_file(file);

    view! {
        <section class="start">
            <div
                class="dropzone"
                class:dragging=move || dragging.get()
                data-testid="dropzone"
                on:dragover=move |ev: web_sys::DragEvent| {
                    ev.prevent_default();
                    dragging.set(true);
                }
                on:dragleave=move |_| dragging.set(false)
                on:drop=move |ev: web_sys::DragEvent| {
                    ev.prevent_default();
                    dragging.set(false);
                    let files = ev.data_transfer().and_then(|d| d.files());
                    if let Some(file) = files.and_then(|f| f.get(0)) {
                        open(file);
                    }
                }
            >
                <p class="big">"Drop a transactions file here"</p>
                <p class="muted">{FORMATS}</p>
                <label class="button">
                    "Choose a file"
                    <input
                        type="file"
                        accept=".csv,.gz,.xlsx,.txt,.tsv"
                        data-testid="file-input"
                        on:change=move |ev| {
                            let input: web_sys::HtmlInputElement = event_target(&ev);
                            if let Some(file) = input.files().and_then(|f| f.get(0)) {
                                open(file);
                            }
                            input.set_value("");
                        }
                    />
                </label>
                <Show when=move || state.reading_header()>
                    <p class="muted">"Reading the file…"</p>
                </Show>
            </div>
            <div class="demo">
                <p>
                    "No file at hand? The demo generates " {DEMO_ROWS.to_string()}
                    " Online-Retail-II-shaped transactions in your browser and runs the whole studio on them."
                </p>
                <button class="primary" data-testid="demo" on:click=move |_| state.run_demo()>
                    "Try the demo"
                </button>
            </div>
            <RunOptions />
        </section>
    }
}

/// The element an event fired on, as the type the handler expects.
fn event_target<T: JsCast>(ev: &leptos::ev::Event) -> T {
    ev.target()
        .expect("events from the DOM have a target")
        .unchecked_into()
}

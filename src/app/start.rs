//! Start screen (drop zone, file picker, demo) and the preview of a file before it runs.

use std::sync::Arc;

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::state::{AppState, DEMO_ROWS};
use crate::core::embed::scale::Scaling;
use crate::core::ingest::{CancellationPolicy, CleaningPolicy, DateOrder, Role, Sniffed};
use crate::core::pipeline::MIN_SAMPLE_SIZE;

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
                    if let Some(file) = ev.data_transfer().and_then(|d| d.files()).and_then(|f| f.get(0)) {
                        open(file);
                    }
                }
            >
                <p class="big">"Drop a transactions file here"</p>
                <p class="muted">
                    "CSV (comma, semicolon or tab; UTF-8 or Windows-1252), .csv.gz or .xlsx — UCI Online Retail II, Online Retail, an export you map yourself, or an aggregated RFM table."
                </p>
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
                    "No file at hand? The demo generates "
                    {DEMO_ROWS.to_string()}
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

/// k, seed, scaling and device: shown on the start screen, the preview and the Models tab.
#[component]
pub fn RunOptions() -> impl IntoView {
    let state = expect_context::<AppState>();
    let options = state.options;
    view! {
        <fieldset class="run-options">
            <legend>"Model settings"</legend>
            <label>
                "Clusters (k) "
                <input
                    type="number"
                    min="2"
                    max="10"
                    data-testid="k"
                    prop:value=move || options.with(|o| o.k.to_string())
                    on:change=move |ev| {
                        if let Ok(k) = event_target_value(&ev).parse::<usize>() {
                            options.update(|o| o.k = k.clamp(2, 10));
                        }
                    }
                />
            </label>
            <label>
                "Seed "
                <input
                    type="number"
                    min="0"
                    data-testid="seed"
                    prop:value=move || options.with(|o| o.seed.to_string())
                    on:change=move |ev| {
                        if let Ok(seed) = event_target_value(&ev).parse::<u64>() {
                            options.update(|o| o.seed = seed);
                        }
                    }
                />
            </label>
            <label title="Silhouettes, Ward trees, stability, the k sweep and the t-SNE map cost O(n²): above this many customers they use a seeded, stratified sample of this size; at or below it every number is exact.">
                "Sample for O(n²) stages "
                <input
                    type="number"
                    min=MIN_SAMPLE_SIZE
                    step="1000"
                    data-testid="sample-size"
                    prop:value=move || options.with(|o| o.sample_size.to_string())
                    on:change=move |ev| {
                        if let Ok(size) = event_target_value(&ev).parse::<usize>() {
                            options.update(|o| o.sample_size = size.max(MIN_SAMPLE_SIZE));
                        }
                    }
                />
            </label>
            <label>
                "Scaling "
                <select
                    data-testid="scaling"
                    on:change=move |ev| {
                        let scaling = if event_target_value(&ev) == "log" { Scaling::Log1p } else { Scaling::SeedCompatible };
                        options.update(|o| o.scaling = scaling);
                    }
                >
                    <option value="seed" selected=move || options.with(|o| o.scaling == Scaling::SeedCompatible)>
                        "Seed-compatible (standard scaling of raw RFM)"
                    </option>
                    <option value="log" selected=move || options.with(|o| o.scaling == Scaling::Log1p)>
                        "log1p + standard (balanced segments)"
                    </option>
                </select>
            </label>
            <label>
                <input
                    type="checkbox"
                    prop:checked=move || state.force_cpu.get()
                    on:change=move |ev| state.force_cpu.set(event_target_checked(&ev))
                />
                " Train on CPU even if WebGPU is available"
            </label>
        </fieldset>
    }
}

#[component]
pub fn Preview(sniffed: Arc<Sniffed>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let options = state.options;
    let header = sniffed.header.clone();
    let role_rows = Role::ALL
        .into_iter()
        .map(|role| {
            let header = header.clone();
            view! {
                <tr>
                    <th scope="row">{role.name()}</th>
                    <td>
                        <select aria-label=role.name() on:change=move |ev| {
                            let value = event_target_value(&ev);
                            options.update(|o| o.ingest.mapping.set(role, (!value.is_empty()).then_some(value)));
                        }>
                            <option value="" selected=move || options.with(|o| o.ingest.mapping.get(role).is_none())>
                                "(none)"
                            </option>
                            {header
                                .iter()
                                .map(|column| {
                                    let value = column.clone();
                                    let selected_column = column.clone();
                                    let column = column.clone();
                                    view! {
                                        <option
                                            value=value
                                            selected=move || options.with(|o| o.ingest.mapping.get(role) == Some(selected_column.as_str()))
                                        >
                                            {column}
                                        </option>
                                    }
                                })
                                .collect_view()}
                        </select>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let date_note = {
        let d = &sniffed.date_order;
        match (&d.order, d.ambiguous) {
            (_, true) => {
                "Dates are ambiguous (no day above 12): month-first assumed; change below if wrong."
                    .to_string()
            }
            (Some(order), false) => format!(
                "Date order detected: {order:?}{}",
                d.evidence
                    .as_ref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            ),
            (None, false) => "Dates: ISO format.".to_string(),
        }
    };
    let missing = sniffed
        .missing_roles
        .iter()
        .map(|r| r.name())
        .collect::<Vec<_>>()
        .join(", ");
    let preview_rows = sniffed
        .preview
        .iter()
        .map(|row| view! { <tr>{row.iter().map(|c| view! { <td>{c.clone()}</td> }).collect_view()}</tr> })
        .collect_view();
    // A cleaning rule's checkbox shows the option, not a default: the preview is drawn again
    // with the user's choices when a run fails.
    let rule = move |label: &'static str,
                     get: fn(&CleaningPolicy) -> bool,
                     set: fn(&mut CleaningPolicy, bool)| {
        view! {
            <label class="check">
                <input
                    type="checkbox"
                    prop:checked=move || options.with(|o| get(&o.ingest.policy))
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        options.update(|o| set(&mut o.ingest.policy, on));
                    }
                />
                {label}
            </label>
        }
    };
    let date_order = move |order: DateOrder| move || options.with(|o| o.ingest.date_order == order);
    view! {
        <section class="preview" data-testid="preview">
            <h2>{state.source_name()}</h2>
            <p class="muted">
                {format!(
                    "{:?}, {:?}{}, {} columns. ",
                    sniffed.format,
                    sniffed.encoding,
                    sniffed.delimiter.map(|d| format!(", delimiter {d:?}")).unwrap_or_default(),
                    sniffed.header.len()
                )}
                {date_note}
            </p>
            <Show when={
                let missing = missing.clone();
                move || !missing.is_empty()
            }>
                <p class="warning">{format!("Map these roles before running: {missing}")}</p>
            </Show>
            <div class="grid-2">
                <div>
                    <h3>"Column roles"</h3>
                    <table class="mapping">
                        <tbody>{role_rows}</tbody>
                    </table>
                </div>
                <div>
                    <h3>"Cleaning"</h3>
                    {rule(
                        " Drop cancellations (unchecked: net them against purchases)",
                        |p| p.cancellations == CancellationPolicy::Drop,
                        |p, on| p.cancellations = if on { CancellationPolicy::Drop } else { CancellationPolicy::Net },
                    )}
                    {rule(" Drop quantity <= 0", |p| p.drop_nonpositive_quantity, |p, on| p.drop_nonpositive_quantity = on)}
                    {rule(" Drop price <= 0", |p| p.drop_nonpositive_price, |p, on| p.drop_nonpositive_price = on)}
                    {rule(" Drop exact duplicate lines", |p| p.drop_duplicates, |p, on| p.drop_duplicates = on)}
                    {rule(
                        " Drop non-product stock codes (POST, M, D, DOT, BANK CHARGES, …)",
                        |p| p.drop_non_product_codes,
                        |p, on| p.drop_non_product_codes = on,
                    )}
                    <label>
                        "Date order "
                        <select on:change=move |ev| {
                            let order = match event_target_value(&ev).as_str() {
                                "mdy" => DateOrder::Mdy,
                                "dmy" => DateOrder::Dmy,
                                _ => DateOrder::Auto,
                            };
                            options.update(|o| o.ingest.date_order = order);
                        }>
                            <option value="auto" selected=date_order(DateOrder::Auto)>"Detect from the data"</option>
                            <option value="mdy" selected=date_order(DateOrder::Mdy)>"Month first (M/D/YYYY)"</option>
                            <option value="dmy" selected=date_order(DateOrder::Dmy)>"Day first (D/M/YYYY)"</option>
                        </select>
                    </label>
                    <RunOptions />
                </div>
            </div>
            <h3>"First rows"</h3>
            <div class="table-scroll" tabindex="0">
                <table class="data">
                    <thead>
                        <tr>{sniffed.header.iter().map(|h| view! { <th>{h.clone()}</th> }).collect_view()}</tr>
                    </thead>
                    <tbody>{preview_rows}</tbody>
                </table>
            </div>
            <div class="actions">
                <button class="ghost" on:click=move |_| state.back_to_start()>"Choose another file"</button>
                <button class="primary" data-testid="run" on:click=move |_| state.run()>"Run the studio"</button>
            </div>
        </section>
    }
}

/// The element an event fired on, as the type the handler expects.
fn event_target<T: JsCast>(ev: &leptos::ev::Event) -> T {
    ev.target()
        .expect("events from the DOM have a target")
        .unchecked_into()
}

//! The preview of a chosen file before it runs: detected layout, column roles, cleaning rules,
//! date order, run options and the first rows.

use std::sync::Arc;

use leptos::prelude::*;

use super::components::RunOptions;
use super::state::AppState;
use crate::core::ingest::{CancellationPolicy, CleaningPolicy, DateOrder, Role, Sniffed};

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
                        <select
                            aria-label=role.name()
                            on:change=move |ev| {
                                let value = event_target_value(&ev);
                                options
                                    .update(|o| {
                                        o.ingest
                                            .mapping
                                            .set(role, (!value.is_empty()).then_some(value))
                                    });
                            }
                        >
                            <option
                                value=""
                                selected=move || {
                                    options.with(|o| o.ingest.mapping.get(role).is_none())
                                }
                            >
                                "(none)"
                            </option>
                            {header
                                .iter()
                                .map(|column| {
                                    let value = column.clone();
                                    let selected_column = column.clone();
                                    let column = column.clone();
                                    let selected = move || {
                                        options
                                            .with(|o| {
                                                o.ingest.mapping.get(role) == Some(selected_column.as_str())
                                            })
                                    };
                                    view! {
                                        <option value=value selected=selected>
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
                    sniffed.header.len(),
                )} {date_note}
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
                        " Drop cancellations and returns (unchecked: net them against purchases)",
                        |p| p.cancellations == CancellationPolicy::Drop,
                        |p, on| {
                            p.cancellations = if on {
                                CancellationPolicy::Drop
                            } else {
                                CancellationPolicy::Net
                            }
                        },
                    )}
                    {rule(
                        " Drop quantity <= 0",
                        |p| p.drop_nonpositive_quantity,
                        |p, on| p.drop_nonpositive_quantity = on,
                    )}
                    {rule(
                        " Drop price <= 0",
                        |p| p.drop_nonpositive_price,
                        |p, on| p.drop_nonpositive_price = on,
                    )}
                    {rule(
                        " Drop exact duplicate lines",
                        |p| p.drop_duplicates,
                        |p, on| p.drop_duplicates = on,
                    )}
                    {rule(
                        " Drop non-product stock codes (POST, M, D, DOT, BANK CHARGES, …)",
                        |p| p.drop_non_product_codes,
                        |p, on| p.drop_non_product_codes = on,
                    )}
                    <label class="check">
                        <input
                            type="checkbox"
                            data-testid="strict"
                            prop:checked=move || options.with(|o| o.ingest.strict)
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                options.update(|o| o.ingest.strict = on);
                            }
                        />
                        " Strict: refuse the file at the first line that cannot be read (unchecked: drop such lines and count them)"
                    </label>
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
                            <option value="auto" selected=date_order(DateOrder::Auto)>
                                "Detect from the data"
                            </option>
                            <option value="mdy" selected=date_order(DateOrder::Mdy)>
                                "Month first (M/D/YYYY)"
                            </option>
                            <option value="dmy" selected=date_order(DateOrder::Dmy)>
                                "Day first (D/M/YYYY)"
                            </option>
                        </select>
                    </label>
                    <RunOptions />
                </div>
            </div>
            <h3>"First rows"</h3>
            <div class="table-scroll" tabindex="0">
                <table class="data">
                    <thead>
                        <tr>
                            {sniffed
                                .header
                                .iter()
                                .map(|h| view! { <th>{h.clone()}</th> })
                                .collect_view()}
                        </tr>
                    </thead>
                    <tbody>{preview_rows}</tbody>
                </table>
            </div>
            <div class="actions">
                <button class="ghost" on:click=move |_| state.back_to_start()>
                    "Choose another file"
                </button>
                <button class="primary" data-testid="run" on:click=move |_| state.run()>
                    "Run the studio"
                </button>
            </div>
        </section>
    }
}

//! The dashboard: a toolbar (clusters shown, filter, customer lookup, downloads), tabs, and the
//! views. Everything here is derived from the report; nothing is recomputed but the cheap
//! per-cluster profiles, personas and the ROI scenario.

use leptos::prelude::*;

use super::downloads::download;
use super::segmentation::DashboardContext;
use super::state::{AppState, Tab};
use super::views;
use crate::core::export::{labels_csv, statistics_csv};

#[component]
pub fn Dashboard() -> impl IntoView {
    let state = expect_context::<AppState>();
    DashboardContext::provide(state);

    view! {
        <section class="dashboard" data-testid="dashboard">
            <Toolbar />
            <nav
                class="tabs"
                role="tablist"
                aria-label="Dashboard views"
                on:keydown=move |ev| move_between_tabs(state, ev)
            >
                {Tab::ALL
                    .into_iter()
                    .map(|tab| {
                        view! {
                            <button
                                role="tab"
                                id=tab_id(tab)
                                data-testid=tab_id(tab)
                                aria-selected=move || (state.tab.get() == tab).to_string()
                                tabindex=move || if state.tab.get() == tab { "0" } else { "-1" }
                                class:active=move || state.tab.get() == tab
                                on:click=move |_| state.tab.set(tab)
                            >
                                {tab.label()}
                            </button>
                        }
                    })
                    .collect_view()}
            </nav>
            <div class="tab-panel" role="tabpanel" aria-labelledby=move || tab_id(state.tab.get())>
                {move || match state.tab.get() {
                    Tab::Overview => view! { <views::Overview /> }.into_any(),
                    Tab::Segments => view! { <views::Segments /> }.into_any(),
                    Tab::Distributions => view! { <views::Distributions /> }.into_any(),
                    Tab::Profiles => view! { <views::Profiles /> }.into_any(),
                    Tab::Map => view! { <views::Map /> }.into_any(),
                    Tab::Models => view! { <views::Models /> }.into_any(),
                    Tab::Validation => view! { <views::Validation /> }.into_any(),
                    Tab::Value => view! { <views::Value /> }.into_any(),
                    Tab::Cohorts => view! { <views::Cohorts /> }.into_any(),
                    Tab::Roi => view! { <views::Roi /> }.into_any(),
                }}
            </div>
        </section>
    }
}

fn tab_id(tab: Tab) -> String {
    format!("tab-{}", tab.label().to_lowercase())
}

/// Arrow keys move along the tabs (the WAI-ARIA tabs pattern): only the selected tab is in the
/// Tab order, so Tab goes from the tab list straight into the view.
fn move_between_tabs(state: AppState, ev: leptos::ev::KeyboardEvent) {
    use wasm_bindgen::JsCast;
    let count = Tab::ALL.len();
    let step = match ev.key().as_str() {
        "ArrowRight" => 1,
        "ArrowLeft" => count - 1,
        _ => return,
    };
    ev.prevent_default();
    let current = Tab::ALL
        .iter()
        .position(|&t| t == state.tab.get_untracked())
        .unwrap_or(0);
    let next = Tab::ALL[(current + step) % count];
    state.tab.set(next);
    if let Some(button) = document()
        .get_element_by_id(&tab_id(next))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = button.focus();
    }
}

#[component]
fn Toolbar() -> impl IntoView {
    let state = expect_context::<AppState>();
    let ctx = expect_context::<DashboardContext>();
    let variant_options = move || {
        state.report.with(|r| {
            r.as_ref().map(|r| {
                r.variants
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        let label = if i == r.winner {
                            format!("{} (winner)", v.name)
                        } else {
                            v.name.clone()
                        };
                        view! {
                            <option value=i.to_string() selected=move || state.variant.get() == i>
                                {label}
                            </option>
                        }
                    })
                    .collect_view()
            })
        })
    };
    let cluster_options = move || {
        ctx.segmentation.with(|s| {
            s.as_ref().map(|s| {
                (0..s.k)
                    .map(|c| {
                        let name = s.cluster_name(c);
                        let selected = move || state.cluster_filter.get() == Some(c);
                        view! {
                            <option value=c.to_string() selected=selected>
                                {name}
                            </option>
                        }
                    })
                    .collect_view()
            })
        })
    };
    let lookup_result = move || {
        let query = state.lookup.get();
        let query = query.trim();
        if query.is_empty() {
            return None;
        }
        ctx.segmentation.with(|s| {
            let s = s.as_ref()?;
            let found = s.report.customers.iter().position(|c| c.id == query);
            Some(match found {
                Some(i) => {
                    let c = &s.report.customers[i];
                    format!(
                        "Customer {}: recency {} days, {} invoices, {:.2} spent · RFM {}{}{} ({}) · \
                         cluster {}",
                        c.id,
                        c.recency,
                        c.frequency,
                        c.monetary,
                        c.r_score,
                        c.f_score,
                        c.m_score,
                        c.segment,
                        s.cluster_name(s.labels()[i])
                    )
                }
                None => format!("No customer with id \"{query}\"."),
            })
        })
    };
    let download_customers = move |_| {
        ctx.segmentation.with_untracked(|s| {
            if let Some(s) = s {
                let csv = labels_csv(&s.report, &ctx.visible.get_untracked());
                download("rfm-studio-customers.csv", "text/csv", &csv);
            }
        })
    };
    let download_statistics = move |_| {
        state.report.with_untracked(|r| {
            if let Some(r) = r {
                download("rfm-studio-statistics.csv", "text/csv", &statistics_csv(r));
            }
        })
    };
    let download_report = move |_| {
        state.report.with_untracked(|r| {
            if let Some(r) = r {
                let json = serde_json::to_string_pretty(r.as_ref()).unwrap_or_default();
                download("rfm-studio-report.json", "application/json", &json);
            }
        })
    };
    view! {
        <div class="toolbar">
            <span class="source">{state.source_name()}</span>
            <label>
                "Clusters from "
                <select
                    data-testid="variant"
                    on:change=move |ev| {
                        if let Ok(i) = event_target_value(&ev).parse() {
                            state.select_variant(i);
                        }
                    }
                >
                    {variant_options}
                </select>
            </label>
            <label>
                "Show "
                <select
                    data-testid="cluster-filter"
                    on:change=move |ev| {
                        state.cluster_filter.set(event_target_value(&ev).parse().ok())
                    }
                >
                    <option value="all" selected=move || state.cluster_filter.get().is_none()>
                        "all clusters"
                    </option>
                    {cluster_options}
                </select>
            </label>
            <label>
                "Customer "
                <input
                    type="search"
                    placeholder="id, e.g. 12347"
                    data-testid="lookup"
                    prop:value=move || state.lookup.get()
                    on:input=move |ev| state.lookup.set(event_target_value(&ev))
                />
            </label>
            <span class="downloads">
                <button on:click=download_customers data-testid="download-customers">
                    "Customers CSV"
                </button>
                <button on:click=download_statistics>"Statistics CSV"</button>
                <button on:click=download_report>"Report JSON"</button>
                <button class="ghost" on:click=move |_| state.back_to_start()>
                    "New file"
                </button>
            </span>
        </div>
        {move || {
            lookup_result()
                .map(|text| {
                    view! {
                        <p class="lookup-result" data-testid="lookup-result">
                            {text}
                        </p>
                    }
                })
        }}
    }
}

//! Segments: customers per cluster, each cluster's persona with its recommended action, and how
//! the clusters cut across the classic RFM segments.

use leptos::prelude::*;
use plotly::common::Marker;
use plotly::{Bar, Plot};

use crate::app::components::{Chart, base_layout, cluster_colour};
use crate::app::format::{money, percent};
use crate::app::segmentation::{DashboardContext, Segmentation};

#[component]
pub fn Segments() -> impl IntoView {
    let (state, ctx) = DashboardContext::expect();
    let counts = move || {
        ctx.segmentation.with(|s| {
            let mut plot = Plot::new();
            if let Some(s) = s {
                let names: Vec<String> = (0..s.k).map(|c| s.cluster_name(c)).collect();
                let sizes: Vec<usize> = s.profiles.iter().map(|p| p.customers).collect();
                let colours: Vec<&str> = (0..s.k).map(cluster_colour).collect();
                plot.add_trace(Bar::new(names, sizes).marker(Marker::new().color_array(colours)));
            }
            plot.set_layout(base_layout("Customers per cluster", state.dark.get()));
            plot
        })
    };
    let personas = ctx.render(|s| {
        s.personas
            .iter()
            .zip(s.profiles.iter())
            .map(|(p, profile)| {
                let share = format!(
                    "{} of customers, {} of revenue",
                    percent(profile.share),
                    money(profile.revenue)
                );
                view! {
                    <article
                        class="persona"
                        style=format!("border-left-color: {}", cluster_colour(p.cluster))
                    >
                        <h4>{format!("Cluster {} · {}", p.cluster, p.name)}</h4>
                        <p class="muted">{p.evidence.clone()}</p>
                        <p>{share}</p>
                        <p class="action">{p.action.clone()}</p>
                    </article>
                }
            })
            .collect_view()
    });
    view! {
        <Chart id="cluster-counts" figure=counts />
        <h3>"Personas and recommended actions"</h3>
        <div class="personas" data-testid="personas">
            {personas}
        </div>
        <h3>"Classic RFM segments by cluster"</h3>
        <div class="table-scroll" tabindex="0">
            {ctx.render(crosstab)}
        </div>
    }
}

/// Customers of each classic RFM segment (rows) in each cluster (columns).
fn crosstab(s: &Segmentation) -> impl IntoView + use<> {
    let mut segments: Vec<String> = s
        .report
        .customers
        .iter()
        .map(|c| c.segment.clone())
        .collect();
    segments.sort();
    segments.dedup();
    let rows = segments
        .iter()
        .map(|segment| {
            let cells = (0..s.k)
                .map(|c| {
                    let count = s
                        .report
                        .customers
                        .iter()
                        .zip(s.labels.iter())
                        .filter(|(cu, l)| **l == c && &cu.segment == segment)
                        .count();
                    view! { <td class="num">{count}</td> }
                })
                .collect_view();
            view! {
                <tr>
                    <th scope="row">{segment.clone()}</th>
                    {cells}
                </tr>
            }
        })
        .collect_view();
    let clusters = (0..s.k)
        .map(|c| view! { <th>{s.cluster_name(c)}</th> })
        .collect_view();
    view! {
        <table class="data">
            <thead>
                <tr>
                    <th>"Classic RFM segment"</th>
                    {clusters}
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

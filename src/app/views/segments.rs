//! Segments: customers per cluster, each cluster's persona with its recommended action, and how
//! the clusters cut across the classic RFM segments.

use std::sync::Arc;

use leptos::prelude::*;
use plotly::common::Marker;
use plotly::{Bar, Plot};

use crate::app::components::{Chart, base_layout, cluster_colour};
use crate::app::format::{money, percent};
use crate::app::segmentation::{DashboardContext, Segmentation};
use crate::app::views::score_thresholds::ScoreThresholds;
use crate::core::rfm::Segment;

#[component]
pub fn Segments() -> impl IntoView {
    let (state, ctx) = DashboardContext::expect();
    // Each customer's classic segment under the analyst's custom breaks, if any.
    let rescored = RwSignal::new(None::<Arc<Vec<Segment>>>);
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
        <ScoreThresholds rescored=rescored />
        <h3>"Classic RFM segments by cluster"</h3>
        <div class="table-scroll" tabindex="0">
            {move || {
                let custom = rescored.get();
                ctx.segmentation
                    .with(|s| {
                        s.as_ref().map(|s| crosstab(s, custom.as_ref().map(|v| v.as_slice())))
                    })
            }}
        </div>
    }
}

/// Customers of each classic RFM segment (rows) in each cluster (columns): the quintile
/// segments, or `custom` ones (one per customer) where the analyst set breaks.
fn crosstab(s: &Segmentation, custom: Option<&[Segment]>) -> impl IntoView + use<> {
    let segment_of = |i: usize| match custom {
        Some(segments) => segments[i],
        None => Segment::from_name(&s.report.customers[i].segment).unwrap_or(Segment::Lost),
    };
    let mut counts = vec![vec![0usize; s.k]; Segment::ALL.len()];
    for (i, &label) in s.labels().iter().enumerate() {
        let row = Segment::ALL.iter().position(|&x| x == segment_of(i));
        if let (Some(row), true) = (row, label < s.k) {
            counts[row][label] += 1;
        }
    }
    let rows = Segment::ALL
        .iter()
        .zip(&counts)
        .filter(|(_, cells)| cells.iter().any(|&n| n > 0))
        .map(|(segment, cells)| {
            let cells = cells
                .iter()
                .map(|&n| view! { <td class="num">{n}</td> })
                .collect_view();
            view! {
                <tr>
                    <th scope="row">{segment.name()}</th>
                    {cells}
                </tr>
            }
        })
        .collect_view();
    let clusters = (0..s.k)
        .map(|c| view! { <th>{s.cluster_name(c)}</th> })
        .collect_view();
    view! {
        <table class="data" data-testid="segment-crosstab">
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

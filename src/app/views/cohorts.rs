//! Cohorts: how each month's new customers keep buying (cohort retention) and how the classic
//! segments and the chosen variant's clusters moved from an earlier date (the run's setting,
//! by default a quarter before the end) to the end, all computed in the worker's "Customer
//! value" stage.

use leptos::prelude::*;
use plotly::common::{ColorScale, ColorScalePalette, Font};
use plotly::layout::{Annotation, Axis};
use plotly::{HeatMap, Plot, Trace};

use super::migration::Migrations;
use crate::app::components::{Chart, base_layout};
use crate::app::format::{count, percent};
use crate::app::segmentation::DashboardContext;
use crate::core::pipeline::ValueReport;

#[component]
pub fn Cohorts() -> impl IntoView {
    let (state, ctx) = DashboardContext::expect();
    let retention = move || {
        let mut plot = Plot::new();
        let mut layout = base_layout(
            "Cohort retention: share of each first-purchase month's customers buying, by months \
             since",
            state.dark.get(),
        );
        let drawn = ctx.segmentation.with(|s| {
            let value = s.as_ref()?.report.value.as_ref()?;
            Some((retention_heatmap(value), value.cohorts.len()))
        });
        if let Some(((heatmap, annotations), cohorts)) = drawn {
            plot.add_trace(heatmap);
            layout = layout
                .annotations(annotations)
                .height(120 + 28 * cohorts)
                .x_axis(
                    Axis::new()
                        .title("Months since the first purchase")
                        .dtick(1.0),
                )
                .y_axis(Axis::new().title("First purchase"));
        }
        plot.set_layout(layout);
        plot
    };
    let cohorts = ctx.render(move |s| {
        let Some(value) = s.report.value.as_ref() else {
            let why = s.report.value_note.clone().unwrap_or_default();
            return view! {
                <p class="muted" data-testid="cohorts-unavailable">
                    {format!("No cohorts or migration for this file: {why}")}
                </p>
            }
            .into_any();
        };
        view! {
            <Chart id="cohort-heatmap" figure=retention />
            {cohort_note(value)}
        }
        .into_any()
    });
    view! {
        {cohorts}
        <Migrations />
    }
}

/// A heatmap trace and its cells' labels (layout annotations).
pub(super) type LabelledHeatmap = (Box<dyn Trace>, Vec<Annotation>);

/// Cells as text over a heatmap (the crate's heatmap has no text template): white on the dark
/// low end of Viridis, black on its light high end.
pub(super) fn cell_labels(cells: Vec<(String, String, f64, String)>, max: f64) -> Vec<Annotation> {
    cells
        .into_iter()
        .map(|(x, y, z, text)| {
            let colour = if z > 0.6 * max { "#000000" } else { "#ffffff" };
            Annotation::new()
                .x(x)
                .y(y)
                .text(text)
                .show_arrow(false)
                .font(Font::new().color(colour).size(11))
        })
        .collect()
}

fn retention_heatmap(value: &ValueReport) -> LabelledHeatmap {
    let months = value
        .cohorts
        .iter()
        .map(|c| c.retention.len())
        .max()
        .unwrap_or(0);
    let x: Vec<String> = (0..months).map(|k| k.to_string()).collect();
    // Plotly draws the first row at the bottom: the oldest cohort goes on top.
    let cohorts: Vec<_> = value.cohorts.iter().rev().collect();
    let y: Vec<String> = cohorts
        .iter()
        .map(|c| format!("{} ({})", c.month, count(c.customers as u64)))
        .collect();
    let z: Vec<Vec<Option<f64>>> = cohorts
        .iter()
        .map(|c| (0..months).map(|k| c.retention.get(k).copied()).collect())
        .collect();
    // Month 0 is everyone by definition: the labels start at month 1.
    let cells = cohorts
        .iter()
        .zip(&y)
        .flat_map(|(c, row)| {
            c.retention
                .iter()
                .enumerate()
                .skip(1)
                .map(move |(k, &share)| {
                    (
                        k.to_string(),
                        row.clone(),
                        share,
                        format!("{:.0}%", 100.0 * share),
                    )
                })
        })
        .collect();
    let heatmap = HeatMap::new(x, y, z)
        .zmin(0.0)
        .zmax(1.0)
        .color_scale(ColorScale::Palette(ColorScalePalette::Viridis))
        .hover_template("%{y}, month %{x}: %{z:.1%} buying<extra></extra>");
    (heatmap, cell_labels(cells, 1.0))
}

/// The cohorts' average retention a month and a quarter after the first purchase, weighted by
/// cohort size over the cohorts old enough to have one.
fn cohort_note(value: &ValueReport) -> impl IntoView + use<> {
    let share_at = |k: usize| {
        let (active, customers) = value
            .cohorts
            .iter()
            .filter(|c| c.active_customers.len() > k)
            .fold((0, 0), |(a, n), c| {
                (a + c.active_customers[k], n + c.customers)
            });
        (customers > 0).then(|| percent(active as f64 / customers as f64))
    };
    let text = match (share_at(1), share_at(3)) {
        (Some(one), Some(three)) => format!(
            "{} cohorts. Of all customers, {one} bought again in the month after their first \
             purchase and {three} in the third month after it.",
            value.cohorts.len()
        ),
        _ => format!("{} cohorts.", value.cohorts.len()),
    };
    view! {
        <p class="muted" data-testid="cohort-note">
            {text}
        </p>
    }
}

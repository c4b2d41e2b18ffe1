//! Distributions: box plots of R, F and M per cluster, and a histogram explorer.

use leptos::prelude::*;
use plotly::box_plot::BoxPoints;
use plotly::common::{Fill, Line, LineShape, Marker, Mode};
use plotly::layout::{Axis, AxisType, BoxMode};
use plotly::{BoxPlot, Plot, Scatter};

use crate::app::components::{Chart, Choice, ChoiceSelect, base_layout, cluster_colour};
use crate::app::segmentation::{DashboardContext, Segmentation};
use crate::core::distribution::{BinScale, box_summary, histogram};

/// A per-customer number the views can plot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Feature {
    Recency,
    Frequency,
    Monetary,
    /// R + F + M quintile scores.
    RfmScore,
}

impl Choice for Feature {
    const ALL: &'static [Feature] = &[
        Feature::Recency,
        Feature::Frequency,
        Feature::Monetary,
        Feature::RfmScore,
    ];

    fn label(self) -> &'static str {
        match self {
            Feature::Recency => "Recency (days)",
            Feature::Frequency => "Frequency (invoices)",
            Feature::Monetary => "Monetary",
            Feature::RfmScore => "RFM score (R+F+M)",
        }
    }
}

impl Feature {
    fn of(self, s: &Segmentation, customer: usize) -> f64 {
        let c = &s.report.customers[customer];
        match self {
            Feature::Recency => c.recency,
            Feature::Frequency => c.frequency,
            Feature::Monetary => c.monetary,
            Feature::RfmScore => f64::from(c.r_score + c.f_score + c.m_score),
        }
    }
}

/// One feature's values for the visible customers of each non-empty cluster.
fn values_by_cluster(
    s: &Segmentation,
    visible: &[usize],
    feature: Feature,
) -> Vec<(usize, Vec<f64>)> {
    (0..s.k)
        .map(|c| {
            let values = visible
                .iter()
                .filter(|&&i| s.labels()[i] == c)
                .map(|&i| feature.of(s, i))
                .collect();
            (c, values)
        })
        .filter(|(_, values): &(usize, Vec<f64>)| !values.is_empty())
        .collect()
}

const DEFAULT_BINS: usize = 40;

#[component]
pub fn Distributions() -> impl IntoView {
    let (state, ctx) = DashboardContext::expect();
    let bins = RwSignal::new(DEFAULT_BINS);
    let feature = RwSignal::new(Feature::Monetary);
    let boxes = move |f: Feature| {
        move || {
            let log = state.log_axis.get();
            let visible = ctx.visible.get();
            ctx.segmentation.with(|s| {
                let mut plot = Plot::new();
                if let Some(s) = s {
                    // Drawn from quartiles and fences, never from the customers themselves.
                    for (c, values) in values_by_cluster(s, &visible, f) {
                        let Some(b) = box_summary(values) else {
                            continue;
                        };
                        let name = s.cluster_name(c);
                        plot.add_trace(
                            BoxPlot::<String, f64>::new_xy(vec![name.clone()], vec![])
                                .name(name)
                                .q1(vec![b.q1])
                                .median(vec![b.median])
                                .q3(vec![b.q3])
                                .lower_fence(vec![b.lower_fence])
                                .upper_fence(vec![b.upper_fence])
                                .mean(vec![b.mean])
                                .marker(Marker::new().color(cluster_colour(c)))
                                .box_points(BoxPoints::False),
                        );
                    }
                }
                let axis = if log {
                    Axis::new().type_(AxisType::Log)
                } else {
                    Axis::new()
                };
                plot.set_layout(
                    base_layout(f.label(), state.dark.get())
                        .y_axis(axis)
                        .box_mode(BoxMode::Group)
                        .show_legend(false)
                        .height(360),
                );
                plot
            })
        }
    };
    // Counted here over shared edges (log-spaced for heavy-tailed features, where equal widths
    // put nearly everyone in the first bar): the chart gets one step per bin, not every customer.
    let histogram_chart = move || {
        let visible = ctx.visible.get();
        let (f, bins) = (feature.get(), bins.get());
        ctx.segmentation.with(|s| {
            let mut plot = Plot::new();
            let mut log_bins = false;
            if let Some(s) = s {
                let (clusters, groups): (Vec<usize>, Vec<Vec<f64>>) =
                    values_by_cluster(s, &visible, f).into_iter().unzip();
                if let Some(h) = histogram(&groups, bins) {
                    log_bins = h.scale == BinScale::Log;
                    // Steps over the edges: true bin widths on a linear or a log axis.
                    for (&c, counts) in clusters.iter().zip(&h.counts) {
                        let steps: Vec<usize> =
                            counts.iter().chain(counts.last()).copied().collect();
                        plot.add_trace(
                            Scatter::new(h.edges.clone(), steps)
                                .mode(Mode::Lines)
                                .line(Line::new().shape(LineShape::Hv).color(cluster_colour(c)))
                                .fill(Fill::ToZeroY)
                                .fill_color(format!("{}55", cluster_colour(c)))
                                .name(s.cluster_name(c)),
                        );
                    }
                }
            }
            let x_axis = if log_bins {
                Axis::new().type_(AxisType::Log).title("log-spaced bins")
            } else {
                Axis::new()
            };
            plot.set_layout(
                base_layout(&format!("{} by cluster", f.label()), state.dark.get())
                    .x_axis(x_axis)
                    .height(380),
            );
            plot
        })
    };
    view! {
        <label class="check">
            <input
                type="checkbox"
                prop:checked=move || state.log_axis.get()
                on:change=move |ev| state.log_axis.set(event_target_checked(&ev))
            />
            " Logarithmic axis for the box plots"
        </label>
        <div class="grid-3">
            <Chart id="box-recency" figure=boxes(Feature::Recency) />
            <Chart id="box-frequency" figure=boxes(Feature::Frequency) />
            <Chart id="box-monetary" figure=boxes(Feature::Monetary) />
        </div>
        <h3>"Histogram explorer"</h3>
        <div class="controls">
            <label>"Feature " <ChoiceSelect value=feature /></label>
            <label>
                {move || format!("Bins: {} ", bins.get())}
                <input
                    type="range"
                    min="5"
                    max="120"
                    prop:value=move || bins.get().to_string()
                    on:input=move |ev| {
                        bins.set(event_target_value(&ev).parse().unwrap_or(DEFAULT_BINS))
                    }
                />
            </label>
        </div>
        <Chart id="histogram" figure=histogram_chart />
    }
}

//! Cohorts: how each month's new customers keep buying (cohort retention) and how the classic
//! segments and the chosen variant's clusters moved from an earlier date (the run's setting,
//! by default a quarter before the end) to the end, all computed in the worker's "Customer
//! value" stage.

use leptos::prelude::*;
use plotly::common::{ColorScale, ColorScalePalette, Font};
use plotly::layout::{Annotation, Axis};
use plotly::{HeatMap, Plot, Trace};

use crate::app::components::{Chart, Column, Sankey, TableHead, base_layout};
use crate::app::downloads::download;
use crate::app::format::{count, money, percent};
use crate::app::segmentation::{DashboardContext, Segmentation};
use crate::core::export::migration_csv;
use crate::core::migration::{ClusterMigration, EarlierState, Migration};
use crate::core::pipeline::ValueReport;
use crate::core::rfm::Segment;

const MIGRATION_COLUMNS: [Column; 4] = [
    Column::text("At the earlier date"),
    Column::num("Customers"),
    Column::num("Lost (no purchase since)"),
    Column::num("Revenue since"),
];

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
    // What the migration heatmaps count: customers, or their revenue since the earlier date.
    let revenue = RwSignal::new(false);
    let what = move || {
        if revenue.get() {
            "revenue"
        } else {
            "customers"
        }
    };
    let transitions = move || {
        let drawn = ctx.segmentation.with(|s| {
            let migration = s.as_ref()?.report.value.as_ref()?.migration.as_ref()?;
            let x: Vec<String> = Segment::ALL.iter().map(|s| s.name().to_owned()).collect();
            let y: Vec<String> = migration
                .rows
                .iter()
                .map(|r| row_name(r.from).to_owned())
                .collect();
            let z = migration
                .rows
                .iter()
                .map(|r| flows(&r.to_customers, &r.to_revenue, revenue.get()))
                .collect();
            Some(transition_heatmap(x, y, z, revenue.get()))
        });
        let title = format!(
            "Segment migration: {} by segment then (rows) and now (columns)",
            what()
        );
        transition_plot(&title, state.dark.get(), drawn, (560, 150, 130))
    };
    let cluster_transitions = move || {
        let drawn = ctx.segmentation.with(|s| {
            let s = s.as_ref()?;
            let moved = chosen_cluster_migration(s)?;
            let names: Vec<String> = (0..s.k).map(|c| s.cluster_name(c)).collect();
            let y: Vec<String> = names
                .iter()
                .cloned()
                .chain(["New (first bought since)".to_owned()])
                .collect();
            let z = moved
                .to_customers
                .iter()
                .zip(&moved.to_revenue)
                .map(|(customers, revenue_since)| flows(customers, revenue_since, revenue.get()))
                .collect();
            Some(transition_heatmap(names, y, z, revenue.get()))
        });
        let title = format!(
            "Cluster migration: {} by cluster then (rows, the end's model) and now",
            what()
        );
        transition_plot(&title, state.dark.get(), drawn, (360, 190, 90))
    };
    let download_migration = move |_| {
        ctx.segmentation.with_untracked(|s| {
            if let Some(s) = s {
                download(
                    "rfm-studio-segment-migration.csv",
                    "text/csv",
                    &migration_csv(&s.report),
                );
            }
        })
    };
    ctx.render(move |s| {
        let Some(value) = s.report.value.as_ref() else {
            let why = s.report.value_note.clone().unwrap_or_default();
            return view! {
                <p class="muted" data-testid="cohorts-unavailable">
                    {format!("No cohorts or migration for this file: {why}")}
                </p>
            }
            .into_any();
        };
        let migration = match &value.migration {
            Some(migration) => view! {
                <h3>{format!("Segment migration since {}", migration.earlier_date)}</h3>
                <p class="muted">
                    {format!(
                        "Classic RFM segments from the purchases up to {} ({}; the run's settings choose another date) against the segments at the end. Customers who first bought after it are the New row; Lost counts each row's customers who bought nothing since.",
                        migration.earlier_date,
                        if s.report.options.migration_date.is_some() {
                            "the date chosen"
                        } else {
                            "a quarter before the last purchase"
                        },
                    )}
                </p>
                <div class="controls">
                    <label>
                        <input
                            type="checkbox"
                            data-testid="migration-revenue"
                            prop:checked=move || revenue.get()
                            on:change=move |ev| revenue.set(event_target_checked(&ev))
                        />
                        " Revenue since the earlier date instead of customers"
                    </label>
                </div>
                <Chart id="migration-heatmap" figure=transitions />
                <div data-testid="migration-sankey">{segment_sankey(migration)}</div>
                {migration_table(migration)}
                <button on:click=download_migration data-testid="download-migration">
                    "Before/after segments CSV"
                </button>
                <h3>"Cluster migration"</h3>
                <p class="muted">
                    "The chosen variant's clusters: each customer of the earlier date placed by the model fitted at the end (its scaler, embedding and cluster rule, as in the scoring SQL), against their cluster now."
                </p>
                <Chart id="cluster-migration-heatmap" figure=cluster_transitions />
            }
                .into_any(),
            None => view! {
                <p class="muted">
                    {format!(
                        "No segment migration: {}",
                        value.migration_note.clone().unwrap_or_default(),
                    )}
                </p>
            }
                .into_any(),
        };
        view! {
            <Chart id="cohort-heatmap" figure=retention />
            {cohort_note(value)}
            {migration}
        }
            .into_any()
    })
}

/// A heatmap trace and its cells' labels (layout annotations).
type LabelledHeatmap = (Box<dyn Trace>, Vec<Annotation>);

/// Cells as text over a heatmap (the crate's heatmap has no text template): white on the dark
/// low end of Viridis, black on its light high end.
fn cell_labels(cells: Vec<(String, String, f64, String)>, max: f64) -> Vec<Annotation> {
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

fn row_name(state: EarlierState) -> &'static str {
    match state {
        EarlierState::Segment(segment) => segment.name(),
        EarlierState::New => "New (first bought since)",
    }
}

/// One row of a transition matrix: customers, or their revenue since the earlier date.
fn flows(customers: &[usize], revenue_since: &[f64], revenue: bool) -> Vec<f64> {
    if revenue {
        revenue_since.to_vec()
    } else {
        customers.iter().map(|&n| n as f64).collect()
    }
}

/// A transition heatmap's figure; `(height, left, bottom)` in pixels, as its labels need.
fn transition_plot(
    title: &str,
    dark: bool,
    drawn: Option<LabelledHeatmap>,
    (height, left, bottom): (usize, usize, usize),
) -> Plot {
    let mut plot = Plot::new();
    let mut layout = base_layout(title, dark);
    if let Some((heatmap, annotations)) = drawn {
        plot.add_trace(heatmap);
        layout = layout.annotations(annotations).height(height).margin(
            plotly::layout::Margin::new()
                .left(left)
                .right(20)
                .top(50)
                .bottom(bottom),
        );
    }
    plot.set_layout(layout);
    plot
}

/// A transition matrix (`z[row][column]`, rows then, columns now) as a labelled heatmap.
fn transition_heatmap(
    x: Vec<String>,
    y: Vec<String>,
    z: Vec<Vec<f64>>,
    revenue: bool,
) -> LabelledHeatmap {
    // Plotly draws the first row at the bottom: the first row goes on top.
    let (y, z): (Vec<String>, Vec<Vec<f64>>) = y.into_iter().zip(z).rev().unzip();
    let max = z.iter().flatten().copied().fold(0.0, f64::max);
    let cells = y
        .iter()
        .zip(&z)
        .flat_map(|(row, values)| {
            values
                .iter()
                .zip(&x)
                .filter(|(v, _)| **v > 0.0)
                .map(move |(&v, column)| {
                    let text = if revenue { money(v) } else { count(v as u64) };
                    (column.clone(), row.clone(), v, text)
                })
        })
        .collect();
    let hover = if revenue {
        "%{y} → %{x}: %{z:,.0f} revenue since<extra></extra>"
    } else {
        "%{y} → %{x}: %{z} customers<extra></extra>"
    };
    let heatmap = HeatMap::new(x, y, z)
        .color_scale(ColorScale::Palette(ColorScalePalette::Viridis))
        .hover_template(hover);
    (heatmap, cell_labels(cells, max))
}

/// The segment migration's customers as a Sankey diagram.
fn segment_sankey(migration: &Migration) -> impl IntoView + use<> {
    let left = migration
        .rows
        .iter()
        .map(|r| row_name(r.from).to_owned())
        .collect();
    let right = Segment::ALL.iter().map(|s| s.name().to_owned()).collect();
    let flows = migration
        .rows
        .iter()
        .map(|r| r.to_customers.iter().map(|&n| n as f64).collect())
        .collect();
    view! {
        <Sankey
            left=left
            right=right
            flows=flows
            label=format!(
                "Customers' classic segments on {} (left) and at the end (right)",
                migration.earlier_date,
            )
        />
    }
}

/// The chosen variant's cluster migration, if the run has one.
fn chosen_cluster_migration(s: &Segmentation) -> Option<&ClusterMigration> {
    let name = &s.report.variants.get(s.variant)?.name;
    s.report
        .value
        .as_ref()?
        .cluster_migrations
        .iter()
        .find(|m| &m.variant == name)
}

/// Each row's size, lost customers and revenue since the earlier date.
fn migration_table(migration: &Migration) -> impl IntoView + use<> {
    let rows = migration
        .rows
        .iter()
        .filter(|r| r.customers > 0)
        .map(|r| {
            view! {
                <tr>
                    <th scope="row">{row_name(r.from)}</th>
                    <td class="num">{count(r.customers as u64)}</td>
                    <td class="num">{count(r.lost as u64)}</td>
                    <td class="num">{money(r.to_revenue.iter().sum::<f64>())}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-scroll" tabindex="0">
            <table class="data" data-testid="migration">
                <TableHead columns=&MIGRATION_COLUMNS />
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
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

//! The Cohorts tab's migration sections: how the classic segments and the chosen variant's
//! clusters moved from an earlier date (the run's setting, by default a quarter before the end)
//! to the end, as matrices of customers or revenue, a Sankey diagram and a table.

use leptos::prelude::*;
use plotly::HeatMap;
use plotly::Plot;
use plotly::common::{ColorScale, ColorScalePalette};

use super::cohorts::{LabelledHeatmap, cell_labels};
use crate::app::components::{Chart, Column, Sankey, TableHead, base_layout};
use crate::app::downloads::download;
use crate::app::format::{count, money};
use crate::app::segmentation::{DashboardContext, Segmentation};
use crate::core::export::migration_csv;
use crate::core::migration::{ClusterMigration, EarlierState, Migration};
use crate::core::rfm::Segment;

const MIGRATION_COLUMNS: [Column; 4] = [
    Column::text("At the earlier date"),
    Column::num("Customers"),
    Column::num("Lost (no purchase since)"),
    Column::num("Revenue since"),
];

/// The migration sections of a report with customer value.
#[component]
pub fn Migrations() -> impl IntoView {
    let (state, ctx) = DashboardContext::expect();
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
            return ().into_any();
        };
        match &value.migration {
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
        }
    })
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

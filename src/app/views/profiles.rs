//! Profiles: average R, F, M per cluster as a table and a heat map, and the top customers of the
//! current filter.

use leptos::prelude::*;
use plotly::common::{ColorScale, ColorScalePalette};
use plotly::{HeatMap, Plot};

use crate::app::components::{Chart, Column, TableHead, base_layout};
use crate::app::format::money;
use crate::app::segmentation::{DashboardContext, Segmentation};

const PROFILE_COLUMNS: [Column; 6] = [
    Column::text("Cluster"),
    Column::text("Customers"),
    Column::text("Avg recency"),
    Column::text("Avg frequency"),
    Column::text("Avg monetary"),
    Column::text("Revenue"),
];
const TOP_COLUMNS: [Column; 6] = [
    Column::text("Customer"),
    Column::text("Recency"),
    Column::text("Frequency"),
    Column::text("Monetary"),
    Column::text("RFM segment"),
    Column::text("Cluster"),
];
/// Customers in the top table.
const TOP: usize = 10;

#[component]
pub fn Profiles() -> impl IntoView {
    let (state, ctx) = DashboardContext::expect();
    let heatmap = move || {
        ctx.segmentation.with(|s| {
            let mut plot = Plot::new();
            if let Some(s) = s {
                let names: Vec<String> = s
                    .profiles
                    .iter()
                    .map(|p| s.cluster_name(p.cluster))
                    .collect();
                let z: Vec<Vec<f64>> = s
                    .profiles
                    .iter()
                    .map(|p| vec![p.z_recency, p.z_frequency, p.z_monetary])
                    .collect();
                plot.add_trace(
                    HeatMap::new(vec!["Recency", "Frequency", "Monetary"], names, z)
                        .zmid(0.0)
                        .color_scale(ColorScale::Palette(ColorScalePalette::RdBu)),
                );
            }
            let title = "Cluster profile (mean of standardised log1p values)";
            plot.set_layout(base_layout(title, state.dark.get()).height(320));
            plot
        })
    };
    let top = ctx.render(move |s| top_customers(s, &ctx.visible.get()));
    view! {
        <h3>"Average R, F, M per cluster"</h3>
        {ctx.render(profile_table)}
        <Chart id="profile-heatmap" figure=heatmap />
        <h3>"Top 10 customers by monetary (current filter)"</h3>
        {top}
    }
}

fn profile_table(s: &Segmentation) -> impl IntoView + use<> {
    let rows = s
        .profiles
        .iter()
        .map(|p| {
            view! {
                <tr>
                    <th scope="row">{s.cluster_name(p.cluster)}</th>
                    <td class="num">{p.customers}</td>
                    <td class="num">{format!("{:.1}", p.recency_mean)}</td>
                    <td class="num">{format!("{:.2}", p.frequency_mean)}</td>
                    <td class="num">{format!("{:.2}", p.monetary_mean)}</td>
                    <td class="num">{money(p.revenue)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="data" data-testid="profiles">
            <TableHead columns=&PROFILE_COLUMNS />
            <tbody>{rows}</tbody>
        </table>
    }
}

/// The `TOP` visible customers by monetary value.
fn top_customers(s: &Segmentation, visible: &[usize]) -> impl IntoView + use<> {
    let customers = &s.report.customers;
    let mut rows = visible.to_vec();
    rows.sort_by(|&a, &b| customers[b].monetary.total_cmp(&customers[a].monetary));
    rows.truncate(TOP);
    let body = rows
        .into_iter()
        .map(|i| {
            let c = &customers[i];
            view! {
                <tr>
                    <td>{c.id.clone()}</td>
                    <td class="num">{c.recency}</td>
                    <td class="num">{c.frequency}</td>
                    <td class="num">{format!("{:.2}", c.monetary)}</td>
                    <td>{c.segment.clone()}</td>
                    <td>{s.cluster_name(s.labels()[i])}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="data" data-testid="top-customers">
            <TableHead columns=&TOP_COLUMNS />
            <tbody>{body}</tbody>
        </table>
    }
}

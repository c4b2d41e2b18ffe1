//! A two-column Sankey diagram drawn as SVG: where each group of the left column went in the
//! right column, band widths proportional to the flow. Drawn here rather than by plotly, whose
//! cartesian bundle (the one the page ships, a third of the full one) has no sankey trace.

use leptos::prelude::*;

use crate::app::format::count;

const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 520.0;
/// Room for the labels left of the left column and right of the right one (style/main.css
/// sets their size).
const LABEL_ROOM: f64 = 230.0;
/// Paul Tol's colour-blind-safe "muted" scheme, extended to twelve: one per left node.
const COLOURS: [&str; 12] = [
    "#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255",
    "#AA4499", "#6699CC", "#EE8866", "#BBCC33",
];

fn colour(node: usize) -> &'static str {
    COLOURS[node % COLOURS.len()]
}
const NODE_WIDTH: f64 = 14.0;
const GAP: f64 = 6.0;

/// A column's nodes: each node's top and height, from their totals.
fn stack(totals: &[f64], scale: f64) -> Vec<(f64, f64)> {
    let mut top = 0.0;
    totals
        .iter()
        .map(|&total| {
            let node = (top, total * scale);
            if total > 0.0 {
                top += total * scale + GAP;
            }
            node
        })
        .collect()
}

/// `flows[i][j]`: how much went from left node i to right node j (customers).
#[component]
pub fn Sankey(
    left: Vec<String>,
    right: Vec<String>,
    flows: Vec<Vec<f64>>,
    #[prop(into)] label: String,
) -> impl IntoView {
    let left_totals: Vec<f64> = flows.iter().map(|row| row.iter().sum()).collect();
    let right_totals: Vec<f64> = (0..right.len())
        .map(|j| flows.iter().map(|row| row[j]).sum())
        .collect();
    let total: f64 = left_totals.iter().sum();
    let busiest = |totals: &[f64]| totals.iter().filter(|&&t| t > 0.0).count();
    let gaps = GAP * (busiest(&left_totals).max(busiest(&right_totals)) as f64 - 1.0).max(0.0);
    let scale = if total > 0.0 {
        (HEIGHT - gaps) / total
    } else {
        0.0
    };
    let left_nodes = stack(&left_totals, scale);
    let right_nodes = stack(&right_totals, scale);
    let (x0, x1) = (LABEL_ROOM, WIDTH - LABEL_ROOM);
    let middle = (x0 + NODE_WIDTH + x1) / 2.0;

    // Bands leave a left node in right-node order and enter a right node in left-node order.
    let mut left_used = vec![0.0; left.len()];
    let mut right_used = vec![0.0; right.len()];
    let mut bands = Vec::new();
    for (i, row) in flows.iter().enumerate() {
        for (j, &flow) in row.iter().enumerate() {
            if flow <= 0.0 {
                continue;
            }
            let h = flow * scale;
            let from = left_nodes[i].0 + left_used[i];
            let to = right_nodes[j].0 + right_used[j];
            left_used[i] += h;
            right_used[j] += h;
            let (a, b) = (x0 + NODE_WIDTH, x1);
            let d = format!(
                "M{a:.1},{from:.1} C{middle:.1},{from:.1} {middle:.1},{to:.1} {b:.1},{to:.1} \
                 L{b:.1},{:.1} C{middle:.1},{:.1} {middle:.1},{:.1} {a:.1},{:.1} Z",
                to + h,
                to + h,
                from + h,
                from + h
            );
            let title = format!("{} → {}: {}", left[i], right[j], count(flow as u64));
            bands.push(view! {
                <path d=d fill=colour(i) fill-opacity="0.45">
                    <title>{title}</title>
                </path>
            });
        }
    }
    let node = |x: f64, (top, height): (f64, f64), colour: &'static str, name: &str| {
        let title = name.to_owned();
        view! {
            <rect x=x y=top width=NODE_WIDTH height=height.max(1.0) fill=colour>
                <title>{title}</title>
            </rect>
        }
    };
    let labelled = |names: &[String], totals: &[f64]| -> Vec<String> {
        names
            .iter()
            .zip(totals)
            .map(|(name, &t)| format!("{name} ({})", count(t as u64)))
            .collect()
    };
    let left_labels = labelled(&left, &left_totals);
    let right_labels = labelled(&right, &right_totals);
    let left_view = left_nodes
        .iter()
        .zip(&left_labels)
        .enumerate()
        .filter(|(i, _)| left_totals[*i] > 0.0)
        .map(|(i, (&n, name))| {
            view! {
                {node(x0, n, colour(i), name)}
                <text x=x0 - 6.0 y=n.0 + n.1 / 2.0 text-anchor="end" dominant-baseline="middle">
                    {name.clone()}
                </text>
            }
        })
        .collect_view();
    let right_view = right_nodes
        .iter()
        .zip(&right_labels)
        .enumerate()
        .filter(|(j, _)| right_totals[*j] > 0.0)
        .map(|(_, (&n, name))| {
            view! {
                {node(x1, n, "#8a94a6", name)}
                <text
                    x=x1 + NODE_WIDTH + 6.0
                    y=n.0 + n.1 / 2.0
                    text-anchor="start"
                    dominant-baseline="middle"
                >
                    {name.clone()}
                </text>
            }
        })
        .collect_view();
    view! {
        <svg
            class="sankey"
            viewBox=format!("0 -10 {WIDTH} {}", HEIGHT + 20.0)
            role="img"
            aria-label=label
        >
            {bands}
            {left_view}
            {right_view}
        </svg>
    }
}

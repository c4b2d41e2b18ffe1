//! ROI: the retention and campaign scenario per segment, with sliders for its assumptions.

use leptos::prelude::*;
use plotly::layout::BarMode;
use plotly::{Bar, Plot};

use crate::app::components::{Chart, Column, Slider, TableHead, base_layout};
use crate::app::format::{money, percent, signed_percent};
use crate::app::segmentation::DashboardContext;
use crate::core::roi::{RoiAssumptions, scenario};

const SEGMENT_COLUMNS: [Column; 8] = [
    Column::text("Segment"),
    Column::text("Budget"),
    Column::text("Revenue at risk"),
    Column::text("Retained"),
    Column::text("Conversions"),
    Column::text("Campaign revenue"),
    Column::text("Baseline ROI"),
    Column::text("Scenario ROI"),
];

const MODEL_NOTE: &str = "Model: retained = revenue × share lapsed (> 90 days) × retention \
    uplift; campaign revenue = budget ÷ cost per conversion × average order value × (1 + campaign \
    ROI uplift); budget split by revenue share. Defaults: the seed project's +15% retention, +18% \
    campaign ROI, −12% cost per conversion.";

#[component]
pub fn Roi() -> impl IntoView {
    let (state, ctx) = DashboardContext::expect();
    let result = Memo::new(move |_| {
        let assumptions = state.roi.get();
        ctx.segmentation.with(|s| {
            s.as_ref()
                .map(|s| (scenario(&s.profiles, &assumptions), s.clone()))
        })
    });
    let slider = move |label: &'static str,
                       (min, max, step): (f64, f64, f64),
                       get: fn(&RoiAssumptions) -> f64,
                       set: fn(&mut RoiAssumptions, f64),
                       show: fn(f64) -> String| {
        view! {
            <Slider
                label
                min
                max
                step
                value=Signal::derive(move || state.roi.with(get))
                show
                on_input=move |v| state.roi.update(|a| set(a, v))
            />
        }
    };
    let chart = move || {
        let mut plot = Plot::new();
        result.with(|r| {
            if let Some((roi, s)) = r {
                let names: Vec<String> = roi
                    .segments
                    .iter()
                    .map(|x| s.cluster_name(x.cluster))
                    .collect();
                let baseline = roi
                    .segments
                    .iter()
                    .map(|x| x.baseline_incremental_revenue)
                    .collect();
                let scenario = roi.segments.iter().map(|x| x.incremental_revenue).collect();
                let budget = roi.segments.iter().map(|x| x.budget).collect();
                plot.add_trace(Bar::new(names.clone(), baseline).name("baseline"));
                plot.add_trace(Bar::new(names.clone(), scenario).name("scenario"));
                plot.add_trace(Bar::new(names, budget).name("budget"));
            }
        });
        plot.set_layout(
            base_layout("Incremental revenue per segment", state.dark.get())
                .bar_mode(BarMode::Group)
                .height(380),
        );
        plot
    };
    let table = move || {
        result.with(|r| {
            r.as_ref().map(|(roi, s)| {
                let rows = roi
                    .segments
                    .iter()
                    .map(|x| {
                        view! {
                            <tr>
                                <th scope="row">{s.cluster_name(x.cluster)}</th>
                                <td class="num">{money(x.budget)}</td>
                                <td class="num">{money(x.revenue_at_risk)}</td>
                                <td class="num">{money(x.retained_revenue)}</td>
                                <td class="num">{format!("{:.0}", x.conversions)}</td>
                                <td class="num">{money(x.campaign_revenue)}</td>
                                <td class="num">{percent(x.baseline_roi)}</td>
                                <td class="num">{percent(x.roi)}</td>
                            </tr>
                        }
                    })
                    .collect_view();
                let total = format!(
                    "Total: {} incremental revenue on a {} budget, ROI {} (baseline {}).",
                    money(roi.total_incremental_revenue),
                    money(roi.assumptions.budget),
                    percent(roi.total_roi),
                    percent(roi.baseline_total_roi)
                );
                view! {
                    <p class="verdict" data-testid="roi-total">
                        {total}
                    </p>
                    <table class="data">
                        <TableHead columns=&SEGMENT_COLUMNS />
                        <tbody>{rows}</tbody>
                    </table>
                }
            })
        })
    };
    view! {
        <div class="sliders" data-testid="roi-sliders">
            {slider(
                "Retention uplift",
                (0.0, 0.5, 0.01),
                |a| a.retention_uplift,
                |a, v| a.retention_uplift = v,
                signed_percent,
            )}
            {slider(
                "Campaign ROI uplift",
                (0.0, 0.5, 0.01),
                |a| a.campaign_roi_uplift,
                |a, v| a.campaign_roi_uplift = v,
                signed_percent,
            )}
            {slider(
                "Cost per conversion change",
                (-0.5, 0.5, 0.01),
                |a| a.cost_per_conversion_change,
                |a, v| a.cost_per_conversion_change = v,
                signed_percent,
            )}
            {slider("Budget", (1000.0, 100000.0, 1000.0), |a| a.budget, |a, v| a.budget = v, money)}
        </div>
        <button class="ghost" on:click=move |_| state.reset_roi()>
            "Reset to the seed's figures"
        </button>
        {table}
        <Chart id="roi-chart" figure=chart />
        <p class="muted">{MODEL_NOTE}</p>
    }
}

//! ROI: one campaign per classic RFM segment the way campaign planners compute it
//! ([`crate::core::roi::campaign`]): contacts, cost per contact, response over an uncontacted
//! holdout, gross margin and the CLV a retained customer adds, with the seed project's levers as
//! a preset and every formula written out.

use leptos::prelude::*;
use plotly::layout::BarMode;
use plotly::{Bar, Plot};

use crate::app::components::{Chart, Column, Slider, TableHead, base_layout};
use crate::app::format::{count, money, percent};
use crate::app::segmentation::DashboardContext;
use crate::core::roi::campaign::{
    CampaignPlan, CampaignRoi, SEED_ANNUAL_SAVINGS_CAD, SEED_LEVERS, campaign_roi,
    segment_audiences,
};

const SEGMENT_COLUMNS: [Column; 8] = [
    Column::text("Segment"),
    Column::num("Contacts"),
    Column::num("Cost"),
    Column::num("Incremental responders"),
    Column::num("Value per incremental responder"),
    Column::num("Incremental margin"),
    Column::num("ROI"),
    Column::num("ROI with the seed's levers"),
];

const FORMULAS: [&str; 6] = [
    "contacts = customers × contact share",
    "cost = contacts × cost per contact",
    "incremental responders = contacts × (response rate − holdout response rate)",
    "value per incremental responder = gross margin × (revenue per order + retained value), \
     retained value = mean CLV ÷ P(alive) of the segment (what keeping a customer adds over the \
     CLV horizon; 0 without a spend model)",
    "incremental margin = incremental responders × value per incremental responder",
    "ROI = (incremental margin − cost) ÷ cost",
];

const DEFAULTS_NOTE: &str = "Defaults: response rate 9% (direct mail to a house list, ANA/DMA \
    Response Rate Report 2018); holdout response 6% (an assumption: a third of responders \
    incremental; measure it with a holdout group); cost per contact 1.00 (a printed mail piece \
    with postage; replace with the actual quote); gross margin 35% (an assumption for a \
    giftware wholesaler; replace with the accounts' figure); contact share 100%.";

const LEVERS_NOTE: &str = "The seed project's levers: retention +15% (incremental response × \
    1.15), campaign ROI +18% (value per responder × 1.18, through the gross margin), cost per \
    conversion −12% (cost per contact × 0.88).";

#[component]
pub fn Roi() -> impl IntoView {
    let (state, ctx) = DashboardContext::expect();
    // Both campaigns, without and with the seed's levers, or why the plan cannot be run.
    let result = Memo::new(move |_| {
        let plan = state.roi.get();
        ctx.segmentation.with(|s| {
            let audiences = s.as_ref().map(|s| segment_audiences(&s.report))?;
            Some(
                campaign_roi(&audiences, &plan)
                    .and_then(|base| {
                        Ok((base, campaign_roi(&audiences, &SEED_LEVERS.apply(&plan))?))
                    })
                    .map_err(|e| e.to_string()),
            )
        })
    });
    let slider = move |label: &'static str,
                       (min, max, step): (f64, f64, f64),
                       get: fn(&CampaignPlan) -> f64,
                       set: fn(&mut CampaignPlan, f64),
                       show: fn(f64) -> String| {
        view! {
            <Slider
                label
                min
                max
                step
                value=Signal::derive(move || state.roi.with(get))
                show
                on_input=move |v| state.roi.update(|plan| set(plan, v))
            />
        }
    };
    let chart = move || {
        let mut plot = Plot::new();
        result.with(|r| {
            if let Some(Ok((base, levers))) = r {
                let names: Vec<String> = base.segments.iter().map(|x| x.segment.clone()).collect();
                let roi_of = |c: &CampaignRoi| -> Vec<f64> {
                    c.segments
                        .iter()
                        .map(|x| 100.0 * x.roi.unwrap_or(0.0))
                        .collect()
                };
                plot.add_trace(Bar::new(names.clone(), roi_of(base)).name("plan"));
                plot.add_trace(Bar::new(names, roi_of(levers)).name("with the seed's levers"));
            }
        });
        plot.set_layout(
            base_layout("Campaign ROI per segment (%)", state.dark.get())
                .bar_mode(BarMode::Group)
                .height(380),
        );
        plot
    };
    let table = move || {
        result.with(|r| match r {
            Some(Ok((base, levers))) => Some(campaign_table(base, levers).into_any()),
            Some(Err(error)) => Some(view! { <p class="error">{error.clone()}</p> }.into_any()),
            None => None,
        })
    };
    let (low, high) = SEED_ANNUAL_SAVINGS_CAD;
    let budget = |savings| {
        SEED_LEVERS
            .implied_annual_budget(savings)
            .map_or_else(String::new, money)
    };
    let savings = format!(
        "The seed's fourth KPI, annual marketing savings of ${}–${} CAD, is what a {} cost per \
         conversion saves on an annual marketing budget of ${}–${} CAD (savings ÷ {}).",
        money(low),
        money(high),
        percent(SEED_LEVERS.cost_per_conversion_change),
        budget(low),
        budget(high),
        -SEED_LEVERS.cost_per_conversion_change
    );
    view! {
        <div class="sliders" data-testid="roi-sliders">
            {slider(
                "Contact share",
                (0.0, 1.0, 0.05),
                |p| p.contact_share,
                |p, v| p.contact_share = v,
                percent,
            )}
            {slider(
                "Cost per contact",
                (0.0, 10.0, 0.05),
                |p| p.cost_per_contact,
                |p, v| p.cost_per_contact = v,
                |v| format!("{v:.2}"),
            )}
            {slider(
                "Response rate",
                (0.0, 0.3, 0.005),
                |p| p.response_rate,
                |p, v| p.response_rate = v,
                percent,
            )}
            {slider(
                "Holdout response rate",
                (0.0, 0.3, 0.005),
                |p| p.holdout_response_rate,
                |p, v| p.holdout_response_rate = v,
                percent,
            )}
            {slider(
                "Gross margin",
                (0.0, 1.0, 0.01),
                |p| p.gross_margin,
                |p, v| p.gross_margin = v,
                percent,
            )}
        </div>
        <button class="ghost" on:click=move |_| state.reset_roi()>
            "Reset to the documented defaults"
        </button>
        {table}
        <Chart id="roi-chart" figure=chart />
        <h3>"How it is computed, per segment"</h3>
        <ul class="muted" data-testid="roi-formulas">
            {FORMULAS.iter().map(|f| view! { <li>{*f}</li> }).collect_view()}
        </ul>
        <p class="muted">{DEFAULTS_NOTE}</p>
        <p class="muted">{LEVERS_NOTE}</p>
        <p class="muted" data-testid="roi-savings">
            {savings}
        </p>
    }
}

fn campaign_table(base: &CampaignRoi, levers: &CampaignRoi) -> impl IntoView + use<> {
    let roi = |r: Option<f64>| r.map_or_else(|| "—".to_owned(), percent);
    let rows = base
        .segments
        .iter()
        .zip(&levers.segments)
        .map(|(x, with_levers)| {
            view! {
                <tr>
                    <th scope="row">{x.segment.clone()}</th>
                    <td class="num">{count(x.contacts.round() as u64)}</td>
                    <td class="num">{money(x.cost)}</td>
                    <td class="num">{format!("{:.1}", x.incremental_responders)}</td>
                    <td class="num">{format!("{:.2}", x.value_per_incremental_responder)}</td>
                    <td class="num">{money(x.incremental_margin)}</td>
                    <td class="num">{roi(x.roi)}</td>
                    <td class="num">{roi(with_levers.roi)}</td>
                </tr>
            }
        })
        .collect_view();
    let total = format!(
        "Total: {} incremental margin on a cost of {}, ROI {} ({} with the seed's levers).",
        money(base.total_incremental_margin),
        money(base.total_cost),
        roi(base.total_roi),
        roi(levers.total_roi)
    );
    view! {
        <p class="verdict" data-testid="roi-total">
            {total}
        </p>
        <div class="table-scroll" tabindex="0">
            <table class="data">
                <TableHead columns=&SEGMENT_COLUMNS />
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

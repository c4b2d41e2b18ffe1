//! Value: who is still a customer and what they are worth over the horizon (BG/NBD and
//! Gamma-Gamma, fitted in the worker's "Customer value" stage), the customers whose value is most
//! at risk, and how well the purchase model reproduces the data's repeat purchases and
//! predicts a holdout period it was not fitted on.

use std::sync::Arc;

use leptos::prelude::*;
use plotly::layout::{Axis, AxisType, BarMode};
use plotly::{Bar, Plot};

use crate::app::components::{Chart, Column, Kpi, TableHead, base_layout};
use crate::app::downloads::download;
use crate::app::format::{count, money, percent};
use crate::app::segmentation::{DashboardContext, Segmentation};
use crate::core::export::{churn_risk_csv, value_at_risk};
use crate::core::pipeline::ValueReport;

const RISK_COLUMNS: [Column; 6] = [
    Column::text("Customer"),
    Column::text("Segment"),
    Column::num("P(alive)"),
    Column::num("Expected purchases"),
    Column::num("CLV"),
    Column::num("Value at risk"),
];
/// Customers the churn-risk table shows; the download holds every one the filters let through.
const TOP: usize = 20;

const RISK_NOTE: &str = "Value at risk = CLV × (1 − P(alive)): the part of a customer's expected \
    value that is lost if they have already stopped buying. P(alive) and expected purchases come \
    from BG/NBD (Fader, Hardie & Lee 2005), spend per purchase from Gamma-Gamma (Fader & Hardie \
    2005); CLV is the discounted value of the horizon's expected purchases.";

#[component]
pub fn Value() -> impl IntoView {
    let (state, ctx) = DashboardContext::expect();
    // A classic RFM segment to narrow the churn-risk table to, or every segment.
    let segment = RwSignal::new(None::<String>);
    let ranked = Memo::new(move |_| {
        let visible = ctx.visible.get();
        let wanted = segment.get();
        ctx.segmentation.with(|s| {
            let Some((value, customers)) = s
                .as_ref()
                .and_then(|s| Some((s.report.value.as_ref()?, &s.report.customers)))
            else {
                return Arc::new(Vec::new());
            };
            let mut rows: Vec<usize> = visible
                .iter()
                .copied()
                .filter(|&i| wanted.as_ref().is_none_or(|w| customers[i].segment == *w))
                .collect();
            let risk = |i: usize| risk_of(value, i);
            rows.sort_by(|&a, &b| risk(b).total_cmp(&risk(a)));
            Arc::new(rows)
        })
    });
    let histogram = move || {
        let mut plot = Plot::new();
        ctx.segmentation.with(|s| {
            if let Some(value) = s.as_ref().and_then(|s| s.report.value.as_ref()) {
                let bins = &value.frequency_histogram;
                let labels: Vec<String> = bins
                    .iter()
                    .map(|b| format!("{}{}", b.repeat_purchases, if b.or_more { "+" } else { "" }))
                    .collect();
                let observed = bins.iter().map(|b| b.observed_customers as f64).collect();
                let expected = bins.iter().map(|b| b.expected_customers).collect();
                plot.add_trace(Bar::new(labels.clone(), observed).name("data"));
                plot.add_trace(Bar::new(labels, expected).name("BG/NBD"));
            }
        });
        plot.set_layout(
            base_layout(
                "Customers by repeat purchases: data against the model",
                state.dark.get(),
            )
            .bar_mode(BarMode::Group)
            .x_axis(
                Axis::new()
                    .type_(AxisType::Category)
                    .title("Repeat purchase days"),
            )
            .y_axis(Axis::new().title("Customers"))
            .height(360),
        );
        plot
    };
    let holdout = move || {
        let mut plot = Plot::new();
        let mut title =
            "Holdout: purchases after the calibration period, actual and predicted".to_owned();
        ctx.segmentation.with(|s| {
            let check = s.as_ref()?.report.value.as_ref()?.holdout.as_ref()?;
            let labels: Vec<String> = check
                .bins
                .iter()
                .map(|b| {
                    format!(
                        "{}{}",
                        b.calibration_frequency,
                        if b.or_more { "+" } else { "" }
                    )
                })
                .collect();
            let actual = check.bins.iter().map(|b| b.actual_mean).collect();
            let predicted = check.bins.iter().map(|b| b.predicted_mean).collect();
            plot.add_trace(Bar::new(labels.clone(), actual).name("actual"));
            plot.add_trace(Bar::new(labels, predicted).name("BG/NBD"));
            title = format!(
                "Holdout: mean purchases in the {:.0} days after {}, actual and predicted",
                check.holdout_days, check.calibration_end
            );
            Some(())
        });
        plot.set_layout(
            base_layout(&title, state.dark.get())
                .bar_mode(BarMode::Group)
                .x_axis(
                    Axis::new()
                        .type_(AxisType::Category)
                        .title("Repeat purchase days in the calibration period"),
                )
                .y_axis(Axis::new().title("Mean purchases in the holdout"))
                .height(360),
        );
        plot
    };
    let download_risk = move |_| {
        ctx.segmentation.with_untracked(|s| {
            if let Some(s) = s {
                let csv = churn_risk_csv(&s.report, &ranked.get_untracked());
                download("rfm-studio-churn-risk.csv", "text/csv", &csv);
            }
        })
    };
    ctx.render(move |s| {
        let Some(value) = s.report.value.as_ref() else {
            let why = s.report.value_note.clone().unwrap_or_default();
            return view! {
                <p class="muted" data-testid="value-unavailable">
                    {format!("No customer value for this file: {why}")}
                </p>
            }
            .into_any();
        };
        let segment_options = segment_names(s)
            .into_iter()
            .map(|name| {
                let selected = {
                    let name = name.clone();
                    move || segment.get().as_deref() == Some(name.as_str())
                };
                view! {
                    <option value=name.clone() selected=selected>
                        {name.clone()}
                    </option>
                }
            })
            .collect_view();
        view! {
            {move || {
                let visible = ctx.visible.get();
                ctx.segmentation.with(|s| s.as_ref().and_then(|s| kpis(s, &visible)))
            }}
            {notes(value)}
            <Chart id="value-frequency" figure=histogram />
            {match (&value.holdout, &value.holdout_note) {
                (Some(_), _) => view! { <Chart id="value-holdout" figure=holdout /> }.into_any(),
                (None, note) => {
                    view! {
                        <p class="muted" data-testid="holdout-unavailable">
                            {format!(
                                "No holdout check: {}",
                                note.as_deref().unwrap_or("no reason given"),
                            )}
                        </p>
                    }
                        .into_any()
                }
            }}
            <h3>"Customers with the most value at risk"</h3>
            <p class="muted">{RISK_NOTE}</p>
            <div class="controls">
                <label>
                    "Segment "
                    <select
                        data-testid="value-segment"
                        on:change=move |ev| {
                            let picked = event_target_value(&ev);
                            segment.set((picked != "all").then_some(picked));
                        }
                    >
                        <option value="all" selected=move || segment.get().is_none()>
                            "all segments"
                        </option>
                        {segment_options}
                    </select>
                </label>
                <button on:click=download_risk data-testid="download-churn-risk">
                    "Churn risk CSV"
                </button>
            </div>
            <div class="table-scroll" tabindex="0">
                {move || {
                    ctx.segmentation.with(|s| s.as_ref().and_then(|s| risk_table(s, &ranked.get())))
                }}
            </div>
        }
        .into_any()
    })
}

/// Value at risk where the spend model is identified, else the chance the customer has left.
fn risk_of(value: &ValueReport, i: usize) -> f64 {
    match value.clv.get(i) {
        Some(&clv) => value_at_risk(clv, value.p_alive[i]),
        None => 1.0 - value.p_alive[i],
    }
}

/// The classic segments present, in name order.
fn segment_names(s: &Segmentation) -> Vec<String> {
    let mut names: Vec<String> = s
        .report
        .customers
        .iter()
        .map(|c| c.segment.clone())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Key figures over the customers the cluster filter shows.
fn kpis(s: &Segmentation, visible: &[usize]) -> Option<impl IntoView + use<>> {
    let value = s.report.value.as_ref()?;
    let n = visible.len().max(1) as f64;
    let sum = |column: &[f64]| visible.iter().map(|&i| column[i]).sum::<f64>();
    let days = value.options.horizon_days;
    let clv = (!value.clv.is_empty()).then(|| {
        let at_risk: f64 = visible
            .iter()
            .map(|&i| value_at_risk(value.clv[i], value.p_alive[i]))
            .sum();
        view! {
            <Kpi label="CLV over the horizon" value=money(sum(&value.clv)) />
            <Kpi label="Value at risk" value=money(at_risk) />
        }
    });
    Some(view! {
        <div class="kpis" data-testid="value-kpis">
            <Kpi label="Customers" value=count(visible.len() as u64) />
            <Kpi label="Expected alive" value=percent(sum(&value.p_alive) / n) />
            <Kpi
                label="Expected purchases"
                value=format!("{:.0} in {days} days", sum(&value.expected_purchases))
            />
            {clv}
        </div>
    })
}

/// What the numbers rest on: the fit's sample, the spend model, the discounting.
fn notes(value: &ValueReport) -> impl IntoView + use<> {
    let p = &value.purchases.params;
    let fit = format!(
        "BG/NBD r {:.3}, α {:.3}, a {:.3}, b {:.3} (days); horizon {} days, discount {}/month.",
        p.r,
        p.alpha,
        p.a,
        p.b,
        value.options.horizon_days,
        percent(value.options.monthly_discount_rate)
    );
    let sampled = value.is_sampled().then(|| {
        format!(
            "Both models were fitted on the run's seeded sample of {} of {} customers; every \
             customer's prediction uses those parameters.",
            count(value.fitted_on as u64),
            count(value.customers as u64)
        )
    });
    let spend = match (&value.spend, &value.spend_note) {
        (Some(g), _) => format!(
            "Gamma-Gamma p {:.3}, q {:.3}, γ {:.3} on {} repeat buyers.",
            g.params.p,
            g.params.q,
            g.params.gamma,
            count(g.customers as u64)
        ),
        (None, note) => format!(
            "The spend model is not identified ({}): CLV and value at risk are not shown; the \
             churn-risk table ranks by 1 − P(alive).",
            note.as_deref().unwrap_or("no reason given")
        ),
    };
    view! {
        <p class="muted" data-testid="value-notes">
            {fit}
            " "
            {spend}
        </p>
        {sampled
            .map(|note| {
                view! {
                    <p class="muted" data-testid="value-sample">
                        {note}
                    </p>
                }
            })}
    }
}

fn risk_table(s: &Segmentation, ranked: &[usize]) -> Option<impl IntoView + use<>> {
    let value = s.report.value.as_ref()?;
    let rows = ranked
        .iter()
        .take(TOP)
        .map(|&i| {
            let c = &s.report.customers[i];
            let (clv, at_risk) = match value.clv.get(i) {
                Some(&clv) => (money(clv), money(value_at_risk(clv, value.p_alive[i]))),
                None => ("—".to_owned(), "—".to_owned()),
            };
            view! {
                <tr>
                    <td>{c.id.clone()}</td>
                    <td>{c.segment.clone()}</td>
                    <td class="num">{format!("{:.3}", value.p_alive[i])}</td>
                    <td class="num">{format!("{:.2}", value.expected_purchases[i])}</td>
                    <td class="num">{clv}</td>
                    <td class="num">{at_risk}</td>
                </tr>
            }
        })
        .collect_view();
    Some(view! {
        <table class="data" data-testid="churn-risk">
            <TableHead columns=&RISK_COLUMNS />
            <tbody>{rows}</tbody>
        </table>
        <p class="muted">
            {format!(
                "{} of {} customers shown.",
                TOP.min(ranked.len()),
                count(ranked.len() as u64),
            )}
        </p>
    })
}

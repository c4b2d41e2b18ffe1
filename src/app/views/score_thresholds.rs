//! The Segments tab's score thresholds: the range of R, F and M values behind each quintile
//! score, and custom breaks the analyst types in, which rescore every customer and recompute the
//! classic segments at once (in the page: O(n) per edit, no worker round trip).

use std::sync::Arc;

use leptos::prelude::*;

use crate::app::format::{count, money};
use crate::app::segmentation::DashboardContext;
use crate::core::cut_points::{CustomBreaks, CutPoints, ScoreRange, cut_points, rescore};
use crate::core::pipeline::Report;
use crate::core::rfm::{RfmTable, Segment};

/// One measure of the table: its name, how its values read, its quintile ranges and breaks.
#[derive(Clone, Copy, PartialEq)]
enum Measure {
    Recency,
    Frequency,
    Monetary,
}

impl Measure {
    const ALL: [Measure; 3] = [Measure::Recency, Measure::Frequency, Measure::Monetary];

    fn name(self) -> &'static str {
        match self {
            Measure::Recency => "Recency (days)",
            Measure::Frequency => "Frequency (invoices)",
            Measure::Monetary => "Monetary",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Measure::Recency => "recency",
            Measure::Frequency => "frequency",
            Measure::Monetary => "monetary",
        }
    }

    fn format(self, value: f64) -> String {
        match self {
            Measure::Monetary => money(value),
            _ => format!("{value:.0}"),
        }
    }

    fn ranges(self, cut_points: &CutPoints) -> &[ScoreRange] {
        match self {
            Measure::Recency => &cut_points.recency,
            Measure::Frequency => &cut_points.frequency,
            Measure::Monetary => &cut_points.monetary,
        }
    }

    fn breaks(self, breaks: &mut CustomBreaks) -> &mut [f64; 4] {
        match self {
            Measure::Recency => &mut breaks.recency,
            Measure::Frequency => &mut breaks.frequency,
            Measure::Monetary => &mut breaks.monetary,
        }
    }

    /// What the four breaks bound: recency's first is score 5's upper bound.
    fn break_help(self) -> &'static str {
        match self {
            Measure::Recency => "upper bounds of scores 5, 4, 3, 2 (fewer days score higher)",
            _ => "upper bounds of scores 1, 2, 3, 4",
        }
    }
}

/// The table the thresholds are read from, its quintile ranges and the breaks that give them.
struct Quintiles {
    /// The report the table was read from: two are equal when they come from the same one.
    report: Arc<Report>,
    table: RfmTable,
    cut_points: CutPoints,
    breaks: Option<CustomBreaks>,
}

impl PartialEq for Quintiles {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.report, &other.report)
    }
}

/// Writes each customer's segment under the custom breaks to `rescored` (`None` while the
/// quintile scores are in force), for the views beside it to use.
#[component]
pub fn ScoreThresholds(rescored: RwSignal<Option<Arc<Vec<Segment>>>>) -> impl IntoView {
    let (state, _) = DashboardContext::expect();
    // From the report alone: choosing another variant must not rebuild the table (a million
    // customers' ids copied again).
    let quintiles = Memo::new(move |_| {
        state.report.get().map(|report| {
            let table = report.rfm_table();
            let cut_points = cut_points(&table);
            let breaks = CustomBreaks::from_cut_points(&cut_points).ok();
            Arc::new(Quintiles {
                report,
                table,
                cut_points,
                breaks,
            })
        })
    });
    // The breaks being edited; `None` until the analyst changes one.
    let draft = RwSignal::new(None::<CustomBreaks>);
    let error = RwSignal::new(None::<String>);
    // A new report starts again from its quintiles.
    Effect::new(move |_| {
        quintiles.track();
        draft.set(None);
        error.set(None);
        rescored.set(None);
    });
    let edit = move |measure: Measure, slot: usize, text: String| {
        let Some(q) = quintiles.get_untracked() else {
            return;
        };
        let Some(mut breaks) = draft.get_untracked().or(q.breaks) else {
            return;
        };
        let Ok(value) = text.trim().parse::<f64>() else {
            error.set(Some(format!(
                "{}: \"{text}\" is not a number",
                measure.key()
            )));
            return;
        };
        measure.breaks(&mut breaks)[slot] = value;
        draft.set(Some(breaks));
        match rescore(&q.table, &breaks) {
            Ok(table) => {
                error.set(None);
                rescored.set(Some(Arc::new(
                    table.customers.iter().map(|c| c.segment).collect(),
                )));
            }
            Err(e) => error.set(Some(e.to_string())),
        }
    };
    let reset = move |_| {
        draft.set(None);
        error.set(None);
        rescored.set(None);
    };
    let ranges_table = move || {
        quintiles.with(|q| {
            q.as_ref().map(|q| {
                let rows = Measure::ALL
                    .map(|measure| {
                        let cells = measure
                            .ranges(&q.cut_points)
                            .iter()
                            .map(|range| {
                                let text = match (range.min, range.max) {
                                    (Some(min), Some(max)) => format!(
                                        "{}–{} ({})",
                                        measure.format(min),
                                        measure.format(max),
                                        count(range.customers as u64)
                                    ),
                                    _ => "no customer".to_owned(),
                                };
                                view! { <td class="num">{text}</td> }
                            })
                            .collect_view();
                        view! {
                            <tr>
                                <th scope="row">{measure.name()}</th>
                                {cells}
                            </tr>
                        }
                    })
                    .into_iter()
                    .collect_view();
                view! {
                    <table class="data" data-testid="score-ranges">
                        <thead>
                            <tr>
                                <th>"Measure"</th>
                                <th class="num">"Score 1"</th>
                                <th class="num">"Score 2"</th>
                                <th class="num">"Score 3"</th>
                                <th class="num">"Score 4"</th>
                                <th class="num">"Score 5"</th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                }
            })
        })
    };
    let editor = move || {
        let start = quintiles.with(|q| q.as_ref().and_then(|q| q.breaks))?;
        let rows = Measure::ALL
            .map(|measure| {
                let inputs = (0..4)
                    .map(|slot| {
                        let value = move || {
                            let mut breaks = draft.get().unwrap_or(start);
                            measure.breaks(&mut breaks)[slot].to_string()
                        };
                        view! {
                            <input
                                type="number"
                                step="any"
                                aria-label=format!("{} break {}", measure.key(), slot + 1)
                                data-testid=format!("break-{}-{slot}", measure.key())
                                prop:value=value
                                on:change=move |ev| edit(measure, slot, event_target_value(&ev))
                            />
                        }
                    })
                    .collect_view();
                view! {
                    <tr>
                        <th scope="row" title=measure.break_help()>
                            {measure.name()}
                        </th>
                        <td class="breaks">{inputs}</td>
                    </tr>
                }
            })
            .into_iter()
            .collect_view();
        Some(view! {
            <table class="data" data-testid="custom-breaks">
                <thead>
                    <tr>
                        <th>"Measure"</th>
                        <th>
                            "Breaks (recency: scores 5→2; frequency and monetary: scores 1→4)"
                        </th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        })
    };
    let segment_counts = move || {
        let custom = rescored.get();
        quintiles.with(|q| {
            let q = q.as_ref()?;
            let rows = Segment::ALL
                .iter()
                .filter_map(|&segment| {
                    let n = q
                        .table
                        .customers
                        .iter()
                        .filter(|c| c.segment == segment)
                        .count();
                    let now = custom
                        .as_ref()
                        .map(|segments| segments.iter().filter(|&&s| s == segment).count());
                    (n > 0 || now.is_some_and(|now| now > 0)).then(|| {
                        view! {
                            <tr>
                                <th scope="row">{segment.name()}</th>
                                <td class="num">{count(n as u64)}</td>
                                <td class="num">
                                    {now.map_or("—".to_owned(), |now| count(now as u64))}
                                </td>
                            </tr>
                        }
                    })
                })
                .collect_view();
            Some(view! {
                <table class="data" data-testid="segment-counts">
                    <thead>
                        <tr>
                            <th>"Classic RFM segment"</th>
                            <th class="num">"Quintile scores"</th>
                            <th class="num">"Your breaks"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            })
        })
    };
    view! {
        <h3>"Score thresholds"</h3>
        <p class="muted">
            "The values each quintile score holds (customers in brackets). Type your own breaks to rescore every customer: the classic segments here and in the table below are recomputed at once."
        </p>
        <div class="table-scroll" tabindex="0">
            {ranges_table}
        </div>
        <div class="table-scroll" tabindex="0">
            {editor}
        </div>
        {move || {
            error
                .get()
                .map(|e| {
                    view! {
                        <p class="error" role="alert">
                            {e}
                        </p>
                    }
                })
        }}
        <button on:click=reset data-testid="reset-breaks">
            "Back to quintile scores"
        </button>
        <div class="table-scroll" tabindex="0">
            {segment_counts}
        </div>
    }
}

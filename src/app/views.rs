//! The dashboard's views, one component per tab. Each reads the shared [`Segmentation`] and the
//! cluster filter; charts are plotly figures rebuilt when what they read changes.

use leptos::prelude::*;
use plotly::box_plot::BoxPoints;
use plotly::common::{HoverInfo, Marker, Mode, Title};
use plotly::layout::{Axis, AxisType, BarMode, BoxMode};
use plotly::{Bar, BoxPlot, HeatMap, Histogram, Plot, Scatter};

use super::charts::{Chart, base_layout, cluster_colour};
use super::dashboard::{DashboardContext, Segmentation};
use super::start::RunOptions;
use super::state::AppState;
use crate::core::pipeline::{SCORE_WEIGHTS, SampleReport, Variant};
use crate::core::roi::{RoiAssumptions, scenario};

fn contexts() -> (AppState, DashboardContext) {
    (
        expect_context::<AppState>(),
        expect_context::<DashboardContext>(),
    )
}

/// Renders `body` with the current segmentation, or nothing before a report exists.
fn with_segmentation<V: IntoView + 'static>(
    ctx: DashboardContext,
    body: impl Fn(&Segmentation) -> V + Send + Sync + 'static,
) -> impl IntoView {
    move || ctx.segmentation.with(|s| s.as_ref().map(&body))
}

fn money(value: f64) -> String {
    let whole = value.round() as i64;
    let digits = whole.abs().to_string();
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    if whole < 0 {
        format!("-{grouped}")
    } else {
        grouped
    }
}

/// A whole count with thousands separators (money's formatting without cents).
fn count(value: usize) -> String {
    money(value as f64)
}

fn percent(value: f64) -> String {
    format!("{:.1}%", 100.0 * value)
}

#[component]
fn Kpi(label: &'static str, value: String) -> impl IntoView {
    view! {
        <div class="kpi">
            <span class="kpi-label">{label}</span>
            <span class="kpi-value">{value}</span>
        </div>
    }
}

#[component]
pub fn Overview() -> impl IntoView {
    let (_, ctx) = contexts();
    with_segmentation(ctx, move |s| {
        let visible = ctx.visible.get();
        let customers = &s.report.customers;
        let n = visible.len().max(1) as f64;
        let avg = |f: fn(&crate::core::pipeline::Customer) -> f64| {
            visible.iter().map(|&i| f(&customers[i])).sum::<f64>() / n
        };
        let revenue: f64 = visible.iter().map(|&i| customers[i].monetary).sum();
        let quality = s.report.quality.clone();
        view! {
            <div class="kpis" data-testid="kpis">
                <Kpi label="Customers" value=money(visible.len() as f64) />
                <Kpi label="Avg recency (days)" value=format!("{:.1}", avg(|c| c.recency)) />
                <Kpi label="Avg frequency (invoices)" value=format!("{:.2}", avg(|c| c.frequency)) />
                <Kpi label="Avg monetary" value=format!("{:.2}", avg(|c| c.monetary)) />
                <Kpi label="Total revenue" value=money(revenue) />
            </div>
            {quality.map(|q| {
                let removed = q
                    .removed
                    .iter()
                    .map(|r| view! { <tr><td>{r.label.to_string()}</td><td class="num">{money(r.rows as f64)}</td></tr> })
                    .collect_view();
                let unreadable = (!q.unreadable.is_empty()).then(|| {
                    let rows = q
                        .unreadable
                        .iter()
                        .map(|u| {
                            let lines = u.first_lines.iter().map(u64::to_string).collect::<Vec<_>>().join(", ");
                            view! { <tr title=u.example.clone()><td>{u.label.clone()}</td><td class="num">{money(u.rows as f64)}</td><td>{lines}</td></tr> }
                        })
                        .collect_view();
                    view! {
                        <table class="data" data-testid="unreadable">
                            <thead><tr><th>"Lines dropped: could not be read"</th><th>"Lines"</th><th>"First at lines"</th></tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    }
                });
                let c = &q.cancellations;
                let mut cancellation_rule = match (&c.rule, &c.example) {
                    (Some(rule), Some(example)) => format!("{rule}, e.g. {example}: {} lines", money(c.rows as f64)),
                    _ => "none found".to_owned(),
                };
                if c.other_c_invoice_rows > 0 {
                    cancellation_rule += &format!("; {} lines with other invoices starting with \"C\" read as purchases", money(c.other_c_invoice_rows as f64));
                }
                view! {
                    <h3>"Data quality"</h3>
                    <div class="grid-2">
                        <table class="data" data-testid="quality">
                            <tbody>
                                <tr><td>"Rows read"</td><td class="num">{money(q.rows_read as f64)}</td></tr>
                                <tr><td>"Rows kept"</td><td class="num">{money(q.rows_kept as f64)}</td></tr>
                                <tr><td>"Customers"</td><td class="num">{money(q.customers as f64)}</td></tr>
                                <tr><td>"Invoices"</td><td class="num">{money(q.invoices as f64)}</td></tr>
                                <tr><td>"First purchase"</td><td>{q.first_date.map(|d| d.to_string()).unwrap_or_default()}</td></tr>
                                <tr><td>"Last purchase"</td><td>{q.last_date.map(|d| d.to_string()).unwrap_or_default()}</td></tr>
                                <tr><td>"Recency counted to"</td><td>{q.snapshot_date.map(|d| d.to_string()).unwrap_or_default()}</td></tr>
                                <tr><td>"Revenue kept (file currency)"</td><td class="num">{money(q.total_revenue)}</td></tr>
                                <tr><td>"Cancellations recognised by"</td><td>{cancellation_rule}</td></tr>
                            </tbody>
                        </table>
                        <table class="data">
                            <thead><tr><th>"Rows removed by rule"</th><th>"Rows"</th></tr></thead>
                            <tbody>{removed}</tbody>
                        </table>
                    </div>
                    {unreadable}
                }
            })}
            {sample_note(&s.report.sample, s.report.options.seed).map(|note| view! { <p class="muted">{note}</p> })}
            <p class="muted">{format!("Pipeline stages: {}", s.report.timings.iter().map(|t| format!("{} {:.2} s", t.stage.label(), t.seconds)).collect::<Vec<_>>().join(" · "))}</p>
        }
    })
}

#[component]
pub fn Segments() -> impl IntoView {
    let (state, ctx) = contexts();
    let counts = move || {
        ctx.segmentation.with(|s| {
            let mut plot = Plot::new();
            if let Some(s) = s {
                let names: Vec<String> = (0..s.k).map(|c| s.cluster_name(c)).collect();
                let sizes: Vec<usize> = s.profiles.iter().map(|p| p.customers).collect();
                let colours: Vec<&str> = (0..s.k).map(cluster_colour).collect();
                plot.add_trace(Bar::new(names, sizes).marker(Marker::new().color_array(colours)));
            }
            plot.set_layout(base_layout("Customers per cluster", state.dark.get()));
            plot
        })
    };
    let personas = with_segmentation(ctx, |s| {
        s.personas
            .iter()
            .zip(s.profiles.iter())
            .map(|(p, profile)| {
                view! {
                    <article class="persona" style=format!("border-left-color: {}", cluster_colour(p.cluster))>
                        <h4>{format!("Cluster {} · {}", p.cluster, p.name)}</h4>
                        <p class="muted">{p.evidence.clone()}</p>
                        <p>{format!("{} of customers, {} of revenue", percent(profile.share), money(profile.revenue))}</p>
                        <p class="action">{p.action.clone()}</p>
                    </article>
                }
            })
            .collect_view()
    });
    let crosstab = with_segmentation(ctx, |s| {
        let mut segments: Vec<String> = s
            .report
            .customers
            .iter()
            .map(|c| c.segment.clone())
            .collect();
        segments.sort();
        segments.dedup();
        let rows = segments
            .iter()
            .map(|segment| {
                let cells = (0..s.k)
                    .map(|c| {
                        let count = s
                            .report
                            .customers
                            .iter()
                            .zip(s.labels.iter())
                            .filter(|(cu, l)| **l == c && &cu.segment == segment)
                            .count();
                        view! { <td class="num">{count}</td> }
                    })
                    .collect_view();
                view! { <tr><th scope="row">{segment.clone()}</th>{cells}</tr> }
            })
            .collect_view();
        view! {
            <table class="data">
                <thead><tr><th>"Classic RFM segment"</th>{(0..s.k).map(|c| view! { <th>{s.cluster_name(c)}</th> }).collect_view()}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
    });
    view! {
        <Chart id="cluster-counts" figure=counts />
        <h3>"Personas and recommended actions"</h3>
        <div class="personas" data-testid="personas">{personas}</div>
        <h3>"Classic RFM segments by cluster"</h3>
        <div class="table-scroll" tabindex="0">{crosstab}</div>
    }
}

#[component]
pub fn Distributions() -> impl IntoView {
    let (state, ctx) = contexts();
    let bins = RwSignal::new(40usize);
    let feature = RwSignal::new(2usize);
    let boxes = move |f: usize| {
        move || {
            let log = state.log_axis.get();
            let visible = ctx.visible.get();
            ctx.segmentation.with(|s| {
                let mut plot = Plot::new();
                if let Some(s) = s {
                    for (c, values) in values_by_cluster(s, &visible, f) {
                        plot.add_trace(
                            BoxPlot::new(values)
                                .name(s.cluster_name(c))
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
                    base_layout(FEATURE_TITLES[f], state.dark.get())
                        .y_axis(axis)
                        .box_mode(BoxMode::Group)
                        .show_legend(false)
                        .height(360),
                );
                plot
            })
        }
    };
    let histogram = move || {
        let visible = ctx.visible.get();
        let (f, bins) = (feature.get(), bins.get());
        ctx.segmentation.with(|s| {
            let mut plot = Plot::new();
            if let Some(s) = s {
                for (c, values) in values_by_cluster(s, &visible, f) {
                    plot.add_trace(
                        Histogram::new(values)
                            .name(s.cluster_name(c))
                            .n_bins_x(bins)
                            .opacity(0.7)
                            .marker(Marker::new().color(cluster_colour(c))),
                    );
                }
            }
            plot.set_layout(
                base_layout(
                    &format!("{} by cluster", FEATURE_TITLES[f]),
                    state.dark.get(),
                )
                .bar_mode(BarMode::Overlay)
                .height(380),
            );
            plot
        })
    };
    view! {
        <label class="check">
            <input type="checkbox" prop:checked=move || state.log_axis.get() on:change=move |ev| state.log_axis.set(event_target_checked(&ev)) />
            " Logarithmic axis for the box plots"
        </label>
        <div class="grid-3">
            <Chart id="box-recency" figure=boxes(0) />
            <Chart id="box-frequency" figure=boxes(1) />
            <Chart id="box-monetary" figure=boxes(2) />
        </div>
        <h3>"Histogram explorer"</h3>
        <div class="controls">
            <label>
                "Feature "
                <select on:change=move |ev| feature.set(event_target_value(&ev).parse().unwrap_or(2))>
                    {(0..FEATURE_TITLES.len()).map(|f| view! { <option value=f.to_string() selected=f == 2>{FEATURE_TITLES[f]}</option> }).collect_view()}
                </select>
            </label>
            <label>
                {move || format!("Bins: {} ", bins.get())}
                <input type="range" min="5" max="120" prop:value=move || bins.get().to_string() on:input=move |ev| bins.set(event_target_value(&ev).parse().unwrap_or(40)) />
            </label>
        </div>
        <Chart id="histogram" figure=histogram />
    }
}

const FEATURE_TITLES: [&str; 4] = [
    "Recency (days)",
    "Frequency (invoices)",
    "Monetary",
    "RFM score (R+F+M)",
];

/// One feature's values for the visible customers of each non-empty cluster.
fn values_by_cluster(
    s: &Segmentation,
    visible: &[usize],
    feature: usize,
) -> Vec<(usize, Vec<f64>)> {
    (0..s.k)
        .map(|c| {
            let values = visible
                .iter()
                .filter(|&&i| s.labels[i] == c)
                .map(|&i| feature_value(s, i, feature))
                .collect();
            (c, values)
        })
        .filter(|(_, values): &(usize, Vec<f64>)| !values.is_empty())
        .collect()
}

fn feature_value(s: &Segmentation, i: usize, feature: usize) -> f64 {
    let c = &s.report.customers[i];
    match feature {
        0 => c.recency,
        1 => c.frequency,
        2 => c.monetary,
        _ => f64::from(c.r_score + c.f_score + c.m_score),
    }
}

#[component]
pub fn Profiles() -> impl IntoView {
    let (state, ctx) = contexts();
    let table = with_segmentation(ctx, |s| {
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
                <thead><tr><th>"Cluster"</th><th>"Customers"</th><th>"Avg recency"</th><th>"Avg frequency"</th><th>"Avg monetary"</th><th>"Revenue"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
    });
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
                        .color_scale(plotly::common::ColorScale::Palette(
                            plotly::common::ColorScalePalette::RdBu,
                        )),
                );
            }
            plot.set_layout(
                base_layout(
                    "Cluster profile (mean of standardised log1p values)",
                    state.dark.get(),
                )
                .height(320),
            );
            plot
        })
    };
    let top = with_segmentation(ctx, move |s| {
        let mut rows: Vec<usize> = ctx.visible.get().to_vec();
        rows.sort_by(|&a, &b| {
            s.report.customers[b]
                .monetary
                .total_cmp(&s.report.customers[a].monetary)
        });
        rows.truncate(10);
        let body = rows
            .into_iter()
            .map(|i| {
                let c = &s.report.customers[i];
                view! {
                    <tr>
                        <td>{c.id.clone()}</td>
                        <td class="num">{c.recency}</td>
                        <td class="num">{c.frequency}</td>
                        <td class="num">{format!("{:.2}", c.monetary)}</td>
                        <td>{c.segment.clone()}</td>
                        <td>{s.cluster_name(s.labels[i])}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table class="data" data-testid="top-customers">
                <thead><tr><th>"Customer"</th><th>"Recency"</th><th>"Frequency"</th><th>"Monetary"</th><th>"RFM segment"</th><th>"Cluster"</th></tr></thead>
                <tbody>{body}</tbody>
            </table>
        }
    });
    view! {
        <h3>"Average R, F, M per cluster"</h3>
        {table}
        <Chart id="profile-heatmap" figure=heatmap />
        <h3>"Top 10 customers by monetary (current filter)"</h3>
        {top}
    }
}

#[component]
pub fn Map() -> impl IntoView {
    let (state, ctx) = contexts();
    let projection = RwSignal::new(0usize);
    let scatter = move || {
        let visible = ctx.visible.get();
        let which = projection.get();
        ctx.segmentation.with(|s| {
            let mut plot = Plot::new();
            if let Some(s) = s {
                let report = &s.report;
                // The map shows the run's sample: the t-SNE was computed on it, and a chart of
                // a million points would freeze the page.
                let position = |i: usize| match which {
                    1 => report.pca.get(i).copied(),
                    2 => report.latent.get(i).copied(),
                    _ => report.tsne_of(i),
                };
                for c in 0..s.k {
                    let rows: Vec<usize> = visible
                        .iter()
                        .copied()
                        .filter(|&i| {
                            s.labels[i] == c && report.sample_rows.binary_search(&i).is_ok()
                        })
                        .collect();
                    let text: Vec<String> = rows
                        .iter()
                        .map(|&i| {
                            let cu = &report.customers[i];
                            format!(
                                "customer {}<br>R {} · F {} · M {:.2}",
                                cu.id, cu.recency, cu.frequency, cu.monetary
                            )
                        })
                        .collect();
                    let (xs, ys): (Vec<f64>, Vec<f64>) = rows
                        .iter()
                        .filter_map(|&i| position(i))
                        .map(|[x, y]| (x, y))
                        .unzip();
                    plot.add_trace(
                        Scatter::new(xs, ys)
                            .mode(Mode::Markers)
                            .name(s.cluster_name(c))
                            .marker(Marker::new().color(cluster_colour(c)).size(5).opacity(0.75))
                            .hover_text_array(text)
                            .hover_info(HoverInfo::Text),
                    );
                }
            }
            let title = [
                "t-SNE map of customers",
                "PCA (2 components)",
                "Autoencoder latent space",
            ][which];
            let title = match s.as_ref().map(|s| &s.report.sample) {
                Some(sample) if !sample.is_everyone() => format!(
                    "{title}: seeded sample of {} of {} customers",
                    sample.size, sample.customers
                ),
                _ => title.to_string(),
            };
            plot.set_layout(base_layout(&title, state.dark.get()).height(620));
            plot
        })
    };
    view! {
        <div class="controls">
            <label>
                "Projection "
                <select on:change=move |ev| projection.set(event_target_value(&ev).parse().unwrap_or(0))>
                    <option value="0">"t-SNE"</option>
                    <option value="1">"PCA"</option>
                    <option value="2">"Autoencoder latent"</option>
                </select>
            </label>
        </div>
        <Chart id="tsne-map" figure=scatter />
    }
}

/// "0.612" for an exact number, "0.612 ± 0.003" for one estimated on the run's sample.
fn with_error(value: f64, standard_error: f64) -> String {
    if standard_error > 0.0 {
        format!("{value:.3} ± {standard_error:.3}")
    } else {
        format!("{value:.3}")
    }
}

/// Where the complexity budget sampled, said once on every view that shows sampled numbers.
fn sample_note(sample: &SampleReport, seed: u64) -> Option<String> {
    (!sample.is_everyone()).then(|| {
        format!(
            "{} use a seeded, stratified sample of {} of {} customers (seed {seed}; ± is one \
             standard error); cluster labels, sizes and every statistic use all customers.",
            sample.used_for.join(", "),
            count(sample.size),
            count(sample.customers)
        )
    })
}

fn variant_row(v: &Variant, winner: bool) -> impl IntoView + use<> {
    let reseed = v
        .stability_reseed
        .map(|x| format!("{x:.3}"))
        .unwrap_or_else(|| "n/a (deterministic)".into());
    let ablation = v
        .robustness
        .ablation
        .iter()
        .map(|a| format!("{a:.2}"))
        .collect::<Vec<_>>()
        .join(" / ");
    view! {
        <tr class:winner=winner>
            <th scope="row">{v.name.clone()}{winner.then_some(" ★")}</th>
            <td class="num">{with_error(v.silhouette_own.score, v.silhouette_own.standard_error)}</td>
            <td class="num">{with_error(v.silhouette_common.score, v.silhouette_common.standard_error)}</td>
            <td class="num">{format!("{:.3}", v.silhouette_common.macro_score)}</td>
            <td class="num">{format!("{:.3}", v.davies_bouldin)}</td>
            <td class="num">{format!("{:.0}", v.calinski_harabasz)}</td>
            <td class="num">{format!("{:.3}", v.stability_subsample)}</td>
            <td class="num">{reseed}</td>
            <td class="num">{format!("{:.3}", v.robustness.noise)}</td>
            <td class="num">{ablation}</td>
            <td class="num">{percent(v.interpretability.tree.accuracy)}</td>
            <td class="num">{format!("{:.3}", v.interpretability.mean_eta_squared)}</td>
            <td>{v.sizes.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(" / ")}</td>
            <td class="num">{format!("{:.3}", v.score)}</td>
        </tr>
    }
}

#[component]
pub fn Models() -> impl IntoView {
    let state = expect_context::<AppState>();
    let comparison = move || {
        state.report.get().map(|r| {
            let rows = r.variants.iter().enumerate().map(|(i, v)| variant_row(v, i == r.winner)).collect_view();
            let published = r.published.silhouettes.iter().map(|(name, s)| format!("{name} {s:.2}")).collect::<Vec<_>>().join(", ");
            let ours = r
                .published
                .silhouettes
                .iter()
                .filter_map(|(name, _)| r.variants.iter().find(|v| &v.name == name).map(|v| format!("{} {:.3}", v.name, v.silhouette_own.score)))
                .collect::<Vec<_>>()
                .join(", ");
            let weights = SCORE_WEIGHTS.iter().map(|(what, w)| format!("{w} × {what}")).collect::<Vec<_>>().join(" + ");
            let rules = r.variants[r.winner].interpretability.tree.rules.clone();
            view! {
                <p class="verdict" data-testid="verdict">{r.verdict.clone()}</p>
                {sample_note(&r.sample, r.options.seed).map(|note| view! { <p class="muted" data-testid="sample-note">{note}</p> })}
                <p class="muted">{format!("Seed's published silhouettes ({}): {published}. Ours, same metric and k = {}: {ours}.", r.published.source, r.options.k)}</p>
                <div class="table-scroll" tabindex="0">
                    <table class="data" data-testid="comparison">
                        <thead>
                            <tr>
                                <th>"Variant"</th><th>"Silhouette (own)"</th><th>"Silhouette (common)"</th><th>"Macro silhouette (common)"</th>
                                <th>"Davies-Bouldin"</th><th>"Calinski-Harabasz"</th><th>"Stability (subsample ARI)"</th><th>"Stability (reseed ARI)"</th>
                                <th>"Noise ARI"</th><th>"Ablation ARI (R/F/M)"</th><th>"Depth-2 tree accuracy"</th><th>"Mean eta²"</th><th>"Sizes"</th><th>"Score"</th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
                <p class="muted">{format!("Score = {weights} (silhouette mapped to 0-1). The winner's rules: {}", rules.join("; "))}</p>
                <p class="muted">{format!("Autoencoder: {} · {} epochs (best {}) · reconstruction MSE {:.4}", r.training.device, r.training.losses.len(), r.training.best_epoch, r.training.reconstruction_mse)}</p>
            }
        })
    };
    let sweep = move || {
        let mut plot = Plot::new();
        if let Some(r) = state.report.get() {
            let names: Vec<String> = r.variants.iter().map(|v| v.name.clone()).collect();
            for (i, name) in names.iter().enumerate() {
                let (ks, values): (Vec<usize>, Vec<f64>) = r
                    .k_sweep
                    .iter()
                    .filter_map(|p| p.silhouette.get(name).map(|s| (p.k, *s)))
                    .unzip();
                plot.add_trace(
                    Scatter::new(ks, values)
                        .name(name.clone())
                        .mode(Mode::LinesMarkers)
                        .marker(Marker::new().color(cluster_colour(i))),
                );
            }
        }
        plot.set_layout(
            base_layout(
                "k sweep: silhouette in each variant's own embedding",
                state.dark.get(),
            )
            .x_axis(Axis::new().title(Title::with_text("k")))
            .height(420),
        );
        plot
    };
    let elbow = move || {
        let mut plot = Plot::new();
        if let Some(r) = state.report.get() {
            for name in ["KM_PCA", "KM_AE"] {
                let (ks, values): (Vec<usize>, Vec<f64>) = r
                    .k_sweep
                    .iter()
                    .filter_map(|p| p.inertia.get(name).map(|s| (p.k, *s)))
                    .unzip();
                plot.add_trace(
                    Scatter::new(ks, values)
                        .name(format!("{name} inertia"))
                        .mode(Mode::LinesMarkers),
                );
            }
            for name in ["GMM_PCA", "GMM_AE"] {
                let (ks, values): (Vec<usize>, Vec<f64>) = r
                    .k_sweep
                    .iter()
                    .filter_map(|p| p.bic.get(name).map(|s| (p.k, *s)))
                    .unzip();
                plot.add_trace(
                    Scatter::new(ks, values)
                        .name(format!("{name} BIC"))
                        .mode(Mode::LinesMarkers)
                        .y_axis("y2"),
                );
            }
        }
        plot.set_layout(
            base_layout("KMeans inertia (elbow) and mixture BIC", state.dark.get())
                .x_axis(Axis::new().title(Title::with_text("k")))
                .y_axis2(
                    Axis::new()
                        .overlaying("y")
                        .side(plotly::common::AxisSide::Right)
                        .title(Title::with_text("BIC")),
                )
                // Below the plot: at the side it would cover the BIC axis.
                .legend(
                    plotly::layout::Legend::new()
                        .orientation(plotly::common::Orientation::Horizontal)
                        .y(-0.3),
                )
                .margin(
                    plotly::layout::Margin::new()
                        .left(60)
                        .right(60)
                        .top(50)
                        .bottom(100),
                )
                .height(420),
        );
        plot
    };
    view! {
        {comparison}
        <div class="grid-2">
            <Chart id="k-sweep" figure=sweep />
            <Chart id="k-elbow" figure=elbow />
        </div>
        <h3>"Re-run with other settings"</h3>
        <RunOptions />
        <button class="primary" data-testid="rerun" on:click=move |_| state.run()>"Re-run"</button>
    }
}

#[component]
pub fn Validation() -> impl IntoView {
    let (_, ctx) = contexts();
    with_segmentation(ctx, |s| {
        let v = &s.report.variants[s.variant];
        let anova = v
            .statistics
            .iter()
            .map(|f| {
                let welch = f.welch.as_ref().map(|w| format!("F = {:.2}, p = {}", w.f_statistic, p_value(w.p_value, TAIL_RESOLUTION))).unwrap_or_else(|| f.unequal_variance_skipped.clone().unwrap_or_default());
                view! {
                    <tr>
                        <th scope="row">{f.feature.clone()}</th>
                        <td class="num">{format!("{:.2}", f.anova.f_statistic)}</td>
                        <td class="num">{format!("{:.0}, {:.0}", f.anova.df_between, f.anova.df_within)}</td>
                        <td class="num">{p_value(f.anova.p_value, TAIL_RESOLUTION)}</td>
                        <td class="num">{format!("{:.3}", f.anova.eta_squared)}</td>
                        <td>{welch}</td>
                    </tr>
                }
            })
            .collect_view();
        let pairs = v
            .statistics
            .iter()
            .flat_map(|f| {
                let tukey = f
                    .tukey
                    .pairs
                    .iter()
                    .map(move |p| ("Tukey HSD", f.feature.clone(), p.clone()));
                let gh = f
                    .games_howell
                    .iter()
                    .flat_map(|t| t.pairs.iter())
                    .map(move |p| ("Games-Howell", f.feature.clone(), p.clone()));
                tukey.chain(gh).collect::<Vec<_>>()
            })
            .map(|(test, feature, p)| {
                view! {
                    <tr>
                        <td>{feature}</td>
                        <td>{test}</td>
                        <td>{format!("{} vs {}", p.group_a, p.group_b)}</td>
                        <td class="num">{format!("{:.3}", p.mean_diff)}</td>
                        <td class="num">{format!("[{:.3}, {:.3}]", p.ci_lower, p.ci_upper)}</td>
                        <td class="num">{p_value(p.p_adj, CDF_RESOLUTION)}</td>
                        <td>{if p.reject { "yes" } else { "no" }}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <p class="muted">{format!("Clusters of {}; α = 0.05. Welch's ANOVA and Games-Howell do not assume equal variances, which RFM clusters rarely have.", v.name)}</p>
            <table class="data" data-testid="anova">
                <thead><tr><th>"Feature"</th><th class="num">"ANOVA F"</th><th class="num">"df"</th><th class="num">"p"</th><th class="num">"eta²"</th><th>"Welch ANOVA"</th></tr></thead>
                <tbody>{anova}</tbody>
            </table>
            <div class="table-scroll" tabindex="0">
                <table class="data" data-testid="tukey">
                    <thead><tr><th>"Feature"</th><th>"Test"</th><th>"Groups"</th><th class="num">"Mean difference"</th><th class="num">"95% CI"</th><th class="num">"Adjusted p"</th><th>"Reject H0"</th></tr></thead>
                    <tbody>{pairs}</tbody>
                </table>
            </div>
        }
    })
}

#[component]
pub fn Roi() -> impl IntoView {
    let (state, ctx) = contexts();
    let result = Memo::new(move |_| {
        let assumptions = state.roi.get();
        ctx.segmentation.with(|s| {
            s.as_ref()
                .map(|s| (scenario(&s.profiles, &assumptions), s.clone()))
        })
    });
    let slider = move |label: &'static str,
                       min: f64,
                       max: f64,
                       step: f64,
                       get: fn(&RoiAssumptions) -> f64,
                       set: fn(&mut RoiAssumptions, f64),
                       as_percent: bool| {
        view! {
            <label class="slider">
                <span>{move || {
                    let v = state.roi.with(get);
                    if as_percent { format!("{label}: {:+.0}%", 100.0 * v) } else { format!("{label}: {}", money(v)) }
                }}</span>
                <input
                    type="range"
                    min=min.to_string()
                    max=max.to_string()
                    step=step.to_string()
                    prop:value=move || state.roi.with(get).to_string()
                    on:input=move |ev| {
                        if let Ok(v) = event_target_value(&ev).parse::<f64>() {
                            state.roi.update(|a| set(a, v));
                        }
                    }
                />
            </label>
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
                plot.add_trace(
                    Bar::new(
                        names.clone(),
                        roi.segments
                            .iter()
                            .map(|x| x.baseline_incremental_revenue)
                            .collect(),
                    )
                    .name("baseline"),
                );
                plot.add_trace(
                    Bar::new(
                        names.clone(),
                        roi.segments.iter().map(|x| x.incremental_revenue).collect(),
                    )
                    .name("scenario"),
                );
                plot.add_trace(
                    Bar::new(names, roi.segments.iter().map(|x| x.budget).collect()).name("budget"),
                );
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
                view! {
                    <p class="verdict" data-testid="roi-total">{format!("Total: {} incremental revenue on a {} budget, ROI {} (baseline {}).", money(roi.total_incremental_revenue), money(roi.assumptions.budget), percent(roi.total_roi), percent(roi.baseline_total_roi))}</p>
                    <table class="data">
                        <thead><tr><th>"Segment"</th><th>"Budget"</th><th>"Revenue at risk"</th><th>"Retained"</th><th>"Conversions"</th><th>"Campaign revenue"</th><th>"Baseline ROI"</th><th>"Scenario ROI"</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                }
            })
        })
    };
    view! {
        <div class="sliders" data-testid="roi-sliders">
            {slider("Retention uplift", 0.0, 0.5, 0.01, |a| a.retention_uplift, |a, v| a.retention_uplift = v, true)}
            {slider("Campaign ROI uplift", 0.0, 0.5, 0.01, |a| a.campaign_roi_uplift, |a, v| a.campaign_roi_uplift = v, true)}
            {slider("Cost per conversion change", -0.5, 0.5, 0.01, |a| a.cost_per_conversion_change, |a, v| a.cost_per_conversion_change = v, true)}
            {slider("Budget", 1000.0, 100000.0, 1000.0, |a| a.budget, |a, v| a.budget = v, false)}
        </div>
        <button class="ghost" on:click=move |_| state.roi.set(RoiAssumptions::default())>"Reset to the seed's figures"</button>
        {table}
        <Chart id="roi-chart" figure=chart />
        <p class="muted">"Model: retained = revenue × share lapsed (> 90 days) × retention uplift; campaign revenue = budget ÷ cost per conversion × average order value × (1 + campaign ROI uplift); budget split by revenue share. Defaults: the seed project's +15% retention, +18% campaign ROI, −12% cost per conversion."</p>
    }
}

/// F-test p-values come from the upper tail directly: only an underflow is unresolved.
const TAIL_RESOLUTION: f64 = f64::MIN_POSITIVE;
/// Tukey HSD and Games-Howell p-values are one minus a studentized-range CDF: below this, the
/// difference from 1 is rounding.
const CDF_RESOLUTION: f64 = 1e-15;

/// A p-value in scientific notation, or "< resolution" where the computation cannot resolve it
/// (rather than a misleading 0 or rounding noise).
fn p_value(p: f64, resolution: f64) -> String {
    if p < resolution {
        format!("< {resolution:.0e}")
    } else {
        format!("{p:.3e}")
    }
}

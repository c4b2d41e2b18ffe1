//! Models: the six variants compared on every criterion, the winner and why, the k sweep, the
//! chosen variant as SQL and refit scripts for a warehouse, and the run options for a re-run.

use leptos::prelude::*;
use plotly::common::{AxisSide, Marker, Mode, Orientation, Title};
use plotly::layout::{Axis, Legend, Margin};
use plotly::{Plot, Scatter};

use crate::app::components::{
    Chart, Column, DownloadError, RunOptions, TableHead, WarehouseTarget, base_layout,
    cluster_colour,
};
use crate::app::downloads::download;
use crate::app::format::{percent, sample_note, with_error};
use crate::app::state::AppState;
use crate::core::cluster::Algorithm;
use crate::core::pipeline::{Embedding, KSweepPoint, Report, SCORE_WEIGHTS, Variant, VariantId};
use crate::core::warehouse::{
    Dialect, SegmentModel, WarehouseError, bigquery_ml_script, pyspark_script, score_query,
};

const COMPARISON_COLUMNS: [Column; 14] = [
    Column::text("Variant"),
    Column::text("Silhouette (own)"),
    Column::text("Silhouette (common)"),
    Column::text("Macro silhouette (common)"),
    Column::text("Davies-Bouldin"),
    Column::text("Calinski-Harabasz"),
    Column::text("Stability (subsample ARI)"),
    Column::text("Stability (reseed ARI)"),
    Column::text("Noise ARI"),
    Column::text("Ablation ARI (R/F/M)"),
    Column::text("Depth-2 tree accuracy"),
    Column::text("Mean eta²"),
    Column::text("Sizes"),
    Column::text("Score"),
];

#[component]
pub fn Models() -> impl IntoView {
    let state = expect_context::<AppState>();
    let sweep = move || {
        let mut plot = Plot::new();
        if let Some(r) = state.report.get() {
            for (i, v) in r.variants.iter().enumerate() {
                let id = v.id();
                let (ks, values) = k_curve(&r, |p| p.silhouette_of(id));
                plot.add_trace(
                    Scatter::new(ks, values)
                        .name(id.to_string())
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
            for embedding in Embedding::ALL {
                let id = VariantId::new(Algorithm::KMeans, embedding);
                let (ks, values) = k_curve(&r, |p| p.inertia_of(id));
                plot.add_trace(
                    Scatter::new(ks, values)
                        .name(format!("{id} inertia"))
                        .mode(Mode::LinesMarkers),
                );
            }
            for embedding in Embedding::ALL {
                let id = VariantId::new(Algorithm::Gmm, embedding);
                let (ks, values) = k_curve(&r, |p| p.bic_of(id));
                plot.add_trace(
                    Scatter::new(ks, values)
                        .name(format!("{id} BIC"))
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
                        .side(AxisSide::Right)
                        .title(Title::with_text("BIC")),
                )
                // Below the plot: at the side it would cover the BIC axis.
                .legend(Legend::new().orientation(Orientation::Horizontal).y(-0.3))
                .margin(Margin::new().left(60).right(60).top(50).bottom(100))
                .height(420),
        );
        plot
    };
    view! {
        {move || state.report.get().map(|r| comparison(&r))}
        <div class="grid-2">
            <Chart id="k-sweep" figure=sweep />
            <Chart id="k-elbow" figure=elbow />
        </div>
        <ModelDownloads />
        <h3>"Re-run with other settings"</h3>
        <RunOptions />
        <button class="primary" data-testid="rerun" on:click=move |_| state.run()>
            "Re-run"
        </button>
    }
}

/// Builds one download (file name, text) from a variant's model, the dialect and the table.
type BuildFile = fn(&SegmentModel, Dialect, &str) -> Result<(String, String), WarehouseError>;

/// The selected variant as a scoring query (any dialect) and as KMeans refit scripts (BigQuery
/// ML, PySpark), over an RFM table such as the Overview's query returns.
#[component]
fn ModelDownloads() -> impl IntoView {
    let state = expect_context::<AppState>();
    let dialect = RwSignal::new(Dialect::DuckDb);
    let table = RwSignal::new("customer_rfm".to_owned());
    let message = RwSignal::new(None::<String>);
    // Builds the file from the selected variant's model, or says why it cannot.
    let offer = move |build: BuildFile| {
        move |_| {
            let built = state.report.with_untracked(|r| {
                let r = r.as_ref()?;
                let variant = r.variants.get(state.variant.get_untracked())?;
                Some(
                    SegmentModel::from_report(r, &variant.name).and_then(|model| {
                        build(&model, dialect.get_untracked(), &table.get_untracked())
                    }),
                )
            });
            match built {
                Some(Ok((file_name, text))) => {
                    message.set(None);
                    download(&file_name, "text/plain", &text);
                }
                Some(Err(error)) => message.set(Some(error.to_string())),
                None => {}
            }
        }
    };
    let variant_name = move || {
        state.report.with(|r| {
            r.as_ref()
                .and_then(|r| r.variants.get(state.variant.get()))
                .map(|v| v.name.clone())
                .unwrap_or_default()
        })
    };
    view! {
        <h3>"Score or refit in your warehouse"</h3>
        <p class="muted">
            {move || {
                format!(
                    "{}: the fitted scaling, projection and cluster rule as one SELECT that assigns every customer of an RFM table (customer_id, recency, frequency, monetary), or as a KMeans refit started from these centres.",
                    variant_name(),
                )
            }}
        </p>
        <div class="controls" data-testid="model-sql">
            <WarehouseTarget dialect table table_label="RFM table" testid="model-sql" />
            <button
                data-testid="download-score-sql"
                on:click=offer(|model, dialect, table| {
                    Ok((
                        format!("score-{}-{}.sql", model.variant, dialect.name()),
                        score_query(model, dialect, table)?,
                    ))
                })
            >
                "Scoring query (.sql)"
            </button>
            <button
                data-testid="download-bigquery-ml"
                on:click=offer(|model, _, table| {
                    let model_name = format!("rfm_studio.{}", model.variant.to_lowercase());
                    Ok((
                        format!("refit-{}-bigquery-ml.sql", model.variant),
                        bigquery_ml_script(model, table, &model_name)?,
                    ))
                })
            >
                "BigQuery ML refit (.sql)"
            </button>
            <button
                data-testid="download-pyspark"
                on:click=offer(|model, _, table| {
                    Ok((
                        format!("refit-{}-pyspark.py", model.variant),
                        pyspark_script(model, table)?,
                    ))
                })
            >
                "PySpark refit (.py)"
            </button>
        </div>
        <DownloadError message />
    }
}

/// One k-sweep measure against k, over the ks where it was measured.
fn k_curve(r: &Report, measure: impl Fn(&KSweepPoint) -> Option<f64>) -> (Vec<usize>, Vec<f64>) {
    r.k_sweep
        .iter()
        .filter_map(|p| Some((p.k, measure(p)?)))
        .unzip()
}

/// The verdict, the comparison table and the numbers behind the ranking.
fn comparison(r: &Report) -> impl IntoView + use<> {
    let rows = r
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| variant_row(v, i == r.winner))
        .collect_view();
    let published = r
        .published
        .silhouettes
        .iter()
        .map(|(id, s)| format!("{id} {s:.2}"))
        .collect::<Vec<_>>()
        .join(", ");
    let ours = r
        .published
        .silhouettes
        .iter()
        .filter_map(|(id, _)| {
            let v = r.variants.iter().find(|v| v.id() == *id)?;
            Some(format!("{id} {:.3}", v.silhouette_own.score))
        })
        .collect::<Vec<_>>()
        .join(", ");
    let weights = SCORE_WEIGHTS
        .iter()
        .map(|(what, w)| format!("{w} × {what}"))
        .collect::<Vec<_>>()
        .join(" + ");
    let rules = r.variants[r.winner].interpretability.tree.rules.join("; ");
    let training = &r.training;
    view! {
        <p class="verdict" data-testid="verdict">
            {r.verdict.clone()}
        </p>
        {sample_note(&r.sample, r.options.seed)
            .map(|note| {
                view! {
                    <p class="muted" data-testid="sample-note">
                        {note}
                    </p>
                }
            })}
        <p class="muted">
            {format!(
                "Seed's published silhouettes ({}): {published}. Ours, same metric and k = {}: {ours}.",
                r.published.source,
                r.options.k,
            )}
        </p>
        <div class="table-scroll" tabindex="0">
            <table class="data" data-testid="comparison">
                <TableHead columns=&COMPARISON_COLUMNS />
                <tbody>{rows}</tbody>
            </table>
        </div>
        <p class="muted">
            {format!("Score = {weights} (silhouette mapped to 0-1). The winner's rules: {rules}")}
        </p>
        <p class="muted">
            {format!(
                "Autoencoder: {} · {} epochs (best {}) · reconstruction MSE {:.4}",
                training.device,
                training.losses.len(),
                training.best_epoch,
                training.reconstruction_mse,
            )}
        </p>
    }
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
    let sizes = v
        .sizes
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join(" / ");
    let silhouette_own = with_error(v.silhouette_own.score, v.silhouette_own.standard_error);
    let silhouette_common = with_error(
        v.silhouette_common.score,
        v.silhouette_common.standard_error,
    );
    view! {
        <tr class:winner=winner>
            <th scope="row">{v.name.clone()}{winner.then_some(" ★")}</th>
            <td class="num">{silhouette_own}</td>
            <td class="num">{silhouette_common}</td>
            <td class="num">{format!("{:.3}", v.silhouette_common.macro_score)}</td>
            <td class="num">{format!("{:.3}", v.davies_bouldin)}</td>
            <td class="num">{format!("{:.0}", v.calinski_harabasz)}</td>
            <td class="num">{format!("{:.3}", v.stability_subsample)}</td>
            <td class="num">{reseed}</td>
            <td class="num">{format!("{:.3}", v.robustness.noise)}</td>
            <td class="num">{ablation}</td>
            <td class="num">{percent(v.interpretability.tree.accuracy)}</td>
            <td class="num">{format!("{:.3}", v.interpretability.mean_eta_squared)}</td>
            <td>{sizes}</td>
            <td class="num">{format!("{:.3}", v.score)}</td>
        </tr>
    }
}

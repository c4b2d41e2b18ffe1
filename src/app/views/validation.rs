//! Validation: whether the chosen variant's clusters differ in R, F and M (ANOVA, Welch), and
//! which pairs of clusters do (Tukey HSD, Games-Howell).

use leptos::prelude::*;

use crate::app::components::{Column, TableHead};
use crate::app::format::{CDF_RESOLUTION, TAIL_RESOLUTION, p_value};
use crate::app::segmentation::{DashboardContext, Segmentation};

const ANOVA_COLUMNS: [Column; 6] = [
    Column::text("Feature"),
    Column::num("ANOVA F"),
    Column::num("df"),
    Column::num("p"),
    Column::num("eta²"),
    Column::text("Welch ANOVA"),
];
const PAIR_COLUMNS: [Column; 7] = [
    Column::text("Feature"),
    Column::text("Test"),
    Column::text("Groups"),
    Column::num("Mean difference"),
    Column::num("95% CI"),
    Column::num("Adjusted p"),
    Column::text("Reject H0"),
];

#[component]
pub fn Validation() -> impl IntoView {
    let (_, ctx) = DashboardContext::expect();
    ctx.render(validation)
}

fn validation(s: &Segmentation) -> impl IntoView + use<> {
    let v = &s.report.variants[s.variant];
    let anova = v
        .statistics
        .iter()
        .map(|f| {
            let welch = f
                .welch
                .as_ref()
                .map(|w| {
                    format!(
                        "F = {:.2}, p = {}",
                        w.f_statistic,
                        p_value(w.p_value, TAIL_RESOLUTION)
                    )
                })
                .unwrap_or_else(|| f.unequal_variance_skipped.clone().unwrap_or_default());
            view! {
                <tr>
                    <th scope="row">{f.feature.clone()}</th>
                    <td class="num">{format!("{:.2}", f.anova.f_statistic)}</td>
                    <td class="num">
                        {format!("{:.0}, {:.0}", f.anova.df_between, f.anova.df_within)}
                    </td>
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
    let skipped = v
        .statistics_skipped
        .iter()
        .map(|skipped| {
            view! {
                <p class="muted" data-testid="statistics-skipped">
                    {format!("{}: no ANOVA or Tukey HSD, {}", skipped.feature, skipped.note)}
                </p>
            }
        })
        .collect_view();
    view! {
        <p class="muted">
            {format!(
                "Clusters of {}; α = 0.05. Welch's ANOVA and Games-Howell do not assume equal \
                 variances, which RFM clusters rarely have.",
                v.name,
            )}
        </p>
        <table class="data" data-testid="anova">
            <TableHead columns=&ANOVA_COLUMNS />
            <tbody>{anova}</tbody>
        </table>
        {skipped}
        <div class="table-scroll" tabindex="0">
            <table class="data" data-testid="tukey">
                <TableHead columns=&PAIR_COLUMNS />
                <tbody>{pairs}</tbody>
            </table>
        </div>
    }
}

//! Text exports of a report, shared by the command-line twin and the browser's downloads.

use std::fmt::Write;

use super::evaluate::PairwiseTest;
use super::pipeline::Report;

/// `customer_id,recency,frequency,monetary,<one column per variant>,tsne_x,tsne_y` for the
/// customers in `rows` (indices into the report), in that order.
pub fn labels_csv(report: &Report, rows: &[usize]) -> String {
    let mut out = String::from("customer_id,recency,frequency,monetary");
    for v in &report.variants {
        out.push(',');
        out.push_str(&v.name);
    }
    out.push_str(",tsne_x,tsne_y\n");
    for &i in rows {
        let c = &report.customers[i];
        let _ = write!(
            out,
            "{},{},{},{}",
            csv_field(&c.id),
            c.recency,
            c.frequency,
            c.monetary
        );
        for v in &report.variants {
            let _ = write!(out, ",{}", v.labels[i]);
        }
        let [x, y] = report.tsne.get(i).copied().unwrap_or([f64::NAN; 2]);
        let _ = writeln!(out, ",{x},{y}");
    }
    out
}

/// Every variant's ANOVA, Welch ANOVA, Tukey HSD and Games-Howell results, one test per row,
/// in the layout of the seed project's summary table plus confidence intervals.
pub fn statistics_csv(report: &Report) -> String {
    let mut out = String::from(
        "variant,feature,test,groups,statistic,mean_diff,ci_lower,ci_upper,p_value,reject_0.05,eta_squared\n",
    );
    for v in &report.variants {
        for f in &v.statistics {
            let a = &f.anova;
            let _ = writeln!(
                out,
                "{},{},ANOVA,,{},,,,{},{},{}",
                v.name,
                f.feature,
                a.f_statistic,
                a.p_value,
                a.p_value < 0.05,
                a.eta_squared
            );
            if let Some(w) = &f.welch {
                let _ = writeln!(
                    out,
                    "{},{},Welch ANOVA,,{},,,,{},{},",
                    v.name,
                    f.feature,
                    w.f_statistic,
                    w.p_value,
                    w.p_value < 0.05
                );
            }
            let mut pairs = |name: &str, test: &PairwiseTest| {
                for p in &test.pairs {
                    let _ = writeln!(
                        out,
                        "{},{},{name},{} vs {},{},{},{},{},{},{},",
                        v.name,
                        f.feature,
                        p.group_a,
                        p.group_b,
                        p.q_statistic,
                        p.mean_diff,
                        p.ci_lower,
                        p.ci_upper,
                        p.p_adj,
                        p.reject
                    );
                }
            };
            pairs("Tukey HSD", &f.tukey);
            if let Some(gh) = &f.games_howell {
                pairs("Games-Howell", gh);
            }
        }
    }
    out
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

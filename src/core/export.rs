//! Text exports of a report, shared by the command-line twin and the browser's downloads.

use std::borrow::Cow;
use std::fmt::Write;

use super::evaluate::PairwiseTest;
use super::pipeline::Report;
use super::rfm::Segment;

/// `customer_id,recency,frequency,monetary,<one column per variant>,tsne_x,tsne_y` for the
/// customers in `rows` (indices into the report), in that order; then, where the run has
/// customer value, `p_alive,expected_purchases` and `clv` (over the report's horizon) where
/// the spend model is identified.
pub fn labels_csv(report: &Report, rows: &[usize]) -> String {
    let mut out = String::from("customer_id,recency,frequency,monetary");
    for v in &report.variants {
        out.push(',');
        out.push_str(&csv_text(&v.name));
    }
    out.push_str(",tsne_x,tsne_y");
    let value = report.value.as_ref();
    if let Some(value) = value {
        out.push_str(",p_alive,expected_purchases");
        if !value.clv.is_empty() {
            out.push_str(",clv");
        }
    }
    out.push('\n');
    for &i in rows {
        let c = &report.customers[i];
        let _ = write!(
            out,
            "{},{},{},{}",
            csv_text(&c.id),
            c.recency,
            c.frequency,
            money(c.monetary)
        );
        for v in &report.variants {
            let _ = write!(out, ",{}", v.labels[i]);
        }
        // Customers outside the map's sample have no t-SNE position: empty cells.
        match report.tsne_of(i) {
            Some([x, y]) => {
                let _ = write!(out, ",{x},{y}");
            }
            None => out.push_str(",,"),
        }
        if let Some(value) = value {
            let _ = write!(out, ",{},{}", value.p_alive[i], value.expected_purchases[i]);
            if let Some(clv) = value.clv.get(i) {
                let _ = write!(out, ",{clv}");
            }
        }
        out.push('\n');
    }
    out
}

/// The churn-risk table as the Value view ranks it: `rows` (indices into the report, in the
/// view's order) with their segment, P(alive), expected purchases, CLV and value at risk (those
/// two cells empty where the spend model is not identified). Empty without a value report.
pub fn churn_risk_csv(report: &Report, rows: &[usize]) -> String {
    let Some(value) = report.value.as_ref() else {
        return String::new();
    };
    let mut out =
        String::from("customer_id,segment,p_alive,expected_purchases,clv,value_at_risk\n");
    for &i in rows {
        let (p_alive, customer) = (value.p_alive[i], &report.customers[i]);
        let _ = write!(
            out,
            "{},{},{p_alive},{}",
            csv_text(&customer.id),
            csv_text(&customer.segment),
            value.expected_purchases[i]
        );
        let _ = match value.clv.get(i) {
            Some(&clv) => writeln!(out, ",{clv},{}", value_at_risk(clv, p_alive)),
            None => writeln!(out, ",,"),
        };
    }
    out
}

/// What a customer's CLV stands to lose if they have already left: CLV × (1 − P(alive)).
pub fn value_at_risk(clv: f64, p_alive: f64) -> f64 {
    clv * (1.0 - p_alive)
}

/// `customer_id,before,after` segments of the migration (before: the segment at the earlier
/// date, or "New customer" for one who first bought after it, not to be confused with the
/// classic segment "New"), every customer in report order. Empty without a migration.
pub fn migration_csv(report: &Report) -> String {
    let Some(value) = report.value.as_ref().filter(|v| v.migration.is_some()) else {
        return String::new();
    };
    let mut out = String::from("customer_id,before,after\n");
    for (customer, &before) in report.customers.iter().zip(&value.migration_before) {
        let before = Segment::ALL
            .get(usize::from(before))
            .map_or("New customer", |s| s.name());
        let _ = writeln!(
            out,
            "{},{},{}",
            csv_text(&customer.id),
            csv_text(before),
            csv_text(&customer.segment)
        );
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
                csv_text(&v.name),
                csv_text(&f.feature),
                a.f_statistic,
                a.p_value,
                a.p_value < 0.05,
                a.eta_squared
            );
            if let Some(w) = &f.welch {
                let _ = writeln!(
                    out,
                    "{},{},Welch ANOVA,,{},,,,{},{},",
                    csv_text(&v.name),
                    csv_text(&f.feature),
                    w.f_statistic,
                    w.p_value,
                    w.p_value < 0.05
                );
            }
            let mut pairs = |name: &str, test: &PairwiseTest| {
                for p in &test.pairs {
                    let _ = writeln!(
                        out,
                        "{},{},{},{},{},{},{},{},{},{},",
                        csv_text(&v.name),
                        csv_text(&f.feature),
                        csv_text(name),
                        csv_text(&format!("{} vs {}", p.group_a, p.group_b)),
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

/// One text cell of an exported CSV, safe to open in a spreadsheet. OWASP's rule against
/// formula injection: text starting with `=`, `+`, `-`, `@`, tab or carriage return gets a
/// leading `'` (a spreadsheet would otherwise evaluate it); then the cell is quoted when it
/// holds a comma, quote or line break. Numbers are written without it, so `-3` stays a number.
pub fn csv_text(text: &str) -> Cow<'_, str> {
    let safe = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    };
    if safe.contains([',', '"', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", safe.replace('"', "\"\"")))
    } else {
        safe
    }
}

/// An amount of money to the cent, as a plain number: `484.33`, not the `484.33000000000004`
/// that summing line totals leaves.
pub fn money(amount: f64) -> String {
    // Adding 0.0 turns a rounded -0.0 into 0.0.
    let cents = (amount * 100.0).round() / 100.0 + 0.0;
    format!("{cents:.2}")
}

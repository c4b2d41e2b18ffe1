//! How the views write numbers: counts and money with thousands separators, shares as
//! percentages, p-values to their resolution, sampled estimates with their standard error.

use crate::core::pipeline::SampleReport;

/// Digits grouped in thousands: "1234567" -> "1,234,567".
fn group_thousands(digits: &str) -> String {
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    grouped
}

/// A whole count with thousands separators: 4,312.
pub fn count(value: u64) -> String {
    group_thousands(&value.to_string())
}

/// An amount in the file's currency, to the unit, with thousands separators: -1,235.
pub fn money(value: f64) -> String {
    let whole = value.round() as i64;
    let grouped = group_thousands(&whole.unsigned_abs().to_string());
    if whole < 0 {
        format!("-{grouped}")
    } else {
        grouped
    }
}

/// A share (0.123) as a percentage: "12.3%".
pub fn percent(value: f64) -> String {
    format!("{:.1}%", 100.0 * value)
}

/// F-test p-values come from the upper tail directly: only an underflow is unresolved.
pub const TAIL_RESOLUTION: f64 = f64::MIN_POSITIVE;
/// Tukey HSD and Games-Howell p-values are one minus a studentized-range CDF: below this, the
/// difference from 1 is rounding.
pub const CDF_RESOLUTION: f64 = 1e-15;

/// A p-value in scientific notation, or "< resolution" where the computation cannot resolve it
/// (rather than a misleading 0 or rounding noise).
pub fn p_value(p: f64, resolution: f64) -> String {
    if p < resolution {
        format!("< {resolution:.0e}")
    } else {
        format!("{p:.3e}")
    }
}

/// "0.612" for an exact number, "0.612 ± 0.003" for one estimated on the run's sample.
pub fn with_error(value: f64, standard_error: f64) -> String {
    if standard_error > 0.0 {
        format!("{value:.3} ± {standard_error:.3}")
    } else {
        format!("{value:.3}")
    }
}

/// Where the complexity budget sampled, said once on every view that shows sampled numbers.
pub fn sample_note(sample: &SampleReport, seed: u64) -> Option<String> {
    (!sample.is_everyone()).then(|| {
        format!(
            "{} use a seeded, stratified sample of {} of {} customers (seed {seed}; ± is one \
             standard error); cluster labels, sizes and every statistic use all customers.",
            sample.used_for.join(", "),
            count(sample.size as u64),
            count(sample.customers as u64)
        )
    })
}

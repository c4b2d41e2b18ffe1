//! The numbers behind the fit diagnostics: how many customers made 0, 1, 2, ... repeat
//! purchases against how many the fitted model expects, and the holdout's actual purchases
//! against the predicted ones (lifetimes' `plot_period_transactions` and
//! `plot_calibration_purchases_vs_holdout_purchases`, as data). Where lifetimes simulates a
//! population for the first, this takes the exact expectation Σ_i P(X(T_i) = n).

use serde::{Deserialize, Serialize};

use super::bgnbd::{self, BgNbdParams};
use super::{CalibrationHoldout, ClvError, CustomerSummary};

/// One bar pair of the frequency histogram.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrequencyBin {
    /// Repeat purchases; the last bin holds this many or more.
    pub repeat_purchases: u32,
    pub or_more: bool,
    pub observed_customers: usize,
    pub expected_customers: f64,
}

/// Bins 0..bins−1 repeat purchases, the last holding `bins − 1` or more.
pub fn frequency_histogram(
    params: &BgNbdParams,
    customers: &[CustomerSummary],
    bins: u32,
) -> Vec<FrequencyBin> {
    let bins = bins.max(2);
    let last = bins - 1;
    let mut histogram: Vec<FrequencyBin> = (0..bins)
        .map(|n| FrequencyBin {
            repeat_purchases: n,
            or_more: n == last,
            observed_customers: 0,
            expected_customers: 0.0,
        })
        .collect();
    for customer in customers {
        histogram[customer.frequency.min(last) as usize].observed_customers += 1;
        for n in 0..last {
            histogram[n as usize].expected_customers +=
                bgnbd::probability_of_purchases(params, customer.t, n);
        }
    }
    let below_last: f64 = histogram[..last as usize]
        .iter()
        .map(|bin| bin.expected_customers)
        .sum();
    histogram[last as usize].expected_customers = customers.len() as f64 - below_last;
    histogram
}

/// Holdout purchases of the customers with one calibration frequency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoldoutBin {
    /// Calibration repeat purchases; the last bin holds this many or more.
    pub calibration_frequency: u32,
    pub or_more: bool,
    pub customers: usize,
    pub actual_mean: f64,
    pub predicted_mean: f64,
}

/// Holdout actual vs predicted purchases, grouped by calibration frequency (bins as in
/// [`frequency_histogram`]; empty bins left out). `params` are fitted on the calibration
/// summaries; `holdout_days` is the holdout's length.
pub fn holdout_comparison(
    params: &BgNbdParams,
    split: &[CalibrationHoldout],
    holdout_days: f64,
    bins: u32,
) -> Result<Vec<HoldoutBin>, ClvError> {
    let last = bins.max(2) - 1;
    let mut sums = vec![(0usize, 0.0, 0.0); last as usize + 1];
    for customer in split {
        let bin = &mut sums[customer.calibration.frequency.min(last) as usize];
        bin.0 += 1;
        bin.1 += f64::from(customer.holdout_frequency);
        bin.2 += bgnbd::expected_purchases(params, &customer.calibration, holdout_days)?;
    }
    Ok(sums
        .into_iter()
        .enumerate()
        .filter(|(_, (customers, _, _))| *customers > 0)
        .map(|(n, (customers, actual, predicted))| HoldoutBin {
            calibration_frequency: n as u32,
            or_more: n as u32 == last,
            customers,
            actual_mean: actual / customers as f64,
            predicted_mean: predicted / customers as f64,
        })
        .collect())
}

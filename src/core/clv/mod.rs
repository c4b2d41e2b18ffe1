//! Customer value over time: who is still alive, how often they will buy and what they are
//! worth over a horizon. BG/NBD for the purchases, Gamma-Gamma for the spend per purchase and
//! lifetimes' discounted CLV, each fitted by maximum likelihood from the same purchase days the
//! RFM table is made of (see [`summary`]). Periods are days.
//!
//! CLV over a horizon of H days with monthly discount rate d (lifetimes'
//! `customer_lifetime_value(freq="D")`, where a month is 30 days): with t_k = min(30k, H),
//! CLV = Σ_k E[spend] · (E[N(t_k)] − E[N(t_{k−1})]) / (1 + d)^(t_k / 30). For H a multiple of
//! 30 this is lifetimes' number exactly; a last partial month is discounted at its end.

pub mod bgnbd;
pub mod diagnostics;
pub mod gamma_gamma;
mod nelder_mead;
mod special;
pub mod summary;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use bgnbd::{BgNbdFit, BgNbdParams};
pub use gamma_gamma::{GammaGammaFit, GammaGammaParams};
pub use summary::{CalibrationHoldout, calibration_and_holdout, summarize};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClvError {
    #[error(
        "the data has no purchase dates (an aggregated RFM table): customer value needs transactions"
    )]
    NoPurchaseHistory,
    #[error("only {0} customer(s): the purchase model needs at least 2")]
    TooFewCustomers(usize),
    #[error("only {0} customer(s) bought more than once: the spend model needs at least 2")]
    TooFewRepeatBuyers(usize),
    #[error("every customer's first purchase is on the observation end: no time was observed")]
    NoTimeObserved,
    #[error("the {model} fit did not converge in {evaluations} likelihood evaluations")]
    DidNotConverge {
        model: &'static str,
        evaluations: usize,
    },
    #[error(
        "the spend model's q = {q} is at most 1, so the mean spend per purchase is unbounded; too few repeat buyers to estimate it"
    )]
    UnboundedSpend { q: f64 },
    #[error(
        "the hypergeometric series 2F1({a}, {b}; {c}; {z}) did not converge; shorten the horizon"
    )]
    SeriesDidNotConverge { a: f64, b: f64, c: f64, z: f64 },
    #[error(
        "the calibration end {calibration_end} must be before the observation end {observation_end}"
    )]
    EmptyHoldout {
        calibration_end: NaiveDate,
        observation_end: NaiveDate,
    },
    #[error(
        "the horizon must be positive days and the discount rate at least 0 (got {horizon_days} days, {discount_rate})"
    )]
    BadOptions {
        horizon_days: f64,
        discount_rate: f64,
    },
}

/// One customer's repeat-purchase history in the papers' terms (time in days for the studio's
/// data; any unit for the models).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerSummary {
    pub customer_id: String,
    /// Repeat purchases x: purchase days after the first.
    pub frequency: u32,
    /// t_x: from the first to the last purchase.
    pub recency: f64,
    /// T: from the first purchase to the observation end.
    pub t: f64,
    /// Mean amount of the repeat purchases; 0 without any.
    pub monetary_value: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClvOptions {
    pub horizon_days: f64,
    /// Per 30-day month (lifetimes' default 0.01, about 12.7% a year).
    pub monthly_discount_rate: f64,
}

impl Default for ClvOptions {
    fn default() -> Self {
        ClvOptions {
            horizon_days: 90.0,
            monthly_discount_rate: 0.01,
        }
    }
}

/// Days per discounting period, as lifetimes counts a month for daily data.
pub const DAYS_PER_MONTH: f64 = 30.0;

/// One customer's predictions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerValue {
    #[serde(flatten)]
    pub summary: CustomerSummary,
    pub p_alive: f64,
    /// Purchases expected in the horizon.
    pub expected_purchases: f64,
    /// Expected spend per purchase (Gamma-Gamma).
    pub expected_spend: f64,
    /// Discounted value of the horizon's expected purchases.
    pub clv: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClvReport {
    pub options: ClvOptions,
    pub purchases: BgNbdFit,
    pub spend: GammaGammaFit,
    pub customers: Vec<CustomerValue>,
}

/// Fits both models on the summaries and predicts every customer.
pub fn fit_customer_value(
    summaries: &[CustomerSummary],
    options: &ClvOptions,
) -> Result<ClvReport, ClvError> {
    check_options(options)?;
    let purchases = bgnbd::fit(summaries)?;
    let spend = gamma_gamma::fit(summaries)?;
    let customers = predict(summaries, &purchases.params, &spend.params, options)?;
    Ok(ClvReport {
        options: *options,
        purchases,
        spend,
        customers,
    })
}

fn check_options(options: &ClvOptions) -> Result<(), ClvError> {
    let ClvOptions {
        horizon_days,
        monthly_discount_rate,
    } = *options;
    let valid = horizon_days > 0.0
        && horizon_days.is_finite()
        && monthly_discount_rate >= 0.0
        && monthly_discount_rate.is_finite();
    if !valid {
        return Err(ClvError::BadOptions {
            horizon_days,
            discount_rate: monthly_discount_rate,
        });
    }
    Ok(())
}

/// Predictions with given parameters.
pub fn predict(
    summaries: &[CustomerSummary],
    purchases: &BgNbdParams,
    spend: &GammaGammaParams,
    options: &ClvOptions,
) -> Result<Vec<CustomerValue>, ClvError> {
    check_options(options)?;
    summaries
        .iter()
        .map(|summary| {
            let expected_spend = gamma_gamma::expected_spend(spend, summary)?;
            Ok(CustomerValue {
                p_alive: bgnbd::probability_alive(purchases, summary),
                expected_purchases: bgnbd::expected_purchases(
                    purchases,
                    summary,
                    options.horizon_days,
                )?,
                expected_spend,
                clv: discounted_value(purchases, summary, expected_spend, options)?,
                summary: summary.clone(),
            })
        })
        .collect()
}

/// The CLV sum of the module documentation.
fn discounted_value(
    purchases: &BgNbdParams,
    summary: &CustomerSummary,
    expected_spend: f64,
    options: &ClvOptions,
) -> Result<f64, ClvError> {
    let months = (options.horizon_days / DAYS_PER_MONTH).ceil() as u32;
    let (mut value, mut purchased_before) = (0.0, 0.0);
    for month in 1..=months {
        let t = (f64::from(month) * DAYS_PER_MONTH).min(options.horizon_days);
        let purchased = bgnbd::expected_purchases(purchases, summary, t)?;
        value += expected_spend * (purchased - purchased_before)
            / (1.0 + options.monthly_discount_rate).powf(t / DAYS_PER_MONTH);
        purchased_before = purchased;
    }
    Ok(value)
}

/// Totals of one group of customers (a segment, a cluster).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupValue<K> {
    pub group: K,
    pub customers: usize,
    /// Σ P(alive): how many of them the model expects are still customers.
    pub expected_alive: f64,
    pub expected_purchases: f64,
    pub clv: f64,
}

/// Per-group totals, groups in order of first appearance; `groups[i]` is customer i's group.
pub fn totals_by_group<K: PartialEq + Clone>(
    customers: &[CustomerValue],
    groups: &[K],
) -> Vec<GroupValue<K>> {
    let mut totals: Vec<GroupValue<K>> = Vec::new();
    for (customer, group) in customers.iter().zip(groups) {
        let index = match totals.iter().position(|total| total.group == *group) {
            Some(index) => index,
            None => {
                totals.push(GroupValue {
                    group: group.clone(),
                    customers: 0,
                    expected_alive: 0.0,
                    expected_purchases: 0.0,
                    clv: 0.0,
                });
                totals.len() - 1
            }
        };
        let total = &mut totals[index];
        total.customers += 1;
        total.expected_alive += customer.p_alive;
        total.expected_purchases += customer.expected_purchases;
        total.clv += customer.clv;
    }
    totals
}

//! The "Customer value" stage: BG/NBD and Gamma-Gamma ([`crate::core::clv`]) fitted on the
//! run's sample and predicted for every customer, cohort retention ([`crate::core::cohorts`]) and
//! the classic segments' migration from one quarter before the end ([`crate::core::migration`]).
//!
//! Fitting is O(s) per likelihood evaluation (hundreds of evaluations), so it runs on the run's
//! seeded sample like every other costly fit; predicting is a closed form per customer, O(n).
//! Only an aggregated RFM table, which has no purchase dates, has no value stage; a spend model
//! the data cannot identify leaves P(alive) and expected purchases standing and says why.

use serde::{Deserialize, Serialize};

use crate::core::clv::diagnostics::{FrequencyBin, frequency_histogram};
use crate::core::clv::{
    BgNbdFit, ClvError, ClvOptions, CustomerSummary, GammaGammaFit, bgnbd, gamma_gamma, predict,
    summarize,
};
use crate::core::cohorts::{Cohort, cohort_retention};
use crate::core::ingest::Ingested;
use crate::core::migration::{EarlierState, Migration, default_earlier_date, migration};
use crate::core::rfm::{RfmTable, Segment};
use crate::core::sampling::CustomerSample;

/// Bars of the model-vs-data frequency histogram: 0 to 8 repeat purchases and "9 or more", as
/// lifetimes' `plot_period_transactions` draws them.
pub const HISTOGRAM_BINS: u32 = 10;

/// Beyond this a Gamma-Gamma shape parameter (p or q) means the likelihood kept improving
/// towards a point mass: the spread of spend is not identified and neither is the shrinkage the
/// CLV rests on (fits on thin data run off to p, q ≈ 1e15).
pub const MAX_SPEND_SHAPE: f64 = 1e6;

/// [`ValueReport::migration_before`]'s code for a customer who first bought after the earlier
/// date; the other codes index [`Segment::ALL`].
pub const NEW_CUSTOMER: u8 = Segment::ALL.len() as u8;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValueReport {
    pub options: ClvOptions,
    /// Customers in all, and those the models were fitted on (the run's sample above
    /// [`super::PipelineOptions::sample_size`], else everyone).
    pub customers: usize,
    pub fitted_on: usize,
    pub purchases: BgNbdFit,
    /// `None` when the spend model is not identified; `spend_note` says why.
    pub spend: Option<GammaGammaFit>,
    pub spend_note: Option<String>,
    /// Over every customer: observed against expected repeat-purchase counts.
    pub frequency_histogram: Vec<FrequencyBin>,
    pub cohorts: Vec<Cohort>,
    /// Its per-customer list is left empty: `migration_before` holds it as a column.
    pub migration: Option<Migration>,
    pub migration_note: Option<String>,
    /// Per customer, in [`super::Report::customers`] order (moved into
    /// [`super::CustomerColumns`] on the way to the page).
    pub p_alive: Vec<f64>,
    pub expected_purchases: Vec<f64>,
    /// Empty when the spend model is not identified.
    pub clv: Vec<f64>,
    /// The segment at the migration's earlier date: an index into [`Segment::ALL`], or
    /// [`NEW_CUSTOMER`]. Empty without a migration.
    pub migration_before: Vec<u8>,
}

impl ValueReport {
    pub fn is_sampled(&self) -> bool {
        self.fitted_on < self.customers
    }
}

/// Fits on `sample`'s customers (rows of `table`, which is `ingested` scored) and predicts all;
/// the error is the reason, in words, that the data has no customer value.
pub fn customer_value(
    ingested: &Ingested,
    table: &RfmTable,
    sample: &CustomerSample,
    options: &ClvOptions,
) -> Result<ValueReport, String> {
    let snapshot = table
        .snapshot_date
        .filter(|_| {
            ingested
                .customers
                .iter()
                .any(|c| !c.purchase_days.is_empty())
        })
        .ok_or_else(|| ClvError::NoPurchaseHistory.to_string())?;
    let summaries = summarize(&ingested.customers, snapshot).map_err(|e| e.to_string())?;
    if summaries.len() != table.customers.len() {
        return Err(format!(
            "{} of the {} customers have no dated purchase: customer value needs every \
             customer's purchase days",
            table.customers.len() - summaries.len(),
            table.customers.len()
        ));
    }
    let fitted: Vec<CustomerSummary> = if sample.is_everyone() {
        summaries.clone()
    } else {
        sample.rows.iter().map(|&i| summaries[i].clone()).collect()
    };
    let purchases = bgnbd::fit(&fitted).map_err(|e| format!("purchase model: {e}"))?;
    let (mut spend, mut spend_note) = match identified_spend(&fitted) {
        Ok(spend) => (Some(spend), None),
        Err(note) => (None, Some(note)),
    };
    let with_spend = spend
        .as_ref()
        .map(|fit| predict(&summaries, &purchases.params, &fit.params, options));
    let (p_alive, expected_purchases, clv) = match with_spend {
        Some(Ok(values)) if values.iter().all(|v| v.clv.is_finite()) => {
            let mut columns = (Vec::new(), Vec::new(), Vec::new());
            for value in values {
                columns.0.push(value.p_alive);
                columns.1.push(value.expected_purchases);
                columns.2.push(value.clv);
            }
            columns
        }
        outcome => {
            let problem = match outcome {
                Some(Ok(_)) => {
                    Some("the spend model gives an infinite CLV for some customer".into())
                }
                Some(Err(e)) => Some(e.to_string()),
                None => None,
            };
            if problem.is_some() {
                (spend, spend_note) = (None, problem);
            }
            let mut columns = (Vec::new(), Vec::new(), Vec::new());
            for summary in &summaries {
                columns
                    .0
                    .push(bgnbd::probability_alive(&purchases.params, summary));
                columns.1.push(
                    bgnbd::expected_purchases(&purchases.params, summary, options.horizon_days)
                        .map_err(|e| e.to_string())?,
                );
            }
            columns
        }
    };
    if !p_alive
        .iter()
        .chain(&expected_purchases)
        .all(|v| v.is_finite())
    {
        return Err(format!(
            "the purchase model (r {:.4}, alpha {:.4}, a {:.4}, b {:.4}) gives no finite \
             prediction for some customer",
            purchases.params.r, purchases.params.alpha, purchases.params.a, purchases.params.b
        ));
    }
    let frequency_histogram = frequency_histogram(&purchases.params, &summaries, HISTOGRAM_BINS);
    let cohorts = cohort_retention(&ingested.customers).map_err(|e| e.to_string())?;
    let (migration, migration_note, migration_before) = match earlier_date(ingested) {
        Some(date) => match migration(ingested, table, date) {
            Ok(mut found) => {
                let before = std::mem::take(&mut found.customers)
                    .iter()
                    .map(|c| match c.before {
                        EarlierState::Segment(s) => segment_code(s),
                        EarlierState::New => NEW_CUSTOMER,
                    })
                    .collect();
                (Some(found), None, before)
            }
            Err(e) => (None, Some(format!("as of {date}: {e}")), Vec::new()),
        },
        None => (None, Some("the data spans a single day".into()), Vec::new()),
    };
    Ok(ValueReport {
        options: *options,
        customers: summaries.len(),
        fitted_on: fitted.len(),
        purchases,
        spend,
        spend_note,
        frequency_histogram,
        cohorts,
        migration,
        migration_note,
        p_alive,
        expected_purchases,
        clv,
        migration_before,
    })
}

/// The Gamma-Gamma fit if the data identifies it, else the reason for the page.
fn identified_spend(fitted: &[CustomerSummary]) -> Result<GammaGammaFit, String> {
    let fit = gamma_gamma::fit(fitted).map_err(|e| e.to_string())?;
    let params = fit.params;
    let finite = [params.p, params.q, params.gamma]
        .iter()
        .all(|v| v.is_finite() && *v > 0.0);
    if !finite || params.p > MAX_SPEND_SHAPE || params.q > MAX_SPEND_SHAPE {
        return Err(format!(
            "the spend model is not identified on these {} repeat buyers (p = {:e}, q = {:e}): \
             their mean spends do not vary enough to estimate it",
            fit.customers, params.p, params.q
        ));
    }
    if params.q <= 1.0 {
        return Err(ClvError::UnboundedSpend { q: params.q }.to_string());
    }
    Ok(fit)
}

/// The migration's default earlier date, from the data's first and last purchase.
fn earlier_date(ingested: &Ingested) -> Option<chrono::NaiveDate> {
    let report = &ingested.report;
    let (first, last) = (report.first_date?.date(), report.last_date?.date());
    (first < last).then(|| default_earlier_date(first, last))
}

/// A segment's index in [`Segment::ALL`].
pub fn segment_code(segment: Segment) -> u8 {
    Segment::ALL.iter().position(|&s| s == segment).unwrap_or(0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repeat_buyer(frequency: u32, monetary_value: f64) -> CustomerSummary {
        CustomerSummary {
            customer_id: format!("{frequency}-{monetary_value}"),
            frequency,
            recency: 10.0,
            t: 100.0,
            monetary_value,
        }
    }

    #[test]
    fn a_spend_model_without_spread_is_not_identified() {
        // Every repeat buyer spends the same: the likelihood grows without bound as the
        // spend distribution narrows to a point, so p and q run off.
        let same: Vec<CustomerSummary> = (1..40).map(|f| repeat_buyer(f % 5 + 1, 20.0)).collect();
        assert!(identified_spend(&same).is_err());
        let one = [repeat_buyer(2, 20.0), repeat_buyer(0, 0.0)];
        assert_eq!(
            identified_spend(&one).unwrap_err(),
            ClvError::TooFewRepeatBuyers(1).to_string()
        );
    }
}

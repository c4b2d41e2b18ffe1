//! The "Customer value" stage: BG/NBD and Gamma-Gamma ([`crate::core::clv`]) fitted on the
//! run's sample and predicted for every customer, cohort retention ([`crate::core::cohorts`]) and
//! the classic segments' migration from one quarter before the end ([`crate::core::migration`]).
//!
//! Fitting is O(s) per likelihood evaluation (hundreds of evaluations), so it runs on the run's
//! seeded sample like every other costly fit; predicting is a closed form per customer, O(n).
//! Only an aggregated RFM table, which has no purchase dates, has no value stage; a spend model
//! the data cannot identify leaves P(alive) and expected purchases standing and says why.

use chrono::NaiveDate;

use super::Report;
use super::value_report::{
    HISTOGRAM_BINS, HoldoutCheck, MAX_SPEND_SHAPE, NEW_CUSTOMER, ValueReport, segment_code,
};
use crate::core::clv::diagnostics::{frequency_histogram, holdout_comparison};
use crate::core::clv::{
    ClvError, ClvOptions, CustomerSummary, GammaGammaFit, bgnbd, calibration_and_holdout,
    gamma_gamma, predict, summarize,
};
use crate::core::cohorts::cohort_retention;
use crate::core::ingest::{CustomerTotals, Ingested};
use crate::core::migration::{
    EarlierState, cluster_migration, default_earlier_date, earlier_rows, migration_from,
};
use crate::core::rfm::RfmTable;
use crate::core::sampling::CustomerSample;
use crate::core::warehouse::SegmentModel;

/// The earlier date's customers, kept from the stage for the clusters' migration, which needs
/// the variants fitted after it.
pub struct EarlierCustomers {
    table: RfmTable,
    /// Per customer of the end table: revenue after the earlier date.
    revenue_since: Vec<f64>,
}

/// Fits on `sample`'s customers (rows of `table`, which is `ingested` scored) and predicts all;
/// the error is the reason, in words, that the data has no customer value. The migration and
/// the holdout start at `earlier_date` (default: [`default_earlier_date`]).
pub fn customer_value(
    ingested: &Ingested,
    table: &RfmTable,
    sample: &CustomerSample,
    options: &ClvOptions,
    earlier_date: Option<NaiveDate>,
) -> Result<(ValueReport, Option<EarlierCustomers>), String> {
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
    let mut earlier_customers = None;
    let (migration, migration_note, migration_before) =
        match earlier_date_in(ingested, earlier_date) {
            Ok(date) => match RfmTable::as_of(ingested, date) {
                Ok(earlier) => {
                    let mut found = migration_from(ingested, table, &earlier, date);
                    let moved = std::mem::take(&mut found.customers);
                    let before = moved
                        .iter()
                        .map(|c| match c.before {
                            EarlierState::Segment(s) => segment_code(s),
                            EarlierState::New => NEW_CUSTOMER,
                        })
                        .collect();
                    earlier_customers = Some(EarlierCustomers {
                        table: earlier,
                        revenue_since: moved.iter().map(|c| c.revenue_since).collect(),
                    });
                    (Some(found), None, before)
                }
                Err(e) => (None, Some(format!("as of {date}: {e}")), Vec::new()),
            },
            Err(note) => (None, Some(note), Vec::new()),
        };
    let (holdout, holdout_note) = match &migration {
        Some(found) => match holdout_check(ingested, sample, found.earlier_date) {
            Ok(check) => (Some(check), None),
            Err(note) => (None, Some(note)),
        },
        None => (None, migration_note.clone()),
    };
    let report = ValueReport {
        options: *options,
        customers: summaries.len(),
        fitted_on: fitted.len(),
        purchases,
        spend,
        spend_note,
        frequency_histogram,
        cohorts,
        holdout,
        holdout_note,
        migration,
        migration_note,
        cluster_migrations: Vec::new(),
        p_alive,
        expected_purchases,
        clv,
        migration_before,
    };
    Ok((report, earlier_customers))
}

/// Fills [`ValueReport::cluster_migrations`] once the report's variants are fitted: the
/// earlier date's customers assigned by each variant's model. O(n) per variant.
pub fn add_cluster_migrations(report: &mut Report, earlier: &EarlierCustomers, end: &RfmTable) {
    let earlier_raw: Vec<[f64; 3]> = earlier
        .table
        .customers
        .iter()
        .map(|c| [f64::from(c.recency), f64::from(c.frequency), c.monetary])
        .collect();
    let earlier_row = earlier_rows(&earlier.table, end);
    let migrations = report
        .variants
        .iter()
        .filter_map(|variant| {
            let model = SegmentModel::from_report(report, &variant.name).ok()?;
            Some(cluster_migration(
                &model,
                &earlier_raw,
                &earlier_row,
                &variant.labels,
                &earlier.revenue_since,
            ))
        })
        .collect();
    if let Some(value) = report.value.as_mut() {
        value.cluster_migrations = migrations;
    }
}

/// BG/NBD refitted on the sample's purchases up to `calibration_end`, against their purchases
/// after it up to the last purchase.
fn holdout_check(
    ingested: &Ingested,
    sample: &CustomerSample,
    calibration_end: NaiveDate,
) -> Result<HoldoutCheck, String> {
    let last = ingested
        .report
        .last_date
        .ok_or("the data has no purchase dates")?
        .date();
    let sampled: Vec<CustomerTotals>;
    let fitted: &[CustomerTotals] = if sample.is_everyone() {
        &ingested.customers
    } else {
        sampled = sample
            .rows
            .iter()
            .map(|&i| ingested.customers[i].clone())
            .collect();
        &sampled
    };
    let split =
        calibration_and_holdout(fitted, calibration_end, last).map_err(|e| e.to_string())?;
    let calibration: Vec<CustomerSummary> = split.iter().map(|c| c.calibration.clone()).collect();
    let purchases = bgnbd::fit(&calibration).map_err(|e| format!("calibration fit: {e}"))?;
    let holdout_days = (last - calibration_end).num_days() as f64;
    let bins = holdout_comparison(&purchases.params, &split, holdout_days, HISTOGRAM_BINS)
        .map_err(|e| e.to_string())?;
    Ok(HoldoutCheck {
        calibration_end,
        holdout_days,
        purchases,
        bins,
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

/// The migration's earlier date: `chosen`, which must fall between the data's first and last
/// purchase, or the default from them; the error is why there is none.
fn earlier_date_in(ingested: &Ingested, chosen: Option<NaiveDate>) -> Result<NaiveDate, String> {
    let report = &ingested.report;
    let (Some(first), Some(last)) = (report.first_date, report.last_date) else {
        return Err("the data has no purchase dates".into());
    };
    let (first, last) = (first.date(), last.date());
    if first >= last {
        return Err("the data spans a single day".into());
    }
    match chosen {
        None => Ok(default_earlier_date(first, last)),
        Some(date) if first <= date && date < last => Ok(date),
        Some(date) => Err(format!(
            "the chosen date {date} is not within the data's purchases ({first} to the day \
             before {last})"
        )),
    }
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

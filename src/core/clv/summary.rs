//! Per-customer repeat-purchase statistics from the purchase days, in days, exactly as
//! `lifetimes.utils.summary_data_from_transaction_data(freq="D")` computes them: a purchase
//! occasion is a calendar day; frequency = purchase days − 1; recency = last − first purchase
//! day; T = observation end − first purchase day; monetary value = the mean amount of the
//! repeat purchase days (the first day left out, 0 without repeats).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{ClvError, CustomerSummary};
use crate::core::ingest::{CustomerTotals, PurchaseDay};

/// The summaries of every customer who bought on or before `observation_end`, counting only
/// those purchases. For the whole file the observation end is the snapshot date (the day
/// after the last purchase), so T counts to the same day as RFM's recency.
pub fn summarize(
    customers: &[CustomerTotals],
    observation_end: NaiveDate,
) -> Result<Vec<CustomerSummary>, ClvError> {
    require_history(customers)?;
    Ok(customers
        .iter()
        .filter_map(|customer| summary_until(customer, observation_end))
        .collect())
}

fn require_history(customers: &[CustomerTotals]) -> Result<(), ClvError> {
    if customers.iter().all(|c| c.purchase_days.is_empty()) {
        return Err(ClvError::NoPurchaseHistory);
    }
    Ok(())
}

fn summary_until(customer: &CustomerTotals, end: NaiveDate) -> Option<CustomerSummary> {
    let days: Vec<&PurchaseDay> = customer
        .purchase_days
        .iter()
        .take_while(|purchase| purchase.day <= end)
        .collect();
    let (first, last) = (days.first()?.day, days.last()?.day);
    let repeats = &days[1..];
    let monetary_value = if repeats.is_empty() {
        0.0
    } else {
        repeats.iter().map(|purchase| purchase.amount).sum::<f64>() / repeats.len() as f64
    };
    Some(CustomerSummary {
        customer_id: customer.customer_id.clone(),
        frequency: repeats.len() as u32,
        recency: (last - first).num_days() as f64,
        t: (end - first).num_days() as f64,
        monetary_value,
    })
}

/// A customer's calibration summary and what they bought in the holdout period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationHoldout {
    pub calibration: CustomerSummary,
    /// Purchase days in (calibration end, observation end].
    pub holdout_frequency: u32,
    pub holdout_revenue: f64,
}

/// The split of `lifetimes.utils.calibration_and_holdout_data(freq="D")`: customers whose first
/// purchase is on or before `calibration_end` (inclusive), summarised up to it; their purchase
/// days after it and up to `observation_end` form the holdout, which lasts
/// `observation_end − calibration_end` days.
pub fn calibration_and_holdout(
    customers: &[CustomerTotals],
    calibration_end: NaiveDate,
    observation_end: NaiveDate,
) -> Result<Vec<CalibrationHoldout>, ClvError> {
    require_history(customers)?;
    if calibration_end >= observation_end {
        return Err(ClvError::EmptyHoldout {
            calibration_end,
            observation_end,
        });
    }
    Ok(customers
        .iter()
        .filter_map(|customer| {
            let calibration = summary_until(customer, calibration_end)?;
            let holdout = customer.purchase_days.iter().filter(|purchase| {
                purchase.day > calibration_end && purchase.day <= observation_end
            });
            let (days, revenue) = holdout.fold((0, 0.0), |(n, sum), p| (n + 1, sum + p.amount));
            Some(CalibrationHoldout {
                calibration,
                holdout_frequency: days,
                holdout_revenue: revenue,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn customer(id: &str, days: &[(&str, f64)]) -> CustomerTotals {
        CustomerTotals {
            customer_id: id.into(),
            last_purchase: None,
            recency: 0,
            frequency: days.len() as u32,
            monetary: days.iter().map(|d| d.1).sum(),
            purchase_days: days
                .iter()
                .map(|&(text, amount)| PurchaseDay {
                    day: day(text),
                    amount,
                    occasions: 1,
                })
                .collect(),
        }
    }

    #[test]
    fn counts_days_and_leaves_the_first_purchase_out_of_the_mean() {
        let customers = [
            customer(
                "a",
                &[
                    ("2010-01-01", 10.0),
                    ("2010-01-05", 20.0),
                    ("2010-01-11", 40.0),
                ],
            ),
            customer("b", &[("2010-01-10", 5.0)]),
            customer("late", &[("2010-03-01", 5.0)]),
        ];
        let summaries = summarize(&customers, day("2010-02-01")).unwrap();
        assert_eq!(
            summaries.len(),
            2,
            "a customer who first bought later is left out"
        );
        let a = &summaries[0];
        assert_eq!(
            (a.frequency, a.recency, a.t, a.monetary_value),
            (2, 10.0, 31.0, 30.0)
        );
        let b = &summaries[1];
        assert_eq!(
            (b.frequency, b.recency, b.t, b.monetary_value),
            (0, 0.0, 22.0, 0.0)
        );

        let split =
            calibration_and_holdout(&customers, day("2010-01-05"), day("2010-02-01")).unwrap();
        assert_eq!(split.len(), 1);
        assert_eq!(split[0].calibration.frequency, 1);
        assert_eq!(split[0].calibration.t, 4.0);
        assert_eq!(
            (split[0].holdout_frequency, split[0].holdout_revenue),
            (1, 40.0)
        );
        assert!(matches!(
            calibration_and_holdout(&customers, day("2010-02-01"), day("2010-02-01")),
            Err(ClvError::EmptyHoldout { .. })
        ));
    }

    #[test]
    fn an_aggregated_table_has_no_history() {
        let totals = [customer("a", &[])];
        assert_eq!(
            summarize(&totals, day("2010-01-01")),
            Err(ClvError::NoPurchaseHistory)
        );
    }
}

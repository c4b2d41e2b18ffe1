//! Cohort retention: customers grouped by the calendar month of their first purchase, and for
//! each month since, how many of them bought in that month and what they spent.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::core::ingest::CustomerTotals;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cohort {
    /// First-purchase month, "YYYY-MM".
    pub month: String,
    pub customers: usize,
    /// Index k: months since the first purchase (k = 0 is the first month, always everyone),
    /// up to the data's last month.
    pub active_customers: Vec<usize>,
    /// `active_customers[k] / customers`.
    pub retention: Vec<f64>,
    pub revenue: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CohortError {
    #[error("the data has no purchase dates (an aggregated RFM table): cohorts need transactions")]
    NoPurchaseHistory,
}

fn month_index(day: NaiveDate) -> i32 {
    day.year() * 12 + day.month0() as i32
}

/// Cohorts in month order.
pub fn cohort_retention(customers: &[CustomerTotals]) -> Result<Vec<Cohort>, CohortError> {
    let last_month = customers
        .iter()
        .filter_map(|c| c.purchase_days.last())
        .map(|purchase| month_index(purchase.day))
        .max()
        .ok_or(CohortError::NoPurchaseHistory)?;
    let mut cohorts: Vec<(i32, Cohort)> = Vec::new();
    for customer in customers {
        let Some(first) = customer.purchase_days.first() else {
            continue;
        };
        let first_month = month_index(first.day);
        let position = match cohorts.binary_search_by_key(&first_month, |(month, _)| *month) {
            Ok(position) => position,
            Err(position) => {
                let months = (last_month - first_month + 1) as usize;
                let cohort = Cohort {
                    month: format!("{}-{:02}", first.day.year(), first.day.month()),
                    customers: 0,
                    active_customers: vec![0; months],
                    retention: Vec::new(),
                    revenue: vec![0.0; months],
                };
                cohorts.insert(position, (first_month, cohort));
                position
            }
        };
        let cohort = &mut cohorts[position].1;
        cohort.customers += 1;
        let mut counted_month = None;
        for purchase in &customer.purchase_days {
            let since = (month_index(purchase.day) - first_month) as usize;
            cohort.revenue[since] += purchase.amount;
            if counted_month != Some(since) {
                cohort.active_customers[since] += 1;
                counted_month = Some(since);
            }
        }
    }
    Ok(cohorts
        .into_iter()
        .map(|(_, mut cohort)| {
            let size = cohort.customers as f64;
            cohort.retention = cohort
                .active_customers
                .iter()
                .map(|&active| active as f64 / size)
                .collect();
            cohort
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ingest::PurchaseDay;

    fn customer(days: &[(&str, f64)]) -> CustomerTotals {
        CustomerTotals {
            customer_id: "c".into(),
            last_purchase: None,
            recency: 0,
            frequency: 0,
            monetary: 0.0,
            purchase_days: days
                .iter()
                .map(|&(day, amount)| PurchaseDay {
                    day: day.parse().unwrap(),
                    amount,
                    occasions: 1,
                })
                .collect(),
        }
    }

    #[test]
    fn hand_counted_cohorts() {
        let customers = [
            customer(&[
                ("2010-01-05", 10.0),
                ("2010-01-20", 5.0),
                ("2010-03-01", 7.0),
            ]),
            customer(&[("2010-01-31", 3.0), ("2010-02-01", 4.0)]),
            customer(&[("2010-02-14", 8.0)]),
            customer(&[]),
        ];
        let cohorts = cohort_retention(&customers).unwrap();
        assert_eq!(cohorts.len(), 2);
        let january = &cohorts[0];
        assert_eq!((january.month.as_str(), january.customers), ("2010-01", 2));
        assert_eq!(january.active_customers, [2, 1, 1]);
        assert_eq!(january.retention, [1.0, 0.5, 0.5]);
        assert_eq!(january.revenue, [18.0, 4.0, 7.0]);
        let february = &cohorts[1];
        assert_eq!(february.active_customers, [1, 0]);
        assert_eq!(february.revenue, [8.0, 0.0]);
        assert_eq!(
            cohort_retention(&[customer(&[])]),
            Err(CohortError::NoPurchaseHistory)
        );
    }
}

//! Segment migration between an earlier date and the end of the data: each customer's classic
//! segment as of the earlier date (RFM from the purchases up to it, [`RfmTable::as_of`]) against
//! their segment at the end, as a transition matrix with customer counts and the revenue they
//! brought after the earlier date. Customers who first bought after it form their own "new" row;
//! each row also counts its lost customers, those who bought nothing after the earlier date.
//! Every customer of the earlier date is still in the end table, so a row's counts add up to
//! that segment's size at the earlier date.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::core::ingest::Ingested;
use crate::core::rfm::{RfmError, RfmTable, Segment};
use crate::core::warehouse::SegmentModel;

/// Where a customer stood at the earlier date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EarlierState {
    Segment(Segment),
    /// First purchase after the earlier date.
    New,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MigrationRow {
    pub from: EarlierState,
    pub customers: usize,
    /// Per end segment, in [`Segment::ALL`] order.
    pub to_customers: Vec<usize>,
    /// Revenue after the earlier date, per end segment.
    pub to_revenue: Vec<f64>,
    /// Customers of the row who bought nothing after the earlier date.
    pub lost: usize,
}

/// One customer's before and after, for the download.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerMigration {
    pub customer_id: String,
    pub before: EarlierState,
    pub after: Segment,
    pub revenue_since: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Migration {
    pub earlier_date: NaiveDate,
    /// The earlier date's segments in [`Segment::ALL`] order, then the new customers.
    pub rows: Vec<MigrationRow>,
    pub customers: Vec<CustomerMigration>,
}

/// The default earlier date: a quarter (91 days) before the last purchase, or the data's
/// midpoint when it spans less than two quarters.
pub fn default_earlier_date(first: NaiveDate, last: NaiveDate) -> NaiveDate {
    let span = (last - first).num_days();
    if span >= 2 * 91 {
        last - chrono::Days::new(91)
    } else {
        first + chrono::Days::new((span / 2) as u64)
    }
}

/// Migration from `earlier_date` to the end of `ingested`, whose end table is `end`.
pub fn migration(
    ingested: &Ingested,
    end: &RfmTable,
    earlier_date: NaiveDate,
) -> Result<Migration, RfmError> {
    let earlier = RfmTable::as_of(ingested, earlier_date)?;
    Ok(migration_from(ingested, end, &earlier, earlier_date))
}

/// [`migration`] from the earlier date's table, `RfmTable::as_of(ingested, earlier_date)`.
pub fn migration_from(
    ingested: &Ingested,
    end: &RfmTable,
    earlier: &RfmTable,
    earlier_date: NaiveDate,
) -> Migration {
    let before: HashMap<&str, Segment> = earlier
        .customers
        .iter()
        .map(|c| (c.customer_id.as_str(), c.segment))
        .collect();
    let states: Vec<EarlierState> = Segment::ALL
        .iter()
        .map(|&s| EarlierState::Segment(s))
        .chain([EarlierState::New])
        .collect();
    let mut rows: Vec<MigrationRow> = states
        .iter()
        .map(|&from| MigrationRow {
            from,
            customers: 0,
            to_customers: vec![0; Segment::ALL.len()],
            to_revenue: vec![0.0; Segment::ALL.len()],
            lost: 0,
        })
        .collect();
    let mut customers = Vec::with_capacity(end.customers.len());
    for (totals, after) in ingested.customers.iter().zip(&end.customers) {
        let from = before
            .get(totals.customer_id.as_str())
            .map_or(EarlierState::New, |&s| EarlierState::Segment(s));
        let revenue_since: f64 = totals
            .purchase_days
            .iter()
            .filter(|p| p.day > earlier_date)
            .map(|p| p.amount)
            .sum();
        let bought_since = totals.purchase_days.iter().any(|p| p.day > earlier_date);
        let row = &mut rows[states
            .iter()
            .position(|&s| s == from)
            .unwrap_or(states.len() - 1)];
        let column = Segment::ALL
            .iter()
            .position(|&s| s == after.segment)
            .unwrap_or(0);
        row.customers += 1;
        row.to_customers[column] += 1;
        row.to_revenue[column] += revenue_since;
        row.lost += usize::from(!bought_since);
        customers.push(CustomerMigration {
            customer_id: totals.customer_id.clone(),
            before: from,
            after: after.segment,
            revenue_since,
        });
    }
    Migration {
        earlier_date,
        rows,
        customers,
    }
}

/// One variant's clusters at the earlier date (rows; the last row is the new customers)
/// against its clusters at the end (columns), the earlier date's customers assigned by the
/// model fitted at the end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterMigration {
    pub variant: String,
    pub to_customers: Vec<Vec<usize>>,
    /// Revenue after the earlier date.
    pub to_revenue: Vec<Vec<f64>>,
}

/// Where each customer of the end table `end` was in the `earlier` table (`None`: new since).
pub fn earlier_rows(earlier: &RfmTable, end: &RfmTable) -> Vec<Option<usize>> {
    let row_of: HashMap<&str, usize> = earlier
        .customers
        .iter()
        .enumerate()
        .map(|(row, c)| (c.customer_id.as_str(), row))
        .collect();
    end.customers
        .iter()
        .map(|c| row_of.get(c.customer_id.as_str()).copied())
        .collect()
}

/// `model`'s migration: `earlier_raw` the earlier table's (recency, frequency, monetary),
/// `earlier_row`, `end_labels` and `revenue_since` per customer of the end table.
pub fn cluster_migration(
    model: &SegmentModel,
    earlier_raw: &[[f64; 3]],
    earlier_row: &[Option<usize>],
    end_labels: &[usize],
    revenue_since: &[f64],
) -> ClusterMigration {
    let k = model.rule.clusters();
    let before = model.assign(earlier_raw);
    let mut to_customers = vec![vec![0; k]; k + 1];
    let mut to_revenue = vec![vec![0.0; k]; k + 1];
    for ((row, &after), &revenue) in earlier_row.iter().zip(end_labels).zip(revenue_since) {
        let from = row.map_or(k, |row| before[row]);
        to_customers[from][after] += 1;
        to_revenue[from][after] += revenue;
    }
    ClusterMigration {
        variant: model.variant.clone(),
        to_customers,
        to_revenue,
    }
}

//! RFM per customer: recency, frequency, monetary, quintile scores and the classic segments.

use std::ops::RangeInclusive;

use chrono::NaiveDate;
use ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::core::ingest::{CustomerTotals, Ingested};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Segment {
    Champions,
    Loyal,
    PotentialLoyalist,
    New,
    Promising,
    NeedAttention,
    AboutToSleep,
    AtRisk,
    CantLoseThem,
    Hibernating,
    Lost,
}

impl Segment {
    pub const ALL: [Segment; 11] = [
        Segment::Champions,
        Segment::Loyal,
        Segment::PotentialLoyalist,
        Segment::New,
        Segment::Promising,
        Segment::NeedAttention,
        Segment::AboutToSleep,
        Segment::AtRisk,
        Segment::CantLoseThem,
        Segment::Hibernating,
        Segment::Lost,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Segment::Champions => "Champions",
            Segment::Loyal => "Loyal",
            Segment::PotentialLoyalist => "Potential Loyalist",
            Segment::New => "New",
            Segment::Promising => "Promising",
            Segment::NeedAttention => "Need Attention",
            Segment::AboutToSleep => "About to Sleep",
            Segment::AtRisk => "At Risk",
            Segment::CantLoseThem => "Can't Lose Them",
            Segment::Hibernating => "Hibernating",
            Segment::Lost => "Lost",
        }
    }

    /// The segment [`Segment::name`] names.
    pub fn from_name(name: &str) -> Option<Segment> {
        Segment::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// One box of the score cube that belongs to a segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SegmentRule {
    pub segment: Segment,
    pub r: RangeInclusive<u8>,
    pub f: RangeInclusive<u8>,
    pub m: RangeInclusive<u8>,
}

const fn rule(segment: Segment, r: (u8, u8), f: (u8, u8), m: (u8, u8)) -> SegmentRule {
    SegmentRule {
        segment,
        r: r.0..=r.1,
        f: f.0..=f.1,
        m: m.0..=m.1,
    }
}

/// The segment table, shown to the user as is. It is the widely used recency x frequency grid
/// (Champions = R5 F4-5, Loyal = R3-4 F4-5, ...) with its bottom corner split by spend: of the
/// customers who are both long gone and rare buyers (R1-2 F1-2), those with R1 and M1-2 are
/// Lost, the others Hibernating. The boxes tile the 5x5x5 cube exactly once (tested).
pub const SEGMENT_RULES: [SegmentRule; 12] = [
    rule(Segment::Champions, (5, 5), (4, 5), (1, 5)),
    rule(Segment::Loyal, (3, 4), (4, 5), (1, 5)),
    rule(Segment::PotentialLoyalist, (4, 5), (2, 3), (1, 5)),
    rule(Segment::New, (5, 5), (1, 1), (1, 5)),
    rule(Segment::Promising, (4, 4), (1, 1), (1, 5)),
    rule(Segment::NeedAttention, (3, 3), (3, 3), (1, 5)),
    rule(Segment::AboutToSleep, (3, 3), (1, 2), (1, 5)),
    rule(Segment::AtRisk, (1, 2), (3, 4), (1, 5)),
    rule(Segment::CantLoseThem, (1, 2), (5, 5), (1, 5)),
    rule(Segment::Hibernating, (2, 2), (1, 2), (1, 5)),
    rule(Segment::Hibernating, (1, 1), (1, 2), (3, 5)),
    rule(Segment::Lost, (1, 1), (1, 2), (1, 2)),
];

/// The segment of a score triple (each 1..=5); `None` only for scores outside 1..=5.
pub fn segment_of(r: u8, f: u8, m: u8) -> Option<Segment> {
    SEGMENT_RULES
        .iter()
        .find(|rule| rule.r.contains(&r) && rule.f.contains(&f) && rule.m.contains(&m))
        .map(|rule| rule.segment)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerRfm {
    pub customer_id: String,
    /// Calendar days from the last purchase to the snapshot date.
    pub recency: u32,
    /// Distinct invoices (purchase occasions).
    pub frequency: u32,
    pub monetary: f64,
    /// 5 = most recent quintile.
    pub r_score: u8,
    pub f_score: u8,
    pub m_score: u8,
    pub segment: Segment,
}

impl CustomerRfm {
    /// The classic three-digit code, e.g. "545".
    pub fn rfm_code(&self) -> String {
        format!("{}{}{}", self.r_score, self.f_score, self.m_score)
    }

    pub fn score_sum(&self) -> u8 {
        self.r_score + self.f_score + self.m_score
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RfmError {
    #[error("only {0} customer(s) after cleaning: quintile scores need at least 2")]
    TooFewCustomers(usize),
    #[error("the snapshot date {snapshot} is not after the last purchase ({last})")]
    SnapshotTooEarly {
        snapshot: NaiveDate,
        last: NaiveDate,
    },
    #[error("a snapshot date needs transactions; an aggregated RFM table has its recency fixed")]
    SnapshotWithoutDates,
}

#[derive(Debug, Clone, Serialize)]
pub struct RfmTable {
    /// In the order of the ingested customers (by id).
    pub customers: Vec<CustomerRfm>,
    /// `None` for an aggregated RFM table.
    pub snapshot_date: Option<NaiveDate>,
}

impl RfmTable {
    /// Scores the ingested customers. `snapshot` overrides the default (day after the last
    /// purchase in the file); recency is then counted to it.
    pub fn from_ingested(
        ingested: &Ingested,
        snapshot: Option<NaiveDate>,
    ) -> Result<RfmTable, RfmError> {
        let customers = &ingested.customers;
        if customers.len() < 2 {
            return Err(RfmError::TooFewCustomers(customers.len()));
        }
        let recency: Vec<u32> = match snapshot {
            None => customers.iter().map(|customer| customer.recency).collect(),
            Some(snapshot) => {
                let last_dates: Option<Vec<NaiveDate>> =
                    customers.iter().map(|c| c.last_purchase).collect();
                let last_dates = last_dates.ok_or(RfmError::SnapshotWithoutDates)?;
                let last = last_dates.iter().max().copied().unwrap_or(snapshot);
                if snapshot <= last {
                    return Err(RfmError::SnapshotTooEarly { snapshot, last });
                }
                last_dates
                    .iter()
                    .map(|&date| (snapshot - date).num_days() as u32)
                    .collect()
            }
        };
        let snapshot_date = snapshot.or(ingested.report.snapshot_date);
        Ok(scored(customers, &recency, snapshot_date))
    }

    /// The table as it stood at the end of `date`: only the purchases on or before it, recency
    /// counted to the day after. Customers who had not bought yet are left out.
    pub fn as_of(ingested: &Ingested, date: NaiveDate) -> Result<RfmTable, RfmError> {
        if ingested
            .customers
            .iter()
            .all(|c| c.purchase_days.is_empty())
        {
            return Err(RfmError::SnapshotWithoutDates);
        }
        let snapshot = date + chrono::Days::new(1);
        let customers: Vec<CustomerTotals> = ingested
            .customers
            .iter()
            .filter_map(|customer| {
                let days = customer.purchase_days.iter().take_while(|p| p.day <= date);
                let last = days.clone().last()?.day;
                Some(CustomerTotals {
                    customer_id: customer.customer_id.clone(),
                    last_purchase: Some(last),
                    recency: (snapshot - last).num_days() as u32,
                    frequency: days.clone().map(|p| p.occasions).sum(),
                    monetary: days.map(|p| p.amount).sum(),
                    purchase_days: Vec::new(),
                })
            })
            .collect();
        if customers.len() < 2 {
            return Err(RfmError::TooFewCustomers(customers.len()));
        }
        let recency: Vec<u32> = customers.iter().map(|c| c.recency).collect();
        Ok(scored(&customers, &recency, Some(snapshot)))
    }

    /// n x 3 matrix of (recency, frequency, monetary) for the modelling stages.
    pub fn features(&self) -> Array2<f64> {
        Array2::from_shape_fn((self.customers.len(), 3), |(row, column)| {
            let customer = &self.customers[row];
            match column {
                0 => f64::from(customer.recency),
                1 => f64::from(customer.frequency),
                _ => customer.monetary,
            }
        })
    }

    /// How many customers fall in each segment, in [`Segment::ALL`] order.
    pub fn segment_counts(&self) -> Vec<(Segment, usize)> {
        Segment::ALL
            .iter()
            .map(|&segment| {
                (
                    segment,
                    self.customers
                        .iter()
                        .filter(|c| c.segment == segment)
                        .count(),
                )
            })
            .collect()
    }
}

/// Quintile scores and segments of the customers, with their recency to the snapshot.
fn scored(
    customers: &[CustomerTotals],
    recency: &[u32],
    snapshot_date: Option<NaiveDate>,
) -> RfmTable {
    let frequency: Vec<f64> = customers.iter().map(|c| f64::from(c.frequency)).collect();
    let monetary: Vec<f64> = customers.iter().map(|c| c.monetary).collect();
    let recency_values: Vec<f64> = recency.iter().map(|&days| f64::from(days)).collect();
    let r_bins = quintile_bins(&recency_values);
    let f_bins = quintile_bins(&frequency);
    let m_bins = quintile_bins(&monetary);
    let rows = customers
        .iter()
        .enumerate()
        .map(|(i, customer)| {
            let (r_score, f_score, m_score) = (5 - r_bins[i], f_bins[i] + 1, m_bins[i] + 1);
            CustomerRfm {
                customer_id: customer.customer_id.clone(),
                recency: recency[i],
                frequency: customer.frequency,
                monetary: customer.monetary,
                r_score,
                f_score,
                m_score,
                segment: segment_of(r_score, f_score, m_score).unwrap_or(Segment::Hibernating),
            }
        })
        .collect();
    RfmTable {
        customers: rows,
        snapshot_date,
    }
}

/// Quintile bin 0..=4 of each value, exactly as
/// `pd.qcut(values.rank(method="first"), 5, labels=False)`: ties are ranked in table order,
/// and the bin edges are numpy's linear quantiles of the ranks, reproduced operation by
/// operation so that borderline ranks fall on the same side as in pandas.
pub fn quintile_bins(values: &[f64]) -> Vec<u8> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]).then(a.cmp(&b)));
    let edges = rank_quintile_edges(values.len());
    let mut bins = vec![0; values.len()];
    for (position, &index) in order.iter().enumerate() {
        let rank = (position + 1) as f64;
        // searchsorted(edges, rank, side="left"), with rank == edges[0] counted in the first bin
        let below = edges.iter().filter(|&&edge| edge < rank).count().max(1);
        bins[index] = (below - 1) as u8;
    }
    bins
}

/// `Series(1..=n).quantile(q)` for pandas' qcut quantiles `linspace(0, 1, 6)`, where pandas
/// nudges each quantile whose product with 5 is not exact up by one ulp.
fn rank_quintile_edges(n: usize) -> [f64; 6] {
    let count = n as f64;
    std::array::from_fn(|k| {
        let mut q = if k == 5 { 1.0 } else { k as f64 * 0.2 };
        if 5.0 * q != k as f64 {
            q = q.next_up();
        }
        // numpy `_compute_virtual_index` with alpha = beta = 1 (method "linear"):
        // n*q + (alpha + q*(1 - alpha - beta)) - 1, where 1 + q*(-1) is exactly 1 - q
        let virtual_index = count * q + (1.0 - q) - 1.0;
        if virtual_index >= count - 1.0 {
            return count;
        }
        let previous = virtual_index.floor().max(0.0);
        let t = virtual_index - previous;
        let (a, b) = (previous + 1.0, previous + 2.0);
        let difference = b - a;
        if t >= 0.5 {
            b - difference * (1.0 - t)
        } else {
            a + difference * t
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_score_triple_has_exactly_one_segment() {
        for r in 1..=5u8 {
            for f in 1..=5u8 {
                for m in 1..=5u8 {
                    let matching = SEGMENT_RULES
                        .iter()
                        .filter(|rule| {
                            rule.r.contains(&r) && rule.f.contains(&f) && rule.m.contains(&m)
                        })
                        .count();
                    assert_eq!(matching, 1, "({r},{f},{m})");
                }
            }
        }
        assert!(
            Segment::ALL
                .iter()
                .all(|segment| SEGMENT_RULES.iter().any(|rule| rule.segment == *segment))
        );
        assert_eq!(segment_of(5, 5, 5), Some(Segment::Champions));
        assert_eq!(segment_of(1, 1, 1), Some(Segment::Lost));
        assert_eq!(segment_of(0, 1, 1), None);
    }

    #[test]
    fn quintiles_of_ten_distinct_values_are_pairs() {
        let values: Vec<f64> = (0..10).map(|v| f64::from(v) * 1.5).rev().collect();
        assert_eq!(quintile_bins(&values), [4, 4, 3, 3, 2, 2, 1, 1, 0, 0]);
    }
}

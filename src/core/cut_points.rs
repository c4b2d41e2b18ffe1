//! The quintile thresholds behind the R, F and M scores, shown beside the classic segments,
//! and custom breaks that rescore the table (the R `rfm` package's visible, editable bins).
//!
//! Quintile scores rank values with ties in table order (see [`crate::core::rfm::quintile_bins`]),
//! so one value can sit in two neighbouring scores; each score's range is the smallest and
//! largest value it holds. Custom breaks are four ascending upper bounds: for F and M a value
//! up to the first break scores 1, above the fourth 5; for R (fewer days is better) a recency
//! up to the first break scores 5, above the fourth 1.

use serde::{Deserialize, Serialize};

use crate::core::rfm::{CustomerRfm, RfmTable, segment_of};

/// The values one score holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreRange {
    pub score: u8,
    pub customers: usize,
    /// `None` for a score no customer has.
    pub min: Option<f64>,
    pub max: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CutPoints {
    /// Scores 1..=5 in order, for each measure.
    pub recency: Vec<ScoreRange>,
    pub frequency: Vec<ScoreRange>,
    pub monetary: Vec<ScoreRange>,
}

fn ranges(
    table: &RfmTable,
    value: fn(&CustomerRfm) -> f64,
    score: fn(&CustomerRfm) -> u8,
) -> Vec<ScoreRange> {
    (1..=5u8)
        .map(|s| {
            let values: Vec<f64> = table
                .customers
                .iter()
                .filter(|c| score(c) == s)
                .map(value)
                .collect();
            ScoreRange {
                score: s,
                customers: values.len(),
                min: values.iter().copied().reduce(f64::min),
                max: values.iter().copied().reduce(f64::max),
            }
        })
        .collect()
}

/// The value range of every score of the table.
pub fn cut_points(table: &RfmTable) -> CutPoints {
    CutPoints {
        recency: ranges(table, |c| f64::from(c.recency), |c| c.r_score),
        frequency: ranges(table, |c| f64::from(c.frequency), |c| c.f_score),
        monetary: ranges(table, |c| c.monetary, |c| c.m_score),
    }
}

/// Four ascending upper bounds per measure (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CustomBreaks {
    pub recency: [f64; 4],
    pub frequency: [f64; 4],
    pub monetary: [f64; 4],
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BreaksError {
    #[error("the {measure} breaks must be ascending numbers (got {breaks:?})")]
    NotAscending {
        measure: &'static str,
        breaks: [f64; 4],
    },
    #[error(
        "the table has a score with no customers, so the {measure} quintile bounds are incomplete"
    )]
    EmptyScore { measure: &'static str },
}

impl CustomBreaks {
    /// The breaks the quintiles use: each score's largest value (for recency the largest of
    /// scores 5, 4, 3, 2). Rescoring with them gives the quintile scores back, except for
    /// customers who share a value with the next score's first customer.
    pub fn from_cut_points(cut_points: &CutPoints) -> Result<CustomBreaks, BreaksError> {
        let upper = |ranges: &[ScoreRange], order: [usize; 4], measure| {
            let mut breaks = [0.0; 4];
            for (slot, index) in breaks.iter_mut().zip(order) {
                *slot = ranges[index]
                    .max
                    .ok_or(BreaksError::EmptyScore { measure })?;
            }
            Ok(breaks)
        };
        Ok(CustomBreaks {
            recency: upper(&cut_points.recency, [4, 3, 2, 1], "recency")?,
            frequency: upper(&cut_points.frequency, [0, 1, 2, 3], "frequency")?,
            monetary: upper(&cut_points.monetary, [0, 1, 2, 3], "monetary")?,
        })
    }

    fn validate(&self) -> Result<(), BreaksError> {
        for (measure, breaks) in [
            ("recency", self.recency),
            ("frequency", self.frequency),
            ("monetary", self.monetary),
        ] {
            let ascending = breaks.iter().all(|b| b.is_finite())
                && breaks.windows(2).all(|pair| pair[0] < pair[1]);
            if !ascending {
                return Err(BreaksError::NotAscending { measure, breaks });
            }
        }
        Ok(())
    }
}

/// 1 + how many breaks the value is above.
fn bin(value: f64, breaks: &[f64; 4]) -> u8 {
    1 + breaks.iter().filter(|&&b| value > b).count() as u8
}

/// The table scored with custom breaks, segments recomputed.
pub fn rescore(table: &RfmTable, breaks: &CustomBreaks) -> Result<RfmTable, BreaksError> {
    breaks.validate()?;
    let customers = table
        .customers
        .iter()
        .map(|c| {
            let r_score = 6 - bin(f64::from(c.recency), &breaks.recency);
            let f_score = bin(f64::from(c.frequency), &breaks.frequency);
            let m_score = bin(c.monetary, &breaks.monetary);
            CustomerRfm {
                r_score,
                f_score,
                m_score,
                segment: segment_of(r_score, f_score, m_score).unwrap_or(c.segment),
                ..c.clone()
            }
        })
        .collect();
    Ok(RfmTable {
        customers,
        snapshot_date: table.snapshot_date,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::rfm::{Segment, quintile_bins};

    /// A table scored as `RfmTable::from_ingested` scores it.
    fn table(rows: &[(u32, u32, f64)]) -> RfmTable {
        let column = |f: fn(&(u32, u32, f64)) -> f64| -> Vec<u8> {
            quintile_bins(&rows.iter().map(f).collect::<Vec<_>>())
        };
        let (r, f, m) = (
            column(|x| f64::from(x.0)),
            column(|x| f64::from(x.1)),
            column(|x| x.2),
        );
        let customers = rows
            .iter()
            .enumerate()
            .map(|(i, &(recency, frequency, monetary))| {
                let (r_score, f_score, m_score) = (5 - r[i], f[i] + 1, m[i] + 1);
                CustomerRfm {
                    customer_id: i.to_string(),
                    recency,
                    frequency,
                    monetary,
                    r_score,
                    f_score,
                    m_score,
                    segment: segment_of(r_score, f_score, m_score).unwrap(),
                }
            })
            .collect();
        RfmTable {
            customers,
            snapshot_date: None,
        }
    }

    #[test]
    fn quintile_breaks_give_the_scores_back_when_values_are_distinct() {
        let rows: Vec<(u32, u32, f64)> = (0..20u32)
            .map(|i| {
                (
                    (i * 7) % 20 + 1,
                    (i * 3) % 20 + 1,
                    f64::from((i * 11) % 20) * 10.0 + 5.0,
                )
            })
            .collect();
        let quintiles = table(&rows);
        let points = cut_points(&quintiles);
        assert!(points.recency.iter().all(|range| range.customers == 4));
        // R5 holds the 4 most recent (1..=4 days), F1 the 4 rarest (1..=4 purchases).
        assert_eq!(
            (points.recency[4].min, points.recency[4].max),
            (Some(1.0), Some(4.0))
        );
        assert_eq!(
            (points.frequency[0].min, points.frequency[0].max),
            (Some(1.0), Some(4.0))
        );
        let breaks = CustomBreaks::from_cut_points(&points).unwrap();
        assert_eq!(breaks.recency, [4.0, 8.0, 12.0, 16.0]);
        assert_eq!(breaks.monetary, [35.0, 75.0, 115.0, 155.0]);
        assert_eq!(
            rescore(&quintiles, &breaks).unwrap().customers,
            quintiles.customers
        );
    }

    #[test]
    fn custom_breaks_rescore_and_resegment() {
        let quintiles = table(&[
            (3, 9, 900.0),
            (200, 1, 10.0),
            (40, 2, 50.0),
            (10, 4, 300.0),
            (90, 1, 20.0),
        ]);
        let breaks = CustomBreaks {
            recency: [7.0, 30.0, 90.0, 180.0],
            frequency: [1.0, 2.0, 4.0, 8.0],
            monetary: [50.0, 100.0, 250.0, 500.0],
        };
        let rescored = rescore(&quintiles, &breaks).unwrap();
        let scores: Vec<(u8, u8, u8)> = rescored
            .customers
            .iter()
            .map(|c| (c.r_score, c.f_score, c.m_score))
            .collect();
        assert_eq!(
            scores,
            [(5, 5, 5), (1, 1, 1), (3, 2, 1), (4, 3, 4), (3, 1, 1)]
        );
        assert_eq!(rescored.customers[0].segment, Segment::Champions);
        assert_eq!(rescored.customers[1].segment, Segment::Lost);
        let unsorted = CustomBreaks {
            frequency: [1.0, 3.0, 2.0, 8.0],
            ..breaks
        };
        assert!(matches!(
            rescore(&quintiles, &unsorted),
            Err(BreaksError::NotAscending {
                measure: "frequency",
                ..
            })
        ));
    }
}

//! The report's per-customer data as flat columns, so it can cross from the worker to the page as
//! transferred typed arrays. As JSON it costs about 200 bytes per customer, parsed on both sides
//! (200 MB and seconds at a million customers); as columns about 60 bytes, moved without a copy.
//!
//! [`CustomerColumns::take_from`] empties the report's per-customer fields (leaving a small
//! report to send as JSON); [`CustomerColumns::restore_into`] puts them back.

use super::report::{Customer, Report};

/// Per-customer fields of a [`Report`], one flat vector each.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CustomerColumns {
    /// Every customer id's UTF-8 bytes, one after the other.
    pub id_bytes: Vec<u8>,
    /// Where each id ends in `id_bytes`.
    pub id_ends: Vec<u32>,
    pub recency: Vec<f64>,
    pub frequency: Vec<f64>,
    pub monetary: Vec<f64>,
    /// R, F, M scores, three per customer.
    pub scores: Vec<u8>,
    /// The distinct classic segment names; `segments` holds an index into it per customer.
    pub segment_names: Vec<String>,
    pub segments: Vec<u8>,
    /// PCA and autoencoder coordinates, two per customer.
    pub pca: Vec<f64>,
    pub latent: Vec<f64>,
    /// Per variant, in report order, a cluster label per customer.
    pub labels: Vec<Vec<u8>>,
    /// [`super::ValueReport`]'s per-customer columns, each empty where the report has none.
    pub p_alive: Vec<f64>,
    pub expected_purchases: Vec<f64>,
    pub clv: Vec<f64>,
    pub migration_before: Vec<u8>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ColumnsError {
    #[error("customer ids take {0} bytes, more than 4 GiB")]
    IdsTooLong(usize),
    #[error("{0} clusters or segments do not fit a byte")]
    TooManyGroups(usize),
    #[error("the columns disagree: {0}")]
    Inconsistent(&'static str),
    #[error("a customer id is not UTF-8")]
    IdNotUtf8,
}

impl CustomerColumns {
    pub fn take_from(report: &mut Report) -> Result<Self, ColumnsError> {
        let customers = std::mem::take(&mut report.customers);
        let n = customers.len();
        let mut columns = CustomerColumns {
            id_ends: Vec::with_capacity(n),
            recency: Vec::with_capacity(n),
            frequency: Vec::with_capacity(n),
            monetary: Vec::with_capacity(n),
            scores: Vec::with_capacity(3 * n),
            segments: Vec::with_capacity(n),
            ..Default::default()
        };
        for customer in customers {
            columns.id_bytes.extend_from_slice(customer.id.as_bytes());
            let end = columns.id_bytes.len();
            columns
                .id_ends
                .push(u32::try_from(end).map_err(|_| ColumnsError::IdsTooLong(end))?);
            columns.recency.push(customer.recency);
            columns.frequency.push(customer.frequency);
            columns.monetary.push(customer.monetary);
            columns
                .scores
                .extend([customer.r_score, customer.f_score, customer.m_score]);
            let segment = match columns
                .segment_names
                .iter()
                .position(|s| *s == customer.segment)
            {
                Some(index) => index,
                None => {
                    columns.segment_names.push(customer.segment);
                    columns.segment_names.len() - 1
                }
            };
            columns.segments.push(byte(segment)?);
        }
        columns.pca = flatten(std::mem::take(&mut report.pca));
        columns.latent = flatten(std::mem::take(&mut report.latent));
        columns.labels = report
            .variants
            .iter_mut()
            .map(|v| {
                std::mem::take(&mut v.labels)
                    .into_iter()
                    .map(byte)
                    .collect()
            })
            .collect::<Result<_, _>>()?;
        if let Some(value) = report.value.as_mut() {
            columns.p_alive = std::mem::take(&mut value.p_alive);
            columns.expected_purchases = std::mem::take(&mut value.expected_purchases);
            columns.clv = std::mem::take(&mut value.clv);
            columns.migration_before = std::mem::take(&mut value.migration_before);
        }
        Ok(columns)
    }

    pub fn restore_into(self, report: &mut Report) -> Result<(), ColumnsError> {
        let n = self.id_ends.len();
        let lengths_agree = [
            self.recency.len(),
            self.frequency.len(),
            self.monetary.len(),
        ]
        .iter()
        .chain(&[
            self.segments.len(),
            self.scores.len() / 3,
            self.pca.len() / 2,
        ])
        .chain(&[self.latent.len() / 2])
        .all(|&len| len == n);
        if !lengths_agree || self.labels.len() != report.variants.len() {
            return Err(ColumnsError::Inconsistent("lengths"));
        }
        match report.value.as_mut() {
            Some(value) => {
                // The spend model or the migration may be missing: their columns are empty.
                let full_or_empty = |len: usize, present: bool| len == if present { n } else { 0 };
                let agree = self.p_alive.len() == n
                    && self.expected_purchases.len() == n
                    && full_or_empty(self.clv.len(), value.spend.is_some())
                    && full_or_empty(self.migration_before.len(), value.migration.is_some());
                if !agree {
                    return Err(ColumnsError::Inconsistent("customer value"));
                }
                value.p_alive = self.p_alive;
                value.expected_purchases = self.expected_purchases;
                value.clv = self.clv;
                value.migration_before = self.migration_before;
            }
            None => {
                let empty = self.p_alive.is_empty()
                    && self.expected_purchases.is_empty()
                    && self.clv.is_empty()
                    && self.migration_before.is_empty();
                if !empty {
                    return Err(ColumnsError::Inconsistent("customer value"));
                }
            }
        }
        let mut start = 0;
        let mut customers = Vec::with_capacity(n);
        for (i, &end) in self.id_ends.iter().enumerate() {
            let end = end as usize;
            let id = self
                .id_bytes
                .get(start..end)
                .ok_or(ColumnsError::Inconsistent("id ends"))?;
            let id = std::str::from_utf8(id).map_err(|_| ColumnsError::IdNotUtf8)?;
            let segment = self
                .segment_names
                .get(usize::from(self.segments[i]))
                .ok_or(ColumnsError::Inconsistent("segment codes"))?;
            customers.push(Customer {
                id: id.to_string(),
                recency: self.recency[i],
                frequency: self.frequency[i],
                monetary: self.monetary[i],
                r_score: self.scores[3 * i],
                f_score: self.scores[3 * i + 1],
                m_score: self.scores[3 * i + 2],
                segment: segment.clone(),
            });
            start = end;
        }
        report.customers = customers;
        report.pca = pairs(&self.pca);
        report.latent = pairs(&self.latent);
        for (variant, labels) in report.variants.iter_mut().zip(self.labels) {
            if labels.len() != n {
                return Err(ColumnsError::Inconsistent("labels"));
            }
            variant.labels = labels.into_iter().map(usize::from).collect();
        }
        Ok(())
    }
}

fn byte(value: usize) -> Result<u8, ColumnsError> {
    u8::try_from(value).map_err(|_| ColumnsError::TooManyGroups(value + 1))
}

fn flatten(points: Vec<[f64; 2]>) -> Vec<f64> {
    points.into_iter().flatten().collect()
}

fn pairs(flat: &[f64]) -> Vec<[f64; 2]> {
    flat.chunks_exact(2).map(|p| [p[0], p[1]]).collect()
}

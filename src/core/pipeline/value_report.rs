//! What the customer value stage (`value.rs`) reports: the fitted models, their checks and the
//! per-customer predictions, as the page and the downloads read them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::core::clv::diagnostics::{FrequencyBin, HoldoutBin};
use crate::core::clv::{BgNbdFit, ClvOptions, GammaGammaFit};
use crate::core::cohorts::Cohort;
use crate::core::migration::{ClusterMigration, Migration};
use crate::core::rfm::Segment;

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
    /// The purchase model refitted on the purchases up to the migration's earlier date and
    /// checked on the purchases after it.
    pub holdout: Option<HoldoutCheck>,
    pub holdout_note: Option<String>,
    /// Its per-customer list is left empty: `migration_before` holds it as a column.
    pub migration: Option<Migration>,
    pub migration_note: Option<String>,
    /// Each variant's clusters at the migration's earlier date against the end, in
    /// [`Report::variants`] order.
    pub cluster_migrations: Vec<ClusterMigration>,
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

/// BG/NBD fitted on a calibration period and its predictions for the holdout after it
/// (lifetimes' `plot_calibration_purchases_vs_holdout_purchases`, as data).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoldoutCheck {
    pub calibration_end: NaiveDate,
    pub holdout_days: f64,
    pub purchases: BgNbdFit,
    pub bins: Vec<HoldoutBin>,
}

impl ValueReport {
    pub fn is_sampled(&self) -> bool {
        self.fitted_on < self.customers
    }
}

/// A segment's index in [`Segment::ALL`].
pub fn segment_code(segment: Segment) -> u8 {
    Segment::ALL.iter().position(|&s| s == segment).unwrap_or(0) as u8
}

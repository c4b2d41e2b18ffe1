//! The pipeline: one function owns the order of the stages, the progress they report and the
//! report they produce. The browser worker, the command-line twin and the tests all call it.
//!
//! File -> ingest -> RFM -> customer value -> scale -> {PCA, autoencoder} ->
//! {KMeans, GMM, Ward} x 2 -> evaluate (quality, stability, robustness, interpretability,
//! statistics) -> k sweep, with the t-SNE map computed beside the stages from the autoencoder
//! on, where the platform has a second core ([`map`]).
//!
//! The complexity budget, in customers n, with s = min(n, `sample_size`) customers in the run's
//! seeded, stratified sample ([`crate::core::sampling`]) and k clusters:
//!
//! | stage | cost | on |
//! |---|---|---|
//! | read, clean, aggregate | O(lines) time, O(n) memory | the whole file, streamed |
//! | RFM scores, scaling, PCA | O(n log n) (quintiles sort) | every customer |
//! | BG/NBD, Gamma-Gamma fits | O(s) per likelihood evaluation | the sample |
//! | P(alive), expected purchases, CLV, frequency histogram | O(n) | every customer |
//! | cohort retention, segment migration | O(purchase days + n log n) | every customer |
//! | holdout check (BG/NBD refitted to the migration date) | O(s) per likelihood evaluation | the sample |
//! | cluster migration (each variant's model on the earlier table) | O(n k) per variant | every customer |
//! | autoencoder | epochs x s / batch optimiser steps, then O(n) to embed | trains on the sample, embeds everyone |
//! | KMeans, mixture | O(n k) per iteration | every customer |
//! | Ward | tree O(s²) worst case, O(n k) to assign | tree on the sample, the rest to the cluster Ward would merge it into |
//! | silhouettes (own, common, per cluster, k sweep) | O(s²) | the sample, with a standard error |
//! | stability, robustness refits | as the algorithm, on s | the sample |
//! | Davies-Bouldin, Calinski-Harabasz, ANOVA, Welch, Tukey, Games-Howell | O(n k) | every customer |
//! | depth-2 tree on R/F/M | O(n log n) once per run (each feature sorted), then O(n) per tree | every customer |
//! | k sweep fits | as the algorithms, on s | the sample |
//! | t-SNE | O(s log s) per iteration | the sample, beside the autoencoder, clustering, evaluation and k sweep |
//!
//! At or below the budget the sample is every customer and every number is exact.
//!
//! `run` (in `run.rs`) follows this table stage by stage. It and its `Platform` exist with the
//! `training` feature only (the autoencoder trains with burn): the page's own build leaves them
//! out and keeps the report, its options and its columns.

mod columns;
#[cfg(feature = "training")]
mod embeddings;
#[cfg(feature = "training")]
mod k_sweep;
mod map;
mod options;
mod ranking;
mod report;
#[cfg(feature = "training")]
mod run;
#[cfg(feature = "training")]
mod value;
mod value_report;
#[cfg(feature = "training")]
mod variant;

use ndarray::ArrayView2;

pub use columns::{ColumnsError, CustomerColumns};
#[cfg(feature = "training")]
pub use k_sweep::sweep_range;
#[cfg(not(target_arch = "wasm32"))]
pub use map::MapThread;
pub use map::{Map, MapMaker, PendingMap, make_map};
pub use options::{
    DEFAULT_SAMPLE_SIZE, MAX_HORIZON_DAYS, MIN_SAMPLE_SIZE, OptionsError, PipelineOptions,
};
pub use ranking::{SCORE_WEIGHTS, rank_variants};
pub use report::{
    Customer, Embedding, FEATURES, KSweepPoint, Progress, PublishedNumbers, Report, Robustness,
    SampleReport, Stage, StageTiming, Training, UnknownVariant, Variant, VariantId,
    seed_published_numbers,
};
#[cfg(all(feature = "training", not(target_arch = "wasm32")))]
pub use run::run_blocking;
#[cfg(feature = "training")]
pub use run::{Platform, run};
pub use value_report::{
    HISTOGRAM_BINS, HoldoutCheck, MAX_SPEND_SHAPE, NEW_CUSTOMER, ValueReport, segment_code,
};

use super::cluster::ClusterError;
use super::embed::autoencoder::AutoencoderError;
use super::embed::pca::PcaError;
use super::embed::scale::ScaleError;
use super::evaluate::EvaluateError;
use super::ingest::IngestError;
use super::rfm::RfmError;

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("settings: {0}")]
    Options(#[from] OptionsError),
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Rfm(#[from] RfmError),
    #[error("scaling: {0}")]
    Scale(#[from] ScaleError),
    #[error("PCA: {0}")]
    Pca(#[from] PcaError),
    #[error("autoencoder: {0}")]
    Autoencoder(#[from] AutoencoderError),
    #[error("clustering: {0}")]
    Cluster(#[from] ClusterError),
    #[error("evaluation: {0}")]
    Evaluate(#[from] EvaluateError),
    #[error("t-SNE map: {0}")]
    Map(String),
    #[error(
        "k = {k} needs at least {needed} customers (two per cluster); the file has {customers}"
    )]
    TooFewCustomers {
        k: usize,
        customers: usize,
        needed: usize,
    },
    #[error(
        "nothing to segment: the {customers} customers have only {profiles} distinct \
         (recency, frequency, monetary) profile(s), fewer than the k = {k} clusters asked for"
    )]
    NothingToSegment {
        k: usize,
        customers: usize,
        profiles: usize,
    },
}

/// Elapsed seconds, from the platform's clock: the core itself never reads the time.
pub type Clock<'a> = &'a dyn Fn() -> f64;

/// The first two columns of each row.
fn pairs(points: ArrayView2<f64>) -> Vec<[f64; 2]> {
    points.rows().into_iter().map(|r| [r[0], r[1]]).collect()
}

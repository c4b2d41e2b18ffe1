//! What a run produces: the report the dashboard, the downloads and the CLI read.
//!
//! Over 400 lines because every type the report carries lives here with its conversions, so
//! the page, the CLI and the downloads read one definition.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use ndarray::Array2;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::PipelineOptions;
use super::value_report::ValueReport;
use crate::core::cluster::Algorithm;
use crate::core::embed::autoencoder::EpochReport;
use crate::core::evaluate::{
    FeatureStatistics, Interpretability, SilhouetteSummary, SkippedFeature,
};
use crate::core::ingest::QualityReport;
use crate::core::rfm::{CustomerRfm, RfmTable, Segment, segment_of};
use crate::core::warehouse::{ClusterRule, EmbeddingModels};

/// R, F, M in the column order of every feature matrix.
pub const FEATURES: [&str; 3] = ["recency", "frequency", "monetary"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Read,
    Rfm,
    Value,
    Embed,
    Autoencoder,
    Cluster,
    Evaluate,
    KSweep,
    /// Computed beside the autoencoder and everything after it; its time is its own core's.
    Tsne,
}

impl Stage {
    pub const ALL: [Stage; 9] = [
        Stage::Read,
        Stage::Rfm,
        Stage::Value,
        Stage::Embed,
        Stage::Autoencoder,
        Stage::Cluster,
        Stage::Evaluate,
        Stage::KSweep,
        Stage::Tsne,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Stage::Read => "Reading and cleaning",
            Stage::Rfm => "RFM per customer",
            Stage::Value => "Customer value (BG/NBD, Gamma-Gamma)",
            Stage::Embed => "Scaling and PCA",
            Stage::Autoencoder => "Autoencoder training",
            Stage::Cluster => "Clustering (6 variants)",
            Stage::Evaluate => "Evaluation and statistics",
            Stage::KSweep => "k sweep",
            Stage::Tsne => "t-SNE map (in parallel)",
        }
    }
}

/// What the pipeline tells its caller while it runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Progress {
    Stage { stage: Stage, done: u64, total: u64 },
    Epoch(EpochReport),
}

/// One customer as the dashboard and the downloads show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    pub id: String,
    pub recency: f64,
    pub frequency: f64,
    pub monetary: f64,
    pub r_score: u8,
    pub f_score: u8,
    pub m_score: u8,
    pub segment: String,
}

impl From<&CustomerRfm> for Customer {
    fn from(c: &CustomerRfm) -> Self {
        Customer {
            id: c.customer_id.clone(),
            recency: f64::from(c.recency),
            frequency: f64::from(c.frequency),
            monetary: c.monetary,
            r_score: c.r_score,
            f_score: c.f_score,
            m_score: c.m_score,
            segment: c.segment.name().to_string(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Embedding {
    Pca,
    Autoencoder,
}

impl Embedding {
    pub const ALL: [Embedding; 2] = [Embedding::Pca, Embedding::Autoencoder];

    pub fn short_name(self) -> &'static str {
        match self {
            Embedding::Pca => "PCA",
            Embedding::Autoencoder => "AE",
        }
    }
}

/// Which clustering of which embedding a variant is. Written as the seed's names (KM_PCA,
/// GMM_AE, AGGLO_PCA, ...), also in JSON, so reports and exports keep the names users know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VariantId {
    pub algorithm: Algorithm,
    pub embedding: Embedding,
}

impl VariantId {
    pub const fn new(algorithm: Algorithm, embedding: Embedding) -> Self {
        Self {
            algorithm,
            embedding,
        }
    }

    /// Every variant, in the order the pipeline reports them (by embedding, then algorithm).
    pub fn all() -> impl Iterator<Item = VariantId> {
        Embedding::ALL.into_iter().flat_map(|embedding| {
            Algorithm::ALL
                .into_iter()
                .map(move |algorithm| VariantId::new(algorithm, embedding))
        })
    }
}

impl fmt::Display for VariantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}_{}",
            self.algorithm.short_name(),
            self.embedding.short_name()
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no variant is named {0:?}")]
pub struct UnknownVariant(pub String);

impl FromStr for VariantId {
    type Err = UnknownVariant;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        VariantId::all()
            .find(|id| id.to_string() == name)
            .ok_or_else(|| UnknownVariant(name.to_string()))
    }
}

impl Serialize for VariantId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for VariantId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// Agreement (adjusted Rand index) with the variant's own labels after a perturbation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Robustness {
    /// Gaussian noise of `noise_level` standard deviations on every scaled feature.
    pub noise: f64,
    /// One feature replaced by its mean (R, F, M order): how much the clusters rely on it.
    pub ablation: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    /// [`Variant::id`] written out: the name reports, exports and the CLI show.
    pub name: String,
    pub algorithm: Algorithm,
    pub embedding: Embedding,
    pub labels: Vec<usize>,
    /// How the fit assigns a customer it has not seen (for the warehouse hand-off).
    pub rule: ClusterRule,
    pub sizes: Vec<usize>,
    /// Silhouette in the variant's own 2-D embedding: the number the seed reported. Over the
    /// run's sample (see [`Report::sample`]); its `standard_error` is 0 when that is everyone.
    pub silhouette_own: SilhouetteSummary,
    /// Silhouette in the common scaled-RFM space, comparable across embeddings (same sample).
    pub silhouette_common: SilhouetteSummary,
    pub davies_bouldin: f64,
    pub calinski_harabasz: f64,
    /// Mean ARI against the variant's labels over 80% subsamples of the sample.
    pub stability_subsample: f64,
    /// Mean ARI over reseeded runs on the sample; `None` for Ward, which has no randomness.
    pub stability_reseed: Option<f64>,
    pub robustness: Robustness,
    pub interpretability: Interpretability,
    pub statistics: Vec<FeatureStatistics>,
    /// Features without ANOVA/Tukey (no within-cluster spread), each with its note.
    #[serde(default)]
    pub statistics_skipped: Vec<SkippedFeature>,
    /// The ranking score (see [`super::ranking::rank_variants`]).
    pub score: f64,
}

impl Variant {
    pub fn id(&self) -> VariantId {
        VariantId::new(self.algorithm, self.embedding)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KSweepPoint {
    pub k: usize,
    /// Per variant name: silhouette in its own embedding.
    pub silhouette: BTreeMap<String, f64>,
    /// KMeans inertia per embedding (KM_PCA, KM_AE).
    pub inertia: BTreeMap<String, f64>,
    /// Mixture BIC per embedding (GMM_PCA, GMM_AE).
    pub bic: BTreeMap<String, f64>,
}

/// The maps are keyed by the variants' names, so the report's JSON reads as the seed's table.
impl KSweepPoint {
    pub fn silhouette_of(&self, id: VariantId) -> Option<f64> {
        self.silhouette.get(&id.to_string()).copied()
    }

    pub fn inertia_of(&self, id: VariantId) -> Option<f64> {
        self.inertia.get(&id.to_string()).copied()
    }

    pub fn bic_of(&self, id: VariantId) -> Option<f64> {
        self.bic.get(&id.to_string()).copied()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Training {
    /// Where the autoencoder trained, e.g. "CPU (flex)" or "WebGPU: <adapter>".
    pub device: String,
    pub losses: Vec<EpochReport>,
    pub best_epoch: usize,
    /// Over the customers it trained on.
    pub reconstruction_mse: f64,
    /// Customers it trained on (the run's sample); every customer is then embedded.
    pub trained_on: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageTiming {
    pub stage: Stage,
    pub seconds: f64,
}

/// The seed project's published silhouettes, shown beside ours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishedNumbers {
    pub source: String,
    pub silhouettes: Vec<(VariantId, f64)>,
}

pub fn seed_published_numbers() -> PublishedNumbers {
    let km_ae = VariantId::new(Algorithm::KMeans, Embedding::Autoencoder);
    let km_pca = VariantId::new(Algorithm::KMeans, Embedding::Pca);
    PublishedNumbers {
        source: format!("{km_ae} capstone headline (k = 3)"),
        silhouettes: vec![(km_ae, 0.62), (km_pca, 0.48)],
    }
}

/// Which customers the O(n²) computations saw, for the views to say so.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleReport {
    /// Customers in all.
    pub customers: usize,
    /// Customers in the sample (= `customers` when every number is exact).
    pub size: usize,
    /// The budget the run had ([`PipelineOptions::sample_size`]).
    pub limit: usize,
    /// The computations that used the sample.
    pub used_for: Vec<String>,
}

impl SampleReport {
    pub fn is_everyone(&self) -> bool {
        self.size == self.customers
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub options: PipelineOptions,
    pub quality: Option<QualityReport>,
    pub customers: Vec<Customer>,
    pub pca: Vec<[f64; 2]>,
    pub pca_explained_variance_ratio: Vec<f64>,
    pub latent: Vec<[f64; 2]>,
    /// t-SNE coordinates of the sampled customers, in the order of `sample_rows`.
    pub tsne: Vec<[f64; 2]>,
    /// Indices into `customers` of the run's sample, ascending (every customer when exact).
    pub sample_rows: Vec<usize>,
    pub sample: SampleReport,
    /// P(alive), CLV, cohorts and migration; `None` for an aggregated RFM table or data the
    /// purchase model cannot be fitted on, with the reason in `value_note`.
    #[serde(default)]
    pub value: Option<ValueReport>,
    #[serde(default)]
    pub value_note: Option<String>,
    pub training: Training,
    pub variants: Vec<Variant>,
    /// Index into `variants`.
    pub winner: usize,
    /// Why the winner won, in one paragraph.
    pub verdict: String,
    pub published: PublishedNumbers,
    pub k_sweep: Vec<KSweepPoint>,
    pub timings: Vec<StageTiming>,
    /// Where the t-SNE map was computed ("a second worker", "a second thread", or this
    /// worker with the reason its helper was not used).
    #[serde(default)]
    pub map_computed_on: String,
    /// The fitted scaler, PCA and encoder: with a variant's rule, its [`SegmentModel`].
    ///
    /// [`SegmentModel`]: crate::core::warehouse::SegmentModel
    pub models: EmbeddingModels,
}

impl Report {
    /// Raw R, F, M (n x 3).
    pub fn features(&self) -> Array2<f64> {
        Array2::from_shape_fn((self.customers.len(), 3), |(i, j)| {
            let c = &self.customers[i];
            [c.recency, c.frequency, c.monetary][j]
        })
    }

    /// The customers as the RFM table they were scored in (the page's cut points and custom
    /// breaks start from it); the snapshot date is the quality report's.
    pub fn rfm_table(&self) -> RfmTable {
        RfmTable {
            customers: self
                .customers
                .iter()
                .map(|c| CustomerRfm {
                    customer_id: c.id.clone(),
                    recency: c.recency as u32,
                    frequency: c.frequency as u32,
                    monetary: c.monetary,
                    r_score: c.r_score,
                    f_score: c.f_score,
                    m_score: c.m_score,
                    segment: Segment::from_name(&c.segment)
                        .or_else(|| segment_of(c.r_score, c.f_score, c.m_score))
                        .unwrap_or(Segment::Lost),
                })
                .collect(),
            snapshot_date: self.quality.as_ref().and_then(|q| q.snapshot_date),
        }
    }

    /// Each stage's seconds, in words; the map's says where it was computed.
    pub fn stage_times(&self) -> Vec<String> {
        self.timings
            .iter()
            .map(|t| match t.stage {
                Stage::Tsne if !self.map_computed_on.is_empty() => format!(
                    "{} {:.2} s on {}",
                    t.stage.label(),
                    t.seconds,
                    self.map_computed_on
                ),
                _ => format!("{} {:.2} s", t.stage.label(), t.seconds),
            })
            .collect()
    }

    /// The t-SNE position of customer `row`, if the map shows it.
    pub fn tsne_of(&self, row: usize) -> Option<[f64; 2]> {
        let at = self.sample_rows.binary_search(&row).ok()?;
        self.tsne.get(at).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_ids_read_and_write_the_seeds_names() {
        let names: Vec<String> = VariantId::all().map(|id| id.to_string()).collect();
        assert_eq!(
            names,
            [
                "KM_PCA",
                "GMM_PCA",
                "AGGLO_PCA",
                "KM_AE",
                "GMM_AE",
                "AGGLO_AE"
            ]
        );
        for id in VariantId::all() {
            assert_eq!(id.to_string().parse(), Ok(id));
            let json = serde_json::to_string(&id).unwrap();
            assert_eq!(json, format!("\"{id}\""));
            assert_eq!(serde_json::from_str::<VariantId>(&json).unwrap(), id);
        }
        assert_eq!(
            "KM_TSNE".parse::<VariantId>(),
            Err(UnknownVariant("KM_TSNE".into()))
        );
    }
}

//! The pipeline: one function owns the order of the stages, the progress they report and the
//! report they produce. The browser worker, the command-line twin and the tests all call it.
//!
//! File bytes -> ingest -> RFM -> scale -> {PCA, autoencoder} -> {KMeans, GMM, Ward} x 2 ->
//! evaluate (quality, stability, robustness, interpretability, statistics) -> k sweep -> t-SNE.

use std::collections::BTreeMap;

use burn::tensor::Device;
use ndarray::{Array2, ArrayView2, Axis};
use rand::{Rng, SeedableRng, seq::index::sample};
use rand_distr::{Distribution, Normal};
use rand_xoshiro::Xoshiro256Plus;
use serde::{Deserialize, Serialize};

use super::cluster::{self, Algorithm, ClusterError, Clustering, WardTree};
use super::embed::autoencoder::{
    self, AutoencoderConfig, AutoencoderError, AutoencoderFit, EpochReport,
};
use super::embed::pca::{Pca, PcaError};
use super::embed::scale::{ScaleError, Scaler, Scaling};
use super::evaluate::{
    self, EvaluateError, FeatureStatistics, Interpretability, SilhouetteSummary,
};
use super::ingest::{self, IngestError, IngestOptions, QualityReport};
use super::rfm::{RfmError, RfmTable};
use super::tsne::{self, TsneConfig, TsneError};

/// R, F, M in the column order of every feature matrix.
pub const FEATURES: [&str; 3] = ["recency", "frequency", "monetary"];

/// Everything the user can choose before a run; every random choice derives from `seed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PipelineOptions {
    pub k: usize,
    pub seed: u64,
    pub scaling: Scaling,
    pub ingest: IngestOptions,
    /// Its `seed` is replaced by the run's seed.
    pub autoencoder: AutoencoderConfig,
    pub tsne_iterations: usize,
    /// Subsamples (80% of customers) and reseeds used to measure stability.
    pub stability_rounds: usize,
    /// Standard deviation of the Gaussian noise added to the scaled features (robustness).
    pub noise_level: f64,
    /// Run the k sweep (2..=10) too.
    pub k_sweep: bool,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        Self {
            k: 3,
            seed: 42,
            scaling: Scaling::SeedCompatible,
            ingest: IngestOptions::default(),
            autoencoder: AutoencoderConfig::default(),
            tsne_iterations: TsneConfig::default().iterations,
            stability_rounds: 5,
            noise_level: 0.1,
            k_sweep: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Read,
    Rfm,
    Embed,
    Autoencoder,
    Cluster,
    Evaluate,
    KSweep,
    Tsne,
}

impl Stage {
    pub const ALL: [Stage; 8] = [
        Stage::Read,
        Stage::Rfm,
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
            Stage::Embed => "Scaling and PCA",
            Stage::Autoencoder => "Autoencoder training",
            Stage::Cluster => "Clustering (6 variants)",
            Stage::Evaluate => "Evaluation and statistics",
            Stage::KSweep => "k sweep (2-10)",
            Stage::Tsne => "t-SNE map",
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

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
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
    #[error("t-SNE: {0}")]
    Tsne(#[from] TsneError),
    #[error(
        "k = {k} needs between 2 and 10 clusters and at least {k} customers ({customers} found)"
    )]
    BadK { k: usize, customers: usize },
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
    /// The seed's names: KM_PCA, GMM_AE, AGGLO_PCA, ...
    pub name: String,
    pub algorithm: Algorithm,
    pub embedding: Embedding,
    pub labels: Vec<usize>,
    pub sizes: Vec<usize>,
    /// Silhouette in the variant's own 2-D embedding: the number the seed reported.
    pub silhouette_own: SilhouetteSummary,
    /// Silhouette in the common scaled-RFM space, comparable across embeddings.
    pub silhouette_common: SilhouetteSummary,
    pub davies_bouldin: f64,
    pub calinski_harabasz: f64,
    /// Mean ARI against the full-data labels over 80% subsamples.
    pub stability_subsample: f64,
    /// Mean ARI over reseeded runs; `None` for Ward, which has no randomness.
    pub stability_reseed: Option<f64>,
    pub robustness: Robustness,
    pub interpretability: Interpretability,
    pub statistics: Vec<FeatureStatistics>,
    /// The ranking score (see [`rank_variants`]).
    pub score: f64,
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Training {
    /// Where the autoencoder trained, e.g. "CPU (flex)" or "WebGPU: <adapter>".
    pub device: String,
    pub losses: Vec<EpochReport>,
    pub best_epoch: usize,
    pub reconstruction_mse: f64,
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
    pub silhouettes: Vec<(String, f64)>,
}

pub fn seed_published_numbers() -> PublishedNumbers {
    PublishedNumbers {
        source: "KM_AE capstone headline (k = 3)".into(),
        silhouettes: vec![("KM_AE".into(), 0.62), ("KM_PCA".into(), 0.48)],
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
    pub tsne: Vec<[f64; 2]>,
    pub training: Training,
    pub variants: Vec<Variant>,
    /// Index into `variants`.
    pub winner: usize,
    /// Why the winner won, in one paragraph.
    pub verdict: String,
    pub published: PublishedNumbers,
    pub k_sweep: Vec<KSweepPoint>,
    pub timings: Vec<StageTiming>,
}

impl Report {
    /// Raw R, F, M (n x 3).
    pub fn features(&self) -> Array2<f64> {
        Array2::from_shape_fn((self.customers.len(), 3), |(i, j)| {
            let c = &self.customers[i];
            [c.recency, c.frequency, c.monetary][j]
        })
    }
}

/// Elapsed seconds, from the platform's clock: the core itself never reads the time.
pub type Clock<'a> = &'a dyn Fn() -> f64;

/// Runs the whole pipeline on a file's bytes (transactions or an aggregated RFM table).
///
/// The autoencoder trains on `device` (flex CPU, or an initialised WebGPU device in a browser);
/// `device_label` says which, for the report. `now` times the stages.
pub async fn run(
    bytes: &[u8],
    options: &PipelineOptions,
    device: &Device,
    device_label: &str,
    now: Clock<'_>,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report, PipelineError> {
    let mut timings = Vec::new();
    let mut started = now();
    let mut lap = |stage: Stage, timings: &mut Vec<StageTiming>| {
        let t = now();
        timings.push(StageTiming {
            stage,
            seconds: t - started,
        });
        started = t;
    };

    let total = bytes.len() as u64;
    let ingested =
        ingest::read_transactions(bytes, Some(total), &options.ingest, &mut |done, _| {
            progress(Progress::Stage {
                stage: Stage::Read,
                done,
                total,
            })
        })?;
    lap(Stage::Read, &mut timings);

    let table = RfmTable::from_ingested(&ingested, None)?;
    let raw = table.features();
    let n = raw.nrows();
    if !(2..=10).contains(&options.k) || n < options.k.max(10) {
        return Err(PipelineError::BadK {
            k: options.k,
            customers: n,
        });
    }
    progress(Progress::Stage {
        stage: Stage::Rfm,
        done: 1,
        total: 1,
    });
    lap(Stage::Rfm, &mut timings);

    let scaler = Scaler::fit(options.scaling, raw.view())?;
    let scaled = scaler.transform(raw.view())?;
    let pca = Pca::fit(scaled.view(), 2)?;
    let pca_points = pca.transform(scaled.view())?;
    progress(Progress::Stage {
        stage: Stage::Embed,
        done: 1,
        total: 1,
    });
    lap(Stage::Embed, &mut timings);

    let ae_config = AutoencoderConfig {
        seed: options.seed,
        ..options.autoencoder.clone()
    };
    let fit = autoencoder::train_autoencoder(scaled.view(), &ae_config, device, &mut |epoch| {
        progress(Progress::Epoch(epoch))
    })
    .await?;
    lap(Stage::Autoencoder, &mut timings);

    let embeddings = Embeddings {
        scaled: &scaled,
        pca: &pca,
        pca_points: &pca_points,
        ae: &fit,
        ward_trees: [
            WardTree::fit(pca_points.view())?,
            WardTree::fit(fit.embedding.view())?,
        ],
    };
    let variant_specs: Vec<(Algorithm, Embedding)> = Embedding::ALL
        .iter()
        .flat_map(|&e| Algorithm::ALL.iter().map(move |&a| (a, e)))
        .collect();
    let mut clusterings = Vec::new();
    for (i, &(algorithm, embedding)) in variant_specs.iter().enumerate() {
        clusterings.push(embeddings.cluster(algorithm, embedding, options.k, options.seed)?);
        let (done, total) = (i as u64 + 1, variant_specs.len() as u64);
        progress(Progress::Stage {
            stage: Stage::Cluster,
            done,
            total,
        });
    }
    lap(Stage::Cluster, &mut timings);

    let mut variants = Vec::new();
    for (i, (&(algorithm, embedding), clustering)) in
        variant_specs.iter().zip(clusterings).enumerate()
    {
        let spec = VariantSpec {
            algorithm,
            embedding,
            k: options.k,
            seed: options.seed,
        };
        variants.push(evaluate_variant(
            &spec,
            clustering,
            &embeddings,
            &raw,
            options,
        )?);
        let (done, total) = (i as u64 + 1, variant_specs.len() as u64);
        progress(Progress::Stage {
            stage: Stage::Evaluate,
            done,
            total,
        });
    }
    let (winner, verdict) = rank_variants(&mut variants);
    lap(Stage::Evaluate, &mut timings);

    let k_sweep = if options.k_sweep {
        k_sweep(&embeddings, options.seed, &mut |done, total| {
            progress(Progress::Stage {
                stage: Stage::KSweep,
                done,
                total,
            })
        })?
    } else {
        Vec::new()
    };
    lap(Stage::KSweep, &mut timings);

    let tsne_config = TsneConfig {
        iterations: options.tsne_iterations,
        seed: options.seed,
        perplexity: TsneConfig::default().perplexity.min((n - 1) as f64 / 3.0),
        ..TsneConfig::default()
    };
    let tsne = tsne::tsne(scaled.view(), &tsne_config, &mut |done, total| {
        if done % 10 == 0 || done == total {
            progress(Progress::Stage {
                stage: Stage::Tsne,
                done: done as u64,
                total: total as u64,
            })
        }
    })?;
    lap(Stage::Tsne, &mut timings);

    Ok(Report {
        options: options.clone(),
        quality: Some(ingested.report.clone()),
        customers: table
            .customers
            .iter()
            .map(|c| Customer {
                id: c.customer_id.clone(),
                recency: f64::from(c.recency),
                frequency: f64::from(c.frequency),
                monetary: c.monetary,
                r_score: c.r_score,
                f_score: c.f_score,
                m_score: c.m_score,
                segment: c.segment.name().to_string(),
            })
            .collect(),
        pca: pairs(pca_points.view()),
        pca_explained_variance_ratio: pca.explained_variance_ratio().to_vec(),
        latent: pairs(fit.embedding.view()),
        tsne: pairs(tsne.embedding.view()),
        training: Training {
            device: device_label.to_string(),
            losses: fit.loss_curve.clone(),
            best_epoch: fit.best_epoch,
            reconstruction_mse: fit.reconstruction_mse,
        },
        variants,
        winner,
        verdict,
        published: seed_published_numbers(),
        k_sweep,
        timings,
    })
}

/// [`run`] on the calling thread with burn's CPU device, for native callers (CLI, tests).
#[cfg(not(target_arch = "wasm32"))]
pub fn run_blocking(
    bytes: &[u8],
    options: &PipelineOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report, PipelineError> {
    let started = std::time::Instant::now();
    let now = move || started.elapsed().as_secs_f64();
    futures_lite::future::block_on(run(
        bytes,
        options,
        &Device::flex(),
        "CPU (burn flex)",
        &now,
        progress,
    ))
}

fn pairs(points: ArrayView2<f64>) -> Vec<[f64; 2]> {
    points.rows().into_iter().map(|r| [r[0], r[1]]).collect()
}

/// The scaled features and both fitted embeddings, able to re-embed perturbed features.
struct Embeddings<'a> {
    scaled: &'a Array2<f64>,
    pca: &'a Pca,
    pca_points: &'a Array2<f64>,
    ae: &'a AutoencoderFit,
    /// One Ward dendrogram per embedding (in `Embedding::ALL` order), cut for the chosen k and
    /// for every k of the sweep.
    ward_trees: [WardTree; 2],
}

impl Embeddings<'_> {
    fn points(&self, embedding: Embedding) -> ArrayView2<'_, f64> {
        match embedding {
            Embedding::Pca => self.pca_points.view(),
            Embedding::Autoencoder => self.ae.embedding.view(),
        }
    }

    fn ward_tree(&self, embedding: Embedding) -> &WardTree {
        match embedding {
            Embedding::Pca => &self.ward_trees[0],
            Embedding::Autoencoder => &self.ward_trees[1],
        }
    }

    /// Clusters one embedding into `k` groups; Ward cuts the tree already built.
    fn cluster(
        &self,
        algorithm: Algorithm,
        embedding: Embedding,
        k: usize,
        seed: u64,
    ) -> Result<Clustering, ClusterError> {
        match algorithm {
            Algorithm::Ward => self.ward_tree(embedding).cut(k),
            Algorithm::KMeans | Algorithm::Gmm => {
                cluster::cluster(algorithm, self.points(embedding), k, seed)
            }
        }
    }

    /// Embeds new scaled rows with the already fitted PCA or encoder (no refitting), so a
    /// perturbation test measures the whole chain's sensitivity, not a new model's.
    fn reembed(
        &self,
        embedding: Embedding,
        scaled: ArrayView2<'_, f64>,
    ) -> Result<Array2<f64>, PipelineError> {
        Ok(match embedding {
            Embedding::Pca => self.pca.transform(scaled)?,
            Embedding::Autoencoder => self.ae.encoder.encode(scaled),
        })
    }
}

struct VariantSpec {
    algorithm: Algorithm,
    embedding: Embedding,
    k: usize,
    seed: u64,
}

impl VariantSpec {
    fn name(&self) -> String {
        format!(
            "{}_{}",
            self.algorithm.short_name(),
            self.embedding.short_name()
        )
    }
}

fn evaluate_variant(
    spec: &VariantSpec,
    clustering: Clustering,
    embeddings: &Embeddings<'_>,
    raw: &Array2<f64>,
    options: &PipelineOptions,
) -> Result<Variant, PipelineError> {
    let points = embeddings.points(spec.embedding);
    let labels = clustering.labels;
    let quality = evaluate::cluster_quality(points, &labels)?;
    let silhouette_common = evaluate::silhouette_summary(embeddings.scaled.view(), &labels)?;

    let mut rng = Xoshiro256Plus::seed_from_u64(spec.seed ^ 0x5eed_57ab);
    let n = labels.len();
    let mut subsample_ari = Vec::new();
    for _ in 0..options.stability_rounds {
        let mut rows = sample(&mut rng, n, n * 4 / 5).into_vec();
        rows.sort_unstable();
        let subset = points.select(Axis(0), &rows);
        let refit = cluster::cluster(spec.algorithm, subset.view(), spec.k, rng.r#gen())?;
        let original: Vec<usize> = rows.iter().map(|&i| labels[i]).collect();
        subsample_ari.push(evaluate::adjusted_rand_index(&original, &refit.labels)?);
    }
    let stability_reseed = match spec.algorithm {
        Algorithm::Ward => None,
        Algorithm::KMeans | Algorithm::Gmm => {
            let mut aris = Vec::new();
            for round in 1..=options.stability_rounds as u64 {
                let refit = cluster::cluster(spec.algorithm, points, spec.k, spec.seed + round)?;
                aris.push(evaluate::adjusted_rand_index(&labels, &refit.labels)?);
            }
            Some(mean(&aris))
        }
    };

    let perturbed_ari = |scaled: Array2<f64>| -> Result<f64, PipelineError> {
        let points = embeddings.reembed(spec.embedding, scaled.view())?;
        let refit = cluster::cluster(spec.algorithm, points.view(), spec.k, spec.seed)?;
        Ok(evaluate::adjusted_rand_index(&labels, &refit.labels)?)
    };
    let noise = Normal::new(0.0, options.noise_level.max(0.0)).expect("a finite, non-negative sd");
    let noisy = embeddings.scaled.mapv(|v| v + noise.sample(&mut rng));
    let noise_ari = perturbed_ari(noisy)?;
    let mut ablation = Vec::new();
    for feature in 0..FEATURES.len() {
        let mut ablated = embeddings.scaled.clone();
        // Scaled features have mean 0, so this is the feature's mean.
        ablated.column_mut(feature).fill(0.0);
        ablation.push(perturbed_ari(ablated)?);
    }

    let interpretability = evaluate::interpretability(raw.view(), &FEATURES, &labels)?;
    let statistics = evaluate::feature_statistics(raw.view(), &FEATURES, &labels, 0.05)?;
    Ok(Variant {
        name: spec.name(),
        algorithm: spec.algorithm,
        embedding: spec.embedding,
        sizes: quality.sizes.clone(),
        silhouette_own: quality.silhouette,
        silhouette_common,
        davies_bouldin: quality.davies_bouldin,
        calinski_harabasz: quality.calinski_harabasz,
        stability_subsample: mean(&subsample_ari),
        stability_reseed,
        robustness: Robustness {
            noise: noise_ari,
            ablation,
        },
        interpretability,
        statistics,
        labels,
        score: 0.0,
    })
}

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        f64::NAN
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}

/// Ranking weights: separation that every segment shares (macro silhouette in the common
/// space, so one tight 5-customer cluster cannot carry the score), stability, and how well a
/// two-rule tree on raw R/F/M explains the clusters.
pub const SCORE_WEIGHTS: [(&str, f64); 3] = [
    ("macro silhouette, common space", 0.4),
    ("subsample stability (ARI)", 0.3),
    ("depth-2 tree accuracy on R/F/M", 0.3),
];

/// Scores every variant in place and returns the winner and why it won.
pub fn rank_variants(variants: &mut [Variant]) -> (usize, String) {
    for v in variants.iter_mut() {
        let separation = (v.silhouette_common.macro_score + 1.0) / 2.0;
        v.score = SCORE_WEIGHTS[0].1 * separation
            + SCORE_WEIGHTS[1].1 * v.stability_subsample.max(0.0)
            + SCORE_WEIGHTS[2].1 * v.interpretability.tree.accuracy;
    }
    let winner = (0..variants.len())
        .max_by(|&a, &b| variants[a].score.total_cmp(&variants[b].score))
        .unwrap_or(0);
    let best_own = (0..variants.len())
        .max_by(|&a, &b| {
            variants[a]
                .silhouette_own
                .score
                .total_cmp(&variants[b].silhouette_own.score)
        })
        .unwrap_or(0);
    let w = &variants[winner];
    let mut verdict = format!(
        "{} ranks first (score {:.3}): macro silhouette {:.3} in the common scaled-RFM space, \
         subsample stability {:.3}, and a two-rule tree on raw R/F/M reproduces {:.1}% of its labels.",
        w.name,
        w.score,
        w.silhouette_common.macro_score,
        w.stability_subsample,
        100.0 * w.interpretability.tree.accuracy,
    );
    if best_own != winner {
        let b = &variants[best_own];
        let smallest = b.sizes.iter().copied().min().unwrap_or(0);
        verdict.push_str(&format!(
            " {} has the highest silhouette in its own embedding ({:.3}), the kind of number the \
             seed reported, but its smallest cluster has {} customers and its macro silhouette \
             in the common space is {:.3}.",
            b.name, b.silhouette_own.score, smallest, b.silhouette_common.macro_score
        ));
    }
    (winner, verdict)
}

/// Silhouettes for every variant at k = 2..=10, plus KMeans inertia and mixture BIC.
fn k_sweep(
    embeddings: &Embeddings<'_>,
    seed: u64,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Vec<KSweepPoint>, PipelineError> {
    let ks: Vec<usize> = cluster::K_SWEEP.collect();
    let mut points: Vec<KSweepPoint> = ks
        .iter()
        .map(|&k| KSweepPoint {
            k,
            silhouette: BTreeMap::new(),
            inertia: BTreeMap::new(),
            bic: BTreeMap::new(),
        })
        .collect();
    let total = (Embedding::ALL.len() * Algorithm::ALL.len()) as u64;
    let mut done = 0;
    for embedding in Embedding::ALL {
        let x = embeddings.points(embedding);
        for algorithm in Algorithm::ALL {
            let name = format!("{}_{}", algorithm.short_name(), embedding.short_name());
            let clusterings = cluster::K_SWEEP
                .map(|k| embeddings.cluster(algorithm, embedding, k, seed))
                .collect::<Result<Vec<_>, _>>()?;
            for (point, clustering) in points.iter_mut().zip(clusterings) {
                if clustering.sizes.iter().filter(|&&s| s > 0).count() > 1 {
                    point.silhouette.insert(
                        name.clone(),
                        evaluate::silhouette_score(x, &clustering.labels)?,
                    );
                }
                match algorithm {
                    Algorithm::KMeans => {
                        point.inertia.insert(name.clone(), clustering.inertia);
                    }
                    Algorithm::Gmm => {
                        if let Some(bic) = clustering.bic {
                            point.bic.insert(name.clone(), bic);
                        }
                    }
                    Algorithm::Ward => {}
                }
            }
            done += 1;
            progress(done, total);
        }
    }
    Ok(points)
}

//! A fitted variant as plain numbers: the scaler, the projection (PCA or the encoder's layers)
//! and the rule that assigns a new customer to a cluster. Small (a few hundred numbers), so the
//! report carries it and the browser can compile SQL from a report alone.

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use super::WarehouseError;
use crate::core::cluster::Clustering;
use crate::core::embed::autoencoder::Encoder;
use crate::core::embed::{Pca, Scaler, Scaling};
use crate::core::personas::{cluster_profiles, personas};
use crate::core::pipeline::{Embedding, Report};

/// A fitted [`Scaler`]: `z = (f(x) - mean) / scale`, `f` the identity or `log1p`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalerParams {
    pub scaling: Scaling,
    pub mean: Vec<f64>,
    pub scale: Vec<f64>,
}

impl From<&Scaler> for ScalerParams {
    fn from(scaler: &Scaler) -> Self {
        ScalerParams {
            scaling: scaler.scaling(),
            mean: scaler.mean().to_vec(),
            scale: scaler.scale().to_vec(),
        }
    }
}

/// Scaled features to the 2-D embedding the clusters live in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Projection {
    /// `e_j = sum_i (z_i - mean_i) components[j][i]`.
    Pca {
        mean: Vec<f64>,
        components: Vec<Vec<f64>>,
    },
    /// Dense layers with ReLU between them.
    Encoder(Encoder),
}

/// The run's fitted scaler and embeddings, shared by its six variants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingModels {
    pub scaler: ScalerParams,
    pub pca: Projection,
    pub autoencoder: Projection,
}

impl EmbeddingModels {
    pub fn new(scaler: &Scaler, pca: &Pca, encoder: &Encoder) -> Self {
        EmbeddingModels {
            scaler: scaler.into(),
            pca: Projection::Pca {
                mean: pca.mean().to_vec(),
                components: rows(pca.components()),
            },
            autoencoder: Projection::Encoder(encoder.clone()),
        }
    }

    pub fn projection(&self, embedding: Embedding) -> &Projection {
        match embedding {
            Embedding::Pca => &self.pca,
            Embedding::Autoencoder => &self.autoencoder,
        }
    }
}

/// Sub-clusters of the Ward tree whose means assign a new customer (see
/// [`ClusterRule::NearestWardSubcluster`]): 64 moved 0.5% of AGGLO_PCA's customers on the seed
/// preset, 8 moved 1.7% and 128 0.2%, for twice the query.
pub const WARD_SUBCLUSTERS: usize = 64;

/// How a fitted clustering assigns a customer it has not seen (ties to the lowest cluster).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClusterRule {
    /// KMeans: the nearest centroid.
    NearestCentroid { centroids: Vec<Vec<f64>> },
    /// Ward: the tree cut finer, at [`WARD_SUBCLUSTERS`] clusters, each inside one of the k
    /// clusters; a customer joins the nearest of those sub-cluster means and takes its cluster.
    /// A tree's clusters are no Voronoi cells (on the seed preset, nearest of the k means moves
    /// 4.3% of AGGLO_PCA's own customers); the finer cut follows their borders.
    NearestWardSubcluster {
        /// The k cluster means (for refitting in an engine).
        centroids: Vec<Vec<f64>>,
        subcluster_centroids: Vec<Vec<f64>>,
        /// The cluster (0..k) of each sub-cluster.
        subcluster_clusters: Vec<usize>,
    },
    /// Mixture: the most probable component, `argmax log w + log N(x; mean, covariance)`.
    MostProbableComponent {
        weights: Vec<f64>,
        means: Vec<Vec<f64>>,
        covariances: Vec<Vec<Vec<f64>>>,
    },
}

impl ClusterRule {
    /// The rule of a KMeans or mixture clustering; Ward's needs its tree
    /// ([`ClusterRule::ward`]).
    pub fn of(clustering: &Clustering) -> ClusterRule {
        let centroids = rows(&clustering.centroids);
        match &clustering.mixture {
            Some(mixture) => ClusterRule::MostProbableComponent {
                weights: mixture.weights.to_vec(),
                means: centroids,
                covariances: mixture.covariances.iter().map(rows).collect(),
            },
            None => ClusterRule::NearestCentroid { centroids },
        }
    }

    /// Ward's rule from the clustering of every customer and a finer cut of the same tree;
    /// `tree_rows[i]` is the customer of the tree's row i (the sample's rows).
    pub fn ward(clustering: &Clustering, finer: &Clustering, tree_rows: &[usize]) -> ClusterRule {
        let mut subcluster_clusters = vec![0; finer.k];
        for (row, &subcluster) in finer.labels.iter().enumerate() {
            subcluster_clusters[subcluster] = clustering.labels[tree_rows[row]];
        }
        ClusterRule::NearestWardSubcluster {
            centroids: rows(&clustering.centroids),
            subcluster_centroids: rows(&finer.centroids),
            subcluster_clusters,
        }
    }

    pub fn clusters(&self) -> usize {
        self.centres().len()
    }

    /// One point per cluster in the embedding: centroids, or the mixture's means.
    pub fn centres(&self) -> &[Vec<f64>] {
        match self {
            ClusterRule::NearestCentroid { centroids }
            | ClusterRule::NearestWardSubcluster { centroids, .. } => centroids,
            ClusterRule::MostProbableComponent { means, .. } => means,
        }
    }
}

/// Everything that assigns a raw (recency, frequency, monetary) row to a segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentModel {
    /// The variant's name (KM_PCA, GMM_AE, ...).
    pub variant: String,
    pub scaler: ScalerParams,
    pub projection: Projection,
    pub rule: ClusterRule,
    /// The persona name of each cluster, as the studio shows it.
    pub personas: Vec<String>,
}

impl SegmentModel {
    /// The model of the report's variant named `variant`.
    pub fn from_report(report: &Report, variant: &str) -> Result<SegmentModel, WarehouseError> {
        let chosen = report
            .variants
            .iter()
            .find(|candidate| candidate.name == variant)
            .ok_or_else(|| WarehouseError::UnknownVariant(variant.to_owned()))?;
        let k = chosen.rule.clusters();
        let profiles = cluster_profiles(report.features().view(), &chosen.labels, k);
        Ok(SegmentModel {
            variant: chosen.name.clone(),
            scaler: report.models.scaler.clone(),
            projection: report.models.projection(chosen.embedding).clone(),
            rule: chosen.rule.clone(),
            personas: personas(&profiles)
                .into_iter()
                .map(|persona| persona.name)
                .collect(),
        })
    }
}

impl SegmentModel {
    /// The cluster of each raw (recency, frequency, monetary) row, by the same arithmetic as
    /// the scoring SQL: scale, project, then the rule (ties to the lowest cluster). Assigns
    /// customers the model never saw, e.g. the customers of an earlier date.
    pub fn assign(&self, raw: &[[f64; 3]]) -> Vec<usize> {
        let scaler = &self.scaler;
        let scaled = Array2::from_shape_fn((raw.len(), 3), |(i, j)| {
            let x = match scaler.scaling {
                Scaling::SeedCompatible => raw[i][j],
                Scaling::Log1p => raw[i][j].ln_1p(),
            };
            (x - scaler.mean[j]) / scaler.scale[j]
        });
        let points = match &self.projection {
            Projection::Pca { mean, components } => {
                Array2::from_shape_fn((raw.len(), components.len()), |(i, c)| {
                    (0..3)
                        .map(|j| (scaled[[i, j]] - mean[j]) * components[c][j])
                        .sum()
                })
            }
            Projection::Encoder(encoder) => encoder.encode(scaled.view()),
        };
        let cluster_of = self.rule.assigner();
        points
            .rows()
            .into_iter()
            .map(|x| cluster_of(x.as_slice().expect("a row of a standard-layout array")))
            .collect()
    }
}

impl ClusterRule {
    /// A function giving the cluster of one embedded point, with what every point shares
    /// (the mixture's Cholesky factors) computed once.
    fn assigner(&self) -> impl Fn(&[f64]) -> usize + '_ {
        let components: Vec<Component> = match self {
            ClusterRule::MostProbableComponent {
                weights,
                means,
                covariances,
            } => weights
                .iter()
                .zip(means.iter().zip(covariances))
                .map(|(w, (mean, covariance))| Component::new(*w, mean, covariance))
                .collect(),
            _ => Vec::new(),
        };
        move |x: &[f64]| {
            let squared = |c: &Vec<f64>| x.iter().zip(c).map(|(a, b)| (a - b).powi(2)).sum::<f64>();
            let nearest = |centres: &[Vec<f64>]| argbest(centres.iter().map(|c| -squared(c)));
            match self {
                ClusterRule::NearestCentroid { centroids } => nearest(centroids),
                ClusterRule::NearestWardSubcluster {
                    subcluster_centroids,
                    subcluster_clusters,
                    ..
                } => subcluster_clusters[nearest(subcluster_centroids)],
                ClusterRule::MostProbableComponent { .. } => {
                    argbest(components.iter().map(|c| c.log_weighted_density(x)))
                }
            }
        }
    }
}

/// The index of the largest score, the first of equals.
fn argbest(scores: impl Iterator<Item = f64>) -> usize {
    let mut best = (0, f64::NEG_INFINITY);
    for (i, score) in scores.enumerate() {
        if score > best.1 {
            best = (i, score);
        }
    }
    best.0
}

/// A mixture component as `log w + log N(x; mean, Σ)` evaluates it: through the covariance's
/// Cholesky factor L (LLᵀ = Σ), −½ (d log 2π + 2 Σ log L_ii + |L⁻¹(x − mean)|²).
struct Component<'m> {
    mean: &'m [f64],
    cholesky: Vec<Vec<f64>>,
    /// log w − ½ (d log 2π + 2 Σ log L_ii).
    constant: f64,
}

impl<'m> Component<'m> {
    fn new(weight: f64, mean: &'m [f64], covariance: &[Vec<f64>]) -> Self {
        let d = mean.len();
        let mut l = vec![vec![0.0; d]; d];
        for i in 0..d {
            for j in 0..=i {
                let sum: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
                l[i][j] = if i == j {
                    (covariance[i][i] - sum).max(f64::MIN_POSITIVE).sqrt()
                } else {
                    (covariance[i][j] - sum) / l[j][j]
                };
            }
        }
        let log_det: f64 = (0..d).map(|i| l[i][i].ln()).sum();
        Component {
            mean,
            constant: weight.ln()
                - 0.5 * (d as f64 * (2.0 * std::f64::consts::PI).ln() + 2.0 * log_det),
            cholesky: l,
        }
    }

    fn log_weighted_density(&self, x: &[f64]) -> f64 {
        let l = &self.cholesky;
        let mut solved = vec![0.0; x.len()];
        let mut mahalanobis = 0.0;
        for i in 0..x.len() {
            let sum: f64 = (0..i).map(|k| l[i][k] * solved[k]).sum();
            solved[i] = (x[i] - self.mean[i] - sum) / l[i][i];
            mahalanobis += solved[i] * solved[i];
        }
        self.constant - 0.5 * mahalanobis
    }
}

fn rows(matrix: &Array2<f64>) -> Vec<Vec<f64>> {
    matrix.rows().into_iter().map(|row| row.to_vec()).collect()
}

//! Clustering stage: KMeans, a full-covariance Gaussian mixture and Ward agglomeration on an
//! embedding (n rows x d columns), each for any k (the pipeline sweeps k over `K_SWEEP` so the
//! user can choose k with evidence).
//! All three follow scikit-learn's definitions so that numbers can be checked against it.

pub mod estimators;
pub mod gmm;
pub mod kmeans;
pub mod ward;

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::core::embed::array_serde;

pub use estimators::{GmmParams, KMeansParams};
pub use gmm::{GmmConfig, GmmFit, MixtureShape, gmm, gmm_from_labels};
pub use kmeans::{KMeansConfig, KMeansFit, kmeans, kmeans_from_centres};
pub use ward::WardTree;

/// The k values the studio sweeps so the user can choose k with evidence (KMeans inertia elbow,
/// mixture BIC minimum, silhouettes).
pub const K_SWEEP: std::ops::RangeInclusive<usize> = 2..=10;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Algorithm {
    KMeans,
    Gmm,
    Ward,
}

impl Algorithm {
    pub const ALL: [Algorithm; 3] = [Algorithm::KMeans, Algorithm::Gmm, Algorithm::Ward];

    /// The short name the seed's dashboard used (KM_PCA, GMM_AE, AGGLO_PCA, ...).
    pub fn short_name(self) -> &'static str {
        match self {
            Algorithm::KMeans => "KM",
            Algorithm::Gmm => "GMM",
            Algorithm::Ward => "AGGLO",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum ClusterError {
    #[error("cannot cluster an empty table")]
    Empty,
    #[error("k must be at least 1")]
    ZeroClusters,
    #[error("{k} clusters need at least {k} rows, got {rows}")]
    TooFewRows { rows: usize, k: usize },
    #[error("row {row}, column {column} is not a finite number")]
    NotFinite { row: usize, column: usize },
    #[error("expected {expected} columns, got {found}")]
    ColumnCount { expected: usize, found: usize },
    #[error("{labels} initial labels for {rows} rows (or a label >= k)")]
    InitialLabels { labels: usize, rows: usize },
    #[error("covariance of mixture component {component} stays singular even with regularisation")]
    SingularCovariance { component: usize },
    #[error("Ward extends a tree cut to the other rows, not a fit on a sample")]
    NeedsTree,
    #[error("linfa: {0}")]
    Linfa(String),
}

/// One clustering of the rows, whatever the algorithm.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Clustering {
    pub algorithm: Algorithm,
    pub k: usize,
    /// Cluster of each row, in 0..k.
    pub labels: Vec<usize>,
    /// One row per cluster, in the input space: KMeans centres, mixture means, Ward cluster means.
    #[serde(serialize_with = "array_serde::matrix")]
    pub centroids: Array2<f64>,
    pub sizes: Vec<usize>,
    /// Sum of squared distances of rows to their centroid (scikit-learn's KMeans `inertia_`).
    pub inertia: f64,
    /// Iterations of the best run (KMeans Lloyd steps, mixture EM steps); Ward has none.
    pub iterations: Option<usize>,
    /// Bayesian information criterion, scikit-learn's formula (mixture only; lower is better).
    pub bic: Option<f64>,
    /// Mean log-likelihood per row, scikit-learn's `score` (mixture only).
    pub mean_log_likelihood: Option<f64>,
    /// Weights and covariances (mixture only): with the centroids, what scores a new row.
    #[serde(skip)]
    pub mixture: Option<MixtureShape>,
}

/// Clusters `x` into `k` groups with the default settings of each algorithm (KMeans: k-means++
/// and 10 restarts; mixture: k-means start, reg_covar 1e-6; Ward: exact).
pub fn cluster(
    algorithm: Algorithm,
    x: ArrayView2<f64>,
    k: usize,
    seed: u64,
) -> Result<Clustering, ClusterError> {
    match algorithm {
        Algorithm::KMeans => Ok(kmeans(x, k, seed, &KMeansConfig::default())?.into_clustering()),
        Algorithm::Gmm => Ok(gmm(x, k, seed, &GmmConfig::default())?.into_clustering(x)),
        Algorithm::Ward => WardTree::fit(x)?.cut(k),
    }
}

/// Rejects what no algorithm can cluster, so the algorithms themselves never see NaN or k > n.
fn validate(x: ArrayView2<f64>, k: usize) -> Result<(), ClusterError> {
    if x.nrows() == 0 || x.ncols() == 0 {
        return Err(ClusterError::Empty);
    }
    if k == 0 {
        return Err(ClusterError::ZeroClusters);
    }
    if x.nrows() < k {
        return Err(ClusterError::TooFewRows { rows: x.nrows(), k });
    }
    match x.indexed_iter().find(|(_, v)| !v.is_finite()) {
        Some(((row, column), _)) => Err(ClusterError::NotFinite { row, column }),
        None => Ok(()),
    }
}

fn squared_distance<'a>(
    a: impl IntoIterator<Item = &'a f64>,
    b: impl IntoIterator<Item = &'a f64>,
) -> f64 {
    a.into_iter().zip(b).map(|(p, q)| (p - q) * (p - q)).sum()
}

fn cluster_sizes(labels: &[usize], k: usize) -> Vec<usize> {
    let mut sizes = vec![0; k];
    for &label in labels {
        sizes[label] += 1;
    }
    sizes
}

/// Mean of each cluster's rows (zeros for an empty cluster, which only a mixture can produce).
fn cluster_means(x: ArrayView2<f64>, labels: &[usize], k: usize) -> Array2<f64> {
    let mut sums = Array2::zeros((k, x.ncols()));
    for (row, &label) in x.rows().into_iter().zip(labels) {
        let mut sum = sums.row_mut(label);
        sum += &row;
    }
    for (mut sum, size) in sums.rows_mut().into_iter().zip(cluster_sizes(labels, k)) {
        if size > 0 {
            sum /= size as f64;
        }
    }
    sums
}

fn inertia(x: ArrayView2<f64>, labels: &[usize], centroids: &Array2<f64>) -> f64 {
    x.rows()
        .into_iter()
        .zip(labels)
        .map(|(row, &label)| squared_distance(row, centroids.row(label)))
        .sum()
}

/// KMeans or the mixture for every row of `x` at a cost linear in its rows, from a fit on the
/// rows `sample` (indices into `x`): KMeans takes the sample's best-of-`n_init` centres and
/// runs Lloyd on every row from them to convergence; the mixture fitted on the sample assigns
/// every row its most probable component (one E-step), and its BIC is over every row. Ward has
/// its own ([`extend_to_all_rows`]) and is refused here.
pub fn cluster_from_sample(
    algorithm: Algorithm,
    x: ArrayView2<f64>,
    sample: &[usize],
    k: usize,
    seed: u64,
) -> Result<Clustering, ClusterError> {
    let sampled = x.select(ndarray::Axis(0), sample);
    match algorithm {
        Algorithm::KMeans => {
            let config = KMeansConfig::default();
            let start = kmeans(sampled.view(), k, seed, &config)?;
            Ok(kmeans_from_centres(x, start.centroids.view(), &config)?.into_clustering())
        }
        Algorithm::Gmm => {
            let fit = gmm(sampled.view(), k, seed, &GmmConfig::default())?;
            let (labels, mean_log_likelihood) = fit.predict(x)?;
            Ok(Clustering {
                algorithm,
                k,
                sizes: cluster_sizes(&labels, k),
                inertia: inertia(x, &labels, &fit.means),
                labels,
                bic: Some(fit.bic_for(x.nrows(), mean_log_likelihood)),
                mean_log_likelihood: Some(mean_log_likelihood),
                mixture: Some(fit.shape()),
                centroids: fit.means,
                iterations: Some(fit.iterations),
            })
        }
        Algorithm::Ward => Err(ClusterError::NeedsTree),
    }
}

/// Extends a clustering of some rows (`rows`, indices into `x`) to every row of `x`: a row of
/// the clustering keeps its label; any other row joins the cluster whose Ward merge cost
/// `size/(size+1) x squared distance to its mean` is least, the cluster Ward would have merged
/// it into (Ward on a sample, the rest assigned: O(n k) for the rest instead of the tree's
/// O(n²)). Sizes, centroids and inertia are then those of every row.
pub fn extend_to_all_rows(
    partial: &Clustering,
    rows: &[usize],
    x: ArrayView2<f64>,
) -> Result<Clustering, ClusterError> {
    if rows.len() != partial.labels.len() || rows.iter().any(|&r| r >= x.nrows()) {
        return Err(ClusterError::InitialLabels {
            labels: partial.labels.len(),
            rows: x.nrows(),
        });
    }
    validate(x, partial.k)?;
    let weights: Vec<f64> = partial
        .sizes
        .iter()
        .map(|&size| size as f64 / (size as f64 + 1.0))
        .collect();
    let mut labels: Vec<usize> = x
        .rows()
        .into_iter()
        .map(|row| {
            let cost = |c: usize| weights[c] * squared_distance(row, partial.centroids.row(c));
            (0..partial.k)
                .filter(|&c| partial.sizes[c] > 0)
                .min_by(|&a, &b| cost(a).total_cmp(&cost(b)))
                .unwrap_or(0)
        })
        .collect();
    for (&row, &label) in rows.iter().zip(&partial.labels) {
        labels[row] = label;
    }
    let centroids = cluster_means(x, &labels, partial.k);
    Ok(Clustering {
        algorithm: partial.algorithm,
        k: partial.k,
        sizes: cluster_sizes(&labels, partial.k),
        inertia: inertia(x, &labels, &centroids),
        centroids,
        labels,
        iterations: partial.iterations,
        bic: None,
        mean_log_likelihood: None,
        mixture: None,
    })
}

//! Gaussian mixture with full covariances, fitted by EM exactly as scikit-learn's
//! `GaussianMixture` (k-means start, `reg_covar` on the diagonal, stop when the mean
//! log-likelihood changes by less than `tol`).
//!
//! Written here rather than taken from linfa-clustering 0.8.1, whose E-step normalises the
//! responsibilities without log-sum-exp: far-away points underflow to 0/0 = NaN. Here every
//! responsibility is computed in log space, and a covariance that is still not positive definite
//! after regularisation restarts EM with ten times the regularisation instead of failing.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::Serialize;

use super::{
    Algorithm, ClusterError, Clustering, KMeansConfig, array_serde, cluster_sizes, inertia, kmeans,
    validate,
};

#[derive(Debug, Clone, PartialEq)]
pub struct GmmConfig {
    /// Added to every covariance diagonal so that a component collapsing onto a line stays
    /// invertible.
    pub reg_covar: f64,
    pub max_iter: usize,
    /// On the change of the mean log-likelihood per row between EM steps.
    pub tol: f64,
}

impl Default for GmmConfig {
    /// scikit-learn's defaults.
    fn default() -> Self {
        Self {
            reg_covar: 1e-6,
            max_iter: 100,
            tol: 1e-3,
        }
    }
}

/// Retries with 10x the regularisation before giving up: 1e-6 -> 1e0 on standardised data.
const MAX_REGULARISATION_RETRIES: usize = 6;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GmmFit {
    /// Most probable component of each row.
    pub labels: Vec<usize>,
    #[serde(serialize_with = "array_serde::vector")]
    pub weights: Array1<f64>,
    #[serde(serialize_with = "array_serde::matrix")]
    pub means: Array2<f64>,
    #[serde(skip)]
    pub covariances: Vec<Array2<f64>>,
    /// scikit-learn's `score`: mean over rows of log p(x).
    pub mean_log_likelihood: f64,
    /// scikit-learn's `bic`: -2 n mean_log_likelihood + parameters ln n.
    pub bic: f64,
    pub iterations: usize,
    pub converged: bool,
    /// The regularisation actually used (larger than asked only after a singular covariance).
    pub reg_covar: f64,
}

/// What a fitted mixture needs besides its means to score new rows.
#[derive(Debug, Clone, PartialEq)]
pub struct MixtureShape {
    pub weights: Array1<f64>,
    pub covariances: Vec<Array2<f64>>,
}

impl GmmFit {
    pub fn shape(&self) -> MixtureShape {
        MixtureShape {
            weights: self.weights.clone(),
            covariances: self.covariances.clone(),
        }
    }

    pub fn into_clustering(self, x: ArrayView2<f64>) -> Clustering {
        let k = self.means.nrows();
        Clustering {
            mixture: Some(self.shape()),
            algorithm: Algorithm::Gmm,
            k,
            sizes: cluster_sizes(&self.labels, k),
            inertia: inertia(x, &self.labels, &self.means),
            labels: self.labels,
            centroids: self.means,
            iterations: Some(self.iterations),
            bic: Some(self.bic),
            mean_log_likelihood: Some(self.mean_log_likelihood),
        }
    }
}

impl GmmFit {
    /// The fitted mixture applied to other rows: each row's most probable component, and the
    /// mean log-likelihood of the rows (O(n k d²), no refitting).
    pub fn predict(&self, x: ArrayView2<f64>) -> Result<(Vec<usize>, f64), ClusterError> {
        validate(x, 1)?;
        if x.ncols() != self.means.ncols() {
            return Err(ClusterError::ColumnCount {
                expected: self.means.ncols(),
                found: x.ncols(),
            });
        }
        let cholesky = self
            .covariances
            .iter()
            .enumerate()
            .map(|(component, c)| {
                lower_cholesky(c).ok_or(ClusterError::SingularCovariance { component })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mixture = Mixture {
            weights: self.weights.clone(),
            means: self.means.clone(),
            covariances: self.covariances.clone(),
            cholesky,
        };
        Ok(most_probable_components(x, &mixture))
    }

    /// scikit-learn's BIC of this mixture for `n` rows with the given mean log-likelihood.
    pub fn bic_for(&self, n: usize, mean_log_likelihood: f64) -> f64 {
        let (k, d) = self.means.dim();
        let parameters = k * d * (d + 1) / 2 + k * d + k - 1;
        -2.0 * mean_log_likelihood * n as f64 + parameters as f64 * (n as f64).ln()
    }
}

/// Fits a k-component mixture started, like scikit-learn, from one k-means++ KMeans run.
pub fn gmm(
    x: ArrayView2<f64>,
    k: usize,
    seed: u64,
    config: &GmmConfig,
) -> Result<GmmFit, ClusterError> {
    let start = KMeansConfig {
        n_init: 1,
        ..KMeansConfig::default()
    };
    let initial = kmeans(x, k, seed, &start)?;
    gmm_from_labels(x, &initial.labels, k, config)
}

/// Fits a mixture whose EM starts from a hard assignment (each row fully in its labelled
/// component), the way scikit-learn turns its k-means start into responsibilities.
pub fn gmm_from_labels(
    x: ArrayView2<f64>,
    initial_labels: &[usize],
    k: usize,
    config: &GmmConfig,
) -> Result<GmmFit, ClusterError> {
    validate(x, k)?;
    if initial_labels.len() != x.nrows() || initial_labels.iter().any(|&l| l >= k) {
        return Err(ClusterError::InitialLabels {
            labels: initial_labels.len(),
            rows: x.nrows(),
        });
    }
    let mut responsibilities = Array2::zeros((x.nrows(), k));
    for (i, &label) in initial_labels.iter().enumerate() {
        responsibilities[[i, label]] = 1.0;
    }
    let mut reg_covar = config.reg_covar;
    let mut retries = 0;
    loop {
        match expectation_maximisation(x, &responsibilities, reg_covar, config) {
            Err(ClusterError::SingularCovariance { .. })
                if retries < MAX_REGULARISATION_RETRIES =>
            {
                retries += 1;
                reg_covar = if reg_covar > 0.0 {
                    reg_covar * 10.0
                } else {
                    1e-6
                };
            }
            result => return result,
        }
    }
}

/// Mixture parameters; covariances are kept as their lower Cholesky factors.
struct Mixture {
    weights: Array1<f64>,
    means: Array2<f64>,
    covariances: Vec<Array2<f64>>,
    cholesky: Vec<Array2<f64>>,
}

fn expectation_maximisation(
    x: ArrayView2<f64>,
    initial_responsibilities: &Array2<f64>,
    reg_covar: f64,
    config: &GmmConfig,
) -> Result<GmmFit, ClusterError> {
    let n = x.nrows();
    let mut mixture = maximisation(x, initial_responsibilities, reg_covar)?;
    // scikit-learn's start divides by n rather than renormalising; kept for identical numbers.
    mixture.weights = initial_responsibilities
        .sum_axis(Axis(0))
        .mapv(|w| w + nk_floor())
        / n as f64;

    let mut lower_bound = f64::NEG_INFINITY;
    let mut converged = false;
    let mut iterations = 0;
    while iterations < config.max_iter {
        iterations += 1;
        let previous = lower_bound;
        let (mean_log_likelihood, log_responsibilities) = expectation(x, &mixture);
        mixture = maximisation(x, &log_responsibilities.mapv(f64::exp), reg_covar)?;
        lower_bound = mean_log_likelihood;
        if (lower_bound - previous).abs() < config.tol {
            converged = true;
            break;
        }
    }
    let (labels, mean_log_likelihood) = most_probable_components(x, &mixture);
    let mut fit = GmmFit {
        labels,
        weights: mixture.weights,
        means: mixture.means,
        covariances: mixture.covariances,
        mean_log_likelihood,
        bic: 0.0,
        iterations,
        converged,
        reg_covar,
    };
    fit.bic = fit.bic_for(n, mean_log_likelihood);
    Ok(fit)
}

/// Each row's most probable component under `mixture`, and the rows' mean log-likelihood.
fn most_probable_components(x: ArrayView2<f64>, mixture: &Mixture) -> (Vec<usize>, f64) {
    let (mean_log_likelihood, log_responsibilities) = expectation(x, mixture);
    let labels = log_responsibilities
        .rows()
        .into_iter()
        .map(|row| argmax(row.iter().copied()))
        .collect();
    (labels, mean_log_likelihood)
}

/// scikit-learn adds 10 machine epsilons to every component's weight so that an emptied
/// component divides by a tiny number instead of zero.
fn nk_floor() -> f64 {
    10.0 * f64::EPSILON
}

/// M-step: weights, means and regularised covariances from the responsibilities.
fn maximisation(
    x: ArrayView2<f64>,
    responsibilities: &Array2<f64>,
    reg_covar: f64,
) -> Result<Mixture, ClusterError> {
    let nk = responsibilities.sum_axis(Axis(0)).mapv(|w| w + nk_floor());
    let means = responsibilities.t().dot(&x) / nk.view().insert_axis(Axis(1));
    let mut covariances = Vec::with_capacity(nk.len());
    let mut cholesky = Vec::with_capacity(nk.len());
    for (component, (mean, &weight)) in means.rows().into_iter().zip(&nk).enumerate() {
        let centred = &x - &mean;
        let weighted = &centred * &responsibilities.column(component).insert_axis(Axis(1));
        let mut covariance = weighted.t().dot(&centred) / weight;
        covariance.diag_mut().mapv_inplace(|v| v + reg_covar);
        cholesky.push(
            lower_cholesky(&covariance).ok_or(ClusterError::SingularCovariance { component })?,
        );
        covariances.push(covariance);
    }
    let total: f64 = nk.sum();
    Ok(Mixture {
        weights: nk / total,
        means,
        covariances,
        cholesky,
    })
}

/// E-step in log space: returns the mean log-likelihood and log responsibilities.
fn expectation(x: ArrayView2<f64>, mixture: &Mixture) -> (f64, Array2<f64>) {
    let (n, d) = x.dim();
    let k = mixture.weights.len();
    let log_two_pi = (2.0 * std::f64::consts::PI).ln();
    let log_dets: Vec<f64> = mixture
        .cholesky
        .iter()
        .map(|l| l.diag().iter().map(|v| v.ln()).sum())
        .collect();
    let mut log_responsibilities = Array2::zeros((n, k));
    let mut total = 0.0;
    let mut whitened = vec![0.0; d];
    for (point, mut log_resp) in x.rows().into_iter().zip(log_responsibilities.rows_mut()) {
        for component in 0..k {
            let l = &mixture.cholesky[component];
            let mean = mixture.means.row(component);
            // Solve L y = x - mean; |y|^2 is the Mahalanobis distance.
            for i in 0..d {
                let partial: f64 = (0..i).map(|j| l[[i, j]] * whitened[j]).sum();
                whitened[i] = (point[i] - mean[i] - partial) / l[[i, i]];
            }
            let mahalanobis: f64 = whitened.iter().map(|v| v * v).sum();
            log_resp[component] = mixture.weights[component].ln()
                - 0.5 * (d as f64 * log_two_pi + mahalanobis)
                - log_dets[component];
        }
        let max = log_resp.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let log_norm = max + log_resp.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
        log_resp.mapv_inplace(|v| v - log_norm);
        total += log_norm;
    }
    (total / n as f64, log_responsibilities)
}

/// Lower-triangular L with L Lᵀ = a, or None if `a` is not (numerically) positive definite.
pub(crate) fn lower_cholesky(a: &Array2<f64>) -> Option<Array2<f64>> {
    let d = a.nrows();
    let mut l = Array2::zeros((d, d));
    for i in 0..d {
        for j in 0..=i {
            let partial: f64 = (0..j).map(|m| l[[i, m]] * l[[j, m]]).sum();
            if i == j {
                let pivot = a[[i, i]] - partial;
                if !pivot.is_finite() || pivot <= 0.0 {
                    return None;
                }
                l[[i, i]] = pivot.sqrt();
            } else {
                l[[i, j]] = (a[[i, j]] - partial) / l[[j, j]];
            }
        }
    }
    Some(l)
}

fn argmax(values: impl Iterator<Item = f64>) -> usize {
    values
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |best, (i, v)| {
            if v > best.1 { (i, v) } else { best }
        })
        .0
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn far_outliers_do_not_make_nan() {
        // Responsibilities of the 1e6 row underflow to 0 for every component without log-sum-exp.
        let x = array![
            [0.0, 0.0],
            [0.1, 0.2],
            [0.2, 0.1],
            [5.0, 5.0],
            [5.1, 5.2],
            [1e6, -1e6]
        ];
        let fit = gmm(x.view(), 2, 3, &GmmConfig::default()).unwrap();
        assert!(fit.mean_log_likelihood.is_finite() && fit.bic.is_finite());
        assert!(fit.means.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn identical_rows_are_regularised_not_singular() {
        let x = array![[1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [3.0, 2.0], [3.0, 2.0]];
        let fit = gmm(x.view(), 2, 0, &GmmConfig::default()).unwrap();
        assert!(fit.mean_log_likelihood.is_finite());
        assert_eq!(
            cluster_sizes(&fit.labels, 2)
                .iter()
                .filter(|&&s| s > 0)
                .count(),
            2
        );
    }

    #[test]
    fn cholesky_rebuilds_and_rejects() {
        let a = array![[4.0, 2.0], [2.0, 3.0]];
        let l = lower_cholesky(&a).unwrap();
        let rebuilt = l.dot(&l.t());
        assert!(
            rebuilt
                .iter()
                .zip(a.iter())
                .all(|(p, q)| (p - q).abs() < 1e-12)
        );
        assert!(lower_cholesky(&array![[1.0, 2.0], [2.0, 1.0]]).is_none());
    }
}

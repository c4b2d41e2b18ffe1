//! Principal component analysis by exact eigen-decomposition of the covariance matrix: with
//! three features this is cheaper and more accurate than an SVD of the whole table, and it is
//! what scikit-learn's `PCA` does for tall inputs (`svd_solver="covariance_eigh"`).

use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::Serialize;
use thiserror::Error;

use super::array_serde;

#[derive(Debug, Clone, PartialEq, Error)]
pub enum PcaError {
    #[error("PCA needs at least 2 rows, got {0}")]
    TooFewRows(usize),
    #[error("asked for {requested} components but the data allows at most {available}")]
    TooManyComponents { requested: usize, available: usize },
    #[error("expected {expected} columns, got {found}")]
    ColumnCount { expected: usize, found: usize },
    #[error("row {row}, column {column} is not a finite number")]
    NotFinite { row: usize, column: usize },
}

/// A fitted projection onto the leading principal axes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pca {
    #[serde(serialize_with = "array_serde::vector")]
    mean: Array1<f64>,
    /// One unit-length axis per row, by decreasing variance. Signs follow scikit-learn's
    /// `svd_flip(u_based_decision=False)`: each row's largest-magnitude entry is positive, so
    /// the axes (and the plots drawn on them) match scikit-learn's exactly.
    #[serde(serialize_with = "array_serde::matrix")]
    components: Array2<f64>,
    /// Variance along each kept axis (sample variance, n - 1).
    #[serde(serialize_with = "array_serde::vector")]
    explained_variance: Array1<f64>,
    /// Share of the total variance (all axes, kept or not) along each kept axis.
    #[serde(serialize_with = "array_serde::vector")]
    explained_variance_ratio: Array1<f64>,
}

impl Pca {
    pub fn fit(x: ArrayView2<f64>, n_components: usize) -> Result<Self, PcaError> {
        let (n, d) = x.dim();
        if n < 2 {
            return Err(PcaError::TooFewRows(n));
        }
        let available = n.min(d);
        if n_components == 0 || n_components > available {
            return Err(PcaError::TooManyComponents {
                requested: n_components,
                available,
            });
        }
        check_finite(x)?;
        let mean = x.mean_axis(Axis(0)).ok_or(PcaError::TooFewRows(n))?;
        let centred = &x - &mean;
        let covariance = centred.t().dot(&centred) / (n as f64 - 1.0);
        let (eigenvalues, eigenvectors) = symmetric_eigen(covariance);

        let mut order: Vec<usize> = (0..d).collect();
        order.sort_by(|&a, &b| eigenvalues[b].total_cmp(&eigenvalues[a]));
        // Round-off can make a null direction's eigenvalue slightly negative.
        let variances: Vec<f64> = order.iter().map(|&i| eigenvalues[i].max(0.0)).collect();
        let total: f64 = variances.iter().sum();

        let mut components = Array2::zeros((n_components, d));
        for (mut row, &i) in components.rows_mut().into_iter().zip(&order) {
            row.assign(&eigenvectors.column(i));
            let largest = row
                .iter()
                .copied()
                .reduce(|best, v| if v.abs() > best.abs() { v } else { best })
                .unwrap_or(1.0);
            if largest < 0.0 {
                row.mapv_inplace(|v| -v);
            }
        }
        let explained_variance = Array1::from(variances[..n_components].to_vec());
        let explained_variance_ratio = if total > 0.0 {
            &explained_variance / total
        } else {
            Array1::zeros(n_components)
        };
        Ok(Self {
            mean,
            components,
            explained_variance,
            explained_variance_ratio,
        })
    }

    pub fn transform(&self, x: ArrayView2<f64>) -> Result<Array2<f64>, PcaError> {
        if x.ncols() != self.mean.len() {
            return Err(PcaError::ColumnCount {
                expected: self.mean.len(),
                found: x.ncols(),
            });
        }
        check_finite(x)?;
        Ok((&x - &self.mean).dot(&self.components.t()))
    }

    pub fn fit_transform(
        x: ArrayView2<f64>,
        n_components: usize,
    ) -> Result<(Self, Array2<f64>), PcaError> {
        let pca = Self::fit(x, n_components)?;
        let projected = pca.transform(x)?;
        Ok((pca, projected))
    }

    pub fn mean(&self) -> &Array1<f64> {
        &self.mean
    }

    pub fn components(&self) -> &Array2<f64> {
        &self.components
    }

    pub fn explained_variance(&self) -> &Array1<f64> {
        &self.explained_variance
    }

    pub fn explained_variance_ratio(&self) -> &Array1<f64> {
        &self.explained_variance_ratio
    }
}

fn check_finite(x: ArrayView2<f64>) -> Result<(), PcaError> {
    match x.indexed_iter().find(|(_, v)| !v.is_finite()) {
        Some(((row, column), _)) => Err(PcaError::NotFinite { row, column }),
        None => Ok(()),
    }
}

/// Cyclic Jacobi rotations: for the handful of features RFM has, this converges to full
/// double precision in a few sweeps and needs no LAPACK (which wasm32 lacks).
/// Returns the eigenvalues and the eigenvectors as columns, unsorted.
fn symmetric_eigen(mut a: Array2<f64>) -> (Array1<f64>, Array2<f64>) {
    const MAX_SWEEPS: usize = 100;
    let d = a.nrows();
    let mut vectors = Array2::eye(d);
    for _ in 0..MAX_SWEEPS {
        let off_diagonal: f64 = (0..d)
            .flat_map(|p| (p + 1..d).map(move |q| (p, q)))
            .map(|(p, q)| a[[p, q]] * a[[p, q]])
            .sum();
        let diagonal: f64 = (0..d).map(|p| a[[p, p]] * a[[p, p]]).sum();
        if off_diagonal <= f64::EPSILON * f64::EPSILON * diagonal {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                if a[[p, q]] == 0.0 {
                    continue;
                }
                let theta = (a[[q, q]] - a[[p, p]]) / (2.0 * a[[p, q]]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..d {
                    let (akp, akq) = (a[[k, p]], a[[k, q]]);
                    a[[k, p]] = c * akp - s * akq;
                    a[[k, q]] = s * akp + c * akq;
                }
                for k in 0..d {
                    let (apk, aqk) = (a[[p, k]], a[[q, k]]);
                    a[[p, k]] = c * apk - s * aqk;
                    a[[q, k]] = s * apk + c * aqk;
                }
                for k in 0..d {
                    let (vkp, vkq) = (vectors[[k, p]], vectors[[k, q]]);
                    vectors[[k, p]] = c * vkp - s * vkq;
                    vectors[[k, q]] = s * vkp + c * vkq;
                }
            }
        }
    }
    (a.diag().to_owned(), vectors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn eigen_decomposition_reconstructs_the_matrix() {
        let a = array![[4.0, 1.0, 2.0], [1.0, 3.0, 0.5], [2.0, 0.5, 5.0]];
        let (values, vectors) = symmetric_eigen(a.clone());
        let rebuilt = vectors.dot(&Array2::from_diag(&values)).dot(&vectors.t());
        for (x, y) in rebuilt.iter().zip(a.iter()) {
            assert!((x - y).abs() < 1e-12);
        }
        let identity = vectors.t().dot(&vectors);
        for ((i, j), v) in identity.indexed_iter() {
            assert!((v - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12);
        }
    }

    #[test]
    fn rejects_impossible_requests() {
        let x = array![[1.0, 2.0], [3.0, 5.0], [4.0, 4.0]];
        assert_eq!(
            Pca::fit(x.view(), 3),
            Err(PcaError::TooManyComponents {
                requested: 3,
                available: 2
            })
        );
        assert_eq!(
            Pca::fit(x.slice(ndarray::s![..1, ..]), 1),
            Err(PcaError::TooFewRows(1))
        );
    }
}

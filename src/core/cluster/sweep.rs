//! The k sweep: one clustering per k so the user can choose k with evidence (KMeans inertia
//! elbow, mixture BIC minimum; silhouettes are computed by `evaluate` from the labels).

use std::ops::RangeInclusive;

use ndarray::ArrayView2;

use super::{Algorithm, ClusterError, Clustering, WardTree, cluster};

/// The k values the studio offers.
pub const K_SWEEP: RangeInclusive<usize> = 2..=10;

/// Clusters `x` once per k in `ks`. Ward builds its tree once and cuts it per k.
pub fn sweep(
    algorithm: Algorithm,
    x: ArrayView2<f64>,
    ks: RangeInclusive<usize>,
    seed: u64,
) -> Result<Vec<Clustering>, ClusterError> {
    match algorithm {
        Algorithm::Ward => {
            let tree = WardTree::fit(x)?;
            ks.map(|k| tree.cut(k)).collect()
        }
        Algorithm::KMeans | Algorithm::Gmm => ks.map(|k| cluster(algorithm, x, k, seed)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn one_clustering_per_k_in_order() {
        let x = Array2::from_shape_fn((40, 2), |(i, j)| ((i * 7 + j * 3) % 11) as f64);
        for algorithm in Algorithm::ALL {
            let results = sweep(algorithm, x.view(), K_SWEEP, 5).unwrap();
            let ks: Vec<usize> = results.iter().map(|c| c.k).collect();
            assert_eq!(ks, K_SWEEP.collect::<Vec<_>>());
            assert!(results.iter().all(|c| c.labels.iter().all(|&l| l < c.k)));
            assert_eq!(results[0].bic.is_some(), algorithm == Algorithm::Gmm);
        }
    }
}

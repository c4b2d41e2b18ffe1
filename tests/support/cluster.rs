//! Helpers of the cluster_* tests: matrices, tolerances and label comparisons.

use std::collections::HashMap;

use ndarray::{Array2, ArrayView2};

pub fn matrix(rows: &[Vec<f64>]) -> Array2<f64> {
    let cols = rows.first().map_or(0, Vec::len);
    Array2::from_shape_vec((rows.len(), cols), rows.concat()).expect("rectangular rows")
}

pub fn assert_close(actual: f64, expected: f64, relative: f64, what: &str) {
    let scale = expected.abs().max(1e-300);
    assert!(
        (actual - expected).abs() <= relative * scale,
        "{what}: {actual} vs reference {expected} (relative error {:e})",
        (actual - expected).abs() / scale
    );
}

/// KMeans inertia within 0.1% of a reference, or at least no worse than 0.1% above
/// `sklearn_best_of_10` and no lower than 0.1% below `lowest_known` (random restarts land in
/// different local optima; both bounds come from scikit-learn).
pub fn assert_kmeans_inertia(actual: f64, sklearn_best_of_10: f64, lowest_known: f64, what: &str) {
    assert!(
        actual <= sklearn_best_of_10 * (1.0 + 1e-3) && actual >= lowest_known * (1.0 - 1e-3),
        "{what}: {actual}, scikit-learn best of 10 {sklearn_best_of_10}, lowest known {lowest_known}"
    );
}

/// True when two labelings define the same partition (equal up to renaming the labels).
pub fn same_partition(a: &[usize], b: &[usize]) -> bool {
    let mut forward = HashMap::new();
    let mut backward = HashMap::new();
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            *forward.entry(x).or_insert(y) == y && *backward.entry(y).or_insert(x) == x
        })
}

/// Adjusted Rand index, from the product's metrics (checked against scikit-learn in
/// tests/evaluate_reference.rs).
pub fn adjusted_rand_index(a: &[usize], b: &[usize]) -> f64 {
    rfm_studio::core::evaluate::adjusted_rand_index(a, b).expect("equal-length labelings")
}

/// Mean silhouette, from the product's metrics (checked against scikit-learn).
pub fn silhouette(x: ArrayView2<f64>, labels: &[usize]) -> f64 {
    rfm_studio::core::evaluate::silhouette_score(x, labels).expect("2 <= clusters <= n - 1")
}

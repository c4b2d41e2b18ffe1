//! Helpers shared by the cluster_* tests: fixture loading and the label comparisons the
//! tests need (the product's metrics live in `core::evaluate`; these are independent, minimal
//! re-statements of the textbook formulas, so a bug there cannot hide a bug here).
// Each test binary uses only some of these helpers.
#![allow(dead_code)]

use std::collections::HashMap;

use ndarray::{Array2, ArrayView2};
use serde::de::DeserializeOwned;

pub fn fixture<T: DeserializeOwned>(name: &str) -> T {
    let path = format!(
        "{}/tests/fixtures/cluster/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

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

/// Adjusted Rand index (Hubert & Arabie), from the contingency table.
pub fn adjusted_rand_index(a: &[usize], b: &[usize]) -> f64 {
    let pairs = |n: f64| n * (n - 1.0) / 2.0;
    let mut table: HashMap<(usize, usize), f64> = HashMap::new();
    let mut rows: HashMap<usize, f64> = HashMap::new();
    let mut cols: HashMap<usize, f64> = HashMap::new();
    for (&x, &y) in a.iter().zip(b) {
        *table.entry((x, y)).or_default() += 1.0;
        *rows.entry(x).or_default() += 1.0;
        *cols.entry(y).or_default() += 1.0;
    }
    let index: f64 = table.values().map(|&n| pairs(n)).sum();
    let row_sum: f64 = rows.values().map(|&n| pairs(n)).sum();
    let col_sum: f64 = cols.values().map(|&n| pairs(n)).sum();
    let expected = row_sum * col_sum / pairs(a.len() as f64);
    let max = (row_sum + col_sum) / 2.0;
    (index - expected) / (max - expected)
}

/// Mean silhouette (Euclidean), 0 for rows alone in their cluster, as scikit-learn defines it.
pub fn silhouette(x: ArrayView2<f64>, labels: &[usize]) -> f64 {
    let k = labels.iter().max().map_or(0, |m| m + 1);
    let mut sizes = vec![0.0; k];
    for &l in labels {
        sizes[l] += 1.0;
    }
    let rows: Vec<_> = x.rows().into_iter().collect();
    let total: f64 = rows
        .iter()
        .zip(labels)
        .map(|(row, &own)| {
            if sizes[own] <= 1.0 {
                return 0.0;
            }
            let mut sums = vec![0.0; k];
            for (other, &label) in rows.iter().zip(labels) {
                sums[label] += row
                    .iter()
                    .zip(other.iter())
                    .map(|(p, q)| (p - q) * (p - q))
                    .sum::<f64>()
                    .sqrt();
            }
            let a = sums[own] / (sizes[own] - 1.0);
            let b = (0..k)
                .filter(|&c| c != own && sizes[c] > 0.0)
                .map(|c| sums[c] / sizes[c])
                .fold(f64::INFINITY, f64::min);
            (b - a) / a.max(b)
        })
        .sum();
    total / labels.len() as f64
}

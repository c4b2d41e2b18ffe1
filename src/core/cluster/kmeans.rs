//! KMeans as scikit-learn runs it: greedy k-means++ seeding, Lloyd iterations until the labels
//! stop changing or the centres move less than `tol` x the mean feature variance, best of
//! `n_init` runs by inertia.
//!
//! Written here rather than taken from linfa-clustering 0.8.1, whose KMeans differs from
//! scikit-learn in ways that matter for an inertia comparison: plain (not greedy) k-means++,
//! an absolute tolerance on the centre shift, and a reported inertia computed against the
//! centres of the previous iteration.

use ndarray::{Array2, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256Plus;
use serde::Serialize;

use super::{
    Algorithm, ClusterError, Clustering, array_serde, cluster_sizes, squared_distance, validate,
};

#[derive(Debug, Clone, PartialEq)]
pub struct KMeansConfig {
    /// Independent k-means++ starts; the lowest inertia wins.
    pub n_init: usize,
    pub max_iter: usize,
    /// Relative to the mean per-feature variance, as in scikit-learn.
    pub tol: f64,
}

impl Default for KMeansConfig {
    /// scikit-learn's defaults, with the 10 restarts the seed project used.
    fn default() -> Self {
        Self {
            n_init: 10,
            max_iter: 300,
            tol: 1e-4,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KMeansFit {
    pub labels: Vec<usize>,
    #[serde(serialize_with = "array_serde::matrix")]
    pub centroids: Array2<f64>,
    pub inertia: f64,
    /// Lloyd iterations of the winning run.
    pub iterations: usize,
}

impl KMeansFit {
    pub fn into_clustering(self) -> Clustering {
        let k = self.centroids.nrows();
        Clustering {
            algorithm: Algorithm::KMeans,
            k,
            sizes: cluster_sizes(&self.labels, k),
            labels: self.labels,
            centroids: self.centroids,
            inertia: self.inertia,
            iterations: Some(self.iterations),
            bic: None,
            mean_log_likelihood: None,
            mixture: None,
        }
    }
}

pub fn kmeans(
    x: ArrayView2<f64>,
    k: usize,
    seed: u64,
    config: &KMeansConfig,
) -> Result<KMeansFit, ClusterError> {
    validate(x, k)?;
    let points = Points::new(x);
    let tolerance = config.tol * mean_variance(&points);
    let mut rng = Xoshiro256Plus::seed_from_u64(seed);
    let mut best: Option<KMeansFit> = None;
    for _ in 0..config.n_init.max(1) {
        let centres = kmeans_plus_plus(&points, k, &mut rng);
        let run = lloyd(&points, centres, config.max_iter.max(1), tolerance);
        if best.as_ref().is_none_or(|b| run.inertia < b.inertia) {
            best = Some(run);
        }
    }
    Ok(best.expect("n_init is at least 1"))
}

/// One Lloyd run from the given starting centres (scikit-learn's `init=centres, n_init=1`):
/// for warm starts, and to check Lloyd against a reference independently of the random seeding.
pub fn kmeans_from_centres(
    x: ArrayView2<f64>,
    centres: ArrayView2<f64>,
    config: &KMeansConfig,
) -> Result<KMeansFit, ClusterError> {
    validate(x, centres.nrows())?;
    validate(centres, 1)?;
    if centres.ncols() != x.ncols() {
        return Err(ClusterError::ColumnCount {
            expected: x.ncols(),
            found: centres.ncols(),
        });
    }
    let points = Points::new(x);
    let tolerance = config.tol * mean_variance(&points);
    Ok(lloyd(
        &points,
        centres.as_standard_layout().into_owned(),
        config.max_iter.max(1),
        tolerance,
    ))
}

/// Row-major copy of the data, so that the inner loops work on plain slices.
struct Points {
    values: Vec<f64>,
    dim: usize,
}

impl Points {
    fn new(x: ArrayView2<f64>) -> Self {
        Self {
            values: x.iter().copied().collect(),
            dim: x.ncols(),
        }
    }

    fn len(&self) -> usize {
        self.values.len() / self.dim
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.values[i * self.dim..(i + 1) * self.dim]
    }

    fn rows(&self) -> impl Iterator<Item = &[f64]> {
        self.values.chunks_exact(self.dim)
    }
}

fn mean_variance(points: &Points) -> f64 {
    let n = points.len() as f64;
    let total: f64 = (0..points.dim)
        .map(|j| {
            let mean = points.rows().map(|r| r[j]).sum::<f64>() / n;
            points.rows().map(|r| (r[j] - mean).powi(2)).sum::<f64>() / n
        })
        .sum();
    total / points.dim as f64
}

/// Greedy k-means++ (scikit-learn's `_kmeans_plusplus`): each new centre is the best, by
/// resulting potential, of `2 + ln k` candidates drawn proportionally to squared distance.
fn kmeans_plus_plus(points: &Points, k: usize, rng: &mut impl Rng) -> Array2<f64> {
    let n = points.len();
    let trials = 2 + (k as f64).ln() as usize;
    let mut centres = Array2::zeros((k, points.dim));
    let first = rng.gen_range(0..n);
    centres
        .row_mut(0)
        .assign(&ndarray::aview1(points.row(first)));
    let mut closest: Vec<f64> = points
        .rows()
        .map(|r| squared_distance(r, points.row(first)))
        .collect();
    let mut potential: f64 = closest.iter().sum();
    let mut cumulative = vec![0.0; n];
    let mut candidate_closest = vec![0.0; n];
    for c in 1..k {
        let mut running = 0.0;
        for (cum, d) in cumulative.iter_mut().zip(&closest) {
            running += d;
            *cum = running;
        }
        let mut best: Option<(usize, f64, Vec<f64>)> = None;
        for _ in 0..trials {
            let target = rng.r#gen::<f64>() * potential;
            let candidate = cumulative.partition_point(|&v| v < target).min(n - 1);
            for (i, (new, old)) in candidate_closest.iter_mut().zip(&closest).enumerate() {
                *new = old.min(squared_distance(points.row(i), points.row(candidate)));
            }
            let candidate_potential: f64 = candidate_closest.iter().sum();
            if best.as_ref().is_none_or(|b| candidate_potential < b.1) {
                best = Some((candidate, candidate_potential, candidate_closest.clone()));
            }
        }
        let (chosen, chosen_potential, chosen_closest) = best.expect("at least two trials");
        centres
            .row_mut(c)
            .assign(&ndarray::aview1(points.row(chosen)));
        potential = chosen_potential;
        closest = chosen_closest;
    }
    centres
}

fn lloyd(points: &Points, mut centres: Array2<f64>, max_iter: usize, tolerance: f64) -> KMeansFit {
    let (n, k) = (points.len(), centres.nrows());
    let mut labels = vec![usize::MAX; n];
    let mut new_labels = vec![0; n];
    let mut distances = vec![0.0; n];
    let mut labels_stable = false;
    let mut iterations = 0;
    while iterations < max_iter {
        iterations += 1;
        assign(points, &centres, &mut new_labels, &mut distances);
        let new_centres = update_centres(points, &new_labels, &distances, k);
        let shift: f64 = centres
            .rows()
            .into_iter()
            .zip(new_centres.rows())
            .map(|(old, new)| squared_distance(old, new))
            .sum();
        centres = new_centres;
        if new_labels == labels {
            labels_stable = true;
            break;
        }
        labels.copy_from_slice(&new_labels);
        if shift <= tolerance {
            break;
        }
    }
    if !labels_stable {
        // The last update moved the centres: label the rows by the centres actually returned.
        assign(points, &centres, &mut new_labels, &mut distances);
    }
    KMeansFit {
        inertia: distances.iter().sum(),
        labels: new_labels,
        centroids: centres,
        iterations,
    }
}

/// Nearest centre of each row, with its squared distance.
fn assign(points: &Points, centres: &Array2<f64>, labels: &mut [usize], distances: &mut [f64]) {
    let centres: Vec<&[f64]> = centres
        .rows()
        .into_iter()
        .map(|r| r.to_slice().expect("centres are row-major"))
        .collect();
    for ((row, label), distance) in points.rows().zip(labels).zip(distances) {
        let (nearest, best) = centres
            .iter()
            .map(|c| squared_distance(row, *c))
            .enumerate()
            .fold(
                (0, f64::INFINITY),
                |best, (j, d)| if d < best.1 { (j, d) } else { best },
            );
        *label = nearest;
        *distance = best;
    }
}

/// Cluster means; an empty cluster takes over the row farthest from its own centre (removed
/// from its old cluster), as scikit-learn does, so that k clusters stay k clusters.
fn update_centres(points: &Points, labels: &[usize], distances: &[f64], k: usize) -> Array2<f64> {
    let mut sums = Array2::<f64>::zeros((k, points.dim));
    let mut counts = vec![0usize; k];
    for (row, &label) in points.rows().zip(labels) {
        counts[label] += 1;
        sums.row_mut(label)
            .iter_mut()
            .zip(row)
            .for_each(|(s, v)| *s += v);
    }
    let empty: Vec<usize> = (0..k).filter(|&j| counts[j] == 0).collect();
    if !empty.is_empty() {
        let mut farthest: Vec<usize> = (0..points.len()).collect();
        farthest.sort_by(|&a, &b| distances[b].total_cmp(&distances[a]));
        for (&cluster, &i) in empty.iter().zip(&farthest) {
            let row = points.row(i);
            sums.row_mut(labels[i])
                .iter_mut()
                .zip(row)
                .for_each(|(s, v)| *s -= v);
            counts[labels[i]] -= 1;
            sums.row_mut(cluster).assign(&ndarray::aview1(row));
            counts[cluster] = 1;
        }
    }
    for (mut sum, &count) in sums.rows_mut().into_iter().zip(&counts) {
        if count > 0 {
            sum /= count as f64;
        }
    }
    sums
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn same_seed_same_result_and_k_clusters() {
        let x = array![
            [0.0, 0.0],
            [0.1, 0.0],
            [5.0, 5.0],
            [5.1, 5.0],
            [9.0, 0.0],
            [9.0, 0.2]
        ];
        let a = kmeans(x.view(), 3, 7, &KMeansConfig::default()).unwrap();
        let b = kmeans(x.view(), 3, 7, &KMeansConfig::default()).unwrap();
        assert_eq!(a, b);
        assert_eq!(cluster_sizes(&a.labels, 3), vec![2, 2, 2]);
        // Three tight pairs: the optimum leaves each point 0.05 or 0.1 from its pair's mean.
        assert!((a.inertia - 4.0 * 0.05 * 0.05 - 2.0 * 0.1 * 0.1).abs() < 1e-12);
    }
}

//! Geometric cluster-quality metrics with scikit-learn's definitions (Euclidean distances).

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use super::EvaluateError;
use super::groups::{Groups, check_finite, check_lengths};

/// Mean silhouette of one cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterSilhouette {
    pub label: usize,
    pub size: usize,
    pub mean_silhouette: f64,
}

/// The silhouette seen three ways: the usual mean over points (dominated by the big clusters),
/// the macro mean over clusters (each cluster counts once, so a 5-customer cluster cannot hide),
/// and per cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SilhouetteSummary {
    pub score: f64,
    /// Standard error of `score` when the points are a simple random sample of a larger
    /// population (sd / sqrt(n)); a caller that knows the population applies the finite
    /// population correction, which makes it 0 when the points are everyone.
    #[serde(default)]
    pub standard_error: f64,
    pub macro_score: f64,
    pub per_cluster: Vec<ClusterSilhouette>,
}

/// Every geometric quality number of one clustering in one space.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterQuality {
    pub silhouette: SilhouetteSummary,
    pub davies_bouldin: f64,
    pub calinski_harabasz: f64,
    /// Indexed by label, as `np.bincount`.
    pub sizes: Vec<usize>,
}

/// Checks shared by the metrics: matching lengths, finite values, 2 <= clusters <= n - 1
/// (scikit-learn's `check_number_of_labels`).
fn validated(
    metric: &'static str,
    points: ArrayView2<f64>,
    labels: &[usize],
) -> Result<Groups, EvaluateError> {
    check_lengths("points vs labels", points.nrows(), labels.len())?;
    if points.ncols() == 0 {
        return Err(EvaluateError::InvalidParameter(format!(
            "{metric} needs points with at least one feature"
        )));
    }
    check_finite(points.iter())?;
    let groups = Groups::new(labels);
    if groups.count() < 2 || groups.count() >= labels.len() {
        return Err(EvaluateError::ClusterCount {
            metric,
            clusters: groups.count(),
            samples: labels.len(),
        });
    }
    Ok(groups)
}

/// Silhouette of every point, in input order. A point alone in its cluster scores 0, as in
/// scikit-learn.
pub fn silhouette_samples(
    points: ArrayView2<f64>,
    labels: &[usize],
) -> Result<Vec<f64>, EvaluateError> {
    let groups = validated("silhouette", points, labels)?;
    Ok(silhouettes(points, &groups))
}

/// Mean silhouette over all points (`sklearn.metrics.silhouette_score`).
pub fn silhouette_score(points: ArrayView2<f64>, labels: &[usize]) -> Result<f64, EvaluateError> {
    Ok(silhouette_summary(points, labels)?.score)
}

/// Silhouette mean, macro mean and per-cluster means from one O(n^2) pass.
pub fn silhouette_summary(
    points: ArrayView2<f64>,
    labels: &[usize],
) -> Result<SilhouetteSummary, EvaluateError> {
    let groups = validated("silhouette", points, labels)?;
    let samples = silhouettes(points, &groups);
    let mut sums = vec![0.0; groups.count()];
    for (&g, s) in groups.index.iter().zip(&samples) {
        sums[g] += s;
    }
    let per_cluster: Vec<ClusterSilhouette> = groups
        .labels
        .iter()
        .zip(&groups.sizes)
        .zip(&sums)
        .map(|((&label, &size), &sum)| ClusterSilhouette {
            label,
            size,
            mean_silhouette: sum / size as f64,
        })
        .collect();
    let n = samples.len() as f64;
    let score = samples.iter().sum::<f64>() / n;
    let variance = samples
        .iter()
        .map(|s| (s - score) * (s - score))
        .sum::<f64>()
        / (n - 1.0);
    Ok(SilhouetteSummary {
        score,
        standard_error: (variance / n).sqrt(),
        macro_score: per_cluster.iter().map(|c| c.mean_silhouette).sum::<f64>()
            / per_cluster.len() as f64,
        per_cluster,
    })
}

/// O(n^2 d / 2) silhouettes. Points are reordered so that each cluster is one contiguous block
/// and stored column-wise; each row then computes its distances to all later points into one
/// reused buffer (vectorisable), adds block sums to its own per-cluster totals and the distances
/// to the later points' totals for its own cluster, so every distance is computed once.
fn silhouettes(points: ArrayView2<f64>, groups: &Groups) -> Vec<f64> {
    let n = groups.index.len();
    let k = groups.count();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| groups.index[i]);
    let mut block_start = vec![0; k + 1];
    for (g, &size) in groups.sizes.iter().enumerate() {
        block_start[g + 1] = block_start[g] + size;
    }
    let columns: Vec<Vec<f64>> = points
        .columns()
        .into_iter()
        .map(|column| order.iter().map(|&i| column[i]).collect())
        .collect();

    // distance_sums[c * n + j]: sum of distances from sorted point j to the points of cluster c.
    let mut distance_sums = vec![0.0; k * n];
    let mut buffer = vec![0.0; n];
    let mut own = 0;
    for i in 0..n {
        while i >= block_start[own + 1] {
            own += 1;
        }
        let later = &mut buffer[i + 1..];
        let (first, others) = columns
            .split_first()
            .expect("points have at least one column");
        for (acc, &x) in later.iter_mut().zip(&first[i + 1..]) {
            *acc = (x - first[i]) * (x - first[i]);
        }
        for column in others {
            let xi = column[i];
            for (acc, &x) in later.iter_mut().zip(&column[i + 1..]) {
                *acc += (x - xi) * (x - xi);
            }
        }
        for acc in later.iter_mut() {
            *acc = acc.sqrt();
        }
        for c in own..k {
            let start = block_start[c].max(i + 1);
            let end = block_start[c + 1];
            if start < end {
                distance_sums[c * n + i] += lane_sum(&later[start - i - 1..end - i - 1]);
            }
        }
        let own_totals = &mut distance_sums[own * n + i + 1..(own + 1) * n];
        for (total, &d) in own_totals.iter_mut().zip(later.iter()) {
            *total += d;
        }
    }

    let mut result = vec![0.0; n];
    for (sorted, &original) in order.iter().enumerate() {
        let own = groups.index[original];
        let own_size = groups.sizes[own];
        if own_size == 1 {
            continue;
        }
        let within = distance_sums[own * n + sorted] / (own_size - 1) as f64;
        let nearest = (0..k)
            .filter(|&c| c != own)
            .map(|c| distance_sums[c * n + sorted] / groups.sizes[c] as f64)
            .fold(f64::INFINITY, f64::min);
        let scale = within.max(nearest);
        if scale > 0.0 {
            result[original] = (nearest - within) / scale;
        }
    }
    result
}

/// Sum in eight independent lanes, which the compiler vectorises (a single running sum is a
/// chain of dependent additions).
fn lane_sum(values: &[f64]) -> f64 {
    const LANES: usize = 8;
    let chunks = values.chunks_exact(LANES);
    let tail: f64 = chunks.remainder().iter().sum();
    let mut lanes = [0.0; LANES];
    for chunk in chunks {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            *lane += v;
        }
    }
    lanes.iter().sum::<f64>() + tail
}

/// Adjusted Rand index between two labelings of the same points (`adjusted_rand_score`),
/// from the pair-confusion matrix in exact integer arithmetic.
pub fn adjusted_rand_index(a: &[usize], b: &[usize]) -> Result<f64, EvaluateError> {
    check_lengths("labelings", a.len(), b.len())?;
    let (ga, gb) = (Groups::new(a), Groups::new(b));
    let mut contingency = vec![0i128; ga.count() * gb.count()];
    for (&i, &j) in ga.index.iter().zip(&gb.index) {
        contingency[i * gb.count() + j] += 1;
    }
    let n = a.len() as i128;
    let sum_squares: i128 = contingency.iter().map(|c| c * c).sum();
    let size_squares = |sizes: &[usize]| sizes.iter().map(|&s| (s * s) as i128).sum::<i128>();
    let (rows, cols) = (size_squares(&ga.sizes), size_squares(&gb.sizes));
    let both = sum_squares - n;
    let only_b = cols - sum_squares;
    let only_a = rows - sum_squares;
    let neither = n * n - only_a - only_b - sum_squares;
    if only_a == 0 && only_b == 0 {
        return Ok(1.0);
    }
    let numerator = 2.0 * (both as f64 * neither as f64 - only_a as f64 * only_b as f64);
    let denominator = (both + only_a) as f64 * (only_a + neither) as f64
        + (both + only_b) as f64 * (only_b + neither) as f64;
    Ok(numerator / denominator)
}

/// Cluster centroids, row-major (cluster-major) with `d` values each.
fn centroids(points: ArrayView2<f64>, groups: &Groups) -> Vec<f64> {
    let d = points.ncols();
    let mut sums = vec![0.0; groups.count() * d];
    for (row, &g) in points.rows().into_iter().zip(&groups.index) {
        for (s, &x) in sums[g * d..(g + 1) * d].iter_mut().zip(row) {
            *s += x;
        }
    }
    for (g, &size) in groups.sizes.iter().enumerate() {
        for s in &mut sums[g * d..(g + 1) * d] {
            *s /= size as f64;
        }
    }
    sums
}

fn distance(a: &[f64], b: impl IntoIterator<Item = f64>) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// Davies-Bouldin index (`davies_bouldin_score`): lower is better.
pub fn davies_bouldin(points: ArrayView2<f64>, labels: &[usize]) -> Result<f64, EvaluateError> {
    /// `np.allclose(x, 0)` tolerance used by scikit-learn for its degenerate cases.
    const ALLCLOSE_ZERO: f64 = 1e-8;
    let groups = validated("Davies-Bouldin", points, labels)?;
    let d = points.ncols();
    let k = groups.count();
    let centres = centroids(points, &groups);
    let mut spread = vec![0.0; k];
    for (row, &g) in points.rows().into_iter().zip(&groups.index) {
        spread[g] += distance(&centres[g * d..(g + 1) * d], row.iter().copied());
    }
    for (s, &size) in spread.iter_mut().zip(&groups.sizes) {
        *s /= size as f64;
    }
    let centre_distance = |i: usize, j: usize| {
        distance(
            &centres[i * d..(i + 1) * d],
            centres[j * d..(j + 1) * d].iter().copied(),
        )
    };
    let all_centres_equal = (0..k).all(|i| (0..k).all(|j| centre_distance(i, j) <= ALLCLOSE_ZERO));
    if spread.iter().all(|s| s.abs() <= ALLCLOSE_ZERO) || all_centres_equal {
        return Ok(0.0);
    }
    let worst_ratio = |i: usize| {
        (0..k)
            .filter(|&j| j != i)
            .map(|j| {
                // Coinciding centres are skipped, as scikit-learn does by dividing by infinity.
                let separation = centre_distance(i, j);
                if separation > 0.0 {
                    (spread[i] + spread[j]) / separation
                } else {
                    0.0
                }
            })
            .fold(0.0, f64::max)
    };
    Ok((0..k).map(worst_ratio).sum::<f64>() / k as f64)
}

/// Calinski-Harabasz index (`calinski_harabasz_score`): higher is better.
pub fn calinski_harabasz(points: ArrayView2<f64>, labels: &[usize]) -> Result<f64, EvaluateError> {
    let groups = validated("Calinski-Harabasz", points, labels)?;
    let d = points.ncols();
    let n = labels.len() as f64;
    let k = groups.count() as f64;
    let centres = centroids(points, &groups);
    let overall: Vec<f64> = points.columns().into_iter().map(|c| c.sum() / n).collect();
    let between: f64 = groups
        .sizes
        .iter()
        .enumerate()
        .map(|(g, &size)| {
            size as f64 * distance(&centres[g * d..(g + 1) * d], overall.iter().copied()).powi(2)
        })
        .sum();
    let within: f64 = points
        .rows()
        .into_iter()
        .zip(&groups.index)
        .map(|(row, &g)| distance(&centres[g * d..(g + 1) * d], row.iter().copied()).powi(2))
        .sum();
    if within == 0.0 {
        return Ok(1.0);
    }
    Ok(between * (n - k) / (within * (k - 1.0)))
}

/// Points per label, indexed by label value (`np.bincount`).
pub fn cluster_sizes(labels: &[usize]) -> Vec<usize> {
    let mut sizes = vec![0; labels.iter().max().map_or(0, |&m| m + 1)];
    for &label in labels {
        sizes[label] += 1;
    }
    sizes
}

/// Silhouette summary, Davies-Bouldin, Calinski-Harabasz and sizes of one clustering.
pub fn cluster_quality(
    points: ArrayView2<f64>,
    labels: &[usize],
) -> Result<ClusterQuality, EvaluateError> {
    Ok(ClusterQuality {
        silhouette: silhouette_summary(points, labels)?,
        davies_bouldin: davies_bouldin(points, labels)?,
        calinski_harabasz: calinski_harabasz(points, labels)?,
        sizes: cluster_sizes(labels),
    })
}

//! 2-D t-SNE for the cluster map, following scikit-learn's Barnes-Hut implementation
//! (`TSNE(method="barnes_hut")`, scikit-learn >= 1.2 defaults) step for step, so that our
//! picture and the Python reference's agree in quality:
//! - input affinities from the exact `3 * perplexity` nearest neighbours, per-row bandwidths by
//!   the same binary search on entropy, symmetrised and normalised (`_joint_probabilities_nn`);
//! - PCA initialisation scaled to a first-axis standard deviation of 1e-4;
//! - early exaggeration (x12, momentum 0.5) for 250 iterations, then momentum 0.8, gradient
//!   descent with sklearn's adaptive gains, learning rate `max(n / exaggeration / 4, 50)`;
//! - repulsive forces summarised by a quadtree with sklearn's opening criterion
//!   (`max cell width^2 / distance^2 < theta^2`) and its treatment of duplicate points;
//! - convergence checks every 50 iterations (no progress for 300 iterations, or gradient norm
//!   below 1e-7).
//!
//! sklearn computes the optimisation in float32; we use f64 throughout, so embeddings agree in
//! quality (trustworthiness, KL divergence), not coordinate for coordinate.
//!
//! Over 400 lines because it is one algorithm step for step (affinities, quadtree, gradient,
//! optimiser share private types), and a seventh of the file is its tests.

use super::embed::pca::{Pca, PcaError};
use super::finite;
use ndarray::{Array2, ArrayView2};
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256Plus;
use serde::{Deserialize, Serialize};

/// Output dimension: the studio only draws 2-D maps, and the quadtree is 2-D.
const DIMS: usize = 2;
/// sklearn's `_binary_search_perplexity`: tolerance on entropy and step budget.
const PERPLEXITY_TOLERANCE: f64 = 1e-5;
const PERPLEXITY_STEPS: usize = 100;
/// sklearn's `EPSILON_DBL`, used when every affinity of a row underflows.
const EPSILON_DBL: f64 = 1e-8;
/// `np.finfo(np.double).eps`, the floor of the affinity normaliser.
const MACHINE_EPSILON: f64 = f64::EPSILON;
/// `np.finfo(np.float32).tiny`, the floor inside the KL divergence's logarithm.
const FLOAT32_TINY: f64 = 1.175_494_4e-38;
/// sklearn's quadtree treats points closer than this (per axis) as one.
const QUADTREE_EPSILON: f64 = 1e-6;
const CHECK_EVERY: usize = 50;
const MIN_GAIN: f64 = 0.01;
const MIN_GRAD_NORM: f64 = 1e-7;
const ITERATIONS_WITHOUT_PROGRESS: usize = 300;
const EXPLORATION_MOMENTUM: f64 = 0.5;
const FINAL_MOMENTUM: f64 = 0.8;
/// Standard deviation of the initial layout's first axis (sklearn's PCA and random init).
const INIT_SCALE: f64 = 1e-4;

/// Where the optimisation starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TsneInit {
    /// The first two principal components: deterministic (the seed is unused) and keeps the
    /// global layout stable between runs; sklearn's default since 1.2.
    Pca,
    /// Gaussian noise drawn from the seed.
    Random,
}

/// Gradient-descent step size.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum TsneLearningRate {
    /// `max(n / early_exaggeration / 4, 50)` (Belkina et al. 2019; sklearn's "auto").
    Auto,
    Fixed(f64),
}

/// t-SNE settings; the defaults are scikit-learn's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TsneConfig {
    /// Effective number of neighbours each point attends to; must be below the row count.
    pub perplexity: f64,
    pub early_exaggeration: f64,
    /// Iterations run with exaggerated attraction before the main phase.
    pub exaggeration_iterations: usize,
    /// Total iterations, the exaggeration phase included.
    pub iterations: usize,
    /// Barnes-Hut opening angle: 0 would be exact, larger is faster and coarser.
    pub theta: f64,
    pub learning_rate: TsneLearningRate,
    pub init: TsneInit,
    pub seed: u64,
}

impl Default for TsneConfig {
    fn default() -> Self {
        Self {
            perplexity: 30.0,
            early_exaggeration: 12.0,
            exaggeration_iterations: 250,
            iterations: 1000,
            theta: 0.5,
            learning_rate: TsneLearningRate::Auto,
            init: TsneInit::Pca,
            seed: 42,
        }
    }
}

/// A finished t-SNE run.
#[derive(Debug, Clone, PartialEq)]
pub struct TsneResult {
    /// `n x 2` map coordinates, in input order.
    pub embedding: Array2<f64>,
    /// KL(P || Q) at the last iteration (Barnes-Hut estimate), as sklearn's `kl_divergence_`.
    pub kl_divergence: f64,
    /// Iterations actually run (fewer than configured when converged early).
    pub iterations: usize,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TsneError {
    #[error("t-SNE needs more rows than its perplexity ({perplexity}); got {rows} rows")]
    PerplexityTooLarge { perplexity: f64, rows: usize },
    #[error("the input has no columns")]
    NoColumns,
    #[error("the input has a missing or infinite value at row {row}, column {column}")]
    NonFiniteInput { row: usize, column: usize },
    #[error("all rows are identical: there is no layout to find")]
    IdenticalRows,
    #[error("invalid t-SNE setting: {0}")]
    InvalidConfig(&'static str),
    #[error("PCA initialisation: {0}")]
    PcaInit(#[from] PcaError),
}

/// Symmetric input affinities `P` in compressed sparse rows; they sum to 1.
#[derive(Debug, Clone, PartialEq)]
pub struct Affinities {
    row_starts: Vec<usize>,
    /// Column indices as u32: the gradient streams P every iteration, so narrower is faster.
    columns: Vec<u32>,
    values: Vec<f64>,
}

impl Affinities {
    /// Non-zero `(column, p_ij)` of row `i`, by increasing column.
    pub fn row(&self, i: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let span = self.row_starts[i]..self.row_starts[i + 1];
        self.columns[span.clone()]
            .iter()
            .map(|&j| j as usize)
            .zip(self.values[span].iter().copied())
    }

    /// Row `i`'s non-zero columns and values.
    fn row_slices(&self, i: usize) -> (&[u32], &[f64]) {
        let span = self.row_starts[i]..self.row_starts[i + 1];
        (&self.columns[span.clone()], &self.values[span])
    }

    pub fn rows(&self) -> usize {
        self.row_starts.len() - 1
    }
}

fn check_input(x: &ArrayView2<f64>, perplexity: f64) -> Result<(), TsneError> {
    if x.ncols() == 0 {
        return Err(TsneError::NoColumns);
    }
    if let Some(((row, column), _)) = x.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(TsneError::NonFiniteInput { row, column });
    }
    if !(perplexity.is_finite() && perplexity > 0.0) {
        return Err(TsneError::InvalidConfig("the perplexity must be positive"));
    }
    if perplexity >= x.nrows() as f64 {
        return Err(TsneError::PerplexityTooLarge {
            perplexity,
            rows: x.nrows(),
        });
    }
    Ok(())
}

fn squared_distance(a: ndarray::ArrayView1<f64>, b: ndarray::ArrayView1<f64>) -> f64 {
    a.iter().zip(b).map(|(p, q)| (p - q) * (p - q)).sum()
}

/// Squared distances from row `i` to every other row, as `(distance, row)` pairs.
#[inline(never)] // See `gradient`.
fn distances_from(x: &ArrayView2<f64>, i: usize, out: &mut Vec<(f64, usize)>) {
    out.clear();
    out.extend(
        (0..x.nrows())
            .filter(|&j| j != i)
            .map(|j| (squared_distance(x.row(i), x.row(j)), j)),
    );
}

/// Nearest first; ties by row index, so neighbour lists are deterministic.
fn by_distance(a: &(f64, usize), b: &(f64, usize)) -> std::cmp::Ordering {
    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
}

/// Exact `k` nearest neighbours of every row (itself excluded), nearest first, with squared
/// distances. Brute force: at a few thousand rows in a handful of dimensions this is a fraction
/// of a second, and exact like sklearn's tree search.
fn nearest_neighbours(x: &ArrayView2<f64>, k: usize) -> Vec<Vec<(f64, usize)>> {
    let n = x.nrows();
    let mut candidates = Vec::with_capacity(n);
    (0..n)
        .map(|i| {
            distances_from(x, i, &mut candidates);
            if k < candidates.len() {
                candidates.select_nth_unstable_by(k, by_distance);
                candidates.truncate(k);
            }
            candidates.sort_unstable_by(by_distance);
            candidates.clone()
        })
        .collect()
}

/// Conditional affinities `p_j|i` of one row over its neighbours, with the Gaussian bandwidth
/// found by sklearn's bisection on `beta = 1 / (2 sigma^2)` to reach entropy `ln(perplexity)`.
#[inline(never)] // See `gradient`.
fn conditional_row(squared_distances: &[f64], perplexity: f64) -> Vec<f64> {
    let desired_entropy = perplexity.ln();
    let (mut beta, mut beta_min, mut beta_max) = (1.0, f64::NEG_INFINITY, f64::INFINITY);
    let mut p = vec![0.0; squared_distances.len()];
    for _ in 0..PERPLEXITY_STEPS {
        for (pj, d) in p.iter_mut().zip(squared_distances) {
            *pj = (-d * beta).exp();
        }
        let mut sum_p: f64 = p.iter().sum();
        if sum_p == 0.0 {
            sum_p = EPSILON_DBL;
        }
        let mut weighted_distance = 0.0;
        for (pj, d) in p.iter_mut().zip(squared_distances) {
            *pj /= sum_p;
            weighted_distance += d * *pj;
        }
        let entropy_diff = sum_p.ln() + beta * weighted_distance - desired_entropy;
        if entropy_diff.abs() <= PERPLEXITY_TOLERANCE {
            break;
        }
        if entropy_diff > 0.0 {
            beta_min = beta;
            beta = if beta_max == f64::INFINITY {
                beta * 2.0
            } else {
                (beta + beta_max) / 2.0
            };
        } else {
            beta_max = beta;
            beta = if beta_min == f64::NEG_INFINITY {
                beta / 2.0
            } else {
                (beta + beta_min) / 2.0
            };
        }
    }
    p
}

/// The input affinities t-SNE matches, exactly as scikit-learn's `TSNE` builds them for
/// Barnes-Hut: `min(n - 1, floor(3 * perplexity + 1))` nearest neighbours, conditional
/// affinities per row, then `P = (P + P^T) / sum`.
pub fn joint_probabilities(x: ArrayView2<f64>, perplexity: f64) -> Result<Affinities, TsneError> {
    check_input(&x, perplexity)?;
    let n = x.nrows();
    let k = (n - 1).min((3.0 * perplexity + 1.0) as usize);
    let mut rows: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    for (i, neighbours) in nearest_neighbours(&x, k).into_iter().enumerate() {
        // sklearn hands the bisection float32 squared distances; rounding them the same way
        // keeps P equal to sklearn's to ~1e-9 instead of ~1e-7.
        let distances: Vec<f64> = neighbours.iter().map(|&(d, _)| d as f32 as f64).collect();
        for ((_, j), p) in neighbours
            .iter()
            .zip(conditional_row(&distances, perplexity))
        {
            rows[i].push((*j, p));
            rows[*j].push((i, p));
        }
    }
    let mut affinities = Affinities {
        row_starts: vec![0],
        columns: Vec::new(),
        values: Vec::new(),
    };
    for mut row in rows {
        row.sort_unstable_by_key(|&(j, _)| j);
        // A pair that is a neighbour both ways appears twice: p_j|i + p_i|j.
        let mut merged: Vec<(usize, f64)> = Vec::with_capacity(row.len());
        for (j, p) in row {
            match merged.last_mut() {
                Some((last, sum)) if *last == j => *sum += p,
                _ => merged.push((j, p)),
            }
        }
        affinities
            .columns
            .extend(merged.iter().map(|&(j, _)| j as u32));
        affinities.values.extend(merged.iter().map(|&(_, p)| p));
        affinities.row_starts.push(affinities.columns.len());
    }
    let total = affinities.values.iter().sum::<f64>().max(MACHINE_EPSILON);
    affinities.values.iter_mut().for_each(|p| *p /= total);
    Ok(affinities)
}

/// Barnes-Hut quadtree over the current map, built linearly: the points are sorted along a
/// Z-order (Morton) curve over the root cell, so every cell is a contiguous run of the sorted
/// points and its four quadrants are consecutive sub-runs. As in sklearn's `_QuadTree`, the root
/// is the points' bounding box (widened slightly) and cells halve it along both axes; a chain of
/// cells with one occupied quadrant collapses into its innermost cell, and runs of at most
/// `BUCKET` points stay leaves whose points are visited one by one when the opening criterion
/// fails. The tree is walked once per leaf ([`QuadTree::repulsion`]).
struct QuadTree {
    nodes: Vec<Node>,
    /// Point indices in Z-order, and their coordinates in that order, one array per axis.
    order: Vec<usize>,
    sorted: [Vec<f64>; DIMS],
}

/// Largest run of points kept as one leaf (at 5,900 points, 8 and 24 were slower).
const BUCKET: usize = 16;
/// Bits of the Morton key per axis: cells below 2^-31 of the root are never split.
const KEY_BITS: u32 = 31;

#[derive(Clone, Copy)]
struct Node {
    barycenter: [f64; DIMS],
    squared_max_width: f64,
    /// The node's points are `sorted[start..end]`.
    start: u32,
    end: u32,
    /// Children are `nodes[first_child..first_child + children]`; none for a leaf.
    first_child: u32,
    children: u32,
}

/// `v`'s low `KEY_BITS` bits spread to every other bit position (one axis of a Morton key).
fn spread_bits(v: u64) -> u64 {
    let mut v = v & 0x7fff_ffff;
    v = (v | v << 16) & 0x0000_ffff_0000_ffff;
    v = (v | v << 8) & 0x00ff_00ff_00ff_00ff;
    v = (v | v << 4) & 0x0f0f_0f0f_0f0f_0f0f;
    v = (v | v << 2) & 0x3333_3333_3333_3333;
    (v | v << 1) & 0x5555_5555_5555_5555
}

impl QuadTree {
    fn build(points: &[[f64; DIMS]]) -> Self {
        let mut min = [f64::INFINITY; DIMS];
        let mut max = [f64::NEG_INFINITY; DIMS];
        for p in points {
            for d in 0..DIMS {
                min[d] = finite::min(min[d], p[d]);
                max[d] = finite::max(max[d], p[d]);
            }
        }
        // sklearn widens the upper bound so every point lies strictly inside the root.
        for m in &mut max {
            *m = (*m * (1.0 + 1e-3 * m.signum())).max(*m + 1e-3);
        }
        let width: [f64; DIMS] = std::array::from_fn(|d| max[d] - min[d]);
        let cells = f64::from(1u32 << KEY_BITS);
        let key = |p: &[f64; DIMS]| -> u64 {
            (0..DIMS).fold(0, |key, d| {
                let q = ((p[d] - min[d]) / width[d] * cells).clamp(0.0, cells - 1.0) as u64;
                key | spread_bits(q) << (DIMS - 1 - d)
            })
        };
        let mut keyed: Vec<(u64, usize)> = points
            .iter()
            .enumerate()
            .map(|(i, p)| (key(p), i))
            .collect();
        keyed.sort_unstable();
        let keys: Vec<u64> = keyed.iter().map(|&(k, _)| k).collect();
        let order: Vec<usize> = keyed.iter().map(|&(_, i)| i).collect();
        let sorted = std::array::from_fn(|d| order.iter().map(|&i| points[i][d]).collect());
        let mut tree = Self {
            nodes: Vec::with_capacity(points.len() / 2 + 1),
            order,
            sorted,
        };
        let root_width = width.iter().fold(0.0f64, |a, &b| a.max(b));
        tree.nodes
            .push(tree.node(0, points.len(), root_width * root_width));
        tree.split(0, &keys, root_width);
        tree
    }

    /// A node over `sorted[start..end]` with its barycenter, not yet split.
    fn node(&self, start: usize, end: usize, squared_max_width: f64) -> Node {
        let size = (end - start) as f64;
        Node {
            barycenter: std::array::from_fn(|d| {
                self.sorted[d][start..end].iter().sum::<f64>() / size
            }),
            squared_max_width,
            start: start as u32,
            end: end as u32,
            first_child: 0,
            children: 0,
        }
    }

    /// Splits node `id` into its occupied quadrants (after collapsing single-quadrant levels)
    /// and recurses; runs of at most `BUCKET` points, or of equal keys, stay leaves.
    fn split(&mut self, id: usize, keys: &[u64], root_width: f64) {
        let (start, end) = (self.nodes[id].start as usize, self.nodes[id].end as usize);
        let (first, last) = (keys[start], keys[end - 1]);
        if end - start <= BUCKET || first == last {
            return;
        }
        // Levels shared by every key in the run: the innermost cell holding them all.
        let shared_levels = (first ^ last)
            .leading_zeros()
            .saturating_sub(64 - 2 * KEY_BITS)
            / 2;
        let cell_width = root_width / f64::from(1u32 << shared_levels);
        self.nodes[id].squared_max_width = cell_width * cell_width;
        let shift = 2 * (KEY_BITS - 1 - shared_levels);
        let quadrant = |k: u64| (k >> shift) & 3;
        let first_child = self.nodes.len();
        let mut child_start = start;
        while child_start < end {
            let q = quadrant(keys[child_start]);
            let child_end =
                child_start + keys[child_start..end].partition_point(|&k| quadrant(k) == q);
            let child_width = cell_width / 2.0;
            let child = self.node(child_start, child_end, child_width * child_width);
            self.nodes.push(child);
            child_start = child_end;
        }
        let children = self.nodes.len() - first_child;
        self.nodes[id].first_child = first_child as u32;
        self.nodes[id].children = children as u32;
        for child in first_child..first_child + children {
            self.split(child, keys, root_width);
        }
    }

    /// Repulsion on every point (unnormalised: `sum q^2 * delta`, written to `forces` by point
    /// index); returns the normaliser `Z = sum q`.
    ///
    /// The tree is walked once per leaf rather than once per point: a cell is summarised for
    /// all the leaf's points when sklearn's criterion holds at the point of the leaf's bounding
    /// box nearest the cell's barycenter, and so holds for each of its points. Every point's
    /// force is thus at least as finely resolved as in sklearn's per-point walk, while the walk,
    /// the costly part, is shared by the leaf's points. Points within `QUADTREE_EPSILON` of a
    /// point (itself and its duplicates) are skipped, as sklearn skips the point's own leaf.
    fn repulsion(&self, squared_theta: f64, forces: &mut [[f64; DIMS]]) -> f64 {
        let [xs, ys] = &self.sorted;
        let mut stack = Vec::new();
        let mut sums = LeafSums::default();
        let mut sum_q = 0.0;
        for leaf in self.nodes.iter().filter(|node| node.children == 0) {
            let run = leaf.start as usize..leaf.end as usize;
            let (tx, ty) = (&xs[run.clone()], &ys[run.clone()]);
            let low = [tx, ty].map(|v| v.iter().copied().fold(f64::INFINITY, finite::min));
            let high = [tx, ty].map(|v| v.iter().copied().fold(f64::NEG_INFINITY, finite::max));
            sums.reset(run.len());
            stack.clear();
            stack.push(0u32);
            while let Some(id) = stack.pop() {
                let node = &self.nodes[id as usize];
                let gap: [f64; DIMS] = std::array::from_fn(|d| {
                    let outside =
                        finite::max(low[d] - node.barycenter[d], node.barycenter[d] - high[d]);
                    finite::max(outside, 0.0)
                });
                if node.squared_max_width < squared_theta * (gap[0] * gap[0] + gap[1] * gap[1]) {
                    let size = f64::from(node.end - node.start);
                    sums.add(tx, ty, node.barycenter, size, false);
                } else if node.children > 0 {
                    stack.extend(node.first_child..node.first_child + node.children);
                } else {
                    let sources = node.start as usize..node.end as usize;
                    for (&sx, &sy) in xs[sources.clone()].iter().zip(&ys[sources]) {
                        sums.add(tx, ty, [sx, sy], 1.0, true);
                    }
                }
            }
            for (t, &i) in self.order[run].iter().enumerate() {
                sum_q += sums.q[t];
                forces[i] = [sums.fx[t], sums.fy[t]];
            }
        }
        sum_q
    }
}

/// One leaf's running sums per point: its share of `Z = sum q` and its unnormalised force.
#[derive(Default)]
struct LeafSums {
    q: Vec<f64>,
    fx: Vec<f64>,
    fy: Vec<f64>,
}

impl LeafSums {
    fn reset(&mut self, points: usize) {
        for sums in [&mut self.q, &mut self.fx, &mut self.fy] {
            sums.clear();
            sums.resize(points, 0.0);
        }
    }

    /// Adds the repulsion of `weight` points at `source` on each of the leaf's points (`tx`,
    /// `ty`); with `skip_coincident`, points within `QUADTREE_EPSILON` of it get none. Inlined
    /// so that the flag folds away for cells.
    #[inline(always)]
    fn add(
        &mut self,
        tx: &[f64],
        ty: &[f64],
        source: [f64; DIMS],
        weight: f64,
        skip_coincident: bool,
    ) {
        let targets = tx
            .iter()
            .zip(ty)
            .zip(&mut self.q)
            .zip(&mut self.fx)
            .zip(&mut self.fy);
        for ((((&x, &y), sum), fx), fy) in targets {
            let (dx, dy) = (x - source[0], y - source[1]);
            // A mask rather than a branch, so the loop vectorises.
            let apart =
                !skip_coincident || dx.abs() > QUADTREE_EPSILON || dy.abs() > QUADTREE_EPSILON;
            let q = f64::from(u8::from(apart)) / (1.0 + dx * dx + dy * dy);
            *sum += weight * q;
            *fx += weight * q * q * dx;
            *fy += weight * q * q * dy;
        }
    }
}

/// KL gradient with Student-t (one degree of freedom) similarities, Barnes-Hut approximated,
/// and, when asked, the KL divergence itself (sklearn's `compute_gradient`).
///
/// Kept out of line, like the per-row helpers of `joint_probabilities`: V8 runs a wasm function
/// in baseline code until it has been called often enough to optimise, and never swaps code
/// within a running call, so a hot loop inlined into a function called once would stay slow.
#[inline(never)]
fn gradient(
    p: &Affinities,
    exaggeration: f64,
    y: &[[f64; DIMS]],
    squared_theta: f64,
    compute_error: bool,
    grad: &mut [[f64; DIMS]],
) -> Option<f64> {
    let mut repulsion = vec![[0.0; DIMS]; y.len()];
    let sum_q = QuadTree::build(y).repulsion(squared_theta, &mut repulsion);
    let mut error = 0.0;
    for (i, (g, rep)) in grad.iter_mut().zip(&repulsion).enumerate() {
        let (columns, values) = p.row_slices(i);
        let [xi, yi] = y[i];
        // Four neighbours at a time in independent lanes, so the divisions vectorise.
        let (mut ax, mut ay) = ([0.0; 4], [0.0; 4]);
        let mut chunks = columns.chunks_exact(4).zip(values.chunks_exact(4));
        for (js, ps) in &mut chunks {
            let dx: [f64; 4] = std::array::from_fn(|k| xi - y[js[k] as usize][0]);
            let dy: [f64; 4] = std::array::from_fn(|k| yi - y[js[k] as usize][1]);
            for k in 0..4 {
                let q = 1.0 / (1.0 + dx[k] * dx[k] + dy[k] * dy[k]);
                ax[k] += ps[k] * q * dx[k];
                ay[k] += ps[k] * q * dy[k];
            }
        }
        let tail = columns.len() - columns.len() % 4;
        for (&j, &pij) in columns[tail..].iter().zip(&values[tail..]) {
            let (dx, dy) = (xi - y[j as usize][0], yi - y[j as usize][1]);
            let q = 1.0 / (1.0 + dx * dx + dy * dy);
            ax[0] += pij * q * dx;
            ay[0] += pij * q * dy;
        }
        let attraction = [ax, ay].map(|lanes| exaggeration * lanes.iter().sum::<f64>());
        if compute_error {
            for (&j, &pij) in columns.iter().zip(values) {
                let pij = pij * exaggeration;
                let (dx, dy) = (xi - y[j as usize][0], yi - y[j as usize][1]);
                let q = 1.0 / (1.0 + dx * dx + dy * dy);
                error += pij * (pij.max(FLOAT32_TINY) / (q / sum_q).max(FLOAT32_TINY)).ln();
            }
        }
        for d in 0..DIMS {
            g[d] = 4.0 * (attraction[d] - rep[d] / sum_q);
        }
    }
    compute_error.then_some(error)
}

/// One call of sklearn's `_gradient_descent`: momentum and per-coordinate gains, both reset at
/// the start of the phase.
struct Phase {
    start: usize,
    end: usize,
    momentum: f64,
    exaggeration: f64,
    patience: usize,
}

/// Runs one phase; returns the last KL divergence computed and the last iteration index.
fn descend(
    p: &Affinities,
    y: &mut [[f64; DIMS]],
    phase: &Phase,
    learning_rate: f64,
    squared_theta: f64,
    total: usize,
    on_progress: &mut dyn FnMut(usize, usize),
) -> (f64, usize) {
    let n = y.len();
    let mut update = vec![[0.0; DIMS]; n];
    let mut gains = vec![[1.0; DIMS]; n];
    let mut grad = vec![[0.0; DIMS]; n];
    let (mut error, mut best_error, mut best_iteration) = (f64::MAX, f64::MAX, phase.start);
    let mut last = phase.start;
    for i in phase.start..phase.end {
        last = i;
        let check = (i + 1) % CHECK_EVERY == 0;
        let compute_error = check || i + 1 == phase.end;
        if let Some(e) = gradient(
            p,
            phase.exaggeration,
            y,
            squared_theta,
            compute_error,
            &mut grad,
        ) {
            error = e;
        }
        let mut squared_norm = 0.0;
        for ((point, step), (g, gain)) in y
            .iter_mut()
            .zip(&mut update)
            .zip(grad.iter_mut().zip(&mut gains))
        {
            for d in 0..DIMS {
                let grown: f64 = if step[d] * g[d] < 0.0 {
                    gain[d] + 0.2
                } else {
                    gain[d] * 0.8
                };
                gain[d] = finite::max(grown, MIN_GAIN);
                g[d] *= gain[d];
                squared_norm += g[d] * g[d];
                step[d] = phase.momentum * step[d] - learning_rate * g[d];
                point[d] += step[d];
            }
        }
        on_progress(i + 1, total);
        if check {
            if error < best_error {
                best_error = error;
                best_iteration = i;
            } else if i - best_iteration > phase.patience {
                break;
            }
            if squared_norm.sqrt() <= MIN_GRAD_NORM {
                break;
            }
        }
    }
    (error, last)
}

/// First two principal components (the shared PCA, signs as sklearn's `svd_flip`), scaled so
/// the first axis has standard deviation `INIT_SCALE`, as sklearn initialises t-SNE.
fn pca_init(x: &ArrayView2<f64>) -> Result<Vec<[f64; DIMS]>, TsneError> {
    if x.ncols() < DIMS {
        return Err(TsneError::InvalidConfig(
            "PCA initialisation needs at least two input columns",
        ));
    }
    let (_, projected) = Pca::fit_transform(x.view(), DIMS)?;
    let first_axis_std = projected
        .column(0)
        .mapv(|v| v * v)
        .mean()
        .unwrap_or(0.0)
        .sqrt();
    if first_axis_std == 0.0 {
        return Err(TsneError::IdenticalRows);
    }
    let scale = INIT_SCALE / first_axis_std;
    Ok(projected
        .rows()
        .into_iter()
        .map(|row| std::array::from_fn(|d| row[d] * scale))
        .collect())
}

fn random_init(n: usize, seed: u64) -> Vec<[f64; DIMS]> {
    let mut rng = Xoshiro256Plus::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            std::array::from_fn(|_| {
                let z: f64 = StandardNormal.sample(&mut rng);
                INIT_SCALE * z
            })
        })
        .collect()
}

/// Embeds the rows of `x` in 2-D. `on_progress(iteration, total)` is called after every
/// iteration.
pub fn tsne(
    x: ArrayView2<f64>,
    config: &TsneConfig,
    on_progress: &mut dyn FnMut(usize, usize),
) -> Result<TsneResult, TsneError> {
    if !(config.theta.is_finite() && config.theta >= 0.0) {
        return Err(TsneError::InvalidConfig("theta must be a number >= 0"));
    }
    if !(config.early_exaggeration.is_finite() && config.early_exaggeration > 0.0) {
        return Err(TsneError::InvalidConfig(
            "the early exaggeration must be positive",
        ));
    }
    let p = joint_probabilities(x, config.perplexity)?;
    let n = x.nrows();
    let learning_rate = match config.learning_rate {
        TsneLearningRate::Auto => (n as f64 / config.early_exaggeration / 4.0).max(50.0),
        TsneLearningRate::Fixed(rate) if rate.is_finite() && rate > 0.0 => rate,
        TsneLearningRate::Fixed(_) => {
            return Err(TsneError::InvalidConfig(
                "the learning rate must be positive",
            ));
        }
    };
    let mut y = match config.init {
        TsneInit::Pca => pca_init(&x)?,
        TsneInit::Random => random_init(n, config.seed),
    };
    let squared_theta = config.theta * config.theta;
    let total = config.iterations;
    let exploration_end = config.exaggeration_iterations.min(total);
    let exploration = Phase {
        start: 0,
        end: exploration_end,
        momentum: EXPLORATION_MOMENTUM,
        exaggeration: config.early_exaggeration,
        patience: exploration_end,
    };
    let (mut kl_divergence, mut last) = (f64::NAN, None);
    if exploration.end > 0 {
        let (error, i) = descend(
            &p,
            &mut y,
            &exploration,
            learning_rate,
            squared_theta,
            total,
            on_progress,
        );
        (kl_divergence, last) = (error, Some(i));
    }
    let main = Phase {
        start: last.map_or(0, |i| i + 1),
        end: total,
        momentum: FINAL_MOMENTUM,
        exaggeration: 1.0,
        patience: ITERATIONS_WITHOUT_PROGRESS,
    };
    if main.end > main.start {
        let (error, i) = descend(
            &p,
            &mut y,
            &main,
            learning_rate,
            squared_theta,
            total,
            on_progress,
        );
        (kl_divergence, last) = (error, Some(i));
    }
    let embedding = Array2::from_shape_vec((n, DIMS), y.into_iter().flatten().collect())
        .expect("n points of DIMS coordinates");
    Ok(TsneResult {
        embedding,
        kl_divergence,
        iterations: last.map_or(0, |i| i + 1),
    })
}

/// How well `embedding` keeps each row's `k` nearest input neighbours (1 = perfectly), as
/// sklearn's `trustworthiness`: penalises embedding neighbours by how far down the input
/// ranking they are. O(n^2 log n) time, O(n) memory.
pub fn trustworthiness(x: ArrayView2<f64>, embedding: ArrayView2<f64>, k: usize) -> f64 {
    let n = x.nrows();
    let mut rank_in_input = vec![0usize; n];
    let mut order: Vec<(f64, usize)> = Vec::with_capacity(n);
    let mut penalty = 0usize;
    for i in 0..n {
        distances_from(&x, i, &mut order);
        order.sort_unstable_by(by_distance);
        for (rank, &(_, j)) in order.iter().enumerate() {
            rank_in_input[j] = rank + 1;
        }
        distances_from(&embedding, i, &mut order);
        if k < order.len() {
            order.select_nth_unstable_by(k, by_distance);
        }
        penalty += order[..k.min(order.len())]
            .iter()
            .map(|&(_, j)| rank_in_input[j].saturating_sub(k))
            .sum::<usize>();
    }
    let (n, k) = (n as f64, k as f64);
    1.0 - penalty as f64 * 2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn q(a: &[f64; DIMS], b: &[f64; DIMS]) -> f64 {
        1.0 / (1.0 + (0..DIMS).map(|d| (a[d] - b[d]).powi(2)).sum::<f64>())
    }

    /// `4 (attraction_i - repulsion_i / Z)` for every point, given unnormalised repulsions.
    fn combine(
        p: &Affinities,
        y: &[[f64; DIMS]],
        repulsion: &[[f64; DIMS]],
        sum_q: f64,
    ) -> Vec<[f64; DIMS]> {
        (0..y.len())
            .map(|i| {
                let mut g = [0.0; DIMS];
                for (j, pij) in p.row(i) {
                    (0..DIMS)
                        .for_each(|d| g[d] += 4.0 * pij * q(&y[i], &y[j]) * (y[i][d] - y[j][d]));
                }
                (0..DIMS).for_each(|d| g[d] -= 4.0 * repulsion[i][d] / sum_q);
                g
            })
            .collect()
    }

    /// The KL gradient summed over every pair, O(n^2): what Barnes-Hut approximates. Like
    /// sklearn's tree, repulsion leaves out coincident points.
    fn exact_gradient(p: &Affinities, y: &[[f64; DIMS]]) -> Vec<[f64; DIMS]> {
        let mut repulsion = vec![[0.0; DIMS]; y.len()];
        let mut sum_q = 0.0;
        for (i, a) in y.iter().enumerate() {
            for b in y
                .iter()
                .filter(|b| (0..DIMS).any(|d| (a[d] - b[d]).abs() > QUADTREE_EPSILON))
            {
                let qij = q(a, b);
                sum_q += qij;
                (0..DIMS).for_each(|d| repulsion[i][d] += qij * qij * (a[d] - b[d]));
            }
        }
        combine(p, y, &repulsion, sum_q)
    }

    /// sklearn's walk, one per point: a cell is summarised as soon as the criterion holds at
    /// the point itself.
    fn per_point_gradient(
        p: &Affinities,
        y: &[[f64; DIMS]],
        squared_theta: f64,
    ) -> Vec<[f64; DIMS]> {
        let tree = QuadTree::build(y);
        let mut repulsion = vec![[0.0; DIMS]; y.len()];
        let mut sum_q = 0.0;
        for (i, point) in y.iter().enumerate() {
            let mut stack = vec![0usize];
            while let Some(id) = stack.pop() {
                let node = &tree.nodes[id];
                let delta: [f64; DIMS] = std::array::from_fn(|d| point[d] - node.barycenter[d]);
                if node.squared_max_width < squared_theta * (delta[0].powi(2) + delta[1].powi(2)) {
                    let size = f64::from(node.end - node.start);
                    let qij = q(point, &node.barycenter);
                    sum_q += size * qij;
                    (0..DIMS).for_each(|d| repulsion[i][d] += size * qij * qij * delta[d]);
                } else if node.children > 0 {
                    let first = node.first_child as usize;
                    stack.extend(first..first + node.children as usize);
                } else {
                    for s in node.start as usize..node.end as usize {
                        let other = [tree.sorted[0][s], tree.sorted[1][s]];
                        if (0..DIMS).any(|d| (point[d] - other[d]).abs() > QUADTREE_EPSILON) {
                            let qij = q(point, &other);
                            sum_q += qij;
                            (0..DIMS)
                                .for_each(|d| repulsion[i][d] += qij * qij * (point[d] - other[d]));
                        }
                    }
                }
            }
        }
        combine(p, y, &repulsion, sum_q)
    }

    fn relative_error(ours: &[[f64; DIMS]], exact: &[[f64; DIMS]]) -> f64 {
        let norm = |v: &[[f64; DIMS]]| v.iter().flatten().map(|g| g * g).sum::<f64>().sqrt();
        let difference: Vec<[f64; DIMS]> = ours
            .iter()
            .zip(exact)
            .map(|(a, b)| std::array::from_fn(|d| a[d] - b[d]))
            .collect();
        norm(&difference) / norm(exact)
    }

    /// theta = 0 opens every cell, so the walk must give the exact gradient; at sklearn's
    /// theta = 0.5 the shared per-leaf walk must be at least as accurate as sklearn's per-point
    /// walk over the same tree, on clumped points with duplicates.
    #[test]
    fn barnes_hut_gradient_is_at_least_as_accurate_as_sklearns_walk() {
        let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(5);
        let n = 600;
        let x = Array2::from_shape_fn((n, 3), |(i, _)| (i % 4) as f64 * 3.0 + rng.r#gen::<f64>());
        let p = joint_probabilities(x.view(), 20.0).unwrap();
        let mut y: Vec<[f64; DIMS]> = (0..n)
            .map(|i| {
                [
                    (i % 4) as f64 * 4.0 + rng.r#gen::<f64>(),
                    rng.r#gen::<f64>() * 6.0,
                ]
            })
            .collect();
        y[1] = y[0];
        let exact = exact_gradient(&p, &y);
        let mut grad = vec![[0.0; DIMS]; n];
        gradient(&p, 1.0, &y, 0.0, false, &mut grad);
        let error = relative_error(&grad, &exact);
        assert!(error < 1e-12, "theta 0: relative error {error}");
        gradient(&p, 1.0, &y, 0.25, false, &mut grad);
        let error = relative_error(&grad, &exact);
        let sklearn_error = relative_error(&per_point_gradient(&p, &y, 0.25), &exact);
        println!("theta 0.5: relative error {error:.2e}, sklearn's walk {sklearn_error:.2e}");
        assert!(error <= sklearn_error, "{error} > {sklearn_error}");
    }
}

//! Ward agglomerative clustering, identical to scikit-learn's
//! `AgglomerativeClustering(linkage="ward")` (scipy's `linkage(method="ward")`).
//!
//! scipy runs the nearest-neighbour chain on a condensed matrix of pairwise distances with
//! Lance-Williams updates: n(n-1)/2 f64 (139 MB at n = 5,900) and most of the time spent moving
//! them through memory. Ward's distance between two clusters is a function of their centroids
//! and sizes alone, `d(A, B)^2 = 2 |A| |B| / (|A| + |B|) * |c_A - c_B|^2`, so the same chain runs
//! here on the live clusters' centroids: O(n) memory. A nearest-neighbour search looks at the
//! cells of a grid of centroids in rings around the cluster until no farther cell can hold a
//! nearer one (a full pass over a compact array once few clusters are left): at 5,900 points a
//! tree takes 10 ms instead of 134 ms with full passes only. The chain keeps scipy's rules (the merged cluster takes the larger
//! slot, the chain's previous element wins ties, otherwise the lowest slot), so the tree is the
//! same, duplicate rows and equal point-to-point distances included (tests compare every cut
//! with scikit-learn's and with kodama's matrix-based linkage). Distances between merged
//! clusters that are equal only in exact arithmetic (points on an integer grid) round
//! differently in the two formulas and may be broken differently, as they are between scipy
//! and kodama.
//!
//! The whole tree is built once; cutting it at any k is then linear, which makes the k sweep
//! cheap.
//!
//! Over 400 lines because the chain, the centroid grid and the cut share the private cluster
//! arrays; a fifth of the file is tests.

use ndarray::{Array2, ArrayView2};

use crate::core::finite;

use super::{Algorithm, ClusterError, Clustering, cluster_means, cluster_sizes, inertia, validate};

/// A fitted Ward dendrogram over the rows it was built from.
#[derive(Debug, Clone, PartialEq)]
pub struct WardTree {
    points: Array2<f64>,
    /// Merges by increasing Ward distance (stable, like scipy's), each as one row from either
    /// side: after sorting, every merge comes after the merges that built its two sides.
    merges: Vec<(usize, usize)>,
}

/// The clusters still alive during the chain, packed so a nearest-neighbour search is one
/// linear, vectorisable pass; `position` maps a slot (scipy's cluster index) to its place.
struct LiveClusters {
    slots: Vec<usize>,
    /// Centroid coordinates, one vector per dimension.
    columns: Vec<Vec<f64>>,
    sizes: Vec<f64>,
    position: Vec<usize>,
    /// Scratch: squared Ward distances from the cluster being searched from.
    distances: Vec<f64>,
    /// Centroids bucketed by their first two coordinates, for searches that only need to look
    /// near the cluster; `None` when every search is a full pass.
    grid: Option<Grid>,
}

/// Candidate winners of a nearest-neighbour search, compared by scipy's rules.
#[derive(Clone, Copy)]
struct Nearest {
    slot: usize,
    distance: f64,
}

impl Nearest {
    /// The chain's previous element if there is one (it wins ties), else nothing yet.
    fn start(previous: Option<usize>, distance_to: impl Fn(usize) -> f64) -> Self {
        previous.map_or(
            Self {
                slot: usize::MAX,
                distance: f64::INFINITY,
            },
            |p| Self {
                slot: p,
                distance: distance_to(p),
            },
        )
    }

    /// Takes `candidate` if it is strictly nearer, or as near and a lower slot (unless the
    /// current best is the chain's previous element): the same winner in any visiting order.
    fn offer(&mut self, candidate: usize, distance: f64, previous: Option<usize>) {
        let wins_tie =
            distance == self.distance && Some(self.slot) != previous && candidate < self.slot;
        if distance < self.distance || wins_tie {
            *self = Self {
                slot: candidate,
                distance,
            };
        }
    }
}

impl LiveClusters {
    fn new(x: ArrayView2<f64>, use_grid: bool) -> Self {
        let n = x.nrows();
        let slots: Vec<usize> = (0..n).collect();
        let columns: Vec<Vec<f64>> = x.columns().into_iter().map(|c| c.to_vec()).collect();
        Self {
            grid: use_grid.then(|| Grid::over(&columns, &slots, n)).flatten(),
            slots,
            columns,
            sizes: vec![1.0; n],
            position: (0..n).collect(),
            distances: Vec::with_capacity(n),
        }
    }

    /// Squared Ward distance between the clusters at two places, with the same operations in
    /// the same order as the full pass in [`Self::nearest`], so both give identical values.
    fn ward_distance(&self, from: usize, to: usize) -> f64 {
        let mut d = 0.0;
        for column in &self.columns {
            d += (column[to] - column[from]) * (column[to] - column[from]);
        }
        let (size, other) = (self.sizes[from], self.sizes[to]);
        d * (2.0 * size * other / (size + other))
    }

    /// scipy's choice of the next chain element from `slot`: the nearest live cluster by Ward
    /// distance, the chain's previous element on ties, else the lowest slot.
    #[inline(never)] // Called thousands of times per tree: V8 optimises it early (see t-SNE).
    fn nearest(&mut self, slot: usize, previous: Option<usize>) -> (usize, f64) {
        if let Some(found) = self.nearest_in_grid(slot, previous) {
            return (found.slot, found.distance);
        }
        let from = self.position[slot];
        let distances = &mut self.distances;
        distances.clear();
        distances.resize(self.slots.len(), 0.0);
        for column in &self.columns {
            let centre = column[from];
            for (d, &v) in distances.iter_mut().zip(column) {
                *d += (v - centre) * (v - centre);
            }
        }
        let size = self.sizes[from];
        for (d, &other) in distances.iter_mut().zip(&self.sizes) {
            *d *= 2.0 * size * other / (size + other);
        }
        let mut best = Nearest::start(previous, |p| distances[self.position[p]]);
        for (at, (&candidate, &d)) in self.slots.iter().zip(distances.iter()).enumerate() {
            if at != from {
                best.offer(candidate, d, previous);
            }
        }
        (best.slot, best.distance)
    }

    /// The search of [`Self::nearest`] over the grid's cells in rings around the cluster's
    /// cell, stopping once no cell further out can hold a winner: a Ward distance from a
    /// cluster of size `a` is at least `2a / (a + 1)` times the squared centroid distance, and
    /// every centroid outside the rings searched is at least [`Grid::gap_beyond`] away. `None`
    /// when the rings would cover more cells than there are live clusters (a full pass is then
    /// cheaper).
    fn nearest_in_grid(&self, slot: usize, previous: Option<usize>) -> Option<Nearest> {
        let grid = self.grid.as_ref()?;
        let from = self.position[slot];
        let size = self.sizes[from];
        let closest_factor = 2.0 * size / (size + 1.0);
        let centre = [self.columns[0][from], self.columns[1][from]];
        let cell = grid.cell_of(centre);
        let mut best = Nearest::start(previous, |p| self.ward_distance(from, self.position[p]));
        for ring in 0.. {
            if ring > 0 {
                let gap = grid.gap_beyond(centre, cell, ring);
                // The margin keeps rounding in the computed distances from pruning a tie.
                if closest_factor * gap * gap * (1.0 - 1e-9) > best.distance {
                    return Some(best);
                }
            }
            if (2 * ring + 1).pow(2) > self.slots.len() {
                return None;
            }
            grid.for_each_in_ring(cell, ring, |candidate| {
                if candidate != slot {
                    let d = self.ward_distance(from, self.position[candidate]);
                    best.offer(candidate, d, previous);
                }
            });
        }
        unreachable!("the loop returns once the rings cover the grid")
    }

    /// Merges slot `gone` into slot `kept` (scipy keeps the larger slot index). A coordinate
    /// both share is kept as it is: the weighted mean of two equal values can round an ulp
    /// away (0.1 and 0.2 of 0.1 sum to 0.30000000000000004), and merged duplicates would then
    /// sit a rounding error from their remaining copies. A later merge can land exactly on a
    /// copy again, nearer to a chain member than the link that put it on the chain: the chain
    /// then revisits a slot, which dies in a merge while still on the chain (the stale
    /// position indexed past the live arrays at 50,000 duplicate-heavy rows). scipy's
    /// Lance-Williams update keeps such distances exactly 0.
    fn merge(&mut self, gone: usize, kept: usize) {
        let (g, k) = (self.position[gone], self.position[kept]);
        let (ng, nk) = (self.sizes[g], self.sizes[k]);
        for column in &mut self.columns {
            if column[g] != column[k] {
                column[k] = (ng * column[g] + nk * column[k]) / (ng + nk);
            }
        }
        if let Some(grid) = &mut self.grid {
            grid.remove(gone);
            grid.remove(kept);
            grid.insert(kept, [self.columns[0][k], self.columns[1][k]]);
        }
        for column in &mut self.columns {
            column.swap_remove(g);
        }
        self.sizes[k] = ng + nk;
        self.sizes.swap_remove(g);
        self.slots.swap_remove(g);
        if let Some(&moved) = self.slots.get(g) {
            self.position[moved] = g;
        }
        if self
            .grid
            .as_ref()
            .is_some_and(|grid| grid.too_coarse_for(self.slots.len()))
        {
            self.grid = Grid::over(&self.columns, &self.slots, self.position.len());
        }
    }
}

/// Live clusters bucketed on a grid over their first two coordinates whose cell boundaries
/// are quantiles of the centroids on each axis, so skewed and clumped embeddings (RFM's are)
/// still put about two clusters in a cell. Each cell is a doubly linked list of slots, so moves
/// are O(1); merged centroids stay inside the bounding box of the clusters they came from.
struct Grid {
    cells_per_side: usize,
    /// Cell boundaries per axis, `cells_per_side + 1` of them, non-decreasing.
    bounds: [Vec<f64>; 2],
    head: Vec<u32>,
    next: Vec<u32>,
    prev: Vec<u32>,
    cell: Vec<u32>,
}

const NONE: u32 = u32::MAX;
/// Below this many live clusters every search is a full pass.
const MIN_GRID_CLUSTERS: usize = 64;

impl Grid {
    /// A grid over the first two coordinates of the live clusters, sized for their number;
    /// `None` below two columns (a 1-D search has nothing to prune with two-axis rings) or
    /// when so few clusters are left that a full pass is as cheap.
    fn over(columns: &[Vec<f64>], slots: &[usize], slot_count: usize) -> Option<Self> {
        let live = slots.len();
        if columns.len() < 2 || live < MIN_GRID_CLUSTERS {
            return None;
        }
        let cells_per_side = ((live as f64 / 2.0).sqrt() as usize).max(1);
        let bounds = [0, 1].map(|axis| {
            let mut sorted = columns[axis].clone();
            sorted.sort_unstable_by(f64::total_cmp);
            (0..=cells_per_side)
                .map(|i| sorted[(i * (live - 1)) / cells_per_side])
                .collect()
        });
        let mut grid = Self {
            cells_per_side,
            bounds,
            head: vec![NONE; cells_per_side * cells_per_side],
            next: vec![NONE; slot_count],
            prev: vec![NONE; slot_count],
            cell: vec![NONE; slot_count],
        };
        for (at, &slot) in slots.iter().enumerate() {
            grid.insert(slot, [columns[0][at], columns[1][at]]);
        }
        Some(grid)
    }

    /// Whether the grid has become sparse enough that rings would cross mostly empty cells.
    fn too_coarse_for(&self, live: usize) -> bool {
        self.head.len() > 8 * live
    }

    /// `(column, row)` of the cell holding `point`: `bounds[c] <= x <= bounds[c + 1]`.
    fn cell_of(&self, point: [f64; 2]) -> [usize; 2] {
        [0, 1].map(|axis| {
            let interior = &self.bounds[axis][1..self.cells_per_side];
            interior.partition_point(|&b| b <= point[axis])
        })
    }

    /// A lower bound on the distance from `point` (in `cell`) to any cell at Chebyshev distance
    /// `ring` or more: such a cell is `ring` columns or `ring` rows away, so beyond the nearest
    /// of the four boundaries `ring - 1` cells out. Infinite once the rings cover the grid.
    fn gap_beyond(&self, point: [f64; 2], cell: [usize; 2], ring: usize) -> f64 {
        let mut gap = f64::INFINITY;
        for axis in 0..2 {
            let bounds = &self.bounds[axis];
            if let Some(below) = cell[axis].checked_sub(ring) {
                gap = finite::min(gap, finite::max(point[axis] - bounds[below + 1], 0.0));
            }
            if cell[axis] + ring < self.cells_per_side {
                gap = finite::min(
                    gap,
                    finite::max(bounds[cell[axis] + ring] - point[axis], 0.0),
                );
            }
        }
        gap
    }

    fn insert(&mut self, slot: usize, point: [f64; 2]) {
        let [column, row] = self.cell_of(point);
        let cell = row * self.cells_per_side + column;
        let first = self.head[cell];
        self.next[slot] = first;
        self.prev[slot] = NONE;
        if first != NONE {
            self.prev[first as usize] = slot as u32;
        }
        self.head[cell] = slot as u32;
        self.cell[slot] = cell as u32;
    }

    fn remove(&mut self, slot: usize) {
        let (before, after) = (self.prev[slot], self.next[slot]);
        if before == NONE {
            self.head[self.cell[slot] as usize] = after;
        } else {
            self.next[before as usize] = after;
        }
        if after != NONE {
            self.prev[after as usize] = before;
        }
    }

    /// Calls `visit` with every slot in the cells at Chebyshev distance `ring` from `cell`.
    fn for_each_in_ring(&self, cell: [usize; 2], ring: usize, mut visit: impl FnMut(usize)) {
        let side = self.cells_per_side as isize;
        let ([c, r], ring) = (cell.map(|v| v as isize), ring as isize);
        let mut visit_cell = |cc: isize, rr: isize| {
            if (0..side).contains(&cc) && (0..side).contains(&rr) {
                let mut slot = self.head[(rr * side + cc) as usize];
                while slot != NONE {
                    visit(slot as usize);
                    slot = self.next[slot as usize];
                }
            }
        };
        if ring == 0 {
            visit_cell(c, r);
            return;
        }
        for cc in c - ring..=c + ring {
            visit_cell(cc, r - ring);
            visit_cell(cc, r + ring);
        }
        for rr in r - ring + 1..r + ring {
            visit_cell(c - ring, rr);
            visit_cell(c + ring, rr);
        }
    }
}

impl WardTree {
    pub fn fit(x: ArrayView2<f64>) -> Result<Self, ClusterError> {
        validate(x, 1)?;
        Ok(Self::build(x, true))
    }

    /// The chain; `use_grid: false` makes every nearest-neighbour search a full pass.
    fn build(x: ArrayView2<f64>, use_grid: bool) -> Self {
        let n = x.nrows();
        let mut live = LiveClusters::new(x, use_grid);
        let mut merges: Vec<(f64, usize, usize)> = Vec::with_capacity(n.saturating_sub(1));
        let mut chain: Vec<usize> = Vec::with_capacity(n);
        while live.slots.len() > 1 {
            if chain.is_empty() {
                chain.push(*live.slots.iter().min().expect("two or more live clusters"));
            }
            let (a, b, distance) = loop {
                let top = chain[chain.len() - 1];
                let previous = chain.len().checked_sub(2).map(|i| chain[i]);
                let (next, distance) = live.nearest(top, previous);
                if Some(next) == previous {
                    chain.truncate(chain.len() - 2);
                    break (top.min(next), top.max(next), distance);
                }
                chain.push(next);
            };
            live.merge(a, b);
            merges.push((distance, a, b));
        }
        merges.sort_by(|p, q| p.0.total_cmp(&q.0));
        Self {
            points: x.to_owned(),
            merges: merges.into_iter().map(|(_, a, b)| (a, b)).collect(),
        }
    }

    /// The k clusters left after the first n - k merges.
    pub fn cut(&self, k: usize) -> Result<Clustering, ClusterError> {
        validate(self.points.view(), k)?;
        let n = self.points.nrows();
        let mut roots = UnionFind::new(n);
        for &(a, b) in &self.merges[..n - k] {
            roots.union(a, b);
        }
        // Number the clusters in order of first appearance, so labels do not depend on the
        // merge order.
        let mut label_of_root = vec![usize::MAX; n];
        let mut next = 0;
        let labels: Vec<usize> = (0..n)
            .map(|row| {
                let root = roots.find(row);
                if label_of_root[root] == usize::MAX {
                    label_of_root[root] = next;
                    next += 1;
                }
                label_of_root[root]
            })
            .collect();
        let centroids = cluster_means(self.points.view(), &labels, k);
        Ok(Clustering {
            algorithm: Algorithm::Ward,
            k,
            sizes: cluster_sizes(&labels, k),
            inertia: inertia(self.points.view(), &labels, &centroids),
            labels,
            centroids,
            iterations: None,
            bic: None,
            mean_log_likelihood: None,
            mixture: None,
        })
    }
}

struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        Self {
            parent: (0..n).collect(),
        }
    }

    fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn union(&mut self, a: usize, b: usize) {
        let (root_a, root_b) = (self.find(a), self.find(b));
        self.parent[root_b] = root_a;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn cuts_nest_and_label_by_first_appearance() {
        let x = array![[0.0], [0.2], [10.0], [10.3], [30.0]];
        let tree = WardTree::fit(x.view()).unwrap();
        assert_eq!(tree.cut(3).unwrap().labels, vec![0, 0, 1, 1, 2]);
        assert_eq!(tree.cut(2).unwrap().labels, vec![0, 0, 0, 0, 1]);
        assert_eq!(tree.cut(5).unwrap().sizes, vec![1; 5]);
        assert_eq!(tree.cut(1).unwrap().labels, vec![0; 5]);
        assert!(matches!(
            tree.cut(6),
            Err(ClusterError::TooFewRows { rows: 5, k: 6 })
        ));
    }

    /// The grid only prunes the nearest-neighbour searches: the tree must be merge for merge
    /// the one full passes build, ties included (rounded and duplicated points), in 2-D and
    /// with more columns than the grid uses.
    #[test]
    fn grid_searches_build_the_same_tree_as_full_passes() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(11);
        let uniform = Array2::from_shape_fn((3000, 2), |_| rng.r#gen::<f64>() * 10.0);
        let rounded = uniform.mapv(|v| (v * 2.0).round() / 2.0);
        let skewed = Array2::from_shape_fn((2500, 3), |(_, c)| {
            rng.r#gen::<f64>().powi(4 + c as i32) * 100.0
        });
        let mut duplicated = Array2::zeros((2000, 2));
        for (i, mut row) in duplicated.rows_mut().into_iter().enumerate() {
            row.assign(&uniform.row(i % 300));
        }
        let rfm = duplicate_heavy_rfm(6000, 3);
        for x in [uniform, rounded, skewed, duplicated, rfm] {
            assert!(LiveClusters::new(x.view(), true).grid.is_some());
            assert_eq!(
                WardTree::build(x.view(), true),
                WardTree::build(x.view(), false)
            );
        }
    }

    /// Customers with 1-3 invoices over ten days and three prices, standardised and projected
    /// to 2-D as the pipeline's PCA does: about 2,000 distinct points, every other row a copy.
    fn duplicate_heavy_rfm(n: usize, seed: u64) -> Array2<f64> {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(seed);
        let prices = [2.55, 4.95, 12.75];
        let mut rfm = Array2::<f64>::zeros((n, 3));
        for mut row in rfm.rows_mut() {
            let invoices = rng.gen_range(1..=3);
            row[0] = rng.gen_range(0..10) as f64;
            row[1] = invoices as f64;
            row[2] = (0..invoices)
                .map(|_| prices[rng.gen_range(0..3)] * rng.gen_range(1..4) as f64)
                .sum();
        }
        for mut column in rfm.columns_mut() {
            let (mean, sd) = (column.mean().unwrap(), column.std(0.0));
            column.mapv_inplace(|v| (v - mean) / sd);
        }
        rfm.dot(&array![[0.61, -0.32], [0.55, 0.71], [0.57, -0.62]])
    }

    /// 50,000 duplicate-heavy rows panicked (a slot revisited by the chain, see
    /// [`LiveClusters::merge`]). Copies are merged first, at distance exactly 0, so the cut
    /// at the number of distinct points groups the rows by their coordinates.
    #[test]
    fn many_duplicates_merge_exactly_first() {
        let x = duplicate_heavy_rfm(50_000, 3);
        let mut first_row_at = std::collections::HashMap::new();
        let by_coordinates: Vec<usize> = x
            .rows()
            .into_iter()
            .enumerate()
            .map(|(row, point)| {
                let bits: Vec<u64> = point.iter().map(|v| v.to_bits()).collect();
                *first_row_at.entry(bits).or_insert(row)
            })
            .collect();
        let distinct = first_row_at.len();
        assert!(distinct < 2500, "{distinct} distinct points");
        let labels = WardTree::fit(x.view())
            .unwrap()
            .cut(distinct)
            .unwrap()
            .labels;
        let mut pairs: Vec<(usize, usize)> = by_coordinates.into_iter().zip(labels).collect();
        pairs.sort_unstable();
        pairs.dedup();
        assert_eq!(pairs.len(), distinct, "the cut splits or joins copies");
    }

    /// kodama's nearest-neighbour chain on the condensed distance matrix (what this module used
    /// before) as a second opinion on continuous data. With exact ties kodama breaks them its
    /// own way; scipy's tie rules are checked against scikit-learn in tests/cluster_reference.rs.
    #[test]
    fn every_cut_equals_the_matrix_based_linkage() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(7);
        for n in [2, 60, 700] {
            let x = Array2::from_shape_fn((n, 2), |_| rng.r#gen::<f64>() * 10.0);
            let mut condensed = Vec::new();
            for i in 0..n {
                for j in i + 1..n {
                    let d: f64 = (0..2).map(|c| (x[[i, c]] - x[[j, c]]).powi(2)).sum();
                    condensed.push(d.sqrt());
                }
            }
            let dendrogram = kodama::linkage(&mut condensed, n, kodama::Method::Ward);
            let tree = WardTree::fit(x.view()).unwrap();
            for k in 1..=n.min(12) {
                // kodama's cut: replay its first n - k merges (cluster ids n + step).
                let mut roots = UnionFind::new(n);
                let mut member: Vec<usize> = (0..n).collect();
                for step in &dendrogram.steps()[..n - k] {
                    let (a, b) = (member[step.cluster1], member[step.cluster2]);
                    roots.union(a, b);
                    member.push(a);
                }
                let ours = tree.cut(k).unwrap().labels;
                let mut pairs: Vec<(usize, usize)> =
                    (0..n).map(|i| (roots.find(i), ours[i])).collect();
                pairs.sort_unstable();
                pairs.dedup();
                assert_eq!(pairs.len(), k, "n = {n}, k = {k}: partitions differ");
            }
        }
    }
}

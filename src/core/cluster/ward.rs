//! Ward agglomerative clustering, identical to scikit-learn's
//! `AgglomerativeClustering(linkage="ward")` (scipy's `linkage(method="ward")`).
//!
//! scipy runs the nearest-neighbour chain on a condensed matrix of pairwise distances with
//! Lance-Williams updates: n(n-1)/2 f64 (139 MB at n = 5,900) and most of the time spent moving
//! them through memory. Ward's distance between two clusters is a function of their centroids
//! and sizes alone, `d(A, B)^2 = 2 |A| |B| / (|A| + |B|) * |c_A - c_B|^2`, so the same chain runs
//! here on the live clusters' centroids: O(n) memory, each nearest-neighbour search one pass
//! over a compact array. The chain keeps scipy's rules (the merged cluster takes the larger
//! slot, the chain's previous element wins ties, otherwise the lowest slot), so the tree is the
//! same, duplicate rows and equal point-to-point distances included (tests compare every cut
//! with scikit-learn's and with kodama's matrix-based linkage). Distances between merged
//! clusters that are equal only in exact arithmetic (points on an integer grid) round
//! differently in the two formulas and may be broken differently, as they are between scipy
//! and kodama.
//!
//! The whole tree is built once; cutting it at any k is then linear, which makes the k sweep
//! cheap.

use ndarray::{Array2, ArrayView2};

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
}

impl LiveClusters {
    fn new(x: ArrayView2<f64>) -> Self {
        let n = x.nrows();
        Self {
            slots: (0..n).collect(),
            columns: x.columns().into_iter().map(|c| c.to_vec()).collect(),
            sizes: vec![1.0; n],
            position: (0..n).collect(),
            distances: Vec::with_capacity(n),
        }
    }

    /// scipy's choice of the next chain element from `slot`: the nearest live cluster by Ward
    /// distance, the chain's previous element on ties, else the lowest slot.
    fn nearest(&mut self, slot: usize, previous: Option<usize>) -> (usize, f64) {
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
        let mut best = previous.map_or((usize::MAX, f64::INFINITY), |p| {
            (p, distances[self.position[p]])
        });
        for (at, (&candidate, &d)) in self.slots.iter().zip(distances.iter()).enumerate() {
            if at == from {
                continue;
            }
            let wins_tie = d == best.1 && Some(best.0) != previous && candidate < best.0;
            if d < best.1 || wins_tie {
                best = (candidate, d);
            }
        }
        best
    }

    /// Merges slot `gone` into slot `kept` (scipy keeps the larger slot index).
    fn merge(&mut self, gone: usize, kept: usize) {
        let (g, k) = (self.position[gone], self.position[kept]);
        let (ng, nk) = (self.sizes[g], self.sizes[k]);
        for column in &mut self.columns {
            column[k] = (ng * column[g] + nk * column[k]) / (ng + nk);
            column.swap_remove(g);
        }
        self.sizes[k] = ng + nk;
        self.sizes.swap_remove(g);
        self.slots.swap_remove(g);
        if let Some(&moved) = self.slots.get(g) {
            self.position[moved] = g;
        }
    }
}

impl WardTree {
    pub fn fit(x: ArrayView2<f64>) -> Result<Self, ClusterError> {
        validate(x, 1)?;
        let n = x.nrows();
        let mut live = LiveClusters::new(x);
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
        Ok(Self {
            points: x.to_owned(),
            merges: merges.into_iter().map(|(_, a, b)| (a, b)).collect(),
        })
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

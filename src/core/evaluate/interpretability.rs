//! How well can a marketer explain the clusters with the raw R, F and M?
//!
//! Two documented measures, both on the unscaled features:
//! (a) eta-squared of each feature across clusters (share of its variance the clusters explain;
//!     one-way ANOVA's SS_between / SS_total) and their mean;
//! (b) the training accuracy of a depth-2 classification tree predicting the cluster from the
//!     features, whose at most four leaves read as rules such as
//!     "recency <= 45.5 and monetary > 2310.4 -> cluster 2". Accuracy near 1 means the
//!     segmentation can be stated in two thresholds.
//!
//! The tree is CART as scikit-learn's `DecisionTreeClassifier(max_depth=2)` grows it: Gini
//! impurity, thresholds at midpoints between consecutive distinct values, the first best split
//! wins. Two documented differences: scikit-learn visits features in a random order, so when two
//! features give exactly the same impurity it may pick the other one (we take the lower index);
//! and it stores X as float32, so values closer than float32 resolution can split differently.
//! Split quality is compared in exact integer arithmetic, so the result does not depend on
//! rounding.
//!
//! Over 400 lines because the eta-squared, the CART tree and its rule text share the sorted
//! feature columns built once per run.

use std::ops::Range;

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use super::EvaluateError;
use super::groups::{Groups, check_finite, check_lengths};
use super::statistics::{is_constant, one_way_anova};

/// scikit-learn's `FEATURE_THRESHOLD`: values closer than this are not split apart.
const FEATURE_THRESHOLD: f64 = 1e-7;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureEta {
    pub feature: String,
    pub eta_squared: f64,
}

/// One node of the tree in pre-order (a node, then its left subtree, then its right subtree,
/// as scikit-learn numbers them). Samples with `value <= threshold` go left.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TreeNode {
    pub depth: usize,
    /// none at a leaf.
    pub split: Option<Split>,
    pub n_samples: usize,
    /// Majority cluster label (lowest label on ties).
    pub cluster: usize,
    /// Samples of the majority cluster.
    pub n_majority: usize,
}

/// Samples with `features[feature] <= threshold` go to the left child.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Split {
    /// Column index into `DecisionTree::features`.
    pub feature: usize,
    pub threshold: f64,
}

/// One condition on a path from the root to a leaf.
struct SplitCondition<'a> {
    feature: &'a str,
    threshold: f64,
    /// true: `feature <= threshold`; false: `feature > threshold`.
    at_most: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionTree {
    pub max_depth: usize,
    /// Names of the feature columns the splits refer to.
    pub features: Vec<String>,
    pub nodes: Vec<TreeNode>,
    /// Fraction of samples whose leaf's majority cluster is their own cluster.
    pub accuracy: f64,
    pub n_correct: usize,
    /// One human-readable rule per leaf, left to right.
    pub rules: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interpretability {
    pub eta_squared: Vec<FeatureEta>,
    pub mean_eta_squared: f64,
    pub tree: DecisionTree,
}

/// Eta-squared per feature and a depth-2 tree, for features such as raw recency, frequency,
/// monetary.
pub fn interpretability(
    features: ArrayView2<f64>,
    feature_names: &[&str],
    labels: &[usize],
) -> Result<Interpretability, EvaluateError> {
    interpretability_sorted(&SortedFeatures::new(features)?, feature_names, labels)
}

/// [`interpretability`] with the features sorted once for every labelling of them.
pub fn interpretability_sorted(
    features: &SortedFeatures<'_>,
    feature_names: &[&str],
    labels: &[usize],
) -> Result<Interpretability, EvaluateError> {
    /// Two thresholds are what a person can hold in mind as a rule.
    const RULE_DEPTH: usize = 2;
    let tree = fit_decision_tree_sorted(features, feature_names, labels, RULE_DEPTH)?;
    let eta_squared = features
        .features
        .columns()
        .into_iter()
        .zip(feature_names)
        .map(|(column, name)| {
            // A constant feature explains none of the clusters; one without spread inside any
            // cluster (but between them) is all between-cluster variance.
            let eta_squared = match one_way_anova(column, labels) {
                _ if is_constant(column) => 0.0,
                Ok(anova) => anova.eta_squared,
                Err(EvaluateError::ZeroWithinVariance { .. }) => 1.0,
                Err(other) => return Err(other),
            };
            Ok(FeatureEta {
                feature: (*name).to_owned(),
                eta_squared,
            })
        })
        .collect::<Result<Vec<_>, EvaluateError>>()?;
    let mean_eta_squared =
        eta_squared.iter().map(|e| e.eta_squared).sum::<f64>() / eta_squared.len() as f64;
    Ok(Interpretability {
        eta_squared,
        mean_eta_squared,
        tree,
    })
}

/// The feature columns with each column's rows in ascending order of value (ties in row
/// order), sorted once: a tree then finds every split by sequential scans in that order, O(n)
/// per node and feature instead of a sort per node, and one sort serves the trees of every
/// clustering of the same customers (the pipeline grows one per variant on the raw R, F, M).
pub struct SortedFeatures<'a> {
    features: ArrayView2<'a, f64>,
    /// One per column.
    columns: Vec<Vec<SortedEntry>>,
}

/// A row of one feature in that feature's sorted order; `class` is filled in per tree.
#[derive(Clone, Copy)]
struct SortedEntry {
    value: f64,
    row: u32,
    class: u32,
}

impl<'a> SortedFeatures<'a> {
    pub fn new(features: ArrayView2<'a, f64>) -> Result<Self, EvaluateError> {
        check_finite(features.iter())?;
        if features.ncols() == 0 {
            return Err(EvaluateError::InvalidParameter(
                "a decision tree needs at least one feature".to_owned(),
            ));
        }
        if u32::try_from(features.nrows()).is_err() {
            return Err(EvaluateError::InvalidParameter(format!(
                "a decision tree takes at most {} rows; got {}",
                u32::MAX,
                features.nrows()
            )));
        }
        let columns = features
            .columns()
            .into_iter()
            .map(|column| {
                let mut entries: Vec<SortedEntry> = column
                    .iter()
                    .enumerate()
                    .map(|(row, &value)| SortedEntry {
                        value,
                        row: row as u32,
                        class: 0,
                    })
                    .collect();
                entries.sort_by(|a, b| a.value.total_cmp(&b.value));
                entries
            })
            .collect();
        Ok(Self { features, columns })
    }

    /// The features, in their original row order.
    pub fn features(&self) -> ArrayView2<'a, f64> {
        self.features
    }
}

/// Grows a CART classification tree (Gini) to `max_depth` and reports its training accuracy
/// and rules.
pub fn fit_decision_tree(
    features: ArrayView2<f64>,
    feature_names: &[&str],
    labels: &[usize],
    max_depth: usize,
) -> Result<DecisionTree, EvaluateError> {
    fit_decision_tree_sorted(
        &SortedFeatures::new(features)?,
        feature_names,
        labels,
        max_depth,
    )
}

/// [`fit_decision_tree`] on features already sorted.
pub fn fit_decision_tree_sorted(
    features: &SortedFeatures<'_>,
    feature_names: &[&str],
    labels: &[usize],
    max_depth: usize,
) -> Result<DecisionTree, EvaluateError> {
    check_lengths(
        "features vs labels",
        features.features.nrows(),
        labels.len(),
    )?;
    check_lengths(
        "feature names vs columns",
        feature_names.len(),
        features.features.ncols(),
    )?;
    if labels.is_empty() {
        return Err(EvaluateError::InvalidParameter(
            "a decision tree needs at least one sample".to_owned(),
        ));
    }
    let groups = Groups::new(labels);
    let mut columns = features.columns.clone();
    for entry in columns.iter_mut().flatten() {
        entry.class = groups.index[entry.row as usize] as u32;
    }
    let mut builder = TreeBuilder {
        groups: &groups,
        max_depth,
        columns,
        goes_left: vec![false; labels.len()],
        scratch: Vec::with_capacity(labels.len()),
        nodes: Vec::new(),
    };
    builder.grow(0..labels.len(), 0);
    let nodes = builder.nodes;
    let n_correct = nodes
        .iter()
        .filter(|node| node.split.is_none())
        .map(|leaf| leaf.n_majority)
        .sum();
    let rules = leaf_rules(&nodes, feature_names);
    Ok(DecisionTree {
        max_depth,
        features: feature_names.iter().map(|&name| name.to_owned()).collect(),
        accuracy: n_correct as f64 / labels.len() as f64,
        n_correct,
        nodes,
        rules,
    })
}

/// Grows the tree with every feature's rows in one array, sorted by that feature. A node's
/// rows occupy the same range of every array: a split partitions each range stably (the
/// children's rows stay sorted) into the left child's rows, then the right child's.
struct TreeBuilder<'g> {
    groups: &'g Groups,
    max_depth: usize,
    columns: Vec<Vec<SortedEntry>>,
    /// Per row: whether the split being applied sends it left.
    goes_left: Vec<bool>,
    /// The right child's entries while a range is partitioned.
    scratch: Vec<SortedEntry>,
    nodes: Vec<TreeNode>,
}

/// Gini split quality: sum over children of (sum of squared class counts / child size); the
/// larger, the purer. Kept as the exact fraction numerator / denominator.
#[derive(Clone, Copy)]
struct SplitScore {
    numerator: u128,
    denominator: u128,
}

impl SplitScore {
    fn new(left_squares: u128, left_n: u128, right_squares: u128, right_n: u128) -> Self {
        Self {
            numerator: left_squares * right_n + right_squares * left_n,
            denominator: left_n * right_n,
        }
    }

    fn beats(self, other: Self) -> bool {
        self.numerator * other.denominator > other.numerator * self.denominator
    }
}

impl TreeBuilder<'_> {
    /// Appends the subtree over the rows in `range` in pre-order.
    fn grow(&mut self, range: Range<usize>, depth: usize) {
        let mut counts = vec![0; self.groups.count()];
        for entry in &self.columns[0][range.clone()] {
            counts[entry.class as usize] += 1;
        }
        let samples = range.len();
        let (majority, &n_majority) = counts
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))
            .expect("at least one class");
        let pure = n_majority == samples;
        let split = if depth >= self.max_depth || pure || samples < 2 {
            None
        } else {
            let node: Vec<&[SortedEntry]> = self
                .columns
                .iter()
                .map(|column| &column[range.clone()])
                .collect();
            best_split(&node, &counts)
        };
        self.nodes.push(TreeNode {
            depth,
            split,
            n_samples: samples,
            cluster: self.groups.labels[majority],
            n_majority,
        });
        if let Some(Split { feature, threshold }) = split {
            for entry in &self.columns[feature][range.clone()] {
                self.goes_left[entry.row as usize] = entry.value <= threshold;
            }
            let mut left_len = 0;
            for column in &mut self.columns {
                let entries = &mut column[range.clone()];
                self.scratch.clear();
                left_len = 0;
                for i in 0..entries.len() {
                    let entry = entries[i];
                    if self.goes_left[entry.row as usize] {
                        entries[left_len] = entry;
                        left_len += 1;
                    } else {
                        self.scratch.push(entry);
                    }
                }
                entries[left_len..].copy_from_slice(&self.scratch);
            }
            let middle = range.start + left_len;
            self.grow(range.start..middle, depth + 1);
            self.grow(middle..range.end, depth + 1);
        }
    }
}

/// The (feature, threshold) with the best Gini score, first found on ties; none when every
/// feature is constant on these samples. `columns` are the node's entries of each feature.
fn best_split(columns: &[&[SortedEntry]], total_counts: &[usize]) -> Option<Split> {
    let mut best: Option<(SplitScore, usize, f64)> = None;
    for (feature, entries) in columns.iter().enumerate() {
        let mut left_counts = vec![0u128; total_counts.len()];
        let mut left_squares = 0u128;
        let mut right_counts: Vec<u128> = total_counts.iter().map(|&c| c as u128).collect();
        let mut right_squares: u128 = right_counts.iter().map(|c| c * c).sum();
        for position in 1..entries.len() {
            let moved = entries[position - 1].class as usize;
            left_squares += 2 * left_counts[moved] + 1;
            left_counts[moved] += 1;
            right_squares -= 2 * right_counts[moved] - 1;
            right_counts[moved] -= 1;
            let (before, after) = (entries[position - 1].value, entries[position].value);
            if after <= before + FEATURE_THRESHOLD {
                continue;
            }
            let score = SplitScore::new(
                left_squares,
                position as u128,
                right_squares,
                (entries.len() - position) as u128,
            );
            if best.is_none_or(|(incumbent, _, _)| score.beats(incumbent)) {
                best = Some((score, feature, midpoint(before, after)));
            }
        }
    }
    best.map(|(_, feature, threshold)| Split { feature, threshold })
}

/// scikit-learn's threshold: the midpoint, or the lower value if the midpoint rounds up to
/// the upper one.
fn midpoint(lower: f64, upper: f64) -> f64 {
    let mid = lower / 2.0 + upper / 2.0;
    if mid == upper || mid.is_infinite() {
        lower
    } else {
        mid
    }
}

/// "recency <= 45.5 and monetary > 2310.4 -> cluster 2" for every leaf, left to right.
fn leaf_rules(nodes: &[TreeNode], feature_names: &[&str]) -> Vec<String> {
    let mut rules = Vec::new();
    let mut path = Vec::new();
    collect_rules(nodes, &mut 0, feature_names, &mut path, &mut rules);
    rules
}

fn collect_rules<'a>(
    nodes: &[TreeNode],
    next: &mut usize,
    feature_names: &[&'a str],
    path: &mut Vec<SplitCondition<'a>>,
    rules: &mut Vec<String>,
) {
    let node = &nodes[*next];
    *next += 1;
    match node.split {
        None => {
            let condition = if path.is_empty() {
                "all customers".to_owned()
            } else {
                path.iter().map(describe).collect::<Vec<_>>().join(" and ")
            };
            rules.push(format!(
                "{condition} -> cluster {} ({} of {} customers)",
                node.cluster, node.n_majority, node.n_samples
            ));
        }
        Some(Split { feature, threshold }) => {
            for at_most in [true, false] {
                path.push(SplitCondition {
                    feature: feature_names[feature],
                    threshold,
                    at_most,
                });
                collect_rules(nodes, next, feature_names, path, rules);
                path.pop();
            }
        }
    }
}

fn describe(condition: &SplitCondition) -> String {
    let operator = if condition.at_most { "<=" } else { ">" };
    // One decimal reads well for days, counts and money; small scaled values need more.
    let threshold = if condition.threshold.abs() >= 10.0 {
        format!("{:.1}", condition.threshold)
    } else {
        format!("{:.3}", condition.threshold)
    };
    format!("{} {operator} {threshold}", condition.feature)
}

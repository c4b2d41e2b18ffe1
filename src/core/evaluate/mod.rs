//! Evaluation of a clustering: geometric quality metrics, per-feature statistics across clusters
//! and how well the raw R, F, M explain the clusters.
//!
//! Inputs everywhere are points as an `ArrayView2<f64>` (rows = customers) and labels as
//! `&[usize]`. Statistics follow scikit-learn / scipy / statsmodels conventions so that numbers
//! in the report can be checked against them (see `tests/fixtures/evaluate/make_evaluate.py`):
//! groups are the distinct labels in ascending order, exactly like `np.unique`.

mod f_distribution;
mod groups;
mod interpretability;
mod metrics;
mod statistics;
mod studentized_range;

pub use f_distribution::f_sf;
pub use interpretability::{
    DecisionTree, FeatureEta, Interpretability, SortedFeatures, Split, TreeNode, fit_decision_tree,
    fit_decision_tree_sorted, interpretability, interpretability_sorted,
};
pub use metrics::{
    ClusterQuality, ClusterSilhouette, SilhouetteSummary, adjusted_rand_index, calinski_harabasz,
    cluster_quality, cluster_sizes, davies_bouldin, silhouette_samples, silhouette_score,
    silhouette_summary,
};
pub use statistics::{
    Anova, FeatureStatistics, FeatureTests, GroupSummary, PairComparison, PairwiseMethod,
    PairwiseTest, SkippedFeature, WelchAnova, feature_statistics, games_howell, one_way_anova,
    tukey_hsd, welch_anova,
};
pub use studentized_range::StudentizedRange;

/// Why an evaluation could not be computed; every variant is a property of the user's data or
/// arguments, never an internal failure.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvaluateError {
    #[error("{what}: {left} values on one side but {right} on the other")]
    LengthMismatch {
        what: &'static str,
        left: usize,
        right: usize,
    },
    #[error("input contains a non-finite value (NaN or infinity)")]
    NonFinite,
    #[error(
        "{metric} needs between 2 and n - 1 clusters; got {clusters} clusters for {samples} points"
    )]
    ClusterCount {
        metric: &'static str,
        clusters: usize,
        samples: usize,
    },
    #[error(
        "{test} needs at least 2 groups and more observations than groups; got {groups} groups, {samples} observations"
    )]
    TooFewObservations {
        test: &'static str,
        groups: usize,
        samples: usize,
    },
    #[error("{test}: every value equals its group mean, so the within-group variance is zero")]
    ZeroWithinVariance { test: &'static str },
    #[error(
        "{test} needs at least 2 observations with non-zero variance in every group; cluster {label} has {size} observation(s) and variance {variance}"
    )]
    UnequalVarianceUndefined {
        test: &'static str,
        label: usize,
        size: usize,
        variance: f64,
    },
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
}

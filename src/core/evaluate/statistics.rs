//! Do the clusters differ in a feature? One-way ANOVA and Welch's ANOVA for "any difference",
//! Tukey HSD and Games-Howell for "which pairs", matching scipy's `f_oneway` and statsmodels'
//! `anova_oneway(use_var="unequal")` and `pairwise_tukeyhsd(use_var="equal" | "unequal")`.
//!
//! RFM clusters have wildly unequal variances (a few VIPs spend 100x the rest), which breaks
//! the equal-variance assumption of ANOVA and Tukey; Welch and Games-Howell drop it and are
//! reported beside them.
//!
//! Over 400 lines because ANOVA, Welch, Tukey HSD and Games-Howell share one pass of group
//! means and variances and the skipped-feature notes; each test is a function of its own.

use ndarray::{ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use super::groups::{Groups, check_finite, check_lengths};
use super::{EvaluateError, StudentizedRange, f_sf};

/// Size, mean and sample variance (ddof = 1; none for a single observation) of one cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupSummary {
    pub label: usize,
    pub size: usize,
    pub mean: f64,
    pub variance: Option<f64>,
}

/// Classic one-way ANOVA; eta-squared = SS_between / SS_total is the share of the feature's
/// variance explained by the clusters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Anova {
    pub f_statistic: f64,
    pub df_between: f64,
    pub df_within: f64,
    pub p_value: f64,
    pub eta_squared: f64,
    pub ss_between: f64,
    pub ss_within: f64,
}

/// Welch's heteroscedastic one-way ANOVA (with Welch's correction of the statistic).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WelchAnova {
    pub f_statistic: f64,
    pub df_num: f64,
    pub df_denom: f64,
    pub p_value: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PairwiseMethod {
    /// Pooled variance, df = N - k.
    TukeyHsd,
    /// Each pair's own variances, Welch-Satterthwaite df.
    GamesHowell,
}

/// One pair of clusters. `mean_diff` is mean(b) - mean(a) and `std_err` is on the studentized
/// range scale (sqrt of half the variance of the difference), both as statsmodels reports them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairComparison {
    pub group_a: usize,
    pub group_b: usize,
    pub mean_diff: f64,
    pub std_err: f64,
    pub df: f64,
    pub q_statistic: f64,
    pub q_critical: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
    pub p_adj: f64,
    pub reject: bool,
}

/// All pairwise comparisons at family-wise error rate `alpha`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairwiseTest {
    pub method: PairwiseMethod,
    pub alpha: f64,
    pub pairs: Vec<PairComparison>,
}

/// Everything the report says about one feature across clusters. The unequal-variance tests
/// are absent (with the reason) when a cluster has fewer than 2 members or no spread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureStatistics {
    pub feature: String,
    pub groups: Vec<GroupSummary>,
    pub anova: Anova,
    pub tukey: PairwiseTest,
    pub welch: Option<WelchAnova>,
    pub games_howell: Option<PairwiseTest>,
    pub unequal_variance_skipped: Option<String>,
}

/// Groups of one feature with their summaries (two-pass mean and variance).
fn summarise(
    values: ArrayView1<f64>,
    labels: &[usize],
) -> Result<(Groups, Vec<GroupSummary>), EvaluateError> {
    check_lengths("values vs labels", values.len(), labels.len())?;
    check_finite(values.iter())?;
    let groups = Groups::new(labels);
    let mut sums = vec![0.0; groups.count()];
    for (&g, &x) in groups.index.iter().zip(values) {
        sums[g] += x;
    }
    let means: Vec<f64> = sums
        .iter()
        .zip(&groups.sizes)
        .map(|(s, &n)| s / n as f64)
        .collect();
    let mut squares = vec![0.0; groups.count()];
    for (&g, &x) in groups.index.iter().zip(values) {
        squares[g] += (x - means[g]).powi(2);
    }
    let summaries = (0..groups.count())
        .map(|g| GroupSummary {
            label: groups.labels[g],
            size: groups.sizes[g],
            mean: means[g],
            variance: (groups.sizes[g] > 1).then(|| squares[g] / (groups.sizes[g] - 1) as f64),
        })
        .collect();
    Ok((groups, summaries))
}

/// Pooled within-group mean square and its df; needs k >= 2 groups and N > k.
fn pooled_variance(
    test: &'static str,
    summaries: &[GroupSummary],
) -> Result<(f64, f64), EvaluateError> {
    let k = summaries.len();
    let n: usize = summaries.iter().map(|s| s.size).sum();
    if k < 2 || n <= k {
        return Err(EvaluateError::TooFewObservations {
            test,
            groups: k,
            samples: n,
        });
    }
    let ss_within: f64 = summaries
        .iter()
        .filter_map(|s| s.variance.map(|v| v * (s.size - 1) as f64))
        .sum();
    if ss_within <= 0.0 {
        return Err(EvaluateError::ZeroWithinVariance { test });
    }
    let df = (n - k) as f64;
    Ok((ss_within / df, df))
}

/// Per-group variance for the unequal-variance tests, which need n >= 2 and variance > 0.
fn group_variances(
    test: &'static str,
    summaries: &[GroupSummary],
) -> Result<Vec<f64>, EvaluateError> {
    if summaries.len() < 2 {
        return Err(EvaluateError::TooFewObservations {
            test,
            groups: summaries.len(),
            samples: summaries.iter().map(|s| s.size).sum(),
        });
    }
    summaries
        .iter()
        .map(|s| match s.variance {
            Some(v) if v > 0.0 => Ok(v),
            other => Err(EvaluateError::UnequalVarianceUndefined {
                test,
                label: s.label,
                size: s.size,
                variance: other.unwrap_or(f64::NAN),
            }),
        })
        .collect()
}

fn check_alpha(alpha: f64) -> Result<(), EvaluateError> {
    if alpha > 0.0 && alpha < 1.0 {
        Ok(())
    } else {
        Err(EvaluateError::InvalidParameter(format!(
            "alpha must lie in (0, 1), got {alpha}"
        )))
    }
}

/// One-way ANOVA of `values` across the clusters in `labels` (`scipy.stats.f_oneway`).
pub fn one_way_anova(values: ArrayView1<f64>, labels: &[usize]) -> Result<Anova, EvaluateError> {
    let (_, summaries) = summarise(values, labels)?;
    anova_from(&summaries)
}

fn anova_from(summaries: &[GroupSummary]) -> Result<Anova, EvaluateError> {
    let (mean_square_within, df_within) = pooled_variance("one-way ANOVA", summaries)?;
    let n: usize = summaries.iter().map(|s| s.size).sum();
    let grand = summaries
        .iter()
        .map(|s| s.size as f64 * s.mean)
        .sum::<f64>()
        / n as f64;
    let ss_between: f64 = summaries
        .iter()
        .map(|s| s.size as f64 * (s.mean - grand).powi(2))
        .sum();
    let ss_within = mean_square_within * df_within;
    let df_between = (summaries.len() - 1) as f64;
    let f_statistic = (ss_between / df_between) / mean_square_within;
    Ok(Anova {
        f_statistic,
        df_between,
        df_within,
        p_value: f_sf(f_statistic, df_between, df_within),
        eta_squared: ss_between / (ss_between + ss_within),
        ss_between,
        ss_within,
    })
}

/// Welch's ANOVA (`statsmodels.stats.oneway.anova_oneway(use_var="unequal")`).
pub fn welch_anova(values: ArrayView1<f64>, labels: &[usize]) -> Result<WelchAnova, EvaluateError> {
    let (_, summaries) = summarise(values, labels)?;
    welch_from(&summaries)
}

fn welch_from(summaries: &[GroupSummary]) -> Result<WelchAnova, EvaluateError> {
    let variances = group_variances("Welch ANOVA", summaries)?;
    let k = summaries.len() as f64;
    let weights: Vec<f64> = summaries
        .iter()
        .zip(&variances)
        .map(|(s, v)| s.size as f64 / v)
        .collect();
    let total_weight: f64 = weights.iter().sum();
    let weighted_mean = summaries
        .iter()
        .zip(&weights)
        .map(|(s, w)| w * s.mean)
        .sum::<f64>()
        / total_weight;
    let spread: f64 = summaries
        .iter()
        .zip(&weights)
        .map(|(s, w)| w * (s.mean - weighted_mean).powi(2))
        .sum::<f64>()
        / (k - 1.0);
    let correction: f64 = summaries
        .iter()
        .zip(&weights)
        .map(|(s, w)| (1.0 - w / total_weight).powi(2) / (s.size - 1) as f64)
        .sum::<f64>()
        / (k * k - 1.0);
    let f_statistic = spread / (1.0 + 2.0 * (k - 2.0) * correction);
    let df_denom = 1.0 / (3.0 * correction);
    let df_num = k - 1.0;
    Ok(WelchAnova {
        f_statistic,
        df_num,
        df_denom,
        p_value: f_sf(f_statistic, df_num, df_denom),
    })
}

/// Tukey's honestly significant difference test (`pairwise_tukeyhsd`).
pub fn tukey_hsd(
    values: ArrayView1<f64>,
    labels: &[usize],
    alpha: f64,
) -> Result<PairwiseTest, EvaluateError> {
    let (_, summaries) = summarise(values, labels)?;
    tukey_from(&summaries, alpha)
}

fn tukey_from(summaries: &[GroupSummary], alpha: f64) -> Result<PairwiseTest, EvaluateError> {
    check_alpha(alpha)?;
    let (mean_square_within, df) = pooled_variance("Tukey HSD", summaries)?;
    let distribution = StudentizedRange::new(summaries.len(), df)?;
    let q_critical = distribution.quantile(1.0 - alpha)?;
    let pairs = pair_indices(summaries.len())
        .map(|(a, b)| {
            let (sa, sb) = (&summaries[a], &summaries[b]);
            let variance = mean_square_within * (1.0 / sa.size as f64 + 1.0 / sb.size as f64);
            compare(sa, sb, variance, df, &distribution, q_critical)
        })
        .collect();
    Ok(PairwiseTest {
        method: PairwiseMethod::TukeyHsd,
        alpha,
        pairs,
    })
}

/// Games-Howell test (`pairwise_tukeyhsd(use_var="unequal")`).
pub fn games_howell(
    values: ArrayView1<f64>,
    labels: &[usize],
    alpha: f64,
) -> Result<PairwiseTest, EvaluateError> {
    let (_, summaries) = summarise(values, labels)?;
    games_howell_from(&summaries, alpha)
}

fn games_howell_from(
    summaries: &[GroupSummary],
    alpha: f64,
) -> Result<PairwiseTest, EvaluateError> {
    check_alpha(alpha)?;
    let variances = group_variances("Games-Howell", summaries)?;
    let pairs = pair_indices(summaries.len())
        .map(|(a, b)| {
            let (sa, sb) = (&summaries[a], &summaries[b]);
            let va = variances[a] / sa.size as f64;
            let vb = variances[b] / sb.size as f64;
            let df = (va + vb).powi(2)
                / (va * va / (sa.size - 1) as f64 + vb * vb / (sb.size - 1) as f64);
            let distribution = StudentizedRange::new(summaries.len(), df)?;
            let q_critical = distribution.quantile(1.0 - alpha)?;
            Ok(compare(sa, sb, va + vb, df, &distribution, q_critical))
        })
        .collect::<Result<_, EvaluateError>>()?;
    Ok(PairwiseTest {
        method: PairwiseMethod::GamesHowell,
        alpha,
        pairs,
    })
}

/// (a, b) with a < b in statsmodels' order (`np.triu_indices(k, 1)`).
fn pair_indices(k: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..k).flat_map(move |a| (a + 1..k).map(move |b| (a, b)))
}

/// One comparison given the variance of mean(b) - mean(a).
fn compare(
    a: &GroupSummary,
    b: &GroupSummary,
    difference_variance: f64,
    df: f64,
    distribution: &StudentizedRange,
    q_critical: f64,
) -> PairComparison {
    let mean_diff = b.mean - a.mean;
    let std_err = (difference_variance / 2.0).sqrt();
    let q_statistic = mean_diff.abs() / std_err;
    let half_width = q_critical * std_err;
    PairComparison {
        group_a: a.label,
        group_b: b.label,
        mean_diff,
        std_err,
        df,
        q_statistic,
        q_critical,
        ci_lower: mean_diff - half_width,
        ci_upper: mean_diff + half_width,
        p_adj: distribution.sf(q_statistic),
        reject: q_statistic > q_critical,
    }
}

/// A feature whose ANOVA and Tukey HSD are undefined, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkippedFeature {
    pub feature: String,
    pub note: String,
}

/// The tests of every feature: those that could be computed and those skipped with a note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureTests {
    pub tested: Vec<FeatureStatistics>,
    pub skipped: Vec<SkippedFeature>,
}

/// ANOVA, Tukey HSD and, where defined, Welch and Games-Howell for every column of `points`.
///
/// A feature with no spread inside any cluster (every customer bought once, every line on one
/// day) has no within-cluster variance, so F is 0/0 (constant feature) or x/0 (each cluster
/// holds a single value); scipy answers NaN or infinity. Such a feature is skipped with a note
/// instead of failing the whole run or putting a non-number into the report.
pub fn feature_statistics(
    points: ArrayView2<f64>,
    feature_names: &[&str],
    labels: &[usize],
    alpha: f64,
) -> Result<FeatureTests, EvaluateError> {
    check_lengths(
        "feature names vs columns",
        feature_names.len(),
        points.ncols(),
    )?;
    let mut tests = FeatureTests {
        tested: Vec::new(),
        skipped: Vec::new(),
    };
    for (column, name) in points.columns().into_iter().zip(feature_names) {
        let (_, groups) = summarise(column, labels)?;
        // Tested on the values, not the means: the mean of n copies of 2.55 need not be 2.55.
        let constant = is_constant(column);
        let anova = match anova_from(&groups) {
            Ok(anova) if !constant => anova,
            Ok(_) | Err(EvaluateError::ZeroWithinVariance { .. }) => {
                tests.skipped.push(SkippedFeature {
                    feature: (*name).to_owned(),
                    note: no_spread_note(name, column, constant),
                });
                continue;
            }
            Err(other) => return Err(other),
        };
        let tukey = tukey_from(&groups, alpha)?;
        let unequal =
            welch_from(&groups).and_then(|welch| Ok((welch, games_howell_from(&groups, alpha)?)));
        let (welch, games_howell, unequal_variance_skipped) = match unequal {
            Ok((welch, gh)) => (Some(welch), Some(gh), None),
            Err(reason @ EvaluateError::UnequalVarianceUndefined { .. }) => {
                (None, None, Some(reason.to_string()))
            }
            Err(other) => return Err(other),
        };
        tests.tested.push(FeatureStatistics {
            feature: (*name).to_owned(),
            groups,
            anova,
            tukey,
            welch,
            games_howell,
            unequal_variance_skipped,
        });
    }
    Ok(tests)
}

/// Why a feature without within-cluster spread has no ANOVA or Tukey HSD.
fn no_spread_note(name: &str, column: ArrayView1<f64>, constant: bool) -> String {
    if constant {
        format!(
            "{name} is {} for every customer, so the clusters cannot differ in it; ANOVA \
             and Tukey HSD skipped",
            column[0]
        )
    } else {
        format!(
            "{name} takes a single value inside each cluster (no within-cluster variance), so \
             the clusters separate it completely and F is infinite; ANOVA and Tukey HSD skipped"
        )
    }
}

/// Whether every value equals the first (true for no values).
pub(super) fn is_constant(column: ArrayView1<f64>) -> bool {
    column.iter().all(|&x| Some(&x) == column.first())
}

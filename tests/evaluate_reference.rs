//! The evaluate stage checked against scikit-learn, scipy and statsmodels.
//!
//! Fixtures come from tests/fixtures/evaluate/make_evaluate.py. Tolerances: 1e-6 relative
//! everywhere; studentized-range probabilities from scipy (Tukey / Games-Howell p-values, the
//! cdf grid) also pass within 2e-11 absolute, because scipy integrates them with
//! nquad(epsabs=1e-11) and is no more accurate than that: two scipy calls on the same pair differ
//! by ~3e-12, and at df = 20000 its k = 2 tail is off the exact t-distribution value by 1.26e-11.
//! The exact k = 2 values are checked separately to 1e-6 relative down to 1e-14.
//! F-test p-values are compared relatively down to 1e-300: scipy's are exact there.
//!
//! Over 400 lines because every metric and test of the evaluate stage has its fixture here.

mod support;

use ndarray::Array2;
use rfm_studio::core::evaluate::{
    self, EvaluateError, PairwiseTest, StudentizedRange, feature_statistics,
};
use serde_json::Value;

const REL: f64 = 1e-6;
/// Absolute accuracy of scipy's studentized range (measured; see the module comment).
const SCIPY_SRANGE_ABS: f64 = 2e-11;

fn fixture(name: &str) -> Value {
    support::fixture(&format!("evaluate/{name}"))
}

#[track_caller]
fn assert_close(what: &str, actual: f64, expected: f64, abs: f64) {
    let tolerance = (REL * expected.abs()).max(abs);
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: got {actual:e}, reference {expected:e} (|diff| {:e} > {tolerance:e})",
        (actual - expected).abs()
    );
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_u64().expect("label") as usize)
        .collect()
}

fn matrix(v: &Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = v.as_array().expect("rows").iter().map(f64s).collect();
    let d = rows[0].len();
    Array2::from_shape_vec((rows.len(), d), rows.concat()).expect("rectangular")
}

struct DataSet {
    name: String,
    points: Array2<f64>,
    labels: Vec<usize>,
    other_labels: Vec<usize>,
    reference: Value,
}

fn synthetic_sets() -> Vec<DataSet> {
    let all = fixture("synthetic.json");
    all["sets"]
        .as_object()
        .expect("sets")
        .iter()
        .map(|(name, set)| DataSet {
            name: name.clone(),
            points: matrix(&set["points"]),
            labels: usizes(&set["labels"]),
            other_labels: usizes(&set["other_labels"]),
            reference: set.clone(),
        })
        .collect()
}

#[test]
fn silhouette_matches_sklearn() {
    for set in synthetic_sets() {
        let reference = &set.reference["metrics"];
        let samples = evaluate::silhouette_samples(set.points.view(), &set.labels).unwrap();
        for (i, (&ours, theirs)) in samples
            .iter()
            .zip(f64s(&reference["silhouette_samples"]))
            .enumerate()
        {
            assert_close(
                &format!("{} silhouette[{i}]", set.name),
                ours,
                theirs,
                1e-12,
            );
        }
        let summary = evaluate::silhouette_summary(set.points.view(), &set.labels).unwrap();
        let score = reference["silhouette_score"].as_f64().unwrap();
        assert_close(
            &format!("{} silhouette score", set.name),
            summary.score,
            score,
            0.0,
        );
        let macro_score = reference["macro_silhouette"].as_f64().unwrap();
        assert_close(
            &format!("{} macro silhouette", set.name),
            summary.macro_score,
            macro_score,
            0.0,
        );
        for (cluster, theirs) in summary
            .per_cluster
            .iter()
            .zip(f64s(&reference["per_cluster_silhouette"]))
        {
            assert_close(
                &format!("{} cluster {}", set.name, cluster.label),
                cluster.mean_silhouette,
                theirs,
                1e-12,
            );
        }
    }
}

#[test]
fn singleton_cluster_has_zero_silhouette() {
    let set = synthetic_sets()
        .into_iter()
        .find(|s| s.name == "singleton3")
        .unwrap();
    let summary = evaluate::silhouette_summary(set.points.view(), &set.labels).unwrap();
    let singleton = summary.per_cluster.iter().find(|c| c.size == 1).unwrap();
    assert_eq!(singleton.mean_silhouette, 0.0);
}

#[test]
fn ari_davies_bouldin_calinski_harabasz_and_sizes_match_sklearn() {
    for set in synthetic_sets() {
        let reference = &set.reference["metrics"];
        let name = &set.name;
        let ari = evaluate::adjusted_rand_index(&set.labels, &set.other_labels).unwrap();
        assert_close(
            &format!("{name} ARI"),
            ari,
            reference["ari_with_other"].as_f64().unwrap(),
            0.0,
        );
        let quality = evaluate::cluster_quality(set.points.view(), &set.labels).unwrap();
        assert_close(
            &format!("{name} DB"),
            quality.davies_bouldin,
            reference["davies_bouldin"].as_f64().unwrap(),
            0.0,
        );
        assert_close(
            &format!("{name} CH"),
            quality.calinski_harabasz,
            reference["calinski_harabasz"].as_f64().unwrap(),
            0.0,
        );
        assert_eq!(quality.sizes, usizes(&reference["sizes"]), "{name} sizes");
    }
}

#[test]
fn metrics_reject_degenerate_input() {
    let points = Array2::from_shape_vec((3, 1), vec![0.0, 1.0, 2.0]).unwrap();
    assert!(matches!(
        evaluate::silhouette_score(points.view(), &[0, 0, 0]),
        Err(EvaluateError::ClusterCount { clusters: 1, .. })
    ));
    assert!(matches!(
        evaluate::davies_bouldin(points.view(), &[0, 1]),
        Err(EvaluateError::LengthMismatch { .. })
    ));
    let with_nan = Array2::from_shape_vec((3, 1), vec![0.0, f64::NAN, 2.0]).unwrap();
    assert_eq!(
        evaluate::calinski_harabasz(with_nan.view(), &[0, 1, 1]),
        Err(EvaluateError::NonFinite)
    );
}

/// Compares our pairwise test with a `pairwise()` block of the fixture.
fn assert_pairwise(what: &str, ours: &PairwiseTest, reference: &Value) {
    let q_crit = f64s(&reference["q_crit"]);
    let df = f64s(&reference["df"]);
    let pairs = reference["pairs"].as_array().unwrap();
    assert_eq!(ours.pairs.len(), pairs.len(), "{what}: number of pairs");
    for (t, (pair, theirs)) in ours.pairs.iter().zip(pairs).enumerate() {
        let tag = format!("{what} {}-{}", pair.group_a, pair.group_b);
        assert_eq!(
            pair.group_a as u64,
            theirs["group_a"].as_u64().unwrap(),
            "{tag}"
        );
        assert_eq!(
            pair.group_b as u64,
            theirs["group_b"].as_u64().unwrap(),
            "{tag}"
        );
        let get = |key: &str| theirs[key].as_f64().unwrap();
        assert_close(
            &format!("{tag} mean diff"),
            pair.mean_diff,
            get("mean_diff"),
            0.0,
        );
        assert_close(&format!("{tag} std err"), pair.std_err, get("std_err"), 0.0);
        assert_close(
            &format!("{tag} ci lower"),
            pair.ci_lower,
            get("ci_lower"),
            0.0,
        );
        assert_close(
            &format!("{tag} ci upper"),
            pair.ci_upper,
            get("ci_upper"),
            0.0,
        );
        assert_close(
            &format!("{tag} p-adj"),
            pair.p_adj,
            get("p_adj"),
            SCIPY_SRANGE_ABS,
        );
        assert_eq!(
            pair.reject,
            theirs["reject"].as_bool().unwrap(),
            "{tag} reject"
        );
        let one_or_per_pair = |v: &[f64]| if v.len() == 1 { v[0] } else { v[t] };
        assert_close(
            &format!("{tag} q crit"),
            pair.q_critical,
            one_or_per_pair(&q_crit),
            0.0,
        );
        assert_close(&format!("{tag} df"), pair.df, one_or_per_pair(&df), 0.0);
    }
}

/// Compares `feature_statistics` with a list of `statistics()` blocks of the fixture.
fn assert_statistics(what: &str, points: &Array2<f64>, labels: &[usize], reference: &Value) {
    let names = ["recency", "frequency", "monetary"];
    let ours = feature_statistics(points.view(), &names, labels, 0.05)
        .unwrap()
        .tested;
    for (stats, theirs) in ours.iter().zip(reference.as_array().unwrap()) {
        let tag = format!("{what} {}", stats.feature);
        let anova = &theirs["anova"];
        assert_close(
            &format!("{tag} F"),
            stats.anova.f_statistic,
            anova["f"].as_f64().unwrap(),
            0.0,
        );
        assert_close(
            &format!("{tag} p"),
            stats.anova.p_value,
            anova["p"].as_f64().unwrap(),
            1e-300,
        );
        assert_close(
            &format!("{tag} eta^2"),
            stats.anova.eta_squared,
            anova["eta_squared"].as_f64().unwrap(),
            0.0,
        );
        assert_eq!(
            stats.anova.df_between,
            anova["df_between"].as_f64().unwrap(),
            "{tag}"
        );
        assert_eq!(
            stats.anova.df_within,
            anova["df_within"].as_f64().unwrap(),
            "{tag}"
        );
        assert_pairwise(&format!("{tag} Tukey"), &stats.tukey, &theirs["tukey"]);
        match (&stats.welch, &stats.games_howell, theirs.get("welch")) {
            (Some(welch), Some(gh), Some(reference_welch)) => {
                let get = |key: &str| reference_welch[key].as_f64().unwrap();
                assert_close(&format!("{tag} Welch F"), welch.f_statistic, get("f"), 0.0);
                assert_close(&format!("{tag} Welch p"), welch.p_value, get("p"), 1e-300);
                assert_close(
                    &format!("{tag} Welch df"),
                    welch.df_denom,
                    get("df_denom"),
                    0.0,
                );
                assert_eq!(welch.df_num, get("df_num"), "{tag}");
                assert_pairwise(&format!("{tag} Games-Howell"), gh, &theirs["games_howell"]);
            }
            (None, None, None) => assert!(stats.unequal_variance_skipped.is_some(), "{tag}"),
            _ => panic!("{tag}: Welch availability differs from the reference"),
        }
    }
}

#[test]
fn anova_welch_tukey_games_howell_match_scipy_and_statsmodels() {
    for set in synthetic_sets() {
        assert_statistics(
            &set.name,
            &set.points,
            &set.labels,
            &set.reference["statistics"],
        );
    }
}

#[test]
fn unequal_variance_tests_refuse_a_singleton_cluster() {
    let set = synthetic_sets()
        .into_iter()
        .find(|s| s.name == "singleton3")
        .unwrap();
    let column = set.points.column(0);
    assert!(matches!(
        evaluate::welch_anova(column, &set.labels),
        Err(EvaluateError::UnequalVarianceUndefined {
            label: 2,
            size: 1,
            ..
        })
    ));
    assert!(evaluate::games_howell(column, &set.labels, 0.05).is_err());
    assert!(evaluate::tukey_hsd(column, &set.labels, 0.05).is_ok());
}

/// scipy's `f_oneway` answers NaN for a constant feature and infinity for one that is constant
/// inside each cluster (with a warning); the report skips such a feature with a note instead,
/// and the other features keep their reference results.
#[test]
fn a_feature_without_within_cluster_spread_is_skipped_with_a_note() {
    let set = synthetic_sets()
        .into_iter()
        .find(|s| s.name == "rfm_like5")
        .unwrap();
    let mut points = set.points.clone();
    // Frequency: every customer bought once at 2.55 (a sum of equal values need not divide
    // back exactly); monetary: one value per cluster.
    points.column_mut(1).fill(2.55);
    for (row, &label) in set.labels.iter().enumerate() {
        points[[row, 2]] = 10.0 * label as f64;
    }
    let names = ["recency", "frequency", "monetary"];
    let tests = feature_statistics(points.view(), &names, &set.labels, 0.05).unwrap();
    let tested: Vec<&str> = tests.tested.iter().map(|f| f.feature.as_str()).collect();
    assert_eq!(tested, ["recency"]);
    let skipped: Vec<(&str, &str)> = tests
        .skipped
        .iter()
        .map(|s| (s.feature.as_str(), s.note.as_str()))
        .collect();
    assert_eq!(
        skipped,
        [
            (
                "frequency",
                "frequency is 2.55 for every customer, so the clusters cannot differ in it; \
                 ANOVA and Tukey HSD skipped"
            ),
            (
                "monetary",
                "monetary takes a single value inside each cluster (no within-cluster variance), \
                 so the clusters separate it completely and F is infinite; ANOVA and Tukey HSD \
                 skipped"
            ),
        ]
    );
    let reference = &set.reference["statistics"];
    // Only recency is tested, so it is the one compared with the reference's first block.
    assert_statistics("beside skipped features", &points, &set.labels, reference);
    let etas = evaluate::interpretability(points.view(), &names, &set.labels).unwrap();
    let eta: Vec<f64> = etas.eta_squared.iter().map(|e| e.eta_squared).collect();
    let recency_eta = reference[0]["anova"]["eta_squared"].as_f64().unwrap();
    assert_close("recency eta^2", eta[0], recency_eta, 0.0);
    assert_eq!(eta[1..], [0.0, 1.0]);
}

#[test]
fn studentized_range_matches_scipy_grid() {
    let grid = fixture("studentized_range.json");
    let df_of = |v: &Value| v.as_f64().unwrap_or(f64::INFINITY);
    for point in grid["cdf"].as_array().unwrap() {
        let (q, k, df) = (
            point["q"].as_f64().unwrap(),
            point["k"].as_u64().unwrap() as usize,
            df_of(&point["df"]),
        );
        let distribution = StudentizedRange::new(k, df).unwrap();
        let tag = format!("q={q} k={k} df={df}");
        assert_close(
            &format!("cdf {tag}"),
            distribution.cdf(q),
            point["cdf"].as_f64().unwrap(),
            SCIPY_SRANGE_ABS,
        );
        assert_close(
            &format!("sf {tag}"),
            distribution.sf(q),
            point["sf"].as_f64().unwrap(),
            SCIPY_SRANGE_ABS,
        );
    }
    for point in grid["ppf"].as_array().unwrap() {
        let (p, k, df) = (
            point["p"].as_f64().unwrap(),
            point["k"].as_u64().unwrap() as usize,
            df_of(&point["df"]),
        );
        let quantile = StudentizedRange::new(k, df).unwrap().quantile(p).unwrap();
        assert_close(
            &format!("ppf p={p} k={k} df={df}"),
            quantile,
            point["q"].as_f64().unwrap(),
            0.0,
        );
    }
}

#[test]
fn studentized_range_tail_is_exact_for_two_means() {
    let grid = fixture("studentized_range.json");
    for point in grid["k2_exact"].as_array().unwrap() {
        let (q, df) = (
            point["q"].as_f64().unwrap(),
            point["df"].as_f64().unwrap_or(f64::INFINITY),
        );
        let sf = StudentizedRange::new(2, df).unwrap().sf(q);
        assert_close(
            &format!("k=2 sf q={q} df={df}"),
            sf,
            point["sf"].as_f64().unwrap(),
            1e-14,
        );
    }
}

#[test]
fn studentized_range_quantiles_match_r() {
    // R: qtukey(0.95, 3, 20) = 3.577935 (printed to 7 digits); qtukey(0.95, 4, Inf) = 3.633 and
    // qtukey(0.95, 6, Inf) = 4.030 (tabulated to 3 decimals).
    let cases = [
        (3, 20.0, 3.577935, 5e-7),
        (4, f64::INFINITY, 3.633, 5e-4),
        (6, f64::INFINITY, 4.030, 5e-4),
    ];
    for (k, df, expected, printed_precision) in cases {
        let q = StudentizedRange::new(k, df)
            .unwrap()
            .quantile(0.95)
            .unwrap();
        assert!(
            (q - expected).abs() <= printed_precision,
            "qtukey(0.95, {k}, {df}) = {q}, R {expected}"
        );
    }
    assert!(StudentizedRange::new(1, 10.0).is_err());
    assert!(StudentizedRange::new(3, 0.0).is_err());
    assert!(
        StudentizedRange::new(3, 10.0)
            .unwrap()
            .quantile(1.0)
            .is_err()
    );
}

/// Accuracy must agree exactly with sklearn; the splits too, as none of the fixtures has two
/// features tying for the best Gini score.
fn assert_tree(what: &str, points: &Array2<f64>, labels: &[usize], reference: &Value) {
    let names = ["recency", "frequency", "monetary"];
    let tree = evaluate::fit_decision_tree(points.view(), &names, labels, 2).unwrap();
    assert_eq!(
        tree.n_correct as u64,
        reference["n_correct"].as_u64().unwrap(),
        "{what} tree"
    );
    assert_close(
        &format!("{what} tree accuracy"),
        tree.accuracy,
        reference["accuracy"].as_f64().unwrap(),
        0.0,
    );
    let nodes = reference["nodes_preorder"].as_array().unwrap();
    assert_eq!(tree.nodes.len(), nodes.len(), "{what} node count");
    for (ours, theirs) in tree.nodes.iter().zip(nodes) {
        assert_eq!(
            ours.n_samples as u64,
            theirs["n_samples"].as_u64().unwrap(),
            "{what}"
        );
        match (ours.split, theirs["feature"].as_u64()) {
            (Some(split), Some(reference_feature)) => {
                assert_eq!(
                    split.feature as u64, reference_feature,
                    "{what} split feature"
                );
                assert_close(
                    &format!("{what} threshold"),
                    split.threshold,
                    theirs["threshold"].as_f64().unwrap(),
                    0.0,
                );
            }
            (None, None) => {}
            _ => panic!("{what}: leaf/split structure differs from sklearn"),
        }
    }
    assert_eq!(
        tree.rules.len(),
        tree.nodes.iter().filter(|n| n.split.is_none()).count()
    );
}

#[test]
fn decision_tree_matches_sklearn() {
    for set in synthetic_sets() {
        assert_tree(&set.name, &set.points, &set.labels, &set.reference["tree"]);
    }
}

#[test]
fn interpretability_reports_eta_squared_and_readable_rules() {
    let set = synthetic_sets()
        .into_iter()
        .find(|s| s.name == "rfm_like5")
        .unwrap();
    let names = ["recency", "frequency", "monetary"];
    let result = evaluate::interpretability(set.points.view(), &names, &set.labels).unwrap();
    let reference_etas: Vec<f64> = set.reference["statistics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["anova"]["eta_squared"].as_f64().unwrap())
        .collect();
    for (eta, theirs) in result.eta_squared.iter().zip(&reference_etas) {
        assert_close(&eta.feature, eta.eta_squared, *theirs, 0.0);
    }
    let mean = reference_etas.iter().sum::<f64>() / 3.0;
    assert_close("mean eta^2", result.mean_eta_squared, mean, 0.0);
    // The leftmost leaf lies below both of its ancestors' thresholds.
    let root_feature = result.tree.nodes[0].split.unwrap().feature;
    let child_feature = result.tree.nodes[1].split.unwrap().feature;
    let first_rule = &result.tree.rules[0];
    let expected_start = format!("{} <= ", names[root_feature]);
    let expected_middle = format!(" and {} <= ", names[child_feature]);
    assert!(first_rule.starts_with(&expected_start), "{first_rule}");
    assert!(first_rule.contains(&expected_middle), "{first_rule}");
    assert!(first_rule.contains(" -> cluster "), "{first_rule}");
    assert_eq!(result.tree.rules.len(), 4, "{:?}", result.tree.rules);
}

/// The seed's published table: ANOVA, Welch, Tukey, Games-Howell of R, F, M across its KM_AE
/// labels, and the tree, against statsmodels / sklearn run on the same file.
#[test]
fn seed_table_statistics_match_statsmodels() {
    let support::SeedTable {
        rfm: points,
        km_ae: labels,
        ..
    } = support::seed_table();
    let reference = fixture("seed_stats.json");
    assert_eq!(labels.len() as u64, reference["n"].as_u64().unwrap());
    assert_eq!(
        evaluate::cluster_sizes(&labels),
        usizes(&reference["sizes"])
    );
    assert_statistics("seed", &points, &labels, &reference["statistics"]);
    assert_tree("seed", &points, &labels, &reference["tree"]);
}

//! Box and histogram summaries against numpy (tests/fixtures/distribution/make_distribution.py).

mod support;

use rfm_studio::core::distribution::{BinScale, BoxSummary, box_summary, histogram};
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixture {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    bins: usize,
    groups: Vec<Vec<f64>>,
    boxes: Vec<BoxSummary>,
    histogram: ExpectedHistogram,
}

#[derive(Deserialize)]
struct ExpectedHistogram {
    scale: BinScale,
    edges: Vec<f64>,
    counts: Vec<Vec<usize>>,
}

fn cases() -> Vec<Case> {
    support::fixture::<Fixture>("distribution/distribution.json").cases
}

fn assert_close(actual: f64, expected: f64, what: &str) {
    let tolerance = 1e-12 * expected.abs().max(1.0);
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: {actual} vs numpy {expected}"
    );
}

#[test]
fn boxes_match_numpy_percentiles_and_tukey_fences() {
    for case in cases() {
        for (g, (values, expected)) in case.groups.iter().zip(&case.boxes).enumerate() {
            let actual = box_summary(values.iter().copied()).expect("a non-empty group");
            let what = |field: &str| format!("{} group {g} {field}", case.name);
            assert_eq!(actual.count, expected.count, "{}", what("count"));
            assert_close(actual.mean, expected.mean, &what("mean"));
            assert_close(actual.q1, expected.q1, &what("q1"));
            assert_close(actual.median, expected.median, &what("median"));
            assert_close(actual.q3, expected.q3, &what("q3"));
            assert_eq!(
                actual.lower_fence,
                expected.lower_fence,
                "{}",
                what("lower fence")
            );
            assert_eq!(
                actual.upper_fence,
                expected.upper_fence,
                "{}",
                what("upper fence")
            );
        }
    }
}

#[test]
fn histograms_match_numpy_edges_and_counts() {
    for case in cases() {
        let actual = histogram(&case.groups, case.bins).expect("finite values");
        let expected = &case.histogram;
        assert_eq!(actual.scale, expected.scale, "{} scale", case.name);
        assert_eq!(
            actual.edges.len(),
            expected.edges.len(),
            "{} edges",
            case.name
        );
        for (a, e) in actual.edges.iter().zip(&expected.edges) {
            assert_close(*a, *e, &format!("{} edge", case.name));
        }
        assert_eq!(actual.counts, expected.counts, "{} counts", case.name);
    }
}

#[test]
fn heavy_tailed_spend_gets_log_bins_and_every_bar_is_used() {
    let monetary = cases().into_iter().find(|c| c.name == "monetary").unwrap();
    let actual = histogram(&monetary.groups, monetary.bins).unwrap();
    assert_eq!(actual.scale, BinScale::Log);
    // Log-normal spend spread over the whole chart, not one bar and empty space.
    let total: Vec<usize> = (0..monetary.bins)
        .map(|b| actual.counts.iter().map(|c| c[b]).sum())
        .collect();
    let empty = total.iter().filter(|&&c| c == 0).count();
    assert!(empty <= 4, "{empty} empty log bins of {}", monetary.bins);
}

#[test]
fn non_finite_values_and_empty_groups_are_left_out() {
    assert_eq!(box_summary([f64::NAN, f64::INFINITY]), None);
    assert_eq!(histogram(&[vec![], vec![f64::NAN]], 10), None);
    let summary = box_summary([1.0, f64::NAN, 3.0]).unwrap();
    assert_eq!((summary.count, summary.median), (2, 2.0));
}

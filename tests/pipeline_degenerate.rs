//! Degenerate but ordinary data ends in a result or a message that names the problem, decided
//! before the modelling: identical customers, too few of them, exactly ten, and features without
//! spread (every purchase on one day, every customer buying once).

use std::io::Cursor;

use rfm_studio::core::pipeline::{PipelineOptions, Report, run_blocking};

/// An aggregated RFM table, one `(recency, frequency, monetary)` per customer.
fn table(rows: impl Iterator<Item = (u32, u32, f64)>) -> Vec<u8> {
    let mut csv = String::from("customer_id,recency,frequency,monetary\n");
    for (id, (recency, frequency, monetary)) in rows.enumerate() {
        csv.push_str(&format!(
            "{},{recency},{frequency},{monetary:.2}\n",
            1000 + id
        ));
    }
    csv.into_bytes()
}

fn run(bytes: &[u8]) -> Result<Report, String> {
    let options = PipelineOptions {
        stability_rounds: 2,
        tsne_iterations: 250,
        ..PipelineOptions::default()
    };
    run_blocking(
        &mut Cursor::new(bytes),
        Some(bytes.len() as u64),
        &options,
        &mut |_| {},
    )
    .map_err(|error| error.to_string())
}

#[test]
fn identical_customers_are_nothing_to_segment() {
    let error = run(&table((0..12).map(|_| (5, 2, 40.0)))).unwrap_err();
    assert_eq!(
        error,
        "nothing to segment: the 12 customers have only 1 distinct (recency, frequency, \
         monetary) profile(s), fewer than the k = 3 clusters asked for"
    );
}

#[test]
fn too_few_customers_are_refused_with_the_number_the_check_needs() {
    for customers in [2, 5] {
        let error = run(&table((0..customers).map(|i| (i + 1, 1, 10.0)))).unwrap_err();
        assert_eq!(
            error,
            format!("k = 3 needs at least 6 customers (two per cluster); the file has {customers}")
        );
    }
}

#[test]
fn ten_customers_run_and_the_sweep_stops_at_five_clusters() {
    let report = run(&table(
        (0..10).map(|i| (i + 1, 1 + i % 3, 10.0 * f64::from(i + 1))),
    ))
    .unwrap();
    let swept: Vec<usize> = report.k_sweep.iter().map(|point| point.k).collect();
    assert_eq!(swept, [2, 3, 4, 5]);
}

/// scipy's `f_oneway` answers NaN for a constant feature; the run goes on without that
/// feature's ANOVA and Tukey, says why, and its report reads back (no NaN or infinity, which
/// JSON writes as `null` where the page expects a number).
#[test]
fn constant_features_skip_their_tests_with_a_note() {
    // Every purchase on one day (recency 1) and every customer buying once (frequency 1).
    let report = run(&table(
        (0..40).map(|i| (1, 1, 5.0 + 3.0 * f64::from(i * i % 17))),
    ))
    .unwrap();
    for variant in &report.variants {
        let tested: Vec<&str> = variant
            .statistics
            .iter()
            .map(|f| f.feature.as_str())
            .collect();
        assert_eq!(tested, ["monetary"], "{}", variant.name);
        let notes: Vec<&str> = variant
            .statistics_skipped
            .iter()
            .map(|s| s.note.as_str())
            .collect();
        assert_eq!(
            notes,
            [
                "recency is 1 for every customer, so the clusters cannot differ in it; ANOVA \
                 and Tukey HSD skipped",
                "frequency is 1 for every customer, so the clusters cannot differ in it; \
                 ANOVA and Tukey HSD skipped"
            ],
            "{}",
            variant.name
        );
    }
    let json = serde_json::to_string(&report).unwrap();
    let read_back: Result<Report, _> = serde_json::from_str(&json);
    assert!(read_back.is_ok(), "{:?}", read_back.err());
}

//! BG/NBD, Gamma-Gamma and CLV against lifetimes (tests/fixtures/clv/make_clv.py): the CDNOW
//! sample's published estimates, and per-customer predictions on the real 2009-2010 sheet;
//! cohort retention against pandas (same script).

mod support;

use rfm_studio::core::clv::diagnostics::{frequency_histogram, holdout_comparison};
use rfm_studio::core::clv::{
    BgNbdParams, ClvOptions, CustomerSummary, GammaGammaParams, bgnbd, calibration_and_holdout,
    fit_customer_value, gamma_gamma, predict, summarize,
};
use rfm_studio::core::cohorts::cohort_retention;
use rfm_studio::core::migration::{EarlierState, default_earlier_date, migration};
use rfm_studio::core::rfm::RfmTable;
use serde::Deserialize;
use serde_json::Value;

fn reference() -> Value {
    support::fixture("clv/lifetimes_reference.json")
}

fn number(value: &Value, key: &str) -> f64 {
    value[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} in the fixture"))
}

fn relative_error(got: f64, expected: f64) -> f64 {
    if got == expected {
        0.0
    } else {
        (got - expected).abs() / expected.abs().max(f64::MIN_POSITIVE)
    }
}

fn assert_close(what: &str, got: f64, expected: f64, tolerance: f64) {
    let error = relative_error(got, expected);
    assert!(
        error <= tolerance,
        "{what}: {got} vs {expected} (relative error {error:e} > {tolerance:e})"
    );
}

#[derive(Deserialize)]
struct CdnowRow {
    customer_id: String,
    frequency: u32,
    recency: f64,
    #[serde(rename = "T")]
    t: f64,
    monetary_value: f64,
}

fn cdnow_summaries() -> Vec<CustomerSummary> {
    let path = support::repo_path("tests/fixtures/clv/cdnow_customers_summary.csv");
    csv::Reader::from_path(&path)
        .unwrap_or_else(|e| panic!("{path:?}: {e}"))
        .deserialize::<CdnowRow>()
        .map(|row| {
            let row = row.expect("a CDNOW summary row");
            CustomerSummary {
                customer_id: row.customer_id,
                frequency: row.frequency,
                recency: row.recency,
                t: row.t,
                monetary_value: row.monetary_value,
            }
        })
        .collect()
}

/// Mean negative log-likelihood with time scaled to the oldest age 1, as lifetimes reports
/// it: scaling time by s changes each customer's log-likelihood by −x ln s.
fn lifetimes_scaled_objective(params: &BgNbdParams, customers: &[CustomerSummary]) -> f64 {
    let oldest = customers.iter().map(|c| c.t).fold(0.0, f64::max);
    let repeats: f64 = customers.iter().map(|c| f64::from(c.frequency)).sum();
    -(bgnbd::log_likelihood(params, customers) + repeats * oldest.ln()) / customers.len() as f64
}

#[test]
fn cdnow_estimates_match_the_papers_and_lifetimes() {
    let customers = cdnow_summaries();
    assert_eq!(customers.len(), 2357);
    let expected = &reference()["cdnow"];

    let purchases = bgnbd::fit(&customers).expect("BG/NBD fit");
    let BgNbdParams { r, alpha, a, b } = purchases.params;
    // Fader, Hardie & Lee (2005), table of estimates; lifetimes' documentation.
    for (name, got, published) in [
        ("r", r, 0.2426),
        ("alpha", alpha, 4.4136),
        ("a", a, 0.7929),
        ("b", b, 2.4259),
    ] {
        assert_close(name, got, published, 0.005);
        assert_close(name, got, number(expected, name), 1e-4);
    }
    let ours = lifetimes_scaled_objective(&purchases.params, &customers);
    let theirs = number(expected, "bgnbd_mean_negative_log_likelihood_scaled");
    assert!(
        ours <= theirs + 1e-12,
        "BG/NBD: {ours} vs lifetimes {theirs}"
    );

    let spend = gamma_gamma::fit(&customers).expect("Gamma-Gamma fit");
    let GammaGammaParams { p, q, gamma } = spend.params;
    assert_eq!(spend.customers, 946, "repeat buyers of the sample");
    // Fader, Hardie & Lee (2005), "RFM and CLV"; Fader & Hardie, note 025.
    for (name, got, published) in [("p", p, 6.25), ("q", q, 3.74), ("gamma", gamma, 15.44)] {
        assert_close(name, got, published, 0.005);
        assert_close(name, got, number(expected, name), 1e-4);
    }
    let ours = -spend.log_likelihood / spend.customers as f64;
    let theirs = number(expected, "gamma_gamma_mean_negative_log_likelihood");
    assert!(
        ours <= theirs + 1e-12,
        "Gamma-Gamma: {ours} vs lifetimes {theirs}"
    );
}

#[derive(Deserialize)]
struct PredictionRow {
    customer_id: String,
    frequency: f64,
    recency: f64,
    #[serde(rename = "T")]
    t: f64,
    monetary_value: f64,
    p_alive: f64,
    expected_purchases: f64,
    expected_spend: f64,
    clv: f64,
}

fn params_of(value: &Value) -> (BgNbdParams, GammaGammaParams) {
    (
        BgNbdParams {
            r: number(value, "r"),
            alpha: number(value, "alpha"),
            a: number(value, "a"),
            b: number(value, "b"),
        },
        GammaGammaParams {
            p: number(value, "p"),
            q: number(value, "q"),
            gamma: number(value, "gamma"),
        },
    )
}

#[test]
fn real_sheet_summaries_predictions_and_diagnostics_match_lifetimes() {
    let ingested = support::read_real_sheet();
    let expected = &reference()["online_retail"];
    let snapshot = ingested.report.snapshot_date.expect("dated transactions");
    assert_eq!(snapshot.to_string(), expected["snapshot"].as_str().unwrap());
    let summaries = summarize(&ingested.customers, snapshot).expect("summaries");

    let path = support::repo_path("tests/fixtures/clv/online_retail_clv.csv");
    let rows: Vec<PredictionRow> = csv::Reader::from_path(&path)
        .unwrap_or_else(|e| panic!("{path:?}: {e}"))
        .deserialize()
        .map(|row| row.expect("a prediction row"))
        .collect();
    assert_eq!(summaries.len(), rows.len());
    for (ours, theirs) in summaries.iter().zip(&rows) {
        assert_eq!(ours.customer_id, theirs.customer_id);
        assert_eq!(
            f64::from(ours.frequency),
            theirs.frequency,
            "{}",
            ours.customer_id
        );
        assert_eq!(ours.recency, theirs.recency, "{}", ours.customer_id);
        assert_eq!(ours.t, theirs.t, "{}", ours.customer_id);
        assert_close(
            &ours.customer_id,
            ours.monetary_value,
            theirs.monetary_value,
            1e-12,
        );
    }

    // The formulas, with lifetimes' own parameters.
    let (purchases, spend) = params_of(&expected["params"]);
    let options = ClvOptions {
        horizon_days: number(expected, "horizon_days"),
        monthly_discount_rate: number(expected, "monthly_discount"),
    };
    let predictions = predict(&summaries, &purchases, &spend, &options).expect("predictions");
    let mut worst = 0.0f64;
    for (ours, theirs) in predictions.iter().zip(&rows) {
        for (what, got, want) in [
            ("p_alive", ours.p_alive, theirs.p_alive),
            (
                "expected_purchases",
                ours.expected_purchases,
                theirs.expected_purchases,
            ),
            ("expected_spend", ours.expected_spend, theirs.expected_spend),
            ("clv", ours.clv, theirs.clv),
        ] {
            assert_close(&format!("{} {what}", theirs.customer_id), got, want, 1e-6);
            worst = worst.max(relative_error(got, want));
        }
    }
    eprintln!("worst relative error of the predictions: {worst:e}");

    // Our own fit reaches lifetimes' optimum.
    let report = fit_customer_value(&summaries, &options).expect("fit");
    let ours = lifetimes_scaled_objective(&report.purchases.params, &summaries);
    let theirs = number(
        &expected["params"],
        "bgnbd_mean_negative_log_likelihood_scaled",
    );
    eprintln!(
        "BG/NBD ours {:?} objective {ours} vs lifetimes {theirs}",
        report.purchases.params
    );
    assert!(
        ours <= theirs + 1e-9,
        "BG/NBD: {ours} vs lifetimes {theirs}"
    );
    let ours = -report.spend.log_likelihood / report.spend.customers as f64;
    let theirs = number(
        &expected["params"],
        "gamma_gamma_mean_negative_log_likelihood",
    );
    eprintln!(
        "Gamma-Gamma ours {:?} objective {ours} vs lifetimes {theirs}",
        report.spend.params
    );
    assert!(
        ours <= theirs + 1e-9,
        "Gamma-Gamma: {ours} vs lifetimes {theirs}"
    );
    let (ours_clv, theirs_clv): (f64, f64) = (
        report.customers.iter().map(|c| c.clv).sum(),
        rows.iter().map(|row| row.clv).sum(),
    );
    eprintln!("total 90-day CLV: ours {ours_clv:.2}, lifetimes {theirs_clv:.2}");
    assert_close("total CLV", ours_clv, theirs_clv, 1e-3);

    // Frequency histogram: observed counts and the model's expectation.
    let histogram = frequency_histogram(&purchases, &summaries, 7);
    for (n, bin) in histogram.iter().enumerate() {
        assert_eq!(
            bin.observed_customers as u64,
            expected["histogram_observed"][n].as_u64().unwrap()
        );
        let want = expected["histogram_expected"][n].as_f64().unwrap();
        assert_close(
            &format!("expected customers with {n}"),
            bin.expected_customers,
            want,
            1e-9,
        );
    }

    // Calibration/holdout split and the holdout comparison.
    let holdout = &expected["holdout"];
    let calibration_end = holdout["calibration_end"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let split =
        calibration_and_holdout(&ingested.customers, calibration_end, snapshot).expect("split");
    assert_eq!(split.len() as f64, number(holdout, "customers"));
    let duration = (snapshot - calibration_end).num_days() as f64;
    assert_eq!(duration, number(holdout, "duration_days"));
    let sum = |f: &dyn Fn(&rfm_studio::core::clv::CalibrationHoldout) -> f64| -> f64 {
        split.iter().map(f).sum()
    };
    assert_eq!(
        sum(&|c| f64::from(c.calibration.frequency)),
        number(holdout, "frequency_cal_sum")
    );
    assert_eq!(
        sum(&|c| c.calibration.recency),
        number(holdout, "recency_cal_sum")
    );
    assert_eq!(sum(&|c| c.calibration.t), number(holdout, "t_cal_sum"));
    assert_eq!(
        sum(&|c| f64::from(c.holdout_frequency)),
        number(holdout, "frequency_holdout_sum")
    );
    // With the whole sheet's parameters (see make_clv.py).
    let bins = holdout_comparison(&purchases, &split, duration, 7).expect("holdout");
    for (n, bin) in bins.iter().enumerate() {
        assert_eq!(
            bin.customers as u64,
            holdout["bins_customers"][n].as_u64().unwrap()
        );
        let actual = holdout["bins_actual_mean"][n].as_f64().unwrap();
        let predicted = holdout["bins_predicted_mean"][n].as_f64().unwrap();
        assert_close("holdout actual", bin.actual_mean, actual, 1e-12);
        assert_close("holdout predicted", bin.predicted_mean, predicted, 1e-9);
    }
}

#[derive(Deserialize)]
struct PandasCohort {
    customers: usize,
    active_customers: Vec<usize>,
    revenue: Vec<f64>,
}

#[test]
fn cohort_retention_of_the_real_sheet_matches_pandas() {
    let ingested = support::read_real_sheet();
    let expected: std::collections::BTreeMap<String, PandasCohort> =
        support::fixture("clv/cohorts.json");
    let cohorts = cohort_retention(&ingested.customers).expect("cohorts");
    assert_eq!(cohorts.len(), expected.len());
    let last = cohorts.len();
    for (k, cohort) in cohorts.iter().enumerate() {
        let want = &expected[&cohort.month];
        assert_eq!(cohort.customers, want.customers, "{}", cohort.month);
        // pandas' table is rectangular (every cohort to the longest offset); ours runs each
        // cohort to the last month.
        assert_eq!(cohort.active_customers.len(), last - k);
        assert_eq!(
            cohort.active_customers,
            want.active_customers[..last - k],
            "{}",
            cohort.month
        );
        assert_eq!(cohort.retention[0], 1.0);
        for (got, want) in cohort.revenue.iter().zip(&want.revenue) {
            assert_close(&cohort.month, *got, *want, 1e-9);
        }
    }
    let total: usize = cohorts.iter().map(|c| c.customers).sum();
    assert_eq!(total, ingested.customers.len());
}

#[test]
fn migration_rows_add_up_to_the_earlier_dates_segments() {
    let ingested = support::read_real_sheet();
    let end = RfmTable::from_ingested(&ingested, None).expect("end table");
    let (first, last) = (
        ingested.report.first_date.expect("dates").date(),
        ingested.report.last_date.expect("dates").date(),
    );
    let earlier_date = default_earlier_date(first, last);
    assert_eq!(
        earlier_date.to_string(),
        "2010-09-09",
        "a quarter before the last purchase"
    );
    let earlier = RfmTable::as_of(&ingested, earlier_date).expect("earlier table");
    // The earlier table counts the calibration customers of the lifetimes split above.
    assert_eq!(earlier.customers.len(), 3373);
    let moved = migration(&ingested, &end, earlier_date).expect("migration");
    for (row, (segment, count)) in moved.rows.iter().zip(earlier.segment_counts()) {
        assert_eq!(row.from, EarlierState::Segment(segment));
        assert_eq!(row.to_customers.iter().sum::<usize>(), count, "{segment:?}");
        assert_eq!(row.customers, count);
        assert!(row.lost <= count);
    }
    let new = moved.rows.last().expect("the new row");
    assert_eq!(new.from, EarlierState::New);
    assert_eq!(new.customers, 4312 - 3373);
    assert_eq!(new.lost, 0, "a new customer bought after the earlier date");
    // Revenue after the earlier date, over every cell, is the revenue of those purchase days.
    let since: f64 = ingested
        .customers
        .iter()
        .flat_map(|c| &c.purchase_days)
        .filter(|p| p.day > earlier_date)
        .map(|p| p.amount)
        .sum();
    let cells: f64 = moved.rows.iter().flat_map(|r| &r.to_revenue).sum();
    assert_close("revenue since", cells, since, 1e-12);
    // The end table as of the last day is the end table itself (monetary summed per day
    // instead of per line, so equal to rounding).
    let again = RfmTable::as_of(&ingested, last).expect("as of the end");
    assert_eq!(again.snapshot_date, end.snapshot_date);
    assert_eq!(again.customers.len(), end.customers.len());
    for (ours, theirs) in again.customers.iter().zip(&end.customers) {
        assert_eq!(
            (
                &ours.customer_id,
                ours.recency,
                ours.frequency,
                ours.segment
            ),
            (
                &theirs.customer_id,
                theirs.recency,
                theirs.frequency,
                theirs.segment
            )
        );
        assert_close(&ours.customer_id, ours.monetary, theirs.monetary, 1e-12);
    }
}

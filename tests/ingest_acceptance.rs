//! Acceptance of ingest + RFM against the real data in tests/data: the seed RFM table (exact),
//! and pandas summaries written by tests/fixtures/ingest/make_ingest.py.

mod support;

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;

use rfm_studio::core::ingest::{
    CleaningRule, ColumnMapping, DateOrder, DateShape, FileFormat, IngestOptions, Ingested,
    InputKind, Role, TextEncoding, read_transactions,
};
use rfm_studio::core::rfm::{RfmTable, quintile_bins};
use serde_json::Value;

fn expected() -> Value {
    support::fixture("ingest/expected.json")
}

/// Reads a data set of tests/data.
fn ingest(name: &str, options: &IngestOptions) -> Ingested {
    let file = File::open(support::data_path(name)).expect("data set in tests/data");
    let total = file.metadata().ok().map(|m| m.len());
    let mut calls = Vec::new();
    let ingested = read_transactions(
        &mut BufReader::new(file),
        total,
        options,
        &mut |done, total| calls.push((done, total)),
    )
    .expect("ingest");
    assert!(
        calls.windows(2).all(|pair| pair[0].0 <= pair[1].0),
        "progress goes forward"
    );
    assert_eq!(
        calls.last().map(|call| call.0),
        total,
        "progress ends at the file size"
    );
    ingested
}

fn close(actual: f64, expected: f64, relative: f64) -> bool {
    (actual - expected).abs() <= relative * expected.abs().max(1.0)
}

/// Compares totals, scores and the sampled customers with a pandas summary.
fn assert_matches_summary(ingested: &Ingested, summary: &Value) {
    let table = RfmTable::from_ingested(ingested, None).expect("rfm");
    let customers = &table.customers;
    assert_eq!(
        customers.len() as u64,
        summary["customers"].as_u64().unwrap()
    );
    let recency: u64 = customers.iter().map(|c| u64::from(c.recency)).sum();
    let frequency: u64 = customers.iter().map(|c| u64::from(c.frequency)).sum();
    let monetary: f64 = customers.iter().map(|c| c.monetary).sum();
    assert_eq!(recency, summary["recency_sum"].as_u64().unwrap());
    assert_eq!(frequency, summary["frequency_sum"].as_u64().unwrap());
    assert!(
        close(monetary, summary["monetary_sum"].as_f64().unwrap(), 1e-9),
        "{monetary}"
    );
    for (score, value) in [("r_score", 0), ("f_score", 1), ("m_score", 2)] {
        let of = |c: &rfm_studio::core::rfm::CustomerRfm| {
            u64::from([c.r_score, c.f_score, c.m_score][value])
        };
        let checksum: u64 = customers
            .iter()
            .enumerate()
            .map(|(i, c)| (i as u64 + 1) * of(c))
            .sum();
        assert_eq!(
            checksum,
            summary["score_checksums"][score].as_u64().unwrap(),
            "{score}"
        );
        let counts: Vec<u64> = (1..=5)
            .map(|s| customers.iter().filter(|c| of(c) == s).count() as u64)
            .collect();
        let expected: Vec<u64> = summary["score_counts"][score]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        assert_eq!(counts, expected, "{score}");
    }
    let by_id: HashMap<&str, _> = customers
        .iter()
        .map(|c| (c.customer_id.as_str(), c))
        .collect();
    for sample in summary["sample"].as_array().unwrap() {
        let customer = by_id[sample["customer_id"].as_str().unwrap()];
        assert_eq!(
            u64::from(customer.recency),
            sample["recency"].as_u64().unwrap()
        );
        assert_eq!(
            u64::from(customer.frequency),
            sample["frequency"].as_u64().unwrap()
        );
        assert!(close(
            customer.monetary,
            sample["monetary"].as_f64().unwrap(),
            1e-12
        ));
        assert_eq!(
            u64::from(customer.r_score),
            sample["r_score"].as_u64().unwrap()
        );
        assert_eq!(
            u64::from(customer.f_score),
            sample["f_score"].as_u64().unwrap()
        );
        assert_eq!(
            u64::from(customer.m_score),
            sample["m_score"].as_u64().unwrap()
        );
    }
}

fn removed(ingested: &Ingested, rule: CleaningRule) -> u64 {
    ingested
        .report
        .removed
        .iter()
        .find(|removed| removed.rule == rule)
        .map_or(0, |removed| removed.rows)
}

fn assert_report_matches(ingested: &Ingested, summary: &Value) {
    let report = &ingested.report;
    assert_eq!(report.rows_read, summary["rows_read"].as_u64().unwrap());
    assert_eq!(report.rows_kept, summary["rows_kept"].as_u64().unwrap());
    assert_eq!(report.invoices, summary["invoices"].as_u64().unwrap());
    for (rule, key) in [
        (CleaningRule::MissingCustomerId, "missing_customer_id"),
        (CleaningRule::Cancellation, "cancellation"),
        (CleaningRule::NonPositiveQuantity, "nonpositive_quantity"),
        (CleaningRule::NonPositivePrice, "nonpositive_price"),
        (CleaningRule::Duplicate, "duplicate"),
    ] {
        assert_eq!(
            removed(ingested, rule),
            summary[key].as_u64().unwrap(),
            "{key}"
        );
    }
    assert!(close(
        report.total_revenue,
        summary["total_revenue"].as_f64().unwrap(),
        1e-9
    ));
    assert_eq!(
        report.first_date.unwrap().to_string(),
        summary["first_date"].as_str().unwrap()
    );
    assert_eq!(
        report.last_date.unwrap().to_string(),
        summary["last_date"].as_str().unwrap()
    );
    assert_eq!(
        report.snapshot_date.unwrap().to_string(),
        summary["snapshot_date"].as_str().unwrap()
    );
}

#[test]
fn real_sheet_reproduces_every_customer_of_the_seed_table() {
    let ingested = ingest(
        "online_retail_II_2009_2010.csv.gz",
        &IngestOptions::default(),
    );
    assert_eq!(ingested.report.format, FileFormat::GzipCsv);
    assert_eq!(ingested.report.input_kind, InputKind::Transactions);
    let seed = support::seed_table();
    let by_id: HashMap<&str, _> = ingested
        .customers
        .iter()
        .map(|c| (c.customer_id.as_str(), c))
        .collect();
    for (id, row) in seed.customer_ids.iter().zip(seed.rfm.rows()) {
        let customer = by_id
            .get(id.as_str())
            .unwrap_or_else(|| panic!("customer {id} missing"));
        assert_eq!(f64::from(customer.recency), row[0], "recency of {id}");
        assert_eq!(f64::from(customer.frequency), row[1], "frequency of {id}");
        // the seed prints Monetary rounded to cents
        assert!(
            (customer.monetary - row[2]).abs() <= 0.005 + 1e-9 * row[2].abs(),
            "monetary of {id}"
        );
    }
    assert_eq!(seed.customer_ids.len(), 4_312);
    assert_eq!(ingested.customers.len(), 4_312);
    let summary = &expected()["online_retail_II_2009_2010"];
    assert_report_matches(&ingested, summary);
    assert_matches_summary(&ingested, summary);
    assert_eq!(
        RfmTable::from_ingested(&ingested, None)
            .unwrap()
            .features()
            .dim(),
        (4_312, 3)
    );
}

#[test]
fn bom_sample_with_month_first_dates() {
    let ingested = ingest(
        "online_retail_II_sample_bom_mdy.csv",
        &IngestOptions::default(),
    );
    let report = &ingested.report;
    assert_eq!(
        (report.format, report.encoding),
        (FileFormat::Csv, TextEncoding::Utf8)
    );
    assert_eq!(
        report.mapping.customer_id.as_deref(),
        Some("Customer ID"),
        "BOM stripped from the header"
    );
    assert_eq!(report.date_order.shape, Some(DateShape::DayMonth));
    // every day and month in the excerpt is <= 12: month-first, flagged as ambiguous
    assert_eq!(report.date_order.order, Some(DateOrder::Mdy));
    assert!(report.date_order.ambiguous);
    let summary = &expected()["online_retail_II_sample_bom_mdy"];
    assert_report_matches(&ingested, summary);
    assert_matches_summary(&ingested, summary);
}

fn cdnow_options(all_lines: bool) -> IngestOptions {
    let mut mapping = ColumnMapping::default();
    mapping.set(Role::Amount, Some("dollar_value".into()));
    let mut options = IngestOptions {
        mapping,
        ..IngestOptions::default()
    };
    if all_lines {
        // CDNOW lines have no invoice or product: identical lines are separate purchases, and
        // zero-dollar lines are still purchases.
        options.policy.drop_duplicates = false;
        options.policy.drop_nonpositive_price = false;
    }
    options
}

#[test]
fn cdnow_with_an_explicit_amount_column() {
    let fixture = expected();
    for (all_lines, key) in [(true, "cdnow_all_lines"), (false, "cdnow_default_policy")] {
        let ingested = ingest("cdnow_master.csv", &cdnow_options(all_lines));
        assert_eq!(ingested.report.input_kind, InputKind::AmountTransactions);
        assert_eq!(
            ingested.report.rows_kept,
            fixture[key]["rows_kept"].as_u64().unwrap()
        );
        assert_eq!(
            ingested.report.snapshot_date.unwrap().to_string(),
            fixture[key]["snapshot_date"].as_str().unwrap()
        );
        assert!(
            ingested.customers.iter().any(|c| c.customer_id == "00001"),
            "zero-padded ids stay text"
        );
        assert_matches_summary(&ingested, &fixture[key]);
    }
}

#[test]
fn quintile_bins_match_pandas_qcut_of_first_ranks() {
    let fixture = expected();
    for (n, starts) in fixture["qcut_first_rank_of_bins_1_to_4"]
        .as_object()
        .unwrap()
    {
        let n: usize = n.parse().unwrap();
        let values: Vec<f64> = (1..=n).map(|v| v as f64).collect();
        let bins = quintile_bins(&values);
        let ours: Vec<u64> = (1..=4u8)
            .map(|bin| {
                bins.iter()
                    .position(|&b| b >= bin)
                    .map_or(n as u64 + 1, |p| p as u64 + 1)
            })
            .collect();
        let theirs: Vec<u64> = starts
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        assert_eq!(ours, theirs, "n = {n}");
    }
}

#[test]
fn the_seed_table_reads_as_an_aggregated_rfm_table() {
    let ingested = ingest("seed_rfm_with_km_ae.csv", &IngestOptions::default());
    assert_eq!(ingested.report.input_kind, InputKind::AggregatedRfm);
    assert_eq!(ingested.customers.len(), 4_312);
    let first = &ingested.customers[0];
    assert_eq!(
        (first.customer_id.as_str(), first.recency, first.frequency),
        ("12346", 165, 11)
    );
    assert!((first.monetary - 372.86).abs() < 1e-9);
}

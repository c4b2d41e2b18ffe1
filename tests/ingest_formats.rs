//! Formats, sniffing, options and the generator, checked against pandas results written by
//! tests/fixtures/ingest/make_ingest.py.

mod support;

use std::collections::HashMap;
use std::fs::File;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use rfm_studio::core::generate::{GeneratorConfig, HEADER, generate_transactions};
use rfm_studio::core::ingest::{
    CancellationPolicy, CleaningRule, DateOrder, DateShape, FileFormat, IngestError, IngestOptions,
    Ingested, InputKind, Role, SNIFF_BYTES, TextEncoding, read_transactions, sniff,
};
use rfm_studio::core::rfm::RfmTable;
use serde_json::Value;

/// A small format file of tests/fixtures/ingest.
fn format_fixture(name: &str) -> PathBuf {
    support::repo_path("tests/fixtures/ingest").join(name)
}

fn expected() -> Value {
    support::fixture("ingest/expected.json")
}

fn read(path: &Path, options: &IngestOptions) -> Result<Ingested, IngestError> {
    read_transactions(
        &mut File::open(path).unwrap(),
        None,
        options,
        &mut |_, _| {},
    )
}

fn removed(ingested: &Ingested, rule: CleaningRule) -> Option<u64> {
    ingested
        .report
        .removed
        .iter()
        .find(|removed| removed.rule == rule)
        .map(|removed| removed.rows)
}

#[test]
fn small_format_files_match_pandas() {
    let fixture = expected();
    let cases = [
        (
            "retail_one_latin1_crlf.csv",
            FileFormat::Csv,
            TextEncoding::Windows1252,
            Some(','),
            Some(DateOrder::Mdy),
        ),
        (
            "semicolon_decimal_comma_dmy.csv",
            FileFormat::Csv,
            TextEncoding::Utf8,
            Some(';'),
            Some(DateOrder::Dmy),
        ),
        (
            "tab_iso_minutes.tsv",
            FileFormat::Csv,
            TextEncoding::Utf8,
            Some('\t'),
            None,
        ),
        (
            "two_sheets.xlsx",
            FileFormat::Xlsx,
            TextEncoding::Utf8,
            None,
            None,
        ),
    ];
    for (name, format, encoding, delimiter, order) in cases {
        let ingested = read(&format_fixture(name), &IngestOptions::default()).unwrap();
        let report = &ingested.report;
        let want = &fixture["small_files"][name];
        assert_eq!(
            (report.format, report.encoding, report.delimiter),
            (format, encoding, delimiter),
            "{name}"
        );
        assert_eq!(report.date_order.order, order, "{name}");
        assert!(!report.date_order.ambiguous, "{name}: the data decides");
        assert_eq!(
            report.rows_read,
            want["rows_read"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(
            report.rows_kept,
            want["rows_kept"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(
            report.invoices,
            want["invoices"].as_u64().unwrap(),
            "{name}"
        );
        for (rule, key) in [
            (CleaningRule::MissingCustomerId, "missing_customer_id"),
            (CleaningRule::Cancellation, "cancellation"),
            (CleaningRule::NonPositivePrice, "nonpositive_price"),
            (CleaningRule::Duplicate, "duplicate"),
        ] {
            assert_eq!(removed(&ingested, rule), want[key].as_u64(), "{name} {key}");
        }
        assert_eq!(
            report.last_date.unwrap().to_string(),
            want["last_date"].as_str().unwrap(),
            "{name}"
        );
        let customers: HashMap<&str, _> = ingested
            .customers
            .iter()
            .map(|c| (c.customer_id.as_str(), c))
            .collect();
        let wanted = want["customers"].as_array().unwrap();
        assert_eq!(customers.len(), wanted.len(), "{name}");
        for customer in wanted {
            let ours = customers[customer["customer_id"].as_str().unwrap()];
            assert_eq!(
                u64::from(ours.recency),
                customer["recency"].as_u64().unwrap(),
                "{name}"
            );
            assert_eq!(
                u64::from(ours.frequency),
                customer["frequency"].as_u64().unwrap(),
                "{name}"
            );
            assert!(
                (ours.monetary - customer["monetary"].as_f64().unwrap()).abs() < 1e-9,
                "{name}"
            );
        }
    }
}

#[test]
fn sniff_shows_layout_mapping_dates_and_preview() {
    let mut gz = Vec::new();
    File::open(support::real_sheet_path())
        .unwrap()
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut gz)
        .unwrap();
    let real = sniff(&gz).unwrap();
    assert_eq!(
        (real.format, real.delimiter, real.input_kind),
        (
            FileFormat::GzipCsv,
            Some(','),
            Some(InputKind::Transactions)
        )
    );
    assert_eq!(real.header.len(), 8);
    assert_eq!(real.mapping.date.as_deref(), Some("InvoiceDate"));
    assert_eq!(real.date_order.shape, Some(DateShape::Iso));
    assert_eq!(real.preview.len(), 10);
    assert_eq!(real.preview[3][2], "RECORD FRAME 7\" SINGLE SIZE ");

    let bom = sniff(&std::fs::read(support::bom_sample_path()).unwrap()).unwrap();
    assert!(bom.has_bom);
    assert_eq!(bom.header[0], "Invoice");
    assert!(bom.date_order.ambiguous);

    let dmy =
        sniff(&std::fs::read(format_fixture("semicolon_decimal_comma_dmy.csv")).unwrap()).unwrap();
    assert_eq!(dmy.date_order.order, Some(DateOrder::Dmy));
    assert!(
        dmy.date_order
            .evidence
            .unwrap()
            .contains("only valid day-first")
    );

    let cdnow = sniff(&std::fs::read(support::cdnow_path()).unwrap()[..SNIFF_BYTES]).unwrap();
    assert_eq!(cdnow.input_kind, None);
    assert_eq!(cdnow.missing_roles, [Role::Quantity, Role::Price]);

    let xlsx = sniff(&std::fs::read(format_fixture("two_sheets.xlsx")).unwrap()).unwrap();
    assert_eq!((xlsx.format, xlsx.delimiter), (FileFormat::Xlsx, None));
    assert_eq!(xlsx.preview[0].len(), 8);
}

#[test]
fn date_order_can_be_forced() {
    let path = support::bom_sample_path();
    let month_first = read(&path, &IngestOptions::default()).unwrap();
    let day_first = read(
        &path,
        &IngestOptions {
            date_order: DateOrder::Dmy,
            ..IngestOptions::default()
        },
    )
    .unwrap();
    // "12/1/2010" is 1 December month-first, 12 January day-first
    assert_eq!(
        month_first.report.last_date.unwrap().date().to_string(),
        "2010-12-01"
    );
    assert_eq!(
        day_first.report.last_date.unwrap().date().to_string(),
        "2010-01-12"
    );
    assert!(!day_first.report.date_order.ambiguous);
    let forced_wrong = read(
        &format_fixture("semicolon_decimal_comma_dmy.csv"),
        &IngestOptions {
            date_order: DateOrder::Mdy,
            ..IngestOptions::default()
        },
    );
    assert!(matches!(
        forced_wrong,
        Err(IngestError::DateOrderContradicted { .. })
    ));
}

#[test]
fn netting_cancellations_lowers_monetary_but_not_frequency() {
    let path = support::real_sheet_path();
    let dropped = read(&path, &IngestOptions::default()).unwrap();
    let mut options = IngestOptions::default();
    options.policy.cancellations = CancellationPolicy::Net;
    let netted = read(&path, &options).unwrap();
    assert_eq!(removed(&netted, CleaningRule::Cancellation), None);
    assert!(netted.report.netted_cancellation_rows > 0);
    let before: HashMap<&str, _> = dropped
        .customers
        .iter()
        .map(|c| (c.customer_id.as_str(), c))
        .collect();
    for customer in &netted.customers {
        assert!(customer.monetary > 0.0);
        if let Some(original) = before.get(customer.customer_id.as_str()) {
            assert_eq!(customer.frequency, original.frequency);
            assert!(customer.monetary <= original.monetary + 1e-9);
        }
    }
    assert!(netted.report.total_revenue < dropped.report.total_revenue);
}

#[test]
fn non_product_rule_is_off_by_default_and_counts_what_it_removes() {
    let path = support::real_sheet_path();
    let mut options = IngestOptions::default();
    options.policy.drop_non_product_codes = true;
    let ingested = read(&path, &options).unwrap();
    let want = &expected()["online_retail_II_2009_2010"]["non_product_rule"];
    assert_eq!(
        removed(&ingested, CleaningRule::NonProductCode),
        want["removed"].as_u64()
    );
    assert_eq!(
        removed(&ingested, CleaningRule::Duplicate),
        want["duplicate"].as_u64()
    );
    assert_eq!(
        ingested.customers.len() as u64,
        want["customers"].as_u64().unwrap()
    );
    assert_eq!(
        removed(
            &read(&path, &IngestOptions::default()).unwrap(),
            CleaningRule::NonProductCode
        ),
        None
    );
}

#[test]
fn snapshot_override_shifts_recency() {
    let ingested = read(&support::bom_sample_path(), &IngestOptions::default()).unwrap();
    let default = RfmTable::from_ingested(&ingested, None).unwrap();
    let later = chrono::NaiveDate::from_ymd_opt(2010, 12, 12).unwrap();
    let shifted = RfmTable::from_ingested(&ingested, Some(later)).unwrap();
    assert_eq!(default.snapshot_date.unwrap().to_string(), "2010-12-02");
    for (a, b) in default.customers.iter().zip(&shifted.customers) {
        assert_eq!(b.recency, a.recency + 10);
    }
    let too_early = chrono::NaiveDate::from_ymd_opt(2010, 11, 1).unwrap();
    assert!(RfmTable::from_ingested(&ingested, Some(too_early)).is_err());
}

#[test]
fn generated_rows_read_back_with_the_expected_shares() {
    let rows = 60_000;
    let mut csv = Vec::new();
    let summary = generate_transactions(
        &GeneratorConfig {
            rows,
            seed: 42,
            customers: None,
        },
        &mut csv,
    )
    .unwrap();
    assert!(csv.starts_with(HEADER.join(",").as_bytes()));
    let ingested = read_transactions(
        &mut Cursor::new(csv.as_slice()),
        None,
        &IngestOptions::default(),
        &mut |_, _| {},
    )
    .unwrap();
    let report = &ingested.report;
    assert_eq!(report.rows_read, rows);
    assert_eq!(
        removed(&ingested, CleaningRule::MissingCustomerId),
        Some(summary.guest_rows)
    );
    assert_eq!(
        removed(&ingested, CleaningRule::Cancellation),
        Some(summary.cancellation_rows)
    );
    let duplicates = removed(&ingested, CleaningRule::Duplicate).unwrap() as f64 / rows as f64;
    assert!(
        (0.003..0.02).contains(&duplicates),
        "duplicate share {duplicates}"
    );
    // nearly every registered customer buys something; frequency and monetary are right-skewed
    assert!(ingested.customers.len() as f64 > 0.95 * f64::from(summary.customers));
    let mean = |values: Vec<f64>| values.iter().sum::<f64>() / values.len() as f64;
    let median = |mut values: Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let monetary: Vec<f64> = ingested.customers.iter().map(|c| c.monetary).collect();
    let frequency: Vec<f64> = ingested
        .customers
        .iter()
        .map(|c| f64::from(c.frequency))
        .collect();
    assert!(mean(monetary.clone()) > 1.5 * median(monetary));
    assert!(mean(frequency.clone()) > 1.2 * median(frequency));
}

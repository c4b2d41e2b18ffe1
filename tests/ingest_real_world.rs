//! Real-world files (tests/fixtures/ingest/real_world/): lines that cannot be read are dropped
//! and counted (or refuse the file in strict mode), and conventions that used to give silently
//! wrong numbers (Superstore order ids, placeholder customer ids, currency symbols, zoned ISO
//! and month-name dates) are read as the file means them.

mod support;

use std::cell::Cell;
use std::io::{Cursor, Read, Seek, Write};
use std::path::PathBuf;
use std::rc::Rc;

use clap::Parser;
use flate2::Compression;
use flate2::write::GzEncoder;
use rfm_studio::cli::{Cli, report_text, run};
use rfm_studio::core::ingest::{
    CancellationConvention, CancellationPolicy, CleaningPolicy, CleaningRule, DateShape,
    FIRST_LINES_SHOWN, IngestError, IngestOptions, Ingested, InputKind, QualityReport,
    UnreadableReason, read_transactions,
};

fn read_bytes(bytes: &[u8], options: &IngestOptions) -> Result<Ingested, IngestError> {
    read_transactions(&mut Cursor::new(bytes), None, options, &mut |_, _| {})
}

/// A file of tests/fixtures/ingest/real_world.
fn fixture(name: &str) -> PathBuf {
    support::repo_path("tests/fixtures/ingest/real_world").join(name)
}

fn read(name: &str, options: &IngestOptions) -> Result<Ingested, IngestError> {
    read_bytes(&std::fs::read(fixture(name)).unwrap(), options)
}

fn lenient(name: &str) -> Ingested {
    read(name, &IngestOptions::default()).unwrap_or_else(|error| panic!("{name}: {error}"))
}

fn strict() -> IngestOptions {
    IngestOptions {
        strict: true,
        ..IngestOptions::default()
    }
}

/// (customer, recency, frequency, monetary) of every customer, in id order.
fn rfm(ingested: &Ingested) -> Vec<(String, u32, u32, f64)> {
    ingested
        .customers
        .iter()
        .map(|c| {
            let cents = (c.monetary * 1e6).round() / 1e6;
            (c.customer_id.clone(), c.recency, c.frequency, cents)
        })
        .collect()
}

fn rfm_of(rows: &[(&str, u32, u32, f64)]) -> Vec<(String, u32, u32, f64)> {
    rows.iter()
        .map(|&(id, r, f, m)| (id.to_owned(), r, f, m))
        .collect()
}

/// (reason, rows, first lines) per reason, in order of first appearance.
fn unreadable(report: &QualityReport) -> Vec<(UnreadableReason, u64, Vec<u64>)> {
    report
        .unreadable
        .iter()
        .map(|lines| (lines.reason, lines.rows, lines.first_lines.clone()))
        .collect()
}

fn removed(report: &QualityReport, rule: CleaningRule) -> u64 {
    report
        .removed
        .iter()
        .find(|removed| removed.rule == rule)
        .map_or(0, |removed| removed.rows)
}

#[test]
fn bad_lines_are_dropped_and_counted_with_their_line_numbers() {
    let ingested = lenient("messy_export.csv");
    let report = &ingested.report;
    assert_eq!(
        unreadable(report),
        [
            (UnreadableReason::NotADate, 2, vec![4, 6]),
            (UnreadableReason::TooManyFields, 1, vec![7]),
            (UnreadableReason::NotANumber, 1, vec![9]),
            (UnreadableReason::AmountTooLarge, 1, vec![10]),
            (UnreadableReason::TooFewFields, 2, vec![12, 17]),
        ]
    );
    let examples: Vec<&str> = report
        .unreadable
        .iter()
        .map(|l| l.example.as_str())
        .collect();
    assert_eq!(
        examples,
        [
            "line 4: column \"InvoiceDate\" holds \"\", which is not a date (expected YYYY-MM-DD [HH:MM[:SS]], M/D/YYYY H:MM, D/M/YYYY H:MM, D Mon YYYY or YYYYMMDD)",
            "line 7: 9 fields, but the header has 8",
            "line 9: column \"Quantity\" holds \"twelve\", which is not a number",
            "line 10: the amount 1e200 x 1e200 is larger than 1e15, too large to be a purchase",
            "line 12: 3 fields, but the header has 8",
        ]
    );
    assert_eq!((report.rows_read, report.rows_kept), (16, 8));
    assert_eq!(removed(report, CleaningRule::Cancellation), 1);
    assert_eq!(
        conventions(report),
        [(CancellationConvention::CInvoice, 1, "C489445".to_owned())]
    );
    assert_eq!(report.cancellations.other_c_invoice_rows, 0);
    assert_eq!(report.snapshot_date.unwrap().to_string(), "2009-12-09");
    assert_eq!(
        rfm(&ingested),
        rfm_of(&[
            ("13085", 8, 1, 164.4),
            ("13086", 2, 2, 71.7),
            ("13087", 6, 1, 13.52),
            ("13088", 3, 2, 38.8),
            ("13089", 1, 1, 13.9),
        ])
    );
    let json = serde_json::to_value(report).unwrap();
    assert_eq!(json["unreadable"][0]["reason"], "not_a_date");
    assert_eq!(
        json["unreadable"][0]["first_lines"],
        serde_json::json!([4, 6])
    );
    assert_eq!(json["cancellations"]["matched"][0]["rows"], 1);
    assert_eq!(json["unreadable"][1]["lines"], 1);
    assert_eq!(
        json["cancellations"]["matched"][0]["convention"],
        "c_invoice"
    );
}

/// A quote left open at line 4 runs to the next quote, at line 7: the csv reader returns lines
/// 4-7 as one record, which the report names with all four lines, so the customer whose only
/// lines were inside it (13087) is not lost without a word. A description quoted over two
/// lines (10-11) is a record like any other.
#[test]
fn an_unclosed_quote_is_reported_with_every_line_it_joined() {
    let ingested = lenient("unclosed_quote.csv");
    let report = &ingested.report;
    assert_eq!(
        unreadable(report),
        [(UnreadableReason::UnclosedQuote, 1, vec![4])]
    );
    assert_eq!(report.unreadable[0].lines, 4);
    assert_eq!(
        report.unreadable[0].example,
        "lines 4-7: 9 fields, but the header has 8"
    );
    assert_eq!((report.rows_read, report.rows_kept), (6, 5));
    assert_eq!(
        rfm(&ingested),
        rfm_of(&[
            ("13085", 7, 1, 83.4),
            ("13086", 7, 1, 30.6),
            ("13088", 3, 1, 23.8),
            ("13089", 1, 2, 26.85),
        ])
    );
    assert!(
        report_text(report).contains(
            "  unreadable, a quote left open joined the lines after it (an unclosed quote?): \
             1 record over 4 lines (first at line 4; lines 4-7: 9 fields, but the header has 8)\n"
        ),
        "{}",
        report_text(report)
    );
    match read("unclosed_quote.csv", &strict()) {
        Err(error) => assert_eq!(
            error.to_string(),
            "lines 4-7: 9 fields, but the header has 8"
        ),
        Ok(_) => panic!("strict mode accepted an unclosed quote"),
    }
}

#[test]
fn strict_mode_refuses_at_the_first_bad_line_with_its_message() {
    let error = read("messy_export.csv", &strict()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "line 4: column \"InvoiceDate\" holds \"\", which is not a date (expected YYYY-MM-DD [HH:MM[:SS]], M/D/YYYY H:MM, D/M/YYYY H:MM, D Mon YYYY or YYYYMMDD)"
    );
    let overflow = "Invoice,Quantity,InvoiceDate,Price,Customer ID\n1,1e200,2010-01-01,1e200,7\n";
    assert_eq!(
        read_bytes(overflow.as_bytes(), &strict())
            .unwrap_err()
            .to_string(),
        "line 2: the amount 1e200 x 1e200 is larger than 1e15, too large to be a purchase"
    );
}

#[test]
fn options_without_strict_still_parse_and_default_to_lenient() {
    let mut json = serde_json::to_value(IngestOptions::default()).unwrap();
    json.as_object_mut().unwrap().remove("strict");
    let options: IngestOptions = serde_json::from_value(json).unwrap();
    assert!(!options.strict);
}

#[test]
fn half_the_lines_unreadable_refuses_the_file_naming_the_main_reason() {
    assert_eq!(
        read("mostly_unquoted_commas.csv", &IngestOptions::default())
            .unwrap_err()
            .to_string(),
        "3 of 4 lines cannot be read; 3 of them too many fields (an unquoted delimiter?), first at lines 2, 3, 5: line 2: 9 fields, but the header has 8; check the column mapping and the delimiter"
    );
    // Just under half is still a result, and only the first lines of a reason are listed.
    let header = "Invoice,Quantity,InvoiceDate,Price,Customer ID\n";
    let file = |good: usize, bad: usize| {
        let mut text = header.to_owned();
        for line in 0..good {
            text += &format!("{line},1,2010-01-01,2.5,{}\n", line % 3 + 1);
        }
        for line in 0..bad {
            text += &format!("{line},1,,2.5,1\n");
        }
        text
    };
    let ingested = read_bytes(file(8, 7).as_bytes(), &IngestOptions::default()).unwrap();
    assert_eq!(
        unreadable(&ingested.report),
        [(UnreadableReason::NotADate, 7, vec![10, 11, 12, 13, 14])]
    );
    assert_eq!(FIRST_LINES_SHOWN, 5);
    assert_eq!(ingested.customers.len(), 3);
    let refused = read_bytes(file(7, 7).as_bytes(), &IngestOptions::default()).unwrap_err();
    assert!(
        refused
            .to_string()
            .starts_with("7 of 14 lines cannot be read; 7 of them missing or unreadable date"),
        "{refused}"
    );
}

#[test]
fn superstore_order_ids_starting_with_c_are_orders() {
    let ingested = lenient("superstore_orders.csv");
    let report = &ingested.report;
    assert_eq!(report.input_kind, InputKind::AmountTransactions);
    assert_eq!(removed(report, CleaningRule::Cancellation), 0);
    assert_eq!(conventions(report), []);
    assert_eq!(report.cancellations.other_c_invoice_rows, 4);
    assert_eq!(report.rows_kept, 5);
    assert!(report.unreadable.is_empty());
    assert_eq!(
        rfm(&ingested),
        rfm_of(&[
            ("CG-12520", 1, 2, 1009.452),
            ("DV-13045", 308, 1, 14.62),
            ("SO-20335", 553, 1, 957.5775),
        ])
    );
}

/// (convention, lines, first example) of each cancellation convention the file used.
fn conventions(report: &QualityReport) -> Vec<(CancellationConvention, u64, String)> {
    report
        .cancellations
        .matched
        .iter()
        .map(|m| (m.convention, m.rows, m.example.clone()))
        .collect()
}

/// A shop export whose cancellations are a status column and whose returns are negative
/// quantities (order ids starting with "CA-", which are not UCI cancellations): both
/// conventions are recognised, shown with their first line, and dropped or netted.
#[test]
fn status_column_and_negative_quantities_are_cancellations() {
    let dropped = lenient("shop_status_and_returns.csv");
    let report = &dropped.report;
    assert_eq!(
        conventions(report),
        [
            (CancellationConvention::Status, 3, "cancelled".to_owned()),
            (CancellationConvention::NegativeQuantity, 2, "-1".to_owned()),
        ]
    );
    assert_eq!(report.cancellations.matched[1].example_at, "line 6");
    assert_eq!(removed(report, CleaningRule::Cancellation), 5);
    assert_eq!(removed(report, CleaningRule::NonPositiveQuantity), 0);
    assert_eq!(report.snapshot_date.unwrap().to_string(), "2024-03-16");
    assert_eq!(
        rfm(&dropped),
        rfm_of(&[
            ("alice", 35, 2, 50.0),
            ("bob", 56, 1, 20.0),
            ("carol", 1, 1, 50.0)
        ])
    );
    let notes: Vec<String> = report
        .reading_notes()
        .into_iter()
        .map(|note| note.text)
        .collect();
    assert!(
        notes.contains(
            &"2 lines, recognised by: quantity below zero (a return), e.g. -1 (line 6)".to_owned()
        ),
        "{notes:?}"
    );

    // Netted: a cancellation takes its amount back whatever its sign (alice's cancelled order
    // has a positive quantity); dave, who only cancelled, is left out.
    let net = IngestOptions {
        policy: CleaningPolicy {
            cancellations: CancellationPolicy::Net,
            ..CleaningPolicy::default()
        },
        ..IngestOptions::default()
    };
    let netted = read("shop_status_and_returns.csv", &net).unwrap();
    assert_eq!(netted.report.netted_cancellation_rows, 5);
    assert_eq!(netted.report.customers_without_positive_total, 1);
    assert_eq!(
        netted.report.snapshot_date.unwrap().to_string(),
        "2024-03-16"
    );
    assert_eq!(
        rfm(&netted),
        rfm_of(&[
            ("alice", 35, 2, 20.0),
            ("bob", 56, 1, 8.0),
            ("carol", 1, 1, 40.0)
        ])
    );
}

#[test]
fn placeholder_customer_ids_count_as_missing() {
    let ingested = lenient("placeholder_customer_ids.csv");
    assert_eq!(
        removed(&ingested.report, CleaningRule::MissingCustomerId),
        10
    );
    assert_eq!(
        rfm(&ingested),
        rfm_of(&[("13085", 2, 1, 83.4), ("13086", 1, 1, 30.0)])
    );
}

#[test]
fn currency_symbols_are_stripped_from_prices() {
    let ingested = lenient("currency_prices.csv");
    let report = &ingested.report;
    assert_eq!(removed(report, CleaningRule::NonPositivePrice), 1);
    assert_eq!(
        unreadable(report),
        [(UnreadableReason::NotANumber, 1, vec![9])]
    );
    assert_eq!(
        report.unreadable[0].example,
        "line 9: column \"Price\" holds \"£abc\", which is not a number"
    );
    assert_eq!(
        rfm(&ingested),
        rfm_of(&[
            ("501", 4, 1, 15.0),
            ("502", 3, 1, 5.0),
            ("503", 1, 2, 9.0),
            ("504", 1, 1, 300.0),
        ])
    );
}

#[test]
fn zoned_iso_dates_keep_the_day_as_written() {
    let ingested = lenient("iso_dates_with_offsets.csv");
    let report = &ingested.report;
    assert_eq!(report.date_order.shape, Some(DateShape::Iso));
    assert_eq!(
        report.first_date.unwrap().to_string(),
        "2011-01-10 23:30:00"
    );
    assert_eq!(report.last_date.unwrap().to_string(), "2011-01-13 09:15:00");
    // In UTC, 701's last purchase would be on the 11th and 703's on the 13th.
    assert_eq!(
        rfm(&ingested),
        rfm_of(&[
            ("701", 2, 2, 20.0),
            ("702", 1, 2, 20.0),
            ("703", 2, 1, 10.0)
        ])
    );
}

#[test]
fn month_name_dates_are_read() {
    let ingested = lenient("month_name_dates.csv");
    let report = &ingested.report;
    assert_eq!(report.date_order.shape, Some(DateShape::MonthName));
    assert_eq!(
        report.first_date.unwrap().to_string(),
        "2010-01-04 00:00:00"
    );
    assert_eq!(report.snapshot_date.unwrap().to_string(), "2010-03-02");
    assert_eq!(
        rfm(&ingested),
        rfm_of(&[
            ("801", 46, 2, 10.0),
            ("802", 1, 2, 15.0),
            ("803", 2, 1, 5.0)
        ])
    );
}

#[test]
fn the_command_reports_dropped_lines_and_refuses_them_with_strict() {
    let input = fixture("messy_export.csv");
    let input = input.to_str().unwrap();
    let out = std::env::temp_dir().join(format!("rfm-real-world-{}.csv", std::process::id()));
    let out = out.to_str().unwrap();
    let command = |extra: &[&str]| {
        let args = ["rfm-studio", "rfm", input, "--out", out];
        let cli = Cli::try_parse_from(args.iter().chain(extra)).unwrap();
        run(&cli.command).map_err(|error| error.to_string())
    };
    command(&[]).unwrap();
    assert_eq!(std::fs::read_to_string(out).unwrap().lines().count(), 6);
    assert!(
        command(&["--strict"])
            .unwrap_err()
            .starts_with("line 4: column \"InvoiceDate\" holds \"\", which is not a date")
    );
    let text = report_text(&lenient("messy_export.csv").report);
    for expected in [
        "  unreadable, missing or unreadable date: 2 (first at lines 4, 6; line 4: column",
        "  unreadable, too few fields: 2 (first at lines 12, 17; line 12: 3 fields, but the header has 8)\n",
        "cancellations: 1 lines, recognised by: invoice is \"C\" followed by digits (UCI Online Retail), e.g. C489445 (line 14)\n",
    ] {
        assert!(text.contains(expected), "{expected:?} not in\n{text}");
    }
    let superstore = report_text(&lenient("superstore_orders.csv").report);
    assert!(
        superstore.contains(
            "! cancellations: 4 lines whose invoice starts with \"C\" but is not \"C\" and digits: \
             not cancellations by their invoice\n"
        ),
        "{superstore}"
    );
}

/// Counts the bytes a reader hands out.
struct Counted<R> {
    inner: R,
    bytes: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.set(self.bytes.get() + n as u64);
        Ok(n)
    }
}

impl<R: Seek> Seek for Counted<R> {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(to)
    }
}

#[test]
fn an_unclosed_quote_is_refused_before_the_rest_of_the_file_is_buffered() {
    let gzip_member = |text: &[u8]| {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(text).unwrap();
        encoder.finish().unwrap()
    };
    // 512 MiB of text behind the quote, as concatenated gzip members of 1 MiB each (about 1 KB
    // compressed): the reader used to hold all of it in one record before the limit fired.
    let mut gzip = gzip_member(
        b"Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n\
          489434,85048,\"LIGHTS",
    );
    let filler = gzip_member(&vec![b'x'; 1 << 20]);
    for _ in 0..512 {
        gzip.extend_from_slice(&filler);
    }
    let bytes = Rc::new(Cell::new(0));
    let mut reader = Counted {
        inner: Cursor::new(gzip.as_slice()),
        bytes: Rc::clone(&bytes),
    };
    let error = read_transactions(&mut reader, None, &IngestOptions::default(), &mut |_, _| {})
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "line 2: the record is longer than 1048576 bytes (an unclosed quote?)"
    );
    assert!(
        bytes.get() * 20 < gzip.len() as u64,
        "read {} of {} bytes",
        bytes.get(),
        gzip.len()
    );
}

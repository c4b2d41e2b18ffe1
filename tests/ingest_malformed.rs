//! Every file of the malformed corpus (tests/malformed/) gets its exact, clear message, both
//! from the library and from the `rfm-studio rfm` command; in strict mode, files with a bad
//! line get that line's own message.

mod support;

use std::fs::File;

use clap::Parser;
use rfm_studio::cli::{Cli, run};
use rfm_studio::core::ingest::{IngestOptions, read_transactions, sniff};
use rfm_studio::core::rfm::RfmTable;

/// The corpus folder, tests/malformed.
fn corpus() -> std::path::PathBuf {
    support::repo_path("tests/malformed")
}

/// file -> the message the user sees.
fn expected_messages() -> Vec<(&'static str, String)> {
    vec![
        ("empty.csv", "the file is empty".into()),
        ("only_blank_lines.csv", "the file is empty".into()),
        ("header_only.csv", "the file has a header but no data rows".into()),
        (
            "missing_customer_column.csv",
            "missing required column(s): customer_id; the header has: Invoice, StockCode, Description, Quantity, InvoiceDate, Price, Country".into(),
        ),
        (
            "wrong_delimiter.csv",
            "the header has a single column (\"Invoice|StockCode|Description|Quantity|InvoiceDate|Price|Customer ID|Country\"): the delimiter must be comma, semicolon or tab".into(),
        ),
        ("binary_garbage.bin", "the file is not a CSV, gzip-compressed CSV or XLSX file (it contains binary data)".into()),
        ("truncated.csv.gz", "the gzip data is truncated or corrupt (incomplete deflate stream)".into()),
        (
            "text_in_quantity.csv",
            mostly_unreadable("text in a number column", "line 3: column \"Quantity\" holds \"twelve\", which is not a number"),
        ),
        (
            "unparseable_date.csv",
            mostly_unreadable("missing or unreadable date", BAD_DATE_LINE),
        ),
        (
            "day_and_month_first_dates.csv",
            "mixed date formats: line 2 has \"13/1/2010 07:45\" (day first) and line 3 has \"1/13/2010 08:00\" (month first)".into(),
        ),
        ("one_customer.csv", "only 1 customer(s) after cleaning: quintile scores need at least 2".into()),
        ("all_cancelled.csv", "no rows left after cleaning: 3 rows read, removed: 3 cancellations".into()),
        ("no_customer_ids.csv", "no rows left after cleaning: 2 rows read, removed: 2 without customer id".into()),
        ("huge_quoted_field.csv.gz", "line 2: the record is longer than 1048576 bytes (an unclosed quote?)".into()),
        ("utf16.csv", "the file is UTF-16 text; save it as UTF-8 CSV".into()),
        ("short_row.csv", mostly_unreadable("too few fields", "line 3: 4 fields, but the header has 8")),
        (
            "rfm_negative_recency.csv",
            mostly_unreadable(
                "not a whole number >= 0",
                "line 3: column \"Recency\" holds \"-3\", which is not a whole number >= 0",
            ),
        ),
        ("rfm_repeated_customer.csv", "line 3: customer \"12346\" appears twice in the RFM table".into()),
        ("not_a_workbook.xlsx", "cannot read the XLSX workbook (Cannot detect file format)".into()),
        (
            // found by the fuzzer: 20 KB inflating to a 846,000-field header (sniff used 7 GB);
            // the header is a record like any other, refused once it passes the limit
            "gzip_bomb_wide_header.csv.gz",
            "line 1: the record is longer than 1048576 bytes (an unclosed quote?)".into(),
        ),
        (
            "quote_inside_field.csv",
            mostly_unreadable("text in a number column", "line 3: column \"Price\" holds \"abc\", which is not a number"),
        ),
    ]
}

const BAD_DATE_LINE: &str = "line 3: column \"InvoiceDate\" holds \"the first of December\", which is not a date (expected YYYY-MM-DD [HH:MM[:SS]], M/D/YYYY H:MM, D/M/YYYY H:MM, D Mon YYYY or YYYYMMDD)";

/// Each of these files has one bad line out of two: lenient reading refuses the file as mostly
/// unreadable, strict reading at that line.
fn mostly_unreadable(reason: &str, line_message: &str) -> String {
    format!(
        "1 of 2 lines cannot be read; 1 of them {reason}, first at lines 3: {line_message}; check the column mapping and the delimiter"
    )
}

/// file -> the message in strict mode, where it differs from the default.
fn strict_messages() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            "text_in_quantity.csv",
            "line 3: column \"Quantity\" holds \"twelve\", which is not a number",
        ),
        ("unparseable_date.csv", BAD_DATE_LINE),
        ("short_row.csv", "line 3: 4 fields, but the header has 8"),
        (
            "rfm_negative_recency.csv",
            "line 3: column \"Recency\" holds \"-3\", which is not a whole number >= 0",
        ),
        (
            "quote_inside_field.csv",
            "line 3: column \"Price\" holds \"abc\", which is not a number",
        ),
    ]
}

/// The whole pipeline as the CLI runs it: read, then score.
fn message_for(name: &str, options: &IngestOptions) -> String {
    let mut file = File::open(corpus().join(name)).expect("corpus file");
    match read_transactions(&mut file, None, options, &mut |_, _| {}) {
        Err(error) => error.to_string(),
        Ok(ingested) => match RfmTable::from_ingested(&ingested, None) {
            Err(error) => error.to_string(),
            Ok(_) => "no error".into(),
        },
    }
}

#[test]
fn every_malformed_file_gets_its_message() {
    let expected = expected_messages();
    let corpus_files = std::fs::read_dir(corpus()).unwrap().count();
    assert_eq!(
        corpus_files,
        expected.len(),
        "every corpus file has an expected message"
    );
    assert!(expected.len() >= 15);
    let mismatches: Vec<String> = expected
        .iter()
        .filter_map(|(name, message)| {
            let actual = message_for(name, &IngestOptions::default());
            (&actual != message).then(|| format!("{name}: got {actual:?}"))
        })
        .collect();
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}

#[test]
fn strict_mode_refuses_at_the_bad_line() {
    let strict = IngestOptions {
        strict: true,
        ..IngestOptions::default()
    };
    let strict_messages = strict_messages();
    for (name, message) in expected_messages() {
        let expected = strict_messages
            .iter()
            .find(|(strict_name, _)| *strict_name == name)
            .map_or(message, |(_, strict_message)| strict_message.to_string());
        assert_eq!(message_for(name, &strict), expected, "{name}");
    }
}

#[test]
fn sniff_never_panics_on_the_corpus() {
    for (name, _) in expected_messages() {
        let bytes = std::fs::read(corpus().join(name)).unwrap();
        let _ = sniff(&bytes);
        let _ = sniff(&bytes[..bytes.len() / 2]);
    }
}

#[test]
fn the_command_fails_with_the_same_message() {
    let out = std::env::temp_dir().join(format!("rfm-malformed-{}.csv", std::process::id()));
    for (name, message) in expected_messages() {
        let file = corpus().join(name);
        let cli = Cli::try_parse_from([
            "rfm-studio",
            "rfm",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .unwrap();
        let error = run(&cli.command).expect_err(name);
        assert_eq!(error.to_string(), message, "{name}");
    }
    for (name, message) in strict_messages() {
        let file = corpus().join(name);
        let file = file.to_str().unwrap();
        let args = [
            "rfm-studio",
            "rfm",
            file,
            "--out",
            out.to_str().unwrap(),
            "--strict",
        ];
        let error = run(&Cli::try_parse_from(args).unwrap().command).expect_err(name);
        assert_eq!(error.to_string(), message, "{name}");
    }
}

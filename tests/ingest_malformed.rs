//! Every file of the malformed corpus (tests/malformed/) gets its exact, clear message, both
//! from the library and from the `rfm-studio rfm` command.

use std::fs::File;

use clap::Parser;
use rfm_studio::cli::{Cli, run};
use rfm_studio::core::ingest::{IngestOptions, read_transactions, sniff};
use rfm_studio::core::rfm::RfmTable;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/malformed/");

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
        ("text_in_quantity.csv", "line 3: column \"Quantity\" holds \"twelve\", which is not a number".into()),
        (
            "unparseable_date.csv",
            "line 3: column \"InvoiceDate\" holds \"the first of December\", which is not a date (expected YYYY-MM-DD [HH:MM[:SS]], M/D/YYYY H:MM, D/M/YYYY H:MM or YYYYMMDD)".into(),
        ),
        (
            "mixed_date_formats.csv",
            "mixed date formats: line 3 has \"12/2/2009 08:00\", but the first date was \"2009-12-01 07:45:00\"".into(),
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
        ("short_row.csv", "line 3: 4 fields, but the header has 8".into()),
        (
            "rfm_negative_recency.csv",
            "line 3: column \"Recency\" holds \"-3\", which is not a whole number >= 0".into(),
        ),
        ("rfm_repeated_customer.csv", "line 3: customer \"12346\" appears twice in the RFM table".into()),
        ("not_a_workbook.xlsx", "cannot read the XLSX workbook (Cannot detect file format)".into()),
        (
            // found by the fuzzer: 20 KB inflating to a 846,000-field header (sniff used 7 GB)
            "gzip_bomb_wide_header.csv.gz",
            "missing required column(s): customer_id, date, price; the header has: Invoice, StockCode, Description, Quantity, I, Stockkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk, , , , , , , , , , , , , , , ... (845960 more)".into(),
        ),
        ("quote_inside_field.csv", "line 3: column \"Price\" holds \"abc\", which is not a number".into()),
    ]
}

/// The whole pipeline as the CLI runs it: read, then score.
fn message_for(name: &str) -> String {
    let file = File::open(format!("{CORPUS}{name}")).expect("corpus file");
    match read_transactions(file, None, &IngestOptions::default(), &mut |_, _| {}) {
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
    let corpus_files = std::fs::read_dir(CORPUS).unwrap().count();
    assert_eq!(
        corpus_files,
        expected.len(),
        "every corpus file has an expected message"
    );
    assert!(expected.len() >= 15);
    let mismatches: Vec<String> = expected
        .iter()
        .filter_map(|(name, message)| {
            let actual = message_for(name);
            (&actual != message).then(|| format!("{name}: got {actual:?}"))
        })
        .collect();
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}

#[test]
fn sniff_never_panics_on_the_corpus() {
    for (name, _) in expected_messages() {
        let bytes = std::fs::read(format!("{CORPUS}{name}")).unwrap();
        let _ = sniff(&bytes);
        let _ = sniff(&bytes[..bytes.len() / 2]);
    }
}

#[test]
fn the_command_fails_with_the_same_message() {
    let out = std::env::temp_dir().join(format!("rfm-malformed-{}.csv", std::process::id()));
    for (name, message) in expected_messages() {
        let file = format!("{CORPUS}{name}");
        let cli = Cli::try_parse_from(["rfm-studio", "rfm", &file, "--out", out.to_str().unwrap()])
            .unwrap();
        let error = run(&cli.command).expect_err(name);
        assert_eq!(error.to_string(), message, "{name}");
    }
}

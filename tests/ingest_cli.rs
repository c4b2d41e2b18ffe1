//! The `rfm` and `generate` subcommands end to end, run in-process through `cli::run` (the
//! binary itself only prints the error and sets the exit code).

mod support;

use std::path::PathBuf;

use clap::Parser;
use rfm_studio::cli::{Cli, run};
use rfm_studio::core::ingest::{IngestOptions, read_transactions};
use serde_json::Value;

fn command(args: &[&str]) -> Result<(), String> {
    let cli = Cli::try_parse_from(std::iter::once("rfm-studio").chain(args.iter().copied()))
        .map_err(|e| e.to_string())?;
    run(&cli.command).map_err(|error| error.to_string())
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("rfm-cli-{}-{name}", std::process::id()))
}

#[test]
fn rfm_writes_the_table_and_the_report() {
    let (out, report) = (temp("sample.csv"), temp("sample.json"));
    let input = support::bom_sample_path();
    let input = input.to_str().unwrap();
    command(&[
        "rfm",
        input,
        "--out",
        out.to_str().unwrap(),
        "--report-json",
        report.to_str().unwrap(),
    ])
    .unwrap();
    let table = std::fs::read_to_string(&out).unwrap();
    let mut lines = table.lines();
    assert_eq!(
        lines.next(),
        Some("customer_id,recency,frequency,monetary,r_score,f_score,m_score,segment")
    );
    assert_eq!(lines.count(), 7);
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(json["customers"], 7);
    assert_eq!(json["rows_read"], 99);
    assert_eq!(json["date_order"]["ambiguous"], true);
    let ingested = read_transactions(
        &mut std::fs::File::open(input).unwrap(),
        None,
        &IngestOptions::default(),
        &mut |_, _| {},
    )
    .unwrap();
    let text = rfm_studio::cli::report_text(&ingested.report);
    assert!(
        text.contains("rows read: 99\n") && text.contains("! date order: ASSUMED month first"),
        "{text}"
    );
}

#[test]
fn rfm_takes_an_explicit_mapping_and_rejects_a_bad_one() {
    let out = temp("cdnow.csv");
    let out = out.to_str().unwrap();
    let cdnow = support::cdnow_path();
    let cdnow = cdnow.to_str().unwrap();
    command(&[
        "rfm",
        cdnow,
        "--out",
        out,
        "--map",
        "amount=dollar_value",
        "--keep-duplicates",
        "--keep-nonpositive-price",
    ])
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(out).unwrap().lines().count(),
        23_570 + 1
    );
    assert_eq!(
        command(&["rfm", cdnow, "--out", out]).unwrap_err(),
        "missing required column(s): quantity, price; the header has: customer_id, date, number_of_cds, dollar_value"
    );
    assert_eq!(
        command(&["rfm", cdnow, "--out", out, "--map", "amount=dollars"]).unwrap_err(),
        "the mapping names column \"dollars\" for amount, but the header has: customer_id, date, number_of_cds, dollar_value"
    );
    assert!(
        command(&["rfm", cdnow, "--out", out, "--map", "money"])
            .unwrap_err()
            .starts_with("--map money: expected ROLE=COLUMN")
    );
    assert!(
        command(&["rfm", "/nonexistent/file.csv", "--out", out])
            .unwrap_err()
            .starts_with("/nonexistent/file.csv: ")
    );
}

#[test]
fn generate_is_deterministic_and_feeds_rfm() {
    let (first, second, table) = (temp("gen1.csv"), temp("gen2.csv"), temp("gen-rfm.csv"));
    for path in [&first, &second] {
        command(&[
            "generate",
            "--rows",
            "5000",
            "--seed",
            "9",
            "--out",
            path.to_str().unwrap(),
        ])
        .unwrap();
    }
    let bytes = std::fs::read(&first).unwrap();
    assert_eq!(bytes, std::fs::read(&second).unwrap());
    assert_eq!(bytes.iter().filter(|&&b| b == b'\n').count(), 5001);
    command(&[
        "rfm",
        first.to_str().unwrap(),
        "--out",
        table.to_str().unwrap(),
    ])
    .unwrap();
    assert!(std::fs::read_to_string(&table).unwrap().lines().count() > 100);
}

#[test]
fn generate_customers_writes_exactly_that_many() {
    let (transactions, table) = (temp("population.csv"), temp("population-rfm.csv"));
    for (out, rfm) in [(&transactions, false), (&table, true)] {
        let out = out.to_str().unwrap();
        let mut args = vec![
            "generate",
            "--customers",
            "250",
            "--seed",
            "4",
            "--out",
            out,
        ];
        if rfm {
            args.push("--rfm");
        }
        command(&args).unwrap();
    }
    let table_text = std::fs::read_to_string(&table).unwrap();
    assert!(table_text.starts_with("customer_id,recency,frequency,monetary\n"));
    assert_eq!(table_text.lines().count(), 250 + 1);
    let ingested = read_transactions(
        &mut std::fs::File::open(&transactions).unwrap(),
        None,
        &IngestOptions::default(),
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(ingested.customers.len(), 250);
    let out = table.to_str().unwrap();
    assert!(command(&["generate", "--rows", "10", "--rfm", "--out", out]).is_err());
    assert!(command(&["generate", "--customers", "0", "--out", out]).is_err());
    assert!(command(&["generate", "--seed", "1", "--out", out]).is_err());
}

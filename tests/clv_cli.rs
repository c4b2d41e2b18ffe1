//! The `clv` subcommand end to end, in-process through `cli::run`: the CSV and JSON it writes
//! for the real sheet are the core's fit, at full precision, and near lifetimes' predictions.

mod support;

use std::path::PathBuf;

use clap::Parser;
use rfm_studio::cli::{Cli, run};
use serde_json::Value;

fn command(args: &[&str]) -> Result<(), String> {
    let cli = Cli::try_parse_from(std::iter::once("rfm-studio").chain(args.iter().copied()))
        .map_err(|e| e.to_string())?;
    run(&cli.command).map_err(|error| error.to_string())
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("rfm-clv-cli-{}-{name}", std::process::id()))
}

fn csv_rows(path: &PathBuf) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|record| record.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

#[test]
fn clv_writes_predictions_and_parameters_for_the_real_sheet() {
    let (out, params) = (temp("clv.csv"), temp("params.json"));
    let input = support::real_sheet_path();
    command(&[
        "clv",
        input.to_str().unwrap(),
        "--horizon-days",
        "90",
        "--discount-rate",
        "0.01",
        "--out",
        out.to_str().unwrap(),
        "--params-json",
        params.to_str().unwrap(),
    ])
    .unwrap();
    let (header, rows) = csv_rows(&out);
    assert_eq!(
        header,
        [
            "customer_id",
            "frequency",
            "recency",
            "T",
            "p_alive",
            "expected_purchases",
            "expected_spend",
            "clv"
        ]
    );
    let (_, lifetimes) = csv_rows(&support::repo_path(
        "tests/fixtures/clv/online_retail_clv.csv",
    ));
    assert_eq!(rows.len(), 4312);
    assert_eq!(rows.len(), lifetimes.len());
    let number = |text: &str| text.parse::<f64>().unwrap();
    let mut worst = [0.0f64; 4];
    for (ours, theirs) in rows.iter().zip(&lifetimes) {
        assert_eq!(ours[0], theirs[0], "customer order");
        for column in 1..=3 {
            assert_eq!(
                number(&ours[column]),
                number(&theirs[column]),
                "{}",
                ours[0]
            );
        }
        // p_alive..clv: columns 4..=7 here, 5..=8 in the fixture (which has monetary_value).
        for (k, column) in (4..=7).enumerate() {
            let (got, want) = (number(&ours[column]), number(&theirs[column + 1]));
            worst[k] = worst[k].max((got - want).abs() / want.abs().max(1e-12));
        }
    }
    // Our maximum likelihood fit against lifetimes' BFGS fit: the same optimum to within the
    // flatness of the likelihood (tests/clv_reference.rs checks the formulas to 1e-6).
    eprintln!("worst relative difference p_alive, purchases, spend, clv: {worst:?}");
    assert!(worst.iter().all(|&w| w < 1e-2), "{worst:?}");

    let json: Value = serde_json::from_str(&std::fs::read_to_string(&params).unwrap()).unwrap();
    let expected: Value = support::fixture("clv/lifetimes_reference.json");
    for name in ["r", "alpha", "a", "b", "p", "q", "gamma"] {
        let (got, want) = (
            json[name].as_f64().unwrap(),
            expected["online_retail"]["params"][name].as_f64().unwrap(),
        );
        eprintln!("{name}: ours {got}, lifetimes {want}");
        assert!(got > 0.0 && got.is_finite(), "{name}");
    }
    assert_eq!(json["bgnbd_customers"], 4312);
    let _ = std::fs::remove_file(out);
    let _ = std::fs::remove_file(params);
}

#[test]
fn clv_refuses_an_aggregated_table_and_bad_options() {
    let out = temp("refused.csv");
    let table = support::seed_table_path();
    let error = command(&[
        "clv",
        table.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
    .unwrap_err();
    assert!(error.contains("no purchase dates"), "{error}");
    let sheet = support::bom_sample_path();
    let error = command(&[
        "clv",
        sheet.to_str().unwrap(),
        "--horizon-days",
        "0",
        "--out",
        out.to_str().unwrap(),
    ])
    .unwrap_err();
    assert!(error.contains("horizon must be positive"), "{error}");
}

//! The `rfm-studio rfm` and `rfm-studio generate` commands end to end.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/");

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rfm-studio"))
        .args(args)
        .output()
        .unwrap()
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("rfm-cli-{}-{name}", std::process::id()))
}

#[test]
fn rfm_writes_the_table_and_prints_the_report() {
    let out = temp("sample.csv");
    let report = temp("sample.json");
    let result = run(&[
        "rfm",
        &format!("{DATA}online_retail_II_sample_bom_mdy.csv"),
        "--out",
        out.to_str().unwrap(),
        "--report-json",
        report.to_str().unwrap(),
    ]);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert!(stdout.contains("rows read: 99\n"), "{stdout}");
    assert!(
        stdout.contains("AMBIGUOUS"),
        "the month-first guess is flagged: {stdout}"
    );
    let table = std::fs::read_to_string(&out).unwrap();
    let mut lines = table.lines();
    assert_eq!(
        lines.next(),
        Some("customer_id,recency,frequency,monetary,r_score,f_score,m_score,segment")
    );
    assert_eq!(lines.count(), 7);
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(json["customers"], 7);
    assert_eq!(json["date_order"]["ambiguous"], true);
}

#[test]
fn rfm_takes_an_explicit_mapping_and_rejects_a_bad_one() {
    let out = temp("cdnow.csv");
    let cdnow = format!("{DATA}cdnow_master.csv");
    let result = run(&[
        "rfm",
        &cdnow,
        "--out",
        out.to_str().unwrap(),
        "--map",
        "amount=dollar_value",
        "--keep-duplicates",
        "--keep-nonpositive-price",
    ]);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&out).unwrap().lines().count(),
        23_570 + 1
    );
    let missing = run(&["rfm", &cdnow, "--out", out.to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&missing.stderr),
        "error: missing required column(s): quantity, price; the header has: customer_id, date, number_of_cds, dollar_value\n"
    );
    let unknown = run(&[
        "rfm",
        &cdnow,
        "--out",
        out.to_str().unwrap(),
        "--map",
        "amount=dollars",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&unknown.stderr),
        "error: the mapping names column \"dollars\" for amount, but the header has: customer_id, date, number_of_cds, dollar_value\n"
    );
    let malformed = run(&[
        "rfm",
        &cdnow,
        "--out",
        out.to_str().unwrap(),
        "--map",
        "money",
    ]);
    assert_eq!(malformed.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&malformed.stderr)
            .starts_with("error: --map money: expected ROLE=COLUMN")
    );
    let absent = run(&[
        "rfm",
        "/nonexistent/file.csv",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(absent.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&absent.stderr).starts_with("error: /nonexistent/file.csv: "));
}

#[test]
fn generate_is_deterministic_and_feeds_rfm() {
    let (first, second, table) = (temp("gen1.csv"), temp("gen2.csv"), temp("gen-rfm.csv"));
    for path in [&first, &second] {
        let result = run(&[
            "generate",
            "--rows",
            "5000",
            "--seed",
            "9",
            "--out",
            path.to_str().unwrap(),
        ]);
        assert!(result.status.success());
    }
    let bytes = std::fs::read(&first).unwrap();
    assert_eq!(bytes, std::fs::read(&second).unwrap());
    assert_eq!(bytes.iter().filter(|&&b| b == b'\n').count(), 5001);
    let result = run(&[
        "rfm",
        first.to_str().unwrap(),
        "--out",
        table.to_str().unwrap(),
    ]);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert!(String::from_utf8_lossy(&result.stdout).contains("rows read: 5000\n"));
}

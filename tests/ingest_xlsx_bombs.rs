//! Hostile workbooks, generated here at test time (none is committed): each is refused with a
//! message naming the part or sheet and the problem before calamine inflates it, and normal
//! workbooks (sparse ones included) still read.

mod support;

use std::io::Cursor;

use rfm_studio::core::ingest::{IngestOptions, Ingested, read_transactions, sniff};
use support::xlsx::{HEADER, column_name, header_row, purchases, row, workbook};

fn refusal(bytes: Vec<u8>) -> String {
    match sniff(&bytes) {
        Ok(_) => panic!("the workbook was read"),
        Err(error) => error.to_string(),
    }
}

fn assert_refused(bytes: Vec<u8>, expected: &[&str]) {
    let message = refusal(bytes);
    for part in expected {
        assert!(message.contains(part), "{message:?} lacks {part:?}");
    }
}

fn read(bytes: Vec<u8>) -> Ingested {
    read_transactions(
        &mut Cursor::new(bytes),
        None,
        &IngestOptions::default(),
        &mut |_, _| {},
    )
    .unwrap()
}

/// A shared-string table of `strings` (already XML-escaped).
fn shared_strings<'a>(unique_count: &str, strings: impl Iterator<Item = &'a str>) -> String {
    let items: String = strings.map(|s| format!("<si><t>{s}</t></si>")).collect();
    format!(
        "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
         uniqueCount=\"{unique_count}\">{items}</sst>"
    )
}

/// Sets the uncompressed size a zip's central directory declares for `part`.
fn declare_size(zip: &mut [u8], part: &str, size: u32) {
    let start = (0..zip.len() - 46)
        .find(|&at| {
            zip[at..].starts_with(b"PK\x01\x02") && zip[at + 46..].starts_with(part.as_bytes())
        })
        .expect("the part's central directory record");
    zip[start + 24..start + 28].copy_from_slice(&size.to_le_bytes());
}

#[test]
fn sparse_workbooks_read_like_dense_ones() {
    // The table starts at B3; one row lacks its description, one its country (trailing), and
    // the second sheet repeats the header, which is skipped.
    let mut first = header_row(3, 2) + &purchases(4, 2, 3);
    first += &row(
        7,
        2,
        &[
            Some("489500"),
            Some("22"),
            None,
            Some("1"),
            Some("2010-12-02 09:00:00"),
            Some("1.5"),
            Some("13000"),
            None,
        ],
    );
    let second = header_row(3, 2) + &purchases(4, 2, 2);
    let bytes = workbook(&[("2009", first), ("2010", second)], None);
    let sniffed = sniff(&bytes).unwrap();
    assert_eq!(sniffed.header, HEADER);
    assert_eq!(sniffed.preview.len(), 6);
    assert_eq!(sniffed.preview[3][2], "");
    assert_eq!(sniffed.preview[3][7], "");
    assert_eq!(sniffed.preview[3][6], "13000");
    assert_eq!(sniffed.preview[4][6], "12346");
    assert_eq!(read(bytes).customers.len(), 4);
}

/// A stray value at the last cell of the sheet (XFD1048576) made calamine allocate a dense
/// range of 17 billion cells (549 GB); read sparse it is one more row, which cleaning drops
/// (it has no customer).
#[test]
fn a_stray_cell_at_the_sheet_corner_costs_one_row() {
    let rows = header_row(1, 1)
        + &purchases(2, 1, 3)
        + "<row r=\"1048576\"><c r=\"XFD1048576\"><v>1</v></c></row>";
    let ingested = read(workbook(&[("Sheet1", rows)], None));
    assert_eq!(ingested.report.rows_read, 4);
    assert_eq!(ingested.customers.len(), 3);
}

#[test]
fn a_cell_beyond_the_sheet_limits_is_refused() {
    let rows = header_row(1, 1) + "<row r=\"2\"><c r=\"XFE2\"><v>1</v></c></row>";
    assert_refused(
        workbook(&[("Sheet1", rows)], None),
        &["sheet \"Sheet1\"", "row 2 column 16385", "beyond Excel's"],
    );
}

/// A header 16,384 columns wide over 5,000 rows is 82 million fields once padded.
#[test]
fn a_used_range_too_large_to_hold_is_refused() {
    let rows = header_row(1, 1).replace("</row>", "<c r=\"XFD1\"><v>1</v></c></row>")
        + &purchases(2, 1, 5_000);
    assert_refused(
        workbook(&[("Sheet1", rows)], None),
        &[
            "sheet \"Sheet1\" spans 5001 rows x 16384",
            "more than 67108864 cells",
        ],
    );
}

/// calamine reserves `uniqueCount` strings up front: 96 GB from a file of a few KB.
#[test]
fn a_huge_declared_unique_count_is_refused() {
    let table = shared_strings("4000000000", ["x"].into_iter());
    let rows = header_row(1, 1) + "<row r=\"2\"><c r=\"A2\" t=\"s\"><v>0</v></c></row>";
    assert_refused(
        workbook(&[("Sheet1", rows)], Some(&table)),
        &[
            "part xl/sharedStrings.xml",
            "(uniqueCount) 4000000000 shared strings",
        ],
    );
}

/// 40 million one-letter strings took 2.1 GB; 2.2 million are refused.
#[test]
fn too_many_shared_strings_are_refused() {
    let table = shared_strings("1", std::iter::repeat_n("x", 2_200_000));
    assert_refused(
        workbook(&[("Sheet1", header_row(1, 1))], Some(&table)),
        &[
            "part xl/sharedStrings.xml",
            "2200000 shared strings, more than the 2097152",
        ],
    );
}

/// One shared string inflating to 1.2 GB, used by 60 cells, grew the process past 23 GB; a
/// text longer than any cell can hold is refused before calamine reads it.
#[test]
fn a_huge_shared_string_is_refused() {
    let huge = "x".repeat(8 << 20);
    let table = shared_strings("1", [huge.as_str()].into_iter());
    let cells: String = (1..=60)
        .map(|c| format!("<c r=\"{}2\" t=\"s\"><v>0</v></c>", column_name(c)))
        .collect();
    let rows = header_row(1, 1) + &format!("<row r=\"2\">{cells}</row>");
    assert_refused(
        workbook(&[("Sheet1", rows)], Some(&table)),
        &["part xl/sharedStrings.xml holds a text longer than 4194304 bytes"],
    );
}

/// Each cell referring to a shared string gets its own copy of the text: 70 cells of a 4 MiB
/// string (the longest text allowed) would hold 280 MiB.
#[test]
fn cells_holding_too_much_text_are_refused() {
    let long = "z".repeat(4 << 20);
    let table = shared_strings("1", [long.as_str()].into_iter());
    let cells: String = (1..=70)
        .map(|c| format!("<c r=\"{}2\" t=\"s\"><v>0</v></c>", column_name(c)))
        .collect();
    let rows = header_row(1, 1) + &format!("<row r=\"2\">{cells}</row>");
    assert_refused(
        workbook(&[("Sheet1", rows)], Some(&table)),
        &[
            "more than 25165824 cells or 268435456 bytes of text",
            "(reached in sheet \"Sheet1\")",
        ],
    );
}

/// The size a part declares is checked before anything is inflated; a header that understates
/// it is caught by the zip crate as soon as the part inflates past it.
#[test]
fn parts_too_large_are_refused_whatever_they_declare() {
    let string = "y".repeat(60);
    let table = shared_strings("1", std::iter::repeat_n(string.as_str(), 1_800_000));
    assert!(table.len() > 128 << 20);
    let honest = workbook(&[("Sheet1", header_row(1, 1))], Some(&table));
    let mut lying = honest.clone();
    declare_size(&mut lying, "xl/sharedStrings.xml", 1_000);
    assert_refused(
        honest,
        &[
            "part xl/sharedStrings.xml declares",
            "more than the 134217728 allowed",
        ],
    );
    assert_refused(
        lying,
        &[
            "part xl/sharedStrings.xml cannot be inflated",
            "larger than its declared uncompressed size",
        ],
    );
}

#[test]
fn a_document_type_declaration_is_refused() {
    let table =
        "<!DOCTYPE sst [<!ENTITY a \"aaaa\">]><sst uniqueCount=\"1\"><si><t>x</t></si></sst>";
    assert_refused(
        workbook(&[("Sheet1", header_row(1, 1))], Some(table)),
        &["part xl/sharedStrings.xml holds a document type declaration"],
    );
}

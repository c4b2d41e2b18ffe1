//! How real exports lay their tables out, each file written here at test time: number columns
//! with thousands separators or decimal commas, title rows above the header, a sheet of notes
//! beside the data, a zipped CSV, and the workbooks that cannot be read (legacy .xls,
//! encrypted). Each is read as the file means it, with what was decided in the report, or
//! refused with a message that names it.

mod support;

use std::io::{Cursor, Write};

use rfm_studio::core::ingest::{
    DecimalSeparator, FileFormat, IngestError, IngestOptions, Ingested, NumberFormatReport,
    UnreadableReason, read_transactions, sniff,
};
use support::xlsx::{HEADER, header_row, purchases, row, workbook};
use zip::write::SimpleFileOptions;

fn read(bytes: &[u8]) -> Result<Ingested, IngestError> {
    read_transactions(bytes, None, &IngestOptions::default(), &mut |_, _| {})
}

/// (customer, frequency, monetary) per customer.
fn totals(ingested: &Ingested) -> Vec<(String, u32, f64)> {
    ingested
        .customers
        .iter()
        .map(|c| (c.customer_id.clone(), c.frequency, c.monetary))
        .collect()
}

/// A file of purchases by customer `1000 + i` at the given price texts, one line each, the
/// fields joined by `delimiter`, quantity 1.
fn priced_lines(delimiter: &str, prices: &[&str]) -> String {
    let mut text = ["Invoice", "InvoiceDate", "Quantity", "Price", "Customer ID"].join(delimiter);
    text.push('\n');
    for (i, price) in prices.iter().enumerate() {
        let invoice = (500 + i).to_string();
        let customer = (1000 + i).to_string();
        let fields = [
            invoice.as_str(),
            "2010-12-01",
            "1",
            price,
            customer.as_str(),
        ];
        text += &fields.join(delimiter);
        text.push('\n');
    }
    text
}

fn monetary(ingested: &Ingested) -> Vec<f64> {
    ingested.customers.iter().map(|c| c.monetary).collect()
}

fn price_format(ingested: &Ingested) -> &NumberFormatReport {
    ingested
        .report
        .number_formats
        .iter()
        .find(|format| format.column == "Price")
        .expect("the price column is reported")
}

#[test]
fn thousands_separators_are_read_from_the_columns_own_values() {
    // Tab-separated, decimal point: "1,200" is twelve hundred beside "2.55".
    let ingested = read(priced_lines("\t", &["1,200", "2.55", "1,234,567.50"]).as_bytes());
    let ingested = ingested.unwrap();
    assert_eq!(monetary(&ingested), [1200.0, 2.55, 1_234_567.5]);
    let format = price_format(&ingested);
    assert_eq!(format.decimal, DecimalSeparator::Dot);
    assert!(!format.ambiguous);
    assert_eq!(
        format.evidence.as_deref(),
        Some("line 3: \"2.55\" has a decimal point")
    );

    // Semicolon-separated, decimal comma: "1.200" is twelve hundred beside "2,55".
    let ingested = read(priced_lines(";", &["1.200", "2,55", "1.234.567,50"]).as_bytes()).unwrap();
    assert_eq!(monetary(&ingested), [1200.0, 2.55, 1_234_567.5]);
    let format = price_format(&ingested);
    assert_eq!(format.decimal, DecimalSeparator::Comma);
    assert_eq!(
        format.evidence.as_deref(),
        Some("line 3: \"2,55\" has a decimal comma")
    );
}

#[test]
fn a_column_that_cannot_tell_is_read_by_the_delimiters_custom_and_flagged() {
    let ingested = read(priced_lines("\t", &["1,200", "3"]).as_bytes()).unwrap();
    assert_eq!(monetary(&ingested), [1200.0, 3.0]);
    let format = price_format(&ingested);
    assert_eq!(format.decimal, DecimalSeparator::Dot);
    assert!(format.ambiguous);
    assert_eq!(
        format.evidence.as_deref(),
        Some(
            "line 2: \"1,200\" could be either; no value in the first rows tells, so the \
             delimiter's usual decimal point is assumed"
        )
    );

    let ingested = read(priced_lines(";", &["1.200", "3"]).as_bytes()).unwrap();
    assert_eq!(monetary(&ingested), [1200.0, 3.0]);
    let format = price_format(&ingested);
    assert_eq!(format.decimal, DecimalSeparator::Comma);
    assert!(format.ambiguous);

    // Whole numbers only: nothing to decide, nothing flagged.
    let ingested = read(priced_lines(",", &["12", "3"]).as_bytes()).unwrap();
    let format = price_format(&ingested);
    assert_eq!(
        (format.ambiguous, format.evidence.as_deref()),
        (false, None)
    );
}

#[test]
fn a_later_value_with_the_other_separator_is_an_unreadable_line_and_reported() {
    // A thousand lines decide the decimal point; line 1,102 writes a decimal comma.
    let mut prices = vec!["2.50"; 1100];
    prices.push("2,55");
    let ingested = read(priced_lines("\t", &prices).as_bytes()).unwrap();
    assert_eq!(ingested.customers.len(), 1100);
    let unreadable = &ingested.report.unreadable;
    assert_eq!(unreadable.len(), 1);
    assert_eq!(
        (unreadable[0].reason, &unreadable[0].first_lines),
        (UnreadableReason::NotANumber, &vec![1102])
    );
    assert_eq!(
        price_format(&ingested).contradicted.as_deref(),
        Some("line 1102: \"2,55\"")
    );
}

const PURCHASES_CSV: &str = "Invoice;InvoiceDate;Quantity;Price;Customer ID\n\
                             500;2010-12-01;2;1,50;1000\n\
                             501;2010-12-02;1;4,00;1001\n\
                             502;2010-12-03;3;1,00;1000\n";

fn expected_purchases() -> Vec<(String, u32, f64)> {
    vec![("1000".into(), 2, 6.0), ("1001".into(), 1, 4.0)]
}

#[test]
fn the_header_is_found_below_title_rows() {
    let with_title = format!("Sales export\nGenerated 2011-01-01 by Shop\n{PURCHASES_CSV}");
    let ingested = read(with_title.as_bytes()).unwrap();
    assert_eq!(totals(&ingested), expected_purchases());
    assert_eq!(ingested.report.header_found_at.as_deref(), Some("line 3"));
    assert_eq!(ingested.report.delimiter, Some(';'));
    let sniffed = sniff(with_title.as_bytes()).unwrap();
    assert_eq!(sniffed.header[..2], ["Invoice", "InvoiceDate"]);
    assert_eq!(sniffed.preview.len(), 3);
    assert!(sniffed.missing_roles.is_empty());

    // Spreadsheets pad a title row with delimiters.
    let padded = format!("Sales export;;;;\n;;;;\n{PURCHASES_CSV}");
    let ingested = read(padded.as_bytes()).unwrap();
    assert_eq!(totals(&ingested), expected_purchases());
    assert_eq!(ingested.report.header_found_at.as_deref(), Some("line 3"));

    // Without the header in the first rows the message still names what is missing.
    let headless = format!(
        "Sales export\n{}",
        &PURCHASES_CSV[PURCHASES_CSV.find('\n').unwrap() + 1..]
    );
    let error = read(headless.as_bytes()).unwrap_err().to_string();
    assert!(
        error.starts_with("the header has a single column (\"Sales export\")"),
        "{error}"
    );

    let sheet = row(1, 1, &[Some("Sales report 2010")]) + &header_row(3, 1) + &purchases(4, 1, 3);
    let ingested = read(&workbook(&[("Data", sheet)], None)).unwrap();
    assert_eq!(ingested.customers.len(), 3);
    assert_eq!(
        ingested.report.header_found_at.as_deref(),
        Some("sheet \"Data\" row 3")
    );
}

#[test]
fn sheets_whose_first_row_is_not_the_header_are_skipped_and_reported() {
    let data = header_row(1, 1) + &purchases(2, 1, 3);
    let more = header_row(1, 1) + &purchases(2, 1, 2);
    let notes = row(1, 1, &[Some("Notes")]) + &row(2, 1, &[Some("Totals"), Some("see Data")]);
    let bytes = workbook(&[("Data", data), ("Notes", notes), ("More", more)], None);
    let ingested = read(&bytes).unwrap();
    // "More" repeats the header: its two purchases (customers 12346, 12347) are read too.
    assert_eq!(ingested.report.rows_read, 5);
    assert!(ingested.report.unreadable.is_empty());
    let skipped: Vec<(&str, &str)> = ingested
        .report
        .skipped_sheets
        .iter()
        .map(|sheet| (sheet.name.as_str(), sheet.first_row.as_str()))
        .collect();
    assert_eq!(skipped, [("Notes", "Notes")]);
    assert_eq!(sniff(&bytes).unwrap().header, HEADER);
}

fn zip_of(files: &[(&str, &str)], stored: bool) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = if stored {
        SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored)
    } else {
        SimpleFileOptions::default()
    };
    for (name, content) in files {
        zip.start_file(*name, options).unwrap();
        zip.write_all(content.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

#[test]
fn a_zip_holding_one_csv_is_read_like_the_csv() {
    let plain = read(PURCHASES_CSV.as_bytes()).unwrap();
    for stored in [false, true] {
        let bytes = zip_of(
            &[
                ("export/", ""),
                ("export/sales.csv", PURCHASES_CSV),
                ("__MACOSX/._sales.csv", "x"),
            ],
            stored,
        );
        let zipped = read(&bytes).unwrap();
        assert_eq!(totals(&zipped), totals(&plain));
        assert_eq!(zipped.report.format, FileFormat::ZipCsv);
        assert_eq!(zipped.report.delimiter, Some(';'));
        let sniffed = sniff(&bytes).unwrap();
        assert_eq!(sniffed.format, FileFormat::ZipCsv);
        assert_eq!(sniffed.preview.len(), 3);
    }
    let two = zip_of(&[("a.csv", PURCHASES_CSV), ("b.csv", PURCHASES_CSV)], false);
    assert_eq!(
        read(&two).unwrap_err().to_string(),
        "cannot read the zip archive: it holds 2 CSV files among 2 files (a.csv, b.csv); it \
         must hold exactly one CSV file"
    );
}

/// The start of an OLE compound file: its signature, then a directory entry name.
fn compound_file(stream_name: &str) -> Vec<u8> {
    let mut bytes = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
    bytes.resize(512, 0);
    bytes.extend(stream_name.encode_utf16().flat_map(u16::to_le_bytes));
    bytes.resize(4096, 0);
    bytes
}

#[test]
fn legacy_and_encrypted_workbooks_are_named_as_such() {
    let legacy = compound_file("Workbook");
    let encrypted = compound_file("EncryptedPackage");
    let legacy_message = "the file is a legacy Excel 97-2003 workbook (.xls), which cannot be \
                          read; save it as .xlsx or CSV";
    let encrypted_message = "the workbook is password-protected (encrypted); remove the \
                             password in Excel and save it again";
    assert_eq!(read(&legacy).unwrap_err().to_string(), legacy_message);
    assert_eq!(sniff(&legacy).unwrap_err().to_string(), legacy_message);
    assert_eq!(read(&encrypted).unwrap_err().to_string(), encrypted_message);
    assert_eq!(
        sniff(&encrypted).unwrap_err().to_string(),
        encrypted_message
    );
}

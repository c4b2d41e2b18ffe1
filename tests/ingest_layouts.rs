//! How real exports lay their tables out, each file written here at test time: number columns
//! with thousands separators or decimal commas, title rows above the header, a sheet of notes
//! beside the data, a zipped CSV, dates written several ways in one column (typed workbook
//! dates, text dates, Excel serial numbers) or far from the rest, and the workbooks that cannot
//! be read (legacy .xls, encrypted). Each is read as the file means it, with what was decided in the report, or
//! refused with a message that names it.
//!
//! Over 400 lines because each layout writes its own file; the cases share only `read`.

mod support;

use std::io::{Cursor, Write};

use chrono::NaiveDate;
use rfm_studio::core::ingest::{
    DateShape, DecimalSeparator, FileFormat, IngestError, IngestOptions, Ingested,
    NumberFormatReport, UnreadableReason, read_transactions, sniff,
};
use support::xlsx::{HEADER, header_row, number_cell, purchases, row, workbook};
use zip::write::SimpleFileOptions;

fn read(bytes: &[u8]) -> Result<Ingested, IngestError> {
    read_transactions(
        &mut Cursor::new(bytes),
        None,
        &IngestOptions::default(),
        &mut |_, _| {},
    )
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

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A sheet row of one purchase by `customer` whose date cell is `date_cell` (column E).
fn purchase_row(row_number: u32, customer: &str, date_cell: String) -> String {
    let text = |column: &str, value: &str| {
        format!("<c r=\"{column}{row_number}\" t=\"inlineStr\"><is><t>{value}</t></is></c>")
    };
    format!(
        "<row r=\"{row_number}\">{}{}{}{}{date_cell}{}{}</row>",
        text("A", &(489_000 + row_number).to_string()),
        text("B", "85048"),
        text("C", "LIGHT"),
        text("D", "1"),
        text("F", "2.55"),
        text("G", customer),
    )
}

#[test]
fn typed_text_and_serial_dates_in_one_workbook_column_are_each_read() {
    // 40513.35 is 2010-12-01 08:24 typed as a date; 40515.5 the same kind of number that lost
    // its date format (2010-12-03 12:00); the text date sits between them.
    let sheet = header_row(1, 1)
        + &purchase_row(2, "12346", number_cell("E2", 40513.35, true))
        + &purchase_row(
            3,
            "12347",
            "<c r=\"E3\" t=\"inlineStr\"><is><t>12/2/2010 09:00</t></is></c>".to_owned(),
        )
        + &purchase_row(4, "12348", number_cell("E4", 40515.5, false));
    let ingested = read(&workbook(&[("Data", sheet)], None)).unwrap();
    assert!(
        ingested.report.unreadable.is_empty(),
        "{:?}",
        ingested.report.unreadable
    );
    let last: Vec<NaiveDate> = ingested
        .customers
        .iter()
        .map(|c| c.last_purchase.unwrap())
        .collect();
    assert_eq!(last, [day(2010, 12, 1), day(2010, 12, 2), day(2010, 12, 3)]);
    let shapes: Vec<(DateShape, u64, &str)> = ingested
        .report
        .date_order
        .shapes
        .iter()
        .map(|seen| (seen.shape, seen.lines, seen.example.as_str()))
        .collect();
    assert_eq!(
        shapes,
        [
            (
                DateShape::Iso,
                1,
                "sheet \"Data\" row 2: \"2010-12-01 08:24:00\""
            ),
            (
                DateShape::DayMonth,
                1,
                "sheet \"Data\" row 3: \"12/2/2010 09:00\""
            ),
            (
                DateShape::ExcelSerial,
                1,
                "sheet \"Data\" row 4: \"40515.5\""
            ),
        ]
    );
    let notes = ingested.report.reading_notes();
    let dates = notes.iter().find(|note| note.topic == "dates").unwrap();
    assert!(
        dates.text.contains("1 lines Excel serial day number"),
        "{}",
        dates.text
    );
}

#[test]
fn a_csv_mixing_iso_and_slash_dates_reads_both_and_says_so() {
    let csv = format!(
        "{}\n489434,85048,LIGHTS,12,2009-12-01 07:45:00,6.95,13085,United Kingdom\n\
         489435,79323P,PINK LIGHTS,12,12/2/2009 08:00,6.75,13086,United Kingdom\n\
         489436,79323P,PINK LIGHTS,12,13/2/2009 08:00,6.75,13087,United Kingdom\n",
        HEADER.join(",")
    );
    let ingested = read(csv.as_bytes()).unwrap();
    let last: Vec<NaiveDate> = ingested
        .customers
        .iter()
        .map(|c| c.last_purchase.unwrap())
        .collect();
    // 13/2 can only be day first, so 12/2 is the 12th of February.
    assert_eq!(last, [day(2009, 12, 1), day(2009, 2, 12), day(2009, 2, 13)]);
    let report = &ingested.report.date_order;
    assert_eq!(report.shapes.len(), 2);
    assert_eq!(report.shapes[1].lines, 2);
    assert_eq!(report.order, Some(rfm_studio::core::ingest::DateOrder::Dmy));
}

#[test]
fn purchase_days_far_from_the_rest_are_kept_and_flagged() {
    let mut csv = HEADER.join(",") + "\n";
    for i in 0..200u32 {
        let date = format!("2010-{:02}-{:02}", 1 + i % 12, 1 + i % 28);
        csv += &format!(
            "{},85048,LIGHT,1,{date},2.00,{},UK\n",
            500_000 + i,
            12_000 + i
        );
    }
    csv += "600000,85048,LIGHT,1,2099-01-05,2.00,12999,UK\n";
    let ingested = read(csv.as_bytes()).unwrap();
    let far = ingested
        .report
        .far_dates
        .clone()
        .expect("the 2099 day is flagged");
    assert_eq!(far.purchase_days, 1);
    assert_eq!(
        (far.earliest, far.latest),
        (day(2099, 1, 5), day(2099, 1, 5))
    );
    assert_eq!(far.example_customer, "12999");
    assert!(far.usual_first >= day(2010, 1, 1) && far.usual_last <= day(2010, 12, 31));
    // Kept: the snapshot counts from it, which is why it is shown.
    assert_eq!(ingested.customers.len(), 201);
    assert_eq!(ingested.report.snapshot_date, Some(day(2099, 1, 6)));
    let notes = ingested.report.reading_notes();
    assert!(
        notes
            .iter()
            .any(|note| note.warning && note.topic == "dates far from the rest")
    );

    let ordinary = read(
        csv.lines()
            .take(201)
            .collect::<Vec<_>>()
            .join("\n")
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(ordinary.report.far_dates, None);
}

#[test]
fn an_id_that_breaks_utf8_far_into_the_file_is_read_as_windows_1252_and_reported() {
    // 3,000 ASCII lines (well past the 64 KiB the encoding is sniffed from), then rows
    // appended by a program writing Windows-1252: "Müller" as M\xfcller.
    let prices: Vec<String> = (0..3000).map(|i| format!("{}.50", 1 + i % 9)).collect();
    let prices: Vec<&str> = prices.iter().map(String::as_str).collect();
    let mut bytes = priced_lines(",", &prices).into_bytes();
    assert!(bytes.len() > 64 * 1024);
    bytes
        .extend_from_slice(b"9001,2010-12-02,2,3.00,M\xfcller\n9002,2010-12-03,1,4.00,M\xfcller\n");
    let ingested = read(&bytes).unwrap();
    let muller: Vec<_> = totals(&ingested)
        .into_iter()
        .filter(|(id, _, _)| id.starts_with('M'))
        .collect();
    assert_eq!(muller, [("Müller".to_owned(), 2, 10.0)]);
    let switch = ingested.report.not_utf8.as_ref().expect("reported");
    assert_eq!(
        (switch.at.as_str(), switch.customer.as_str()),
        ("line 3002", "Müller")
    );
    let notes = ingested.report.reading_notes();
    assert!(
        notes
            .iter()
            .any(|n| n.warning && n.topic == "text" && n.text.contains("line 3002")),
        "{notes:?}"
    );
    // A file that is UTF-8 throughout reports nothing.
    assert_eq!(
        read(priced_lines(",", &prices).as_bytes())
            .unwrap()
            .report
            .not_utf8,
        None
    );
}

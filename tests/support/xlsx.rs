//! Workbooks written at test time (none is committed): a minimal XLSX package with inline
//! string cells, so a test states exactly which cells a sheet holds.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;

/// Online Retail II's header, as the generator writes it.
pub use rfm_studio::core::generate::HEADER;

/// A workbook with one sheet per `(name, sheetData rows)`, and the shared-string table when
/// given.
pub fn workbook(sheets: &[(&str, String)], shared_strings: Option<&str>) -> Vec<u8> {
    let mut entries = vec![(
        "_rels/.rels".to_owned(),
        relationships(&[("officeDocument", "xl/workbook.xml")]),
    )];
    let sheet_list: String = (1..=sheets.len())
        .map(|i| {
            format!(
                "<sheet name=\"{}\" sheetId=\"{i}\" r:id=\"rId{i}\"/>",
                sheets[i - 1].0
            )
        })
        .collect();
    entries.push((
        "xl/workbook.xml".to_owned(),
        format!(
            "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
             xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">\
             <sheets>{sheet_list}</sheets></workbook>"
        ),
    ));
    let targets: Vec<String> = (1..=sheets.len())
        .map(|i| format!("worksheets/sheet{i}.xml"))
        .collect();
    let rels: Vec<(&str, &str)> = targets.iter().map(|t| ("worksheet", t.as_str())).collect();
    entries.push((
        "xl/_rels/workbook.xml.rels".to_owned(),
        relationships(&rels),
    ));
    for (i, (_, rows)) in sheets.iter().enumerate() {
        entries.push((
            format!("xl/worksheets/sheet{}.xml", i + 1),
            format!(
                "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">\
                 <sheetData>{rows}</sheetData></worksheet>"
            ),
        ));
    }
    // Style 1 is Excel's built-in date-time format 22 (`m/d/yy h:mm`): a number cell with
    // `s="1"` is a typed date.
    entries.push((
        "xl/styles.xml".to_owned(),
        "<styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">\
         <cellXfs count=\"2\"><xf numFmtId=\"0\"/><xf numFmtId=\"22\" applyNumberFormat=\"1\"/>\
         </cellXfs></styleSheet>"
            .to_owned(),
    ));
    if let Some(table) = shared_strings {
        entries.push(("xl/sharedStrings.xml".to_owned(), table.to_owned()));
    }
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_level(Some(1));
    for (name, content) in entries {
        zip.start_file(name, options).unwrap();
        zip.write_all(content.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn relationships(targets: &[(&str, &str)]) -> String {
    let items: String = targets
        .iter()
        .enumerate()
        .map(|(i, (kind, target))| {
            format!(
                "<Relationship Id=\"rId{}\" Type=\"http://schemas.openxmlformats.org/\
                 officeDocument/2006/relationships/{kind}\" Target=\"{target}\"/>",
                i + 1
            )
        })
        .collect();
    format!(
        "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
         {items}</Relationships>"
    )
}

/// A row of inline-string cells at `(row, first column)`, both 1-based; `None` leaves a gap.
pub fn row(row: u32, first_column: u32, cells: &[Option<&str>]) -> String {
    let cells: String = cells
        .iter()
        .enumerate()
        .filter_map(|(i, text)| {
            let reference = format!("{}{row}", column_name(first_column + i as u32));
            text.map(|text| {
                format!("<c r=\"{reference}\" t=\"inlineStr\"><is><t>{text}</t></is></c>")
            })
        })
        .collect();
    format!("<row r=\"{row}\">{cells}</row>")
}

/// A number cell; `typed_date` gives it the date-time style, as Excel stores a date.
pub fn number_cell(reference: &str, value: f64, typed_date: bool) -> String {
    let style = if typed_date { " s=\"1\"" } else { "" };
    format!("<c r=\"{reference}\"{style}><v>{value}</v></c>")
}

pub fn column_name(mut column: u32) -> String {
    let mut name = Vec::new();
    while column > 0 {
        name.insert(0, b'A' + ((column - 1) % 26) as u8);
        column = (column - 1) / 26;
    }
    String::from_utf8(name).unwrap()
}

pub fn header_row(row_number: u32, first_column: u32) -> String {
    let cells: Vec<Option<&str>> = HEADER.iter().map(|&name| Some(name)).collect();
    row(row_number, first_column, &cells)
}

/// Sheet rows of one purchase each by customers `12346 + i`.
pub fn purchases(first_row: u32, first_column: u32, count: u32) -> String {
    (0..count)
        .map(|i| {
            let (invoice, customer) = ((489_434 + i).to_string(), (12_346 + i).to_string());
            row(
                first_row + i,
                first_column,
                &[
                    Some(&invoice),
                    Some("85048"),
                    Some("LIGHT"),
                    Some("2"),
                    Some("2010-12-01 08:26:00"),
                    Some("2.55"),
                    Some(&customer),
                    Some("United Kingdom"),
                ],
            )
        })
        .collect()
}

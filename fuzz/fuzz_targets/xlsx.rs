//! Bytes through the XLSX reader with its caps: the first byte picks the form. Even: the rest is
//! the whole file (a workbook the fuzzer mutates, zip container included). Odd: the rest is the
//! content of a well-formed package's parts (worksheet rows, then after a 0xFF byte the
//! shared-string table), so the XML readers and the limits see mutated markup, not only a
//! broken zip. Errors are fine, panics and allocations past the limit are not.
#![no_main]

use std::io::{Cursor, Write};

use libfuzzer_sys::fuzz_target;
use rfm_studio::core::ingest::{IngestOptions, read_transactions, sniff};
use rfm_studio::core::rfm::RfmTable;
use zip::write::SimpleFileOptions;

const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const RELATIONSHIPS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const PACKAGE_RELATIONSHIPS: &str =
    "http://schemas.openxmlformats.org/package/2006/relationships";

fuzz_target!(|data: &[u8]| {
    let Some((&form, rest)) = data.split_first() else {
        return;
    };
    let bytes = if form % 2 == 0 {
        rest.to_vec()
    } else {
        package(rest)
    };
    let _ = sniff(&bytes);
    let options = IngestOptions::default();
    if let Ok(ingested) = read_transactions(Cursor::new(bytes.as_slice()), None, &options, &mut |_, _| {}) {
        let _ = RfmTable::from_ingested(&ingested, None).map(|table| table.features());
    }
});

/// A one-sheet workbook whose sheet rows and shared strings are `content` (split at 0xFF).
fn package(content: &[u8]) -> Vec<u8> {
    let mut parts = content.splitn(2, |&b| b == 0xFF);
    let rows = parts.next().unwrap_or_default();
    let strings = parts.next();
    let mut entries: Vec<(&str, Vec<u8>)> = vec![
        (
            "_rels/.rels",
            format!(
                "<Relationships xmlns=\"{PACKAGE_RELATIONSHIPS}\"><Relationship Id=\"rId1\" \
                 Type=\"{RELATIONSHIPS}/officeDocument\" Target=\"xl/workbook.xml\"/>\
                 </Relationships>"
            )
            .into_bytes(),
        ),
        (
            "xl/workbook.xml",
            format!(
                "<workbook xmlns=\"{MAIN}\" xmlns:r=\"{RELATIONSHIPS}\"><sheets>\
                 <sheet name=\"Data\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"
            )
            .into_bytes(),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            format!(
                "<Relationships xmlns=\"{PACKAGE_RELATIONSHIPS}\"><Relationship Id=\"rId1\" \
                 Type=\"{RELATIONSHIPS}/worksheet\" Target=\"worksheets/sheet1.xml\"/>\
                 </Relationships>"
            )
            .into_bytes(),
        ),
        (
            "xl/worksheets/sheet1.xml",
            [
                format!("<worksheet xmlns=\"{MAIN}\"><sheetData>").as_bytes(),
                rows,
                b"</sheetData></worksheet>",
            ]
            .concat(),
        ),
    ];
    if let Some(strings) = strings {
        entries.push(("xl/sharedStrings.xml", strings.to_vec()));
    }
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_level(Some(1));
    for (name, content) in entries {
        zip.start_file(name, options).expect("writing to memory");
        zip.write_all(&content).expect("writing to memory");
    }
    zip.finish().expect("writing to memory").into_inner()
}

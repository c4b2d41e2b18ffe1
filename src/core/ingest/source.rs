//! From bytes to records: container (plain, gzip, XLSX), text encoding, delimiter.

use std::cell::Cell;
use std::io::{Cursor, Read};
use std::rc::Rc;

use csv::ByteRecord;
use serde::{Deserialize, Serialize};

use super::IngestError;

/// How many leading bytes layout detection looks at (and what `sniff` expects at most).
pub const SNIFF_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    Csv,
    GzipCsv,
    Xlsx,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextEncoding {
    Utf8,
    /// Also covers ISO-8859-1, which browsers and encoding_rs treat as Windows-1252.
    Windows1252,
}

impl TextEncoding {
    pub fn decode(self, bytes: &[u8]) -> String {
        match self {
            TextEncoding::Utf8 => String::from_utf8_lossy(bytes).into_owned(),
            TextEncoding::Windows1252 => encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0
                .into_owned(),
        }
    }
}

/// Encoding and delimiter of a text table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextLayout {
    pub encoding: TextEncoding,
    pub has_bom: bool,
    pub delimiter: u8,
}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
const DELIMITERS: [u8; 3] = [b',', b';', b'\t'];

pub fn container_of(first_bytes: &[u8]) -> FileFormat {
    if first_bytes.starts_with(GZIP_MAGIC) {
        FileFormat::GzipCsv
    } else if first_bytes.starts_with(ZIP_MAGIC) {
        FileFormat::Xlsx
    } else {
        FileFormat::Csv
    }
}

/// Detects encoding and delimiter from the start of a text table. `complete` says whether
/// `text` is the whole file (otherwise a multi-byte character may be cut at its end).
pub fn detect_layout(text: &[u8], complete: bool) -> Result<TextLayout, IngestError> {
    if text.starts_with(b"\xFF\xFE") || text.starts_with(b"\xFE\xFF") {
        return Err(IngestError::Utf16);
    }
    let has_bom = text.starts_with(UTF8_BOM);
    let body = if has_bom {
        &text[UTF8_BOM.len()..]
    } else {
        text
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(IngestError::Empty);
    }
    let control_bytes = body
        .iter()
        .filter(|&&b| b == 0 || (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')))
        .count();
    if control_bytes > 0 && (body.contains(&0) || control_bytes * 100 > body.len()) {
        return Err(IngestError::Binary);
    }
    let encoding = match std::str::from_utf8(body) {
        Ok(_) => TextEncoding::Utf8,
        Err(cut) if !complete && cut.error_len().is_none() => TextEncoding::Utf8,
        Err(_) => TextEncoding::Windows1252,
    };
    Ok(TextLayout {
        encoding,
        has_bom,
        delimiter: sniff_delimiter(body),
    })
}

/// The candidate delimiter that splits the header line most often (outside quotes); comma when
/// none does, so a one-column file reaches the missing-column check with its header intact.
fn sniff_delimiter(text: &[u8]) -> u8 {
    let mut counts = [0usize; DELIMITERS.len()];
    let mut quoted = false;
    for &byte in text {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            _ if !quoted => {
                if let Some(slot) = DELIMITERS.iter().position(|&d| d == byte) {
                    counts[slot] += 1;
                }
            }
            _ => {}
        }
    }
    let best = (0..DELIMITERS.len())
        .max_by_key(|&slot| (counts[slot], usize::MAX - slot))
        .unwrap_or(0);
    if counts[best] == 0 {
        b','
    } else {
        DELIMITERS[best]
    }
}

/// Counts bytes pulled from the underlying reader, for progress reports.
pub struct CountingReader<R> {
    inner: R,
    bytes: Rc<Cell<u64>>,
}

impl<R: Read> CountingReader<R> {
    pub fn new(inner: R) -> (Self, Rc<Cell<u64>>) {
        let bytes = Rc::new(Cell::new(0));
        (
            CountingReader {
                inner,
                bytes: Rc::clone(&bytes),
            },
            bytes,
        )
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.set(self.bytes.get() + n as u64);
        Ok(n)
    }
}

/// Reads up to `limit` bytes (fewer only at the end of the stream).
pub fn read_prefix(reader: &mut dyn Read, limit: usize) -> std::io::Result<Vec<u8>> {
    let mut prefix = Vec::with_capacity(limit.min(SNIFF_BYTES));
    reader.take(limit as u64).read_to_end(&mut prefix)?;
    Ok(prefix)
}

/// Where a record came from, for error messages.
pub enum Location {
    Line(u64),
    SheetRow { sheet: String, row: u64 },
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Line(line) => write!(f, "line {line}"),
            Location::SheetRow { sheet, row } => write!(f, "sheet \"{sheet}\" row {row}"),
        }
    }
}

/// The records of a table, header first.
pub enum Records<'a> {
    Csv {
        reader: csv::Reader<Box<dyn Read + 'a>>,
        gzip: bool,
    },
    Sheets(SheetRecords),
}

impl<'a> Records<'a> {
    pub fn csv(stream: Box<dyn Read + 'a>, delimiter: u8, gzip: bool) -> Self {
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .buffer_capacity(1 << 18)
            .from_reader(stream);
        Records::Csv { reader, gzip }
    }

    /// Fills `record` with the next record; false at the end.
    pub fn next_into(&mut self, record: &mut ByteRecord) -> Result<bool, IngestError> {
        match self {
            Records::Csv { reader, gzip } => reader.read_byte_record(record).map_err(|error| {
                let line = error.position().map_or(0, |position| position.line());
                let message = error.to_string();
                match error.into_kind() {
                    csv::ErrorKind::Io(io) if *gzip => IngestError::Gzip(io.to_string()),
                    csv::ErrorKind::Io(io) => IngestError::Io(io.to_string()),
                    _ => IngestError::Csv { line, message },
                }
            }),
            Records::Sheets(sheets) => Ok(sheets.next_into(record)),
        }
    }

    pub fn location(&self, record: &ByteRecord) -> Location {
        match self {
            Records::Csv { .. } => Location::Line(record.position().map_or(0, |p| p.line())),
            Records::Sheets(sheets) => sheets.location(),
        }
    }
}

/// All sheets of a workbook, one after another; a sheet's own header row is skipped when it
/// repeats the first sheet's header.
pub struct SheetRecords {
    rows: std::vec::IntoIter<(usize, u64, ByteRecord)>,
    sheet_names: Vec<String>,
    current: (usize, u64),
}

impl SheetRecords {
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, IngestError> {
        use calamine::Reader as _;
        let mut workbook = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
            .map_err(|error| IngestError::Xlsx(error.to_string()))?;
        let sheet_names = workbook.sheet_names();
        let mut rows = Vec::new();
        let mut header: Option<ByteRecord> = None;
        for (sheet, name) in sheet_names.iter().enumerate() {
            let range = workbook
                .worksheet_range(name)
                .map_err(|error| IngestError::Xlsx(error.to_string()))?;
            for (row, cells) in range.rows().enumerate() {
                let record: ByteRecord = cells.iter().map(cell_text).collect();
                if record.iter().all(<[u8]>::is_empty) {
                    continue;
                }
                if row == 0 {
                    match &header {
                        Some(first) if first == &record => continue,
                        Some(_) => {}
                        None => header = Some(record.clone()),
                    }
                }
                rows.push((sheet, row as u64 + 1, record));
            }
        }
        Ok(SheetRecords {
            rows: rows.into_iter(),
            sheet_names,
            current: (0, 0),
        })
    }

    fn next_into(&mut self, record: &mut ByteRecord) -> bool {
        match self.rows.next() {
            Some((sheet, row, next)) => {
                self.current = (sheet, row);
                *record = next;
                true
            }
            None => false,
        }
    }

    fn location(&self) -> Location {
        let (sheet, row) = self.current;
        Location::SheetRow {
            sheet: self.sheet_names.get(sheet).cloned().unwrap_or_default(),
            row,
        }
    }
}

/// A cell as the text a CSV export would hold: whole numbers without `.0`, dates in ISO form.
fn cell_text(cell: &calamine::Data) -> Vec<u8> {
    use calamine::Data;
    match cell {
        Data::Empty | Data::Error(_) => Vec::new(),
        Data::String(text) | Data::DateTimeIso(text) | Data::DurationIso(text) => {
            text.clone().into_bytes()
        }
        Data::Int(value) => value.to_string().into_bytes(),
        Data::Float(value) if value.fract() == 0.0 && value.abs() < 1e15 => {
            format!("{value:.0}").into_bytes()
        }
        Data::Float(value) => value.to_string().into_bytes(),
        Data::Bool(value) => value.to_string().into_bytes(),
        Data::DateTime(stamp) => {
            let (year, month, day, hour, minute, second, _) = stamp.to_ymd_hms_milli();
            format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}").into_bytes()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter_is_taken_from_the_header_outside_quotes() {
        assert_eq!(sniff_delimiter(b"a;b;c\n1,5;2;3"), b';');
        assert_eq!(sniff_delimiter(b"a\tb\tc\n"), b'\t');
        assert_eq!(sniff_delimiter(b"\"x;y;z\",b\n"), b',');
        assert_eq!(sniff_delimiter(b"a|b|c\n"), b',');
    }

    #[test]
    fn encoding_bom_and_binary_detection() {
        let latin = detect_layout(b"a,b\ncaf\xe9,1\n", true).unwrap();
        assert_eq!(latin.encoding, TextEncoding::Windows1252);
        assert_eq!(TextEncoding::Windows1252.decode(b"caf\xe9"), "caf\u{e9}");
        let cut_utf8 = detect_layout(b"a,b\ncaf\xc3", false).unwrap();
        assert_eq!(cut_utf8.encoding, TextEncoding::Utf8);
        assert!(detect_layout(b"\xEF\xBB\xBFa,b\n", true).unwrap().has_bom);
        assert!(matches!(
            detect_layout(b"a,b\0\x01\x02", true),
            Err(IngestError::Binary)
        ));
        assert!(matches!(
            detect_layout(b"\xFF\xFEa\0", true),
            Err(IngestError::Utf16)
        ));
    }
}

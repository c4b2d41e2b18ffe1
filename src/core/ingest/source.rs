//! From bytes to records: container (plain, gzip, XLSX), text encoding, delimiter.
//!
//! Over 400 lines because the containers (plain, gzip, zip, XLSX with its bounded part reader),
//! the encoding and the delimiter sniffing hand one another the same buffered reader and its
//! limits; each container is a section of its own below.

use std::cell::Cell;
use std::io::{Cursor, Read};
use std::rc::Rc;

use csv::ByteRecord;
use serde::{Deserialize, Serialize};

use super::{IngestError, MAX_RECORD_BYTES};

/// How many leading bytes layout detection looks at (and what `sniff` expects at most).
pub const SNIFF_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    Csv,
    GzipCsv,
    /// A zip archive holding one CSV file (and no workbook).
    ZipCsv,
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
/// An OLE compound file: a legacy .xls workbook, or an encrypted .xlsx (Excel wraps the
/// encrypted package in one).
const OLE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
/// The stream an encrypted workbook's compound file holds, as its directory spells it (UTF-16).
const ENCRYPTED_PACKAGE: &[u8] = b"E\0n\0c\0r\0y\0p\0t\0e\0d\0P\0a\0c\0k\0a\0g\0e\0";
/// How far into a compound file its directory is looked for: Excel writes it near the start of
/// a small encrypted file; past this the file is called a legacy workbook.
pub const OLE_SCAN_BYTES: u64 = 16 << 20;
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

/// Whether the bytes start an OLE compound file (see [`refuse_compound_file`]).
pub fn is_compound_file(first_bytes: &[u8]) -> bool {
    first_bytes.starts_with(OLE_MAGIC)
}

/// The error for an OLE compound file: an encrypted workbook when its directory names the
/// encrypted package, otherwise a legacy .xls workbook; neither can be read.
pub fn refuse_compound_file(bytes: &[u8]) -> IngestError {
    if bytes
        .windows(ENCRYPTED_PACKAGE.len())
        .any(|window| window == ENCRYPTED_PACKAGE)
    {
        IngestError::EncryptedWorkbook
    } else {
        IngestError::LegacyXls
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
/// Lines without any candidate (a report title above the header) are passed over.
fn sniff_delimiter(text: &[u8]) -> u8 {
    let mut counts = [0usize; DELIMITERS.len()];
    let mut quoted = false;
    for &byte in text {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' if !quoted && counts.iter().any(|&count| count > 0) => break,
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

/// Where the one text file of a zip archive that is no workbook lies in the archive.
pub struct ZippedText {
    data: std::ops::Range<u64>,
    deflated: bool,
}

/// File names a zipped table may have.
const ZIPPED_TEXT_EXTENSIONS: [&str; 3] = [".csv", ".tsv", ".txt"];

/// For a zip archive that is not a workbook (no `[Content_Types].xml`, nothing under `xl/`):
/// its one CSV file, leaving out folders and macOS metadata; an error when it holds none or
/// several. `None` for a workbook or an archive the zip crate cannot open (calamine reports it).
pub fn zipped_text(bytes: &[u8]) -> Result<Option<ZippedText>, IngestError> {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(None);
    };
    let names: Vec<String> = archive
        .file_names()
        .filter_map(Result::ok)
        .map(|name| name.into_owned())
        .collect();
    if names
        .iter()
        .any(|name| name == "[Content_Types].xml" || name.starts_with("xl/"))
    {
        return Ok(None);
    }
    let files: Vec<&String> = names
        .iter()
        .filter(|name| {
            let file = name.rsplit('/').next().unwrap_or(name);
            !name.ends_with('/') && !name.starts_with("__MACOSX/") && !file.starts_with('.')
        })
        .collect();
    let tables: Vec<&&String> = files
        .iter()
        .filter(|name| {
            let lower = name.to_ascii_lowercase();
            ZIPPED_TEXT_EXTENSIONS
                .iter()
                .any(|ext| lower.ends_with(ext))
        })
        .collect();
    let [table] = tables.as_slice() else {
        let listed: Vec<&str> = files.iter().take(10).map(|name| name.as_str()).collect();
        return Err(IngestError::Zip(format!(
            "it holds {} CSV files among {} files ({}); it must hold exactly one CSV file",
            tables.len(),
            files.len(),
            listed.join(", ")
        )));
    };
    let index = archive
        .index_for_name(table)
        .ok_or(IngestError::Internal("zip entry lost"))?;
    let entry = archive
        .by_index_raw(index)
        .map_err(|error| IngestError::Zip(error.to_string()))?;
    let deflated = match entry.compression() {
        zip::CompressionMethod::Stored => false,
        zip::CompressionMethod::Deflated => true,
        other => {
            return Err(IngestError::Zip(format!(
                "{table} is compressed with {other}; only deflate is read"
            )));
        }
    };
    if entry.encrypted() {
        return Err(IngestError::Zip(format!("{table} is password-protected")));
    }
    let start = entry
        .data_start()
        .ok_or(IngestError::Internal("zip entry without data offset"))?;
    Ok(Some(ZippedText {
        data: start..start + entry.compressed_size(),
        deflated,
    }))
}

impl ZippedText {
    /// The file's text, inflated as it is read.
    pub fn open<'a>(self, archive: Vec<u8>) -> Box<dyn Read + 'a> {
        let mut cursor = Cursor::new(archive);
        cursor.set_position(self.data.start);
        let raw = cursor.take(self.data.end - self.data.start);
        if self.deflated {
            Box::new(flate2::read::DeflateDecoder::new(raw))
        } else {
            Box::new(raw)
        }
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
    /// A CSV record whose quoted text runs over several lines of the file.
    Lines {
        first: u64,
        last: u64,
    },
    SheetRow {
        sheet: String,
        row: u64,
    },
}

impl Location {
    /// The line (or sheet row) the record starts at.
    pub fn first_line(&self) -> u64 {
        match self {
            Location::Line(line) | Location::Lines { first: line, .. } => *line,
            Location::SheetRow { row, .. } => *row,
        }
    }

    /// How many lines of the file the record takes.
    pub fn line_count(&self) -> u64 {
        match self {
            Location::Lines { first, last } => last - first + 1,
            Location::Line(_) | Location::SheetRow { .. } => 1,
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Line(line) => write!(f, "line {line}"),
            Location::Lines { first, last } => write!(f, "lines {first}-{last}"),
            Location::SheetRow { sheet, row } => write!(f, "sheet \"{sheet}\" row {row}"),
        }
    }
}

/// The csv reader's buffer: it reads at most this far ahead of the record it parses.
const CSV_BUFFER_BYTES: usize = 1 << 18;

/// Fails a read once the record in progress must be longer than [`MAX_RECORD_BYTES`]: the csv
/// reader buffers a whole record before returning it, so an unclosed quote in a large (or
/// highly compressed) file would otherwise grow one record to gigabytes before any check.
pub struct RecordLimit<R> {
    inner: R,
    /// Bytes handed to the csv reader so far.
    delivered: u64,
    /// Where the record in progress started, as the csv reader counts.
    record_start: csv::Position,
}

/// The marker inside the I/O error that [`RecordLimit`] raises.
#[derive(Debug)]
struct RecordOverflow;

impl std::fmt::Display for RecordOverflow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "record longer than {MAX_RECORD_BYTES} bytes")
    }
}

impl std::error::Error for RecordOverflow {}

impl<R: Read> Read for RecordLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // Whatever the csv reader holds beyond its buffer belongs to the record in progress.
        let limit = (MAX_RECORD_BYTES + CSV_BUFFER_BYTES) as u64;
        if self.delivered - self.record_start.byte() > limit {
            return Err(std::io::Error::other(RecordOverflow));
        }
        let n = self.inner.read(buf)?;
        self.delivered += n as u64;
        Ok(n)
    }
}

/// The records of a table, header first.
pub enum Records<'a> {
    Csv {
        reader: csv::Reader<RecordLimit<Box<dyn Read + 'a>>>,
        /// Where the text is inflated from, for read errors.
        container: FileFormat,
    },
    Sheets(SheetRecords),
}

impl<'a> Records<'a> {
    pub fn csv(stream: Box<dyn Read + 'a>, delimiter: u8, container: FileFormat) -> Self {
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .buffer_capacity(CSV_BUFFER_BYTES)
            .from_reader(RecordLimit {
                inner: stream,
                delivered: 0,
                record_start: csv::Position::new(),
            });
        Records::Csv { reader, container }
    }

    /// Fills `record` with the next record; false at the end.
    pub fn next_into(&mut self, record: &mut ByteRecord) -> Result<bool, IngestError> {
        match self {
            Records::Csv { reader, container } => {
                let more = reader.read_byte_record(record).map_err(|error| {
                    let line = error.position().map_or(0, |position| position.line());
                    let message = error.to_string();
                    match error.into_kind() {
                        csv::ErrorKind::Io(io)
                            if io
                                .get_ref()
                                .is_some_and(|inner| inner.is::<RecordOverflow>()) =>
                        {
                            IngestError::RecordTooLong {
                                at: Location::Line(reader.get_ref().record_start.line())
                                    .to_string(),
                                limit: MAX_RECORD_BYTES,
                            }
                        }
                        csv::ErrorKind::Io(io) => match container {
                            FileFormat::GzipCsv => IngestError::Gzip(io.to_string()),
                            FileFormat::ZipCsv => IngestError::Zip(io.to_string()),
                            FileFormat::Csv | FileFormat::Xlsx => IngestError::Io(io.to_string()),
                        },
                        _ => IngestError::Csv { line, message },
                    }
                })?;
                let next_start = reader.position().clone();
                reader.get_mut().record_start = next_start;
                Ok(more)
            }
            Records::Sheets(sheets) => Ok(sheets.next_into(record)),
        }
    }

    /// Where `record` was read (it carries its position, so this holds for a record read
    /// ahead too).
    pub fn location(&self, record: &ByteRecord) -> Location {
        match self {
            Records::Csv { .. } => {
                let first = record.position().map_or(0, |p| p.line());
                // A line break inside quotes stays in the field: each one is a line of the file.
                match record
                    .as_slice()
                    .iter()
                    .filter(|&&byte| byte == b'\n')
                    .count() as u64
                {
                    0 => Location::Line(first),
                    breaks => Location::Lines {
                        first,
                        last: first + breaks,
                    },
                }
            }
            Records::Sheets(sheets) => sheets.location(record),
        }
    }

    pub fn skipped_sheets(&self) -> Vec<SkippedSheet> {
        match self {
            Records::Csv { .. } => Vec::new(),
            Records::Sheets(sheets) => sheets.skipped.clone(),
        }
    }
}

/// Limits that keep a workbook of a few KB from taking the process down (calamine holds the
/// shared strings and styles whole, and a zip part can inflate a thousandfold). Each is far
/// above what real exports need (the 45 MB Online Retail II workbook: 1.07M rows, 8.5M cells,
/// a few thousand shared strings) yet keeps any workbook well under 1 GB of memory.
mod limits {
    /// Inflated bytes of one XML part. Worksheets are streamed, so this bounds time, not memory.
    pub const XML_PART_BYTES: u64 = 1 << 30;
    /// Inflated bytes of any other part (images, printer settings, macros): calamine never
    /// reads them, but a workbook could point it at XML hidden under such a name.
    pub const OTHER_PART_BYTES: u64 = 64 << 20;
    /// Inflated bytes of all parts together, as declared.
    pub const WORKBOOK_BYTES: u64 = 2 << 30;
    /// Inflated bytes of the shared-string table, which calamine holds whole.
    pub const SHARED_STRING_BYTES: u64 = 128 << 20;
    /// Shared strings (each costs calamine a `String`, whatever its length).
    pub const SHARED_STRINGS: u64 = 1 << 21;
    /// Style, number-format, sheet, defined-name and relationship entries, which calamine
    /// holds one object each of (Excel itself allows 64,000 cell formats).
    pub const WORKBOOK_ENTRIES: u64 = 1 << 18;
    /// Longest text node, comment or CDATA section quick-xml would buffer (an Excel cell holds
    /// at most 32,767 characters).
    pub const XML_TEXT_BYTES: usize = 4 << 20;
    /// Longest tag quick-xml would buffer.
    pub const XML_TAG_BYTES: usize = 64 << 10;
    /// Non-empty cells kept for the records (12 bytes each plus their text).
    pub const CELLS: usize = 24 << 20;
    /// Text of the kept cells.
    pub const CELL_TEXT_BYTES: usize = 256 << 20;
    /// Fields of all records, the empty ones that pad rows to the header included: what a
    /// dense range of the used area would hold.
    pub const RECORD_FIELDS: u64 = 64 << 20;
    /// Excel's sheet size.
    pub const SHEET_ROWS: u32 = 1 << 20;
    pub const SHEET_COLUMNS: u32 = 1 << 14;
}

fn workbook_error(message: impl std::fmt::Display) -> IngestError {
    IngestError::Xlsx(message.to_string())
}

/// Checks every part of a workbook before calamine inflates any: the sizes the parts declare,
/// then their content (shared strings, entries calamine keeps, lengths of texts and tags).
/// A declared size cannot lie: the zip crate (which calamine reads with) fails a part as soon
/// as it inflates past it. An archive the zip crate cannot open is left to calamine to report.
fn check_workbook_parts(bytes: &[u8]) -> Result<(), IngestError> {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(());
    };
    let mut parts = Vec::with_capacity(archive.len());
    let mut declared_total = 0u64;
    for index in 0..archive.len() {
        let part = archive.by_index(index).map_err(workbook_error)?;
        let name = part.name().map_err(workbook_error)?.into_owned();
        let (limit, is_xml) = part_limit(&name);
        if part.size() > limit {
            return Err(workbook_error(format!(
                "part {name} declares {} bytes uncompressed, more than the {limit} allowed",
                part.size()
            )));
        }
        declared_total += part.size();
        parts.push((name, is_xml));
    }
    if declared_total > limits::WORKBOOK_BYTES {
        return Err(workbook_error(format!(
            "the parts declare {declared_total} bytes uncompressed, more than the {} allowed",
            limits::WORKBOOK_BYTES
        )));
    }
    let mut entries = 0u64;
    for (index, (name, is_xml)) in parts.iter().enumerate() {
        if !is_xml {
            continue;
        }
        let scan = scan_part(archive.by_index(index).map_err(workbook_error)?, name)?;
        let strings = scan.shared_strings.max(scan.declared_unique_strings);
        if strings > limits::SHARED_STRINGS {
            return Err(workbook_error(format!(
                "part {name} holds or declares (uniqueCount) {strings} shared strings, more \
                 than the {} allowed",
                limits::SHARED_STRINGS
            )));
        }
        entries += scan.workbook_entries;
        if entries > limits::WORKBOOK_ENTRIES {
            return Err(workbook_error(format!(
                "more than {} style, sheet or name entries (reached in part {name})",
                limits::WORKBOOK_ENTRIES
            )));
        }
    }
    Ok(())
}

/// The inflated size allowed for a part, and whether it is XML (`.xml`, `.rels`), the parts
/// calamine parses and [`scan_part`] checks; calamine holds `{folder}sharedStrings.xml` whole.
fn part_limit(name: &str) -> (u64, bool) {
    let file = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    if file == "sharedstrings.xml" {
        (limits::SHARED_STRING_BYTES, true)
    } else if file.ends_with(".xml") || file.ends_with(".rels") {
        (limits::XML_PART_BYTES, true)
    } else {
        (limits::OTHER_PART_BYTES, false)
    }
}

/// What a byte scan of one part found.
#[derive(Default)]
struct PartScan {
    shared_strings: u64,
    declared_unique_strings: u64,
    workbook_entries: u64,
}

/// The kind of markup a byte belongs to, as quick-xml will read it.
#[derive(Clone, Copy)]
enum Markup {
    Text,
    /// Inside `<...>`; `quote` is the open attribute quote, inside which `>` is text.
    Tag {
        quote: Option<u8>,
    },
    /// A comment, CDATA section or processing instruction, up to its terminator.
    Until(&'static [u8]),
}

/// Inflates one XML part and scans it without parsing it: no text or tag may be longer than
/// quick-xml should buffer, no DTD (a workbook never has one), and the elements calamine keeps
/// one object per are counted.
fn scan_part(mut part: impl Read, name: &str) -> Result<PartScan, IngestError> {
    let refuse = |problem: String| workbook_error(format!("part {name} {problem}"));
    let mut scan = PartScan::default();
    let mut chunk = vec![0; 1 << 16];
    let (mut markup, mut run, mut tag, mut tail) = (Markup::Text, 0usize, Vec::new(), [0u8; 3]);
    loop {
        let read = part
            .read(&mut chunk)
            .map_err(|error| refuse(format!("cannot be inflated ({error})")))?;
        if read == 0 {
            return Ok(scan);
        }
        let mut at = 0;
        while at < read {
            let byte = chunk[at];
            match markup {
                Markup::Text => {
                    let text = chunk[at..read].iter().position(|&b| b == b'<');
                    run += text.unwrap_or(read - at);
                    if run > limits::XML_TEXT_BYTES {
                        return Err(refuse(format!(
                            "holds a text longer than {} bytes",
                            limits::XML_TEXT_BYTES
                        )));
                    }
                    at = text.map_or(read, |length| {
                        (markup, run) = (Markup::Tag { quote: None }, 0);
                        tag.clear();
                        at + length + 1
                    });
                }
                Markup::Tag { quote: None } if byte == b'>' => {
                    scan.count_tag(&tag).map_err(refuse)?;
                    markup = Markup::Text;
                    at += 1;
                }
                Markup::Tag { quote } => {
                    if tag.len() == limits::XML_TAG_BYTES {
                        return Err(refuse(format!(
                            "holds a tag longer than {} bytes",
                            limits::XML_TAG_BYTES
                        )));
                    }
                    tag.push(byte);
                    markup = match (quote, tag.as_slice()) {
                        (None, b"!--") => Markup::Until(b"-->"),
                        (None, b"![CDATA[") => Markup::Until(b"]]>"),
                        (None, b"?") => Markup::Until(b"?>"),
                        (None, _) if matches!(byte, b'"' | b'\'') => {
                            Markup::Tag { quote: Some(byte) }
                        }
                        (Some(open), _) if byte == open => Markup::Tag { quote: None },
                        _ => markup,
                    };
                    at += 1;
                }
                Markup::Until(terminator) => {
                    run += 1;
                    if run > limits::XML_TEXT_BYTES {
                        return Err(refuse(format!(
                            "holds a comment, CDATA section or instruction longer than {} bytes",
                            limits::XML_TEXT_BYTES
                        )));
                    }
                    tail = [tail[1], tail[2], byte];
                    if tail.ends_with(terminator) {
                        (markup, run, tail) = (Markup::Text, 0, [0; 3]);
                    }
                    at += 1;
                }
            }
        }
    }
}

impl PartScan {
    /// Counts one complete tag (its bytes between `<` and `>`).
    fn count_tag(&mut self, tag: &[u8]) -> Result<(), String> {
        if tag.starts_with(b"!") {
            return Err("holds a document type declaration".into());
        }
        let name_end = tag
            .iter()
            .position(|&b| b.is_ascii_whitespace() || b == b'/')
            .unwrap_or(tag.len());
        let name = &tag[..name_end];
        let local = name.rsplit(|&b| b == b':').next().unwrap_or(name);
        match local {
            b"si" => self.shared_strings += 1,
            b"sst" => self.declared_unique_strings = attribute_number(tag, b"uniqueCount"),
            b"xf" | b"numFmt" | b"font" | b"fill" | b"border" | b"sheet" | b"definedName"
            | b"Relationship" => self.workbook_entries += 1,
            _ => {}
        }
        Ok(())
    }
}

/// The whole-number value of attribute `name` in a tag; 0 when absent, `u64::MAX` when too
/// large to hold (calamine would still try to reserve it).
fn attribute_number(tag: &[u8], name: &[u8]) -> u64 {
    let Some(at) = tag.windows(name.len()).position(|window| window == name) else {
        return 0;
    };
    let value = tag[at + name.len()..]
        .iter()
        .skip_while(|&&b| b.is_ascii_whitespace() || matches!(b, b'=' | b'"' | b'\''))
        .take_while(|b| b.is_ascii_digit());
    value.fold(0u64, |number, &digit| {
        number
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(digit - b'0')))
            .unwrap_or(u64::MAX)
    })
}

/// One non-empty cell kept for the records; its text ends at `text_end` in
/// [`SheetRecords::text`] and starts where the previous cell's ends.
#[derive(Clone, Copy)]
struct SheetCell {
    row: u32,
    column: u32,
    text_end: u32,
}

impl SheetCell {
    fn position(&self) -> (u32, u32) {
        (self.row, self.column)
    }
}

/// The cells of one sheet in [`SheetRecords::cells`], in row then column order.
struct SheetSpan {
    name: String,
    cells: std::ops::Range<usize>,
    /// The leftmost used column: the records' first field.
    origin: u32,
    /// Fields of the header row: shorter rows are padded to it with empty fields.
    width: u32,
}

/// A sheet left out of the records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedSheet {
    pub name: String,
    /// Its first row, cells joined by ", " (cut at 200 characters).
    pub first_row: String,
}

/// All sheets of a workbook whose first row is the first sheet's header, one after another,
/// that header row skipped; other sheets (notes, a pivot table) are left out and listed. Read with calamine's cell reader and kept sparse (only
/// non-empty cells, their text back to back), so a stray cell far out costs one cell, not a
/// dense rows x columns range; each record is built when it is asked for.
pub struct SheetRecords {
    text: Vec<u8>,
    cells: Vec<SheetCell>,
    sheets: Vec<SheetSpan>,
    /// Fields of all records, checked against [`limits::RECORD_FIELDS`].
    fields: u64,
    skipped: Vec<SkippedSheet>,
    /// Next cell to read, and the sheet it is in.
    next: (usize, usize),
}

type Workbook<'a> = calamine::Xlsx<Cursor<&'a [u8]>>;

impl SheetRecords {
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, IngestError> {
        check_workbook_parts(&bytes)?;
        let mut workbook: Workbook =
            match calamine::open_workbook_auto_from_rs(Cursor::new(bytes.as_slice())) {
                Ok(calamine::Sheets::Xlsx(workbook)) => workbook,
                Ok(_) => {
                    return Err(workbook_error(
                        "only XLSX workbooks are read; save it as .xlsx",
                    ));
                }
                Err(error) => return Err(workbook_error(error)),
            };
        let mut records = SheetRecords {
            text: Vec::new(),
            cells: Vec::new(),
            sheets: Vec::new(),
            fields: 0,
            skipped: Vec::new(),
            next: (0, 0),
        };
        for name in calamine::Reader::sheet_names(&workbook) {
            records.read_sheet(&mut workbook, name)?;
        }
        Ok(records)
    }

    /// Appends the non-empty cells of one sheet (a chart sheet has none).
    fn read_sheet(&mut self, workbook: &mut Workbook, name: String) -> Result<(), IngestError> {
        let mut reader = match workbook.worksheet_cells_reader(&name) {
            Ok(reader) => reader,
            Err(calamine::XlsxError::NotAWorksheet(_)) => return Ok(()),
            Err(error) => return Err(workbook_error(error)),
        };
        let first = self.cells.len();
        while let Some(cell) = reader.next_cell().map_err(workbook_error)? {
            let (row, column) = cell.get_position();
            if row >= limits::SHEET_ROWS || column >= limits::SHEET_COLUMNS {
                return Err(workbook_error(format!(
                    "sheet \"{name}\" has a cell at row {} column {}, beyond Excel's {} rows x \
                     {} columns",
                    u64::from(row) + 1,
                    u64::from(column) + 1,
                    limits::SHEET_ROWS,
                    limits::SHEET_COLUMNS
                )));
            }
            let text_start = self.text.len();
            write_cell_text(cell.get_value(), &mut self.text);
            if self.text.len() == text_start {
                continue;
            }
            if self.cells.len() == limits::CELLS || self.text.len() > limits::CELL_TEXT_BYTES {
                return Err(workbook_error(format!(
                    "the sheets hold more than {} cells or {} bytes of text, too many to read \
                     at once (reached in sheet \"{name}\"); export it as CSV",
                    limits::CELLS,
                    limits::CELL_TEXT_BYTES
                )));
            }
            self.cells.push(SheetCell {
                row,
                column,
                text_end: self.text.len() as u32,
            });
        }
        drop(reader);
        if self.cells.len() == first {
            return Ok(());
        }
        self.sort_cells_from(first);
        self.add_sheet(name, first)
    }

    /// Puts the cells from `first` on in row then column order (Excel writes them so; other
    /// writers may not), keeping the last of cells at the same place, as a dense range would.
    fn sort_cells_from(&mut self, first: usize) {
        let cells = &self.cells[first..];
        if cells
            .windows(2)
            .all(|pair| pair[0].position() < pair[1].position())
        {
            return;
        }
        let mut order: Vec<usize> = (first..self.cells.len()).collect();
        order.sort_by_key(|&index| self.cells[index].position());
        order.dedup_by(|later, earlier| {
            let same = self.cells[*later].position() == self.cells[*earlier].position();
            if same {
                *earlier = *later;
            }
            same
        });
        let text_first = self.text_range(first).start;
        let mut text = self.text[..text_first].to_vec();
        let mut cells = Vec::with_capacity(order.len());
        for &index in &order {
            text.extend_from_slice(&self.text[self.text_range(index)]);
            cells.push(SheetCell {
                text_end: text.len() as u32,
                ..self.cells[index]
            });
        }
        self.text = text;
        self.cells.truncate(first);
        self.cells.extend(cells);
    }

    /// Records the sheet whose sorted cells start at `first`: its origin, header width and
    /// fields (refused past [`limits::RECORD_FIELDS`]), skipping its header when it repeats
    /// the first sheet's.
    fn add_sheet(&mut self, name: String, first: usize) -> Result<(), IngestError> {
        let cells = &self.cells[first..];
        let origin = cells.iter().map(|cell| cell.column).min().unwrap_or(0);
        let header_end = self.row_end(first, self.cells.len());
        let mut span = SheetSpan {
            name,
            cells: first..self.cells.len(),
            origin,
            width: self.cells[header_end - 1].column - origin + 1,
        };
        let mut rows = 0u64;
        for row in cells.chunk_by(|a, b| a.row == b.row) {
            rows += 1;
            let last = row[row.len() - 1].column;
            self.fields += u64::from(span.width.max(last - origin + 1));
        }
        if self.fields > limits::RECORD_FIELDS {
            return Err(workbook_error(format!(
                "sheet \"{}\" spans {rows} rows x {} or more columns: the sheets hold more than \
                 {} cells, empty ones included (a stray cell far out?)",
                span.name,
                span.width,
                limits::RECORD_FIELDS
            )));
        }
        if let Some(first_sheet) = self.sheets.first() {
            let header = |sheet: &SheetSpan, end| {
                let mut record = ByteRecord::new();
                self.fill_record(sheet, sheet.cells.start..end, &mut record);
                record
            };
            let first_header_end = self.row_end(first_sheet.cells.start, first_sheet.cells.end);
            let own_header = header(&span, header_end);
            if header(first_sheet, first_header_end) != own_header {
                let first_row: String = own_header
                    .iter()
                    .map(String::from_utf8_lossy)
                    .collect::<Vec<_>>()
                    .join(", ");
                self.skipped.push(SkippedSheet {
                    name: span.name,
                    first_row: first_row.chars().take(200).collect(),
                });
                return Ok(());
            }
            span.cells.start = header_end;
        }
        self.sheets.push(span);
        Ok(())
    }

    /// The index after the cells (up to `end`) of the row that cell `start` is in.
    fn row_end(&self, start: usize, end: usize) -> usize {
        let row = self.cells[start].row;
        start + self.cells[start..end].partition_point(|cell| cell.row == row)
    }

    /// Where the text of cell `index` lies in `text`.
    fn text_range(&self, index: usize) -> std::ops::Range<usize> {
        let start = index.checked_sub(1).map_or(0, |i| self.cells[i].text_end);
        start as usize..self.cells[index].text_end as usize
    }

    /// Fills `record` with one row of `sheet`: `cells` are that row's, empty fields fill the
    /// gaps and pad it to the header's width.
    fn fill_record(
        &self,
        sheet: &SheetSpan,
        cells: std::ops::Range<usize>,
        record: &mut ByteRecord,
    ) {
        record.clear();
        let mut column = sheet.origin;
        for index in cells {
            for _ in column..self.cells[index].column {
                record.push_field(b"");
            }
            record.push_field(&self.text[self.text_range(index)]);
            column = self.cells[index].column + 1;
        }
        for _ in column..sheet.origin + sheet.width {
            record.push_field(b"");
        }
    }

    fn next_into(&mut self, record: &mut ByteRecord) -> bool {
        let (mut sheet, mut cell) = self.next;
        let span = loop {
            let Some(span) = self.sheets.get(sheet) else {
                return false;
            };
            cell = cell.max(span.cells.start);
            if cell < span.cells.end {
                break span;
            }
            sheet += 1;
        };
        let row_end = self.row_end(cell, span.cells.end);
        self.fill_record(span, cell..row_end, record);
        // The record carries its place: the 1-based row as its line, the sheet as its number.
        let mut position = csv::Position::new();
        position
            .set_line(u64::from(self.cells[cell].row) + 1)
            .set_record(sheet as u64);
        record.set_position(Some(position));
        self.next = (sheet, row_end);
        true
    }

    fn location(&self, record: &ByteRecord) -> Location {
        let position = record
            .position()
            .cloned()
            .unwrap_or_else(csv::Position::new);
        Location::SheetRow {
            sheet: self
                .sheets
                .get(position.record() as usize)
                .map(|span| span.name.clone())
                .unwrap_or_default(),
            row: position.line(),
        }
    }
}

/// Appends a cell as the text a CSV export would hold: whole numbers without `.0`, dates in
/// ISO form; nothing for empty and error cells.
fn write_cell_text(cell: &calamine::DataRef, out: &mut Vec<u8>) {
    use calamine::DataRef;
    use std::io::Write as _;
    let written = match cell {
        DataRef::Empty | DataRef::Error(_) => Ok(()),
        DataRef::String(text) | DataRef::DateTimeIso(text) | DataRef::DurationIso(text) => {
            out.write_all(text.as_bytes())
        }
        DataRef::SharedString(text) => out.write_all(text.as_bytes()),
        DataRef::Int(value) => write!(out, "{value}"),
        DataRef::Float(value) if value.fract() == 0.0 && value.abs() < 1e15 => {
            write!(out, "{value:.0}")
        }
        DataRef::Float(value) => write!(out, "{value}"),
        DataRef::Bool(value) => write!(out, "{value}"),
        DataRef::DateTime(stamp) => {
            let (year, month, day, hour, minute, second, _) = stamp.to_ymd_hms_milli();
            write!(
                out,
                "{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}"
            )
        }
    };
    written.expect("writing to a Vec cannot fail");
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
        assert_eq!(sniff_delimiter(b"Sales report\n\na;b;c\n"), b';');
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

//! Ingest: a transaction export (CSV, gzip-compressed CSV or XLSX) or an aggregated RFM table
//! in, per-customer totals and a data-quality report out.
//!
//! The reader streams: records are cleaned and folded into per-customer totals as they arrive,
//! so memory grows with the number of customers and invoices, not with rows. The duplicate rule
//! remembers every line of a file up to 1M kept lines, and past that only the lines of the
//! invoice being read while invoices come in contiguous runs; a long file that interleaves them
//! is read twice ([`duplicates`]). XLSX is the exception: the zip container needs random access,
//! so the workbook is buffered.
//!
//! Cleaning rules run in a fixed order and each removed row is charged to the first rule that
//! removes it: missing customer id, cancellation, quantity <= 0, price <= 0, non-product stock
//! code, duplicate line. Because every rule looks only at the row itself, dropping duplicates
//! last keeps the same rows as dropping them first (what the reference does), while only kept
//! lines need a fingerprint.
//!
//! Real exports carry a few lines that cannot be read (a "Grand Total" row, a blank date, an
//! unquoted comma in a description). By default such a line is dropped and counted per reason
//! with its line number ([`UnreadableLines`]), so one bad line does not refuse a million good
//! ones; [`IngestOptions::strict`] refuses the file at the first one instead. Problems of the
//! whole file (no header, a missing column, binary data, nothing left) always refuse it, and so
//! does a file where half the lines or more cannot be read: that is a wrong mapping or
//! delimiter, not noise.
//!
//! Over 400 lines because it holds the stage's public vocabulary (mapping, options, policy, the
//! quality report, every error with its message) that the page, the CLI and the SQL hand-off
//! share; the work itself is in the submodules.

mod clean;
mod columns;
mod dates;
mod duplicates;
mod notes;
mod numbers;
mod read_ahead;
mod source;

use std::io::{Cursor, Read, Seek};

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

pub use clean::{
    MAX_LINE_AMOUNT, MAX_RECORD_BYTES, compare_ids, input_kind, normalised_customer_id,
};
pub use columns::{ColumnMapping, Role};
pub use dates::{DateOrder, DateShape, days_from_civil};
pub use notes::ReadingNote;
pub use numbers::{DecimalSeparator, NumberFormatReport};
pub use read_ahead::{NoReadAhead, ReadAhead};
pub use source::{FileFormat, SNIFF_BYTES, SkippedSheet, TextEncoding};

use duplicates::{DuplicateLines, WHOLE_FILE_LINES};
use source::{Location, Records, SheetRecords, TextLayout};

/// Stock codes that are not merchandise in the Online Retail data: postage, manual entries,
/// discounts, carriage, bank charges, marketplace fees, charity, samples, bad-debt adjustments
/// and test lines.
pub const DEFAULT_NON_PRODUCT_CODES: [&str; 16] = [
    "POST",
    "DOT",
    "M",
    "D",
    "C2",
    "CRUK",
    "BANK CHARGES",
    "AMAZONFEE",
    "PADS",
    "S",
    "B",
    "ADJUST",
    "ADJUST2",
    "TEST001",
    "TEST002",
    "SAMPLES",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancellationPolicy {
    /// Drop cancellation and return lines (see [`CancellationConvention`]), as the reference RFM
    /// table does.
    #[default]
    Drop,
    /// Keep them so their negative amounts net against the customer's Monetary; they count
    /// neither as a purchase occasion nor for recency, and customers whose net total is not
    /// positive are left out.
    Net,
}

/// Which cleaning rules run. The defaults reproduce the reference RFM table exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CleaningPolicy {
    pub cancellations: CancellationPolicy,
    pub drop_nonpositive_quantity: bool,
    /// Price <= 0; for a file with only a line amount, amount <= 0.
    pub drop_nonpositive_price: bool,
    pub drop_duplicates: bool,
    /// Off by default: on the 2009-2010 sheet the default list matches 1,367 of the lines the
    /// reference keeps (about half of them POST), and 27 customers bought nothing else, so
    /// turning it on changes Monetary for hundreds of customers and drops 27 of the reference
    /// table's 4,312 (tests/fixtures/ingest). Postage and manual lines are also money the
    /// customer paid.
    pub drop_non_product_codes: bool,
    pub non_product_codes: Vec<String>,
}

impl Default for CleaningPolicy {
    fn default() -> Self {
        CleaningPolicy {
            cancellations: CancellationPolicy::Drop,
            drop_nonpositive_quantity: true,
            drop_nonpositive_price: true,
            drop_duplicates: true,
            drop_non_product_codes: false,
            non_product_codes: DEFAULT_NON_PRODUCT_CODES
                .iter()
                .map(|code| code.to_string())
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestOptions {
    /// Roles named here override the ones detected from the header.
    pub mapping: ColumnMapping,
    pub date_order: DateOrder,
    pub policy: CleaningPolicy,
    /// Refuse the file at the first line that cannot be read, instead of dropping and counting it.
    #[serde(default)]
    pub strict: bool,
}

/// What the file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    /// Lines with invoice, quantity and unit price (Online Retail I/II).
    Transactions,
    /// Quantity and unit price but no invoice: each (customer, calendar day) is one purchase.
    TransactionsWithoutInvoice,
    /// Only a line amount (CDNOW's `dollar_value`). Without an invoice column each
    /// (customer, calendar day) is one purchase occasion: CDNOW logs one line per customer and
    /// day or splits a day's order into lines, so counting lines would inflate Frequency.
    AmountTransactions,
    /// Already aggregated: customer, recency (days), frequency, monetary; for data that lives
    /// in a warehouse, aggregated there with the same rules by the query
    /// [`crate::core::warehouse::rfm_query`] writes (`rfm-studio sql rfm`).
    AggregatedRfm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CleaningRule {
    MissingCustomerId,
    Cancellation,
    NonPositiveQuantity,
    NonPositivePrice,
    NonProductCode,
    Duplicate,
}

impl CleaningRule {
    pub fn label(self) -> &'static str {
        match self {
            CleaningRule::MissingCustomerId => "without customer id",
            CleaningRule::Cancellation => "cancellations",
            CleaningRule::NonPositiveQuantity => "quantity <= 0",
            CleaningRule::NonPositivePrice => "price <= 0",
            CleaningRule::NonProductCode => "non-product stock codes",
            CleaningRule::Duplicate => "exact duplicate lines",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovedRows {
    pub rule: CleaningRule,
    pub label: String,
    pub rows: u64,
}

/// Why a line could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnreadableReason {
    /// Too few fields to hold every mapped column (a cut-off line, a "Grand Total" row).
    TooFewFields,
    /// More non-empty fields than the header: an unquoted delimiter shifted the columns.
    TooManyFields,
    NotANumber,
    /// An aggregated table's recency or frequency is not a whole number >= 0.
    NotAWholeNumber,
    /// Blank, `0000-00-00` or no date in the file's format.
    NotADate,
    /// A line amount beyond [`MAX_LINE_AMOUNT`].
    AmountTooLarge,
    /// A record of the wrong width whose quoted text runs over several lines: a quote left open
    /// joined the lines after it (up to the next quote) into one record.
    UnclosedQuote,
}

impl UnreadableReason {
    pub fn label(self) -> &'static str {
        match self {
            UnreadableReason::TooFewFields => "too few fields",
            UnreadableReason::TooManyFields => "too many fields (an unquoted delimiter?)",
            UnreadableReason::NotANumber => "text in a number column",
            UnreadableReason::NotAWholeNumber => "not a whole number >= 0",
            UnreadableReason::NotADate => "missing or unreadable date",
            UnreadableReason::AmountTooLarge => "amount too large",
            UnreadableReason::UnclosedQuote => {
                "a quote left open joined the lines after it (an unclosed quote?)"
            }
        }
    }

    /// The reason for a record at `at`: a field count that is off in a record running over
    /// several lines is the unclosed quote that joined them, not the lines' own width.
    pub fn over_lines(self, at: &Location) -> Self {
        match self {
            UnreadableReason::TooFewFields | UnreadableReason::TooManyFields
                if at.line_count() > 1 =>
            {
                UnreadableReason::UnclosedQuote
            }
            reason => reason,
        }
    }

    /// The reason a line-level error is charged to; `None` for problems of the whole file.
    pub fn of(error: &IngestError) -> Option<Self> {
        Some(match error {
            IngestError::FieldCount {
                found, expected, ..
            } if found > expected => UnreadableReason::TooManyFields,
            IngestError::FieldCount { .. } => UnreadableReason::TooFewFields,
            IngestError::BadNumber { .. } => UnreadableReason::NotANumber,
            IngestError::NotWholeNumber { .. } => UnreadableReason::NotAWholeNumber,
            IngestError::BadDate { .. } => UnreadableReason::NotADate,
            IngestError::AmountTooLarge { .. } => UnreadableReason::AmountTooLarge,
            _ => return None,
        })
    }
}

/// Lines dropped for one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnreadableLines {
    pub reason: UnreadableReason,
    pub label: String,
    pub rows: u64,
    /// The lines of the file those records take: more than `rows` where an unclosed quote
    /// joined several lines into one record.
    pub lines: u64,
    /// The first [`FIRST_LINES_SHOWN`] of them: the line where the record starts in a CSV file,
    /// the row number within its sheet in a workbook.
    pub first_lines: Vec<u64>,
    /// The first one's message, e.g. `line 7: column "Price" holds "abc", which is not a number`.
    pub example: String,
}

/// How many line numbers [`UnreadableLines::first_lines`] keeps.
pub const FIRST_LINES_SHOWN: usize = 5;

/// How a line says it is a cancellation or a return. A file may use several; a line that
/// matches more than one (UCI's `C489449` lines also have a negative quantity) is counted under
/// the first, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancellationConvention {
    /// UCI Online Retail: "C" followed by the digits of the invoice number (`C489449`). Ids
    /// that merely start with C (Superstore's `CA-2016-152156`) are orders.
    CInvoice,
    /// A status column holding one of [`CANCELLED_STATUSES`] (Shopify-style exports).
    Status,
    /// A return written as a line with a quantity below zero.
    NegativeQuantity,
    /// A refund written as a line amount below zero (files with only a line amount).
    NegativeAmount,
}

impl CancellationConvention {
    /// The rule in words, as the report shows it.
    pub fn rule(self) -> &'static str {
        match self {
            CancellationConvention::CInvoice => {
                "invoice is \"C\" followed by digits (UCI Online Retail)"
            }
            CancellationConvention::Status => {
                "the status column says cancelled, returned, refunded or void"
            }
            CancellationConvention::NegativeQuantity => "quantity below zero (a return)",
            CancellationConvention::NegativeAmount => "line amount below zero (a refund)",
        }
    }
}

/// Status values (compared trimmed and in lower case) that mark a cancelled or returned line.
pub const CANCELLED_STATUSES: [&str; 14] = [
    "cancelled",
    "canceled",
    "cancellation",
    "cancel",
    "returned",
    "return",
    "refunded",
    "refund",
    "void",
    "voided",
    "reversed",
    "reversal",
    "chargeback",
    "charged back",
];

/// The lines (with a customer id) one convention matched: dropped or netted, per the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancellationMatch {
    pub convention: CancellationConvention,
    /// [`CancellationConvention::rule`].
    pub rule: String,
    pub rows: u64,
    /// The first match's value as written: the invoice, the status or the quantity/amount.
    pub example: String,
    /// Where that line is, as `line 12`.
    pub example_at: String,
}

/// Which lines were read as cancellations, by the conventions the data turned out to use.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancellationReport {
    /// Each convention that matched at least one line, in order of first match.
    pub matched: Vec<CancellationMatch>,
    /// Lines whose invoice starts with "C" without being "C" and digits: the invoice does not
    /// make them cancellations (another convention still may).
    pub other_c_invoice_rows: u64,
}

/// How the dates were written and how slash dates were read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateOrderReport {
    /// The first date's shape.
    pub shape: Option<DateShape>,
    /// Every shape, when dates are written in more than one way (typed workbook dates beside
    /// text dates); empty otherwise.
    #[serde(default)]
    pub shapes: Vec<DateShapeLines>,
    /// Month-first or day-first; `None` when the shape is not ambiguous.
    pub order: Option<DateOrder>,
    /// True when no row could tell (every day and month <= 12): month-first was assumed.
    pub ambiguous: bool,
    /// The row that decided, or why.
    pub evidence: Option<String>,
}

/// The lines whose date is written in one shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateShapeLines {
    pub shape: DateShape,
    pub lines: u64,
    /// The first such line and its date, as `line 3: "12/2/2009 08:00"`.
    pub example: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityReport {
    pub format: FileFormat,
    pub encoding: TextEncoding,
    pub delimiter: Option<char>,
    pub input_kind: InputKind,
    pub mapping: ColumnMapping,
    pub rows_read: u64,
    pub rows_kept: u64,
    pub removed: Vec<RemovedRows>,
    /// Lines dropped because they could not be read, per reason (empty in strict mode).
    pub unreadable: Vec<UnreadableLines>,
    pub cancellations: CancellationReport,
    pub customers: u64,
    /// Distinct invoices among kept purchase lines (purchase occasions without an invoice column).
    pub invoices: u64,
    pub first_date: Option<NaiveDateTime>,
    pub last_date: Option<NaiveDateTime>,
    /// Day after the last purchase: recency is counted in calendar days up to it.
    pub snapshot_date: Option<NaiveDate>,
    /// Sum of the kept line amounts, in the file's own currency.
    pub total_revenue: f64,
    pub date_order: DateOrderReport,
    /// Cancellation lines netted against purchases (cancellation policy `net`).
    pub netted_cancellation_rows: u64,
    /// Customers left out because no purchase remained or (policy `net`) their net total <= 0.
    pub customers_without_positive_total: u64,
    /// Where the header was found when rows above it (a report title, blank rows) were skipped.
    #[serde(default)]
    pub header_found_at: Option<String>,
    /// The decimal separator of each number column and how it was decided.
    #[serde(default)]
    pub number_formats: Vec<NumberFormatReport>,
    /// Sheets of a workbook left out because their first row is not the header.
    #[serde(default)]
    pub skipped_sheets: Vec<SkippedSheet>,
    /// Purchase days far outside the rest, kept but flagged.
    #[serde(default)]
    pub far_dates: Option<FarDates>,
    /// In a file read as UTF-8, the first customer id that is not: such ids are read as
    /// Windows-1252.
    #[serde(default)]
    pub not_utf8: Option<NotUtf8>,
    /// Where an invoice came back after its lines had ended, in a file too long for the
    /// duplicate rule to remember every line on the way: the file was read a second time,
    /// remembering them all.
    #[serde(default)]
    pub read_twice_from: Option<String>,
}

/// A customer id that broke a file's UTF-8 (see [`QualityReport::not_utf8`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotUtf8 {
    pub at: String,
    /// The id as read (Windows-1252).
    pub customer: String,
}

/// Purchase days more than [`FAR_DATE_MARGIN_DAYS`] outside the days of the central 98% of
/// purchase days: typos (2099 for 2009) and placeholders (1900-01-01) that would move the
/// snapshot, and with it every recency, or the first purchase. They are kept, since a date
/// cannot be told wrong for sure, and shown so the user can fix the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FarDates {
    /// Customer purchase days (one per customer and day) that are far out.
    pub purchase_days: u64,
    /// The 1st and 99th percentile of all purchase days.
    pub usual_first: NaiveDate,
    pub usual_last: NaiveDate,
    pub earliest: NaiveDate,
    pub latest: NaiveDate,
    /// A customer with a far purchase day, to look up in the file.
    pub example_customer: String,
}

/// How far outside the central 98% of purchase days a day is flagged.
pub const FAR_DATE_MARGIN_DAYS: i64 = 365;

/// One customer's totals. `recency` is counted to the day after the file's last purchase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerTotals {
    pub customer_id: String,
    /// `None` for an aggregated RFM table.
    pub last_purchase: Option<NaiveDate>,
    pub recency: u32,
    pub frequency: u32,
    pub monetary: f64,
    /// What the customer bought on each purchase day, in date order (empty for an aggregated
    /// RFM table): the history that customer value over time (BG/NBD, cohorts, migration)
    /// needs. Cancellations are not purchases and are left out under either policy.
    pub purchase_days: Vec<PurchaseDay>,
}

/// The kept purchase lines of one customer on one calendar day.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PurchaseDay {
    pub day: NaiveDate,
    pub amount: f64,
    /// Purchase occasions first seen that day (distinct invoices; 1 without an invoice
    /// column): they sum to [`CustomerTotals::frequency`].
    pub occasions: u32,
}

/// The result of a full read: customers sorted by id (numeric ids numerically).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ingested {
    pub customers: Vec<CustomerTotals>,
    pub report: QualityReport,
}

/// What the UI shows before the full run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sniffed {
    pub format: FileFormat,
    pub encoding: TextEncoding,
    pub has_bom: bool,
    pub delimiter: Option<char>,
    pub header: Vec<String>,
    pub mapping: ColumnMapping,
    /// `None` while required roles are unmapped (listed in `missing_roles`).
    pub input_kind: Option<InputKind>,
    pub missing_roles: Vec<Role>,
    pub date_order: DateOrderReport,
    /// Up to [`PREVIEW_ROWS`] data rows, decoded.
    pub preview: Vec<Vec<String>>,
}

pub const PREVIEW_ROWS: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("the file is empty")]
    Empty,
    #[error("the file has a header but no data rows")]
    NoDataRows,
    #[error("the file is not a CSV, gzip-compressed CSV or XLSX file (it contains binary data)")]
    Binary,
    #[error(
        "the file is a legacy Excel 97-2003 workbook (.xls), which cannot be read; save it as .xlsx or CSV"
    )]
    LegacyXls,
    #[error(
        "the workbook is password-protected (encrypted); remove the password in Excel and save it again"
    )]
    EncryptedWorkbook,
    #[error("the file is UTF-16 text; save it as UTF-8 CSV")]
    Utf16,
    #[error("the gzip data is truncated or corrupt ({0})")]
    Gzip(String),
    #[error("cannot read the zip archive: {0}")]
    Zip(String),
    #[error("cannot read the XLSX workbook ({0})")]
    Xlsx(String),
    #[error("cannot read the file ({0})")]
    Io(String),
    #[error("line {line}: malformed CSV ({message})")]
    Csv { line: u64, message: String },
    #[error(
        "the header has a single column (\"{header}\"): the delimiter must be comma, semicolon or tab"
    )]
    SingleColumn { header: String },
    #[error("missing required column(s): {missing}; the header has: {header}")]
    MissingColumns { missing: String, header: String },
    #[error("the mapping names column \"{column}\" for {role}, but the header has: {header}")]
    UnknownColumn {
        role: &'static str,
        column: String,
        header: String,
    },
    #[error("{at}: {found} fields, but the header has {expected}")]
    FieldCount {
        at: String,
        found: usize,
        expected: usize,
    },
    #[error("{at}: the record is longer than {limit} bytes (an unclosed quote?)")]
    RecordTooLong { at: String, limit: usize },
    #[error("{at}: column \"{column}\" holds \"{value}\", which is not a number")]
    BadNumber {
        at: String,
        column: String,
        value: String,
    },
    #[error("{at}: column \"{column}\" holds \"{value}\", which is not a whole number >= 0")]
    NotWholeNumber {
        at: String,
        column: String,
        value: String,
    },
    #[error(
        "{at}: column \"{column}\" holds \"{value}\", which is not a date (expected YYYY-MM-DD [HH:MM[:SS]], M/D/YYYY H:MM, D/M/YYYY H:MM, D Mon YYYY or YYYYMMDD)"
    )]
    BadDate {
        at: String,
        column: String,
        value: String,
    },
    /// A date valid only in the other order: the chosen order is wrong for the whole file.
    #[error(
        "{at}: \"{value}\" is no date when read {order}, the date order chosen; choose auto to decide from the data"
    )]
    DateOrderContradicted {
        at: String,
        value: String,
        order: &'static str,
    },
    #[error("{at}: the amount {amount} is larger than {limit:e}, too large to be a purchase")]
    AmountTooLarge {
        at: String,
        /// As written: `quantity x price`, or the amount column's text.
        amount: String,
        limit: f64,
    },
    #[error(
        "mixed date formats: {day_first_at} has \"{day_first_value}\" (day first) and {month_first_at} has \"{month_first_value}\" (month first)"
    )]
    ConflictingDayMonth {
        day_first_at: String,
        day_first_value: String,
        month_first_at: String,
        month_first_value: String,
    },
    #[error("{at}: customer \"{customer}\" appears twice in the RFM table")]
    RepeatedCustomer { at: String, customer: String },
    #[error(
        "{unreadable} of {rows_read} lines cannot be read; {rows} of them {reason}, first at lines {first_lines}: {example}; check the column mapping and the delimiter"
    )]
    MostlyUnreadable {
        unreadable: u64,
        rows_read: u64,
        reason: &'static str,
        rows: u64,
        first_lines: String,
        example: String,
    },
    #[error("no rows left after cleaning: {rows_read} rows read, removed: {removed}")]
    NothingLeft { rows_read: u64, removed: String },
    #[error("internal error: {0}")]
    Internal(&'static str),
}

/// Inspects the start of a file (pass the first [`SNIFF_BYTES`] bytes, or the whole file when
/// it is smaller; an XLSX workbook must be passed whole).
pub fn sniff(first_bytes: &[u8]) -> Result<Sniffed, IngestError> {
    if first_bytes.is_empty() {
        return Err(IngestError::Empty);
    }
    if source::is_compound_file(first_bytes) {
        return Err(source::refuse_compound_file(first_bytes));
    }
    let mut format = source::container_of(first_bytes);
    let truncated = first_bytes.len() >= SNIFF_BYTES;
    let inflated: Option<Box<dyn Read>> = match format {
        FileFormat::GzipCsv => Some(Box::new(flate2::read::MultiGzDecoder::new(first_bytes))),
        FileFormat::Xlsx => source::zipped_text(first_bytes)?.map(|entry| {
            format = FileFormat::ZipCsv;
            entry.open(first_bytes.to_vec())
        }),
        FileFormat::Csv | FileFormat::ZipCsv => None,
    };
    let (mut records, layout, truncated) = match (format, inflated) {
        (_, Some(inflated)) => {
            // A cut-off stream still yields its first blocks; the error at the cut is expected.
            // At most SNIFF_BYTES are inflated: a small input can inflate to gigabytes.
            let mut text = Vec::new();
            let cut = inflated
                .take(SNIFF_BYTES as u64)
                .read_to_end(&mut text)
                .is_err();
            let cut = cut || text.len() == SNIFF_BYTES;
            if text.is_empty() && cut {
                return Err(IngestError::Gzip("no data could be decompressed".into()));
            }
            let layout = source::detect_layout(&text, !cut)?;
            let body = text_body(&text, &layout).to_vec();
            (
                Records::csv(Box::new(Cursor::new(body)), layout.delimiter, format),
                layout,
                cut || truncated,
            )
        }
        (FileFormat::Xlsx, None) => {
            let sheets = SheetRecords::from_bytes(first_bytes.to_vec())?;
            (Records::Sheets(sheets), xlsx_layout(), false)
        }
        (_, None) => {
            let layout = source::detect_layout(first_bytes, !truncated)?;
            let body = text_body(first_bytes, &layout);
            (
                Records::csv(Box::new(body), layout.delimiter, format),
                layout,
                truncated,
            )
        }
    };
    let mut rows = Vec::new();
    let mut row = csv::ByteRecord::new();
    // A fresh record per row: a reused one keeps the capacity of the widest row (the header
    // can have a million fields), and every clone would copy it.
    while records.next_into(&mut row)? {
        rows.push(std::mem::take(&mut row));
    }
    if rows.is_empty() {
        return Err(IngestError::Empty);
    }
    let header_at = header_position(
        &rows[..rows.len().min(TITLE_ROWS + 1)],
        &layout,
        &ColumnMapping::default(),
    );
    let header = decode_header(&rows[header_at], layout.encoding);
    let mapping = ColumnMapping::detect(&header);
    let mut rows = rows.split_off(header_at + 1);
    if truncated && rows.len() > 1 {
        rows.pop(); // the last row may be cut off
    }
    let input_kind = clean::input_kind(&mapping);
    let date_order = sniff_date_order(&header, &mapping, &rows);
    let preview = rows
        .iter()
        .take(PREVIEW_ROWS)
        .map(|row| {
            row.iter()
                .map(|field| layout.encoding.decode(field))
                .collect()
        })
        .collect();
    Ok(Sniffed {
        format,
        encoding: layout.encoding,
        has_bom: layout.has_bom,
        delimiter: (format != FileFormat::Xlsx).then_some(char::from(layout.delimiter)),
        header,
        mapping,
        input_kind: input_kind.as_ref().ok().copied(),
        missing_roles: input_kind.err().unwrap_or_default(),
        date_order,
        preview,
    })
}

/// Date evidence from the sniffed rows, the same way the full read decides.
fn sniff_date_order(
    header: &[String],
    mapping: &ColumnMapping,
    rows: &[csv::ByteRecord],
) -> DateOrderReport {
    let unknown = DateOrderReport {
        shape: None,
        shapes: Vec::new(),
        order: None,
        ambiguous: false,
        evidence: None,
    };
    let Some(column) = mapping
        .date
        .as_deref()
        .and_then(|name| columns::find_column(header, name))
    else {
        return unknown;
    };
    let parsed: Vec<(usize, dates::ParsedDate)> = rows
        .iter()
        .enumerate()
        .filter_map(|(row, record)| Some((row, dates::parse_date(record.get(column)?)?)))
        .collect();
    let Some(&(_, first)) = parsed.first() else {
        return unknown;
    };
    if !parsed
        .iter()
        .any(|(_, date)| date.shape == DateShape::DayMonth)
    {
        return DateOrderReport {
            shape: Some(first.shape),
            ..unknown
        };
    }
    let text = |row: usize| {
        String::from_utf8_lossy(rows[row].get(column).unwrap_or_default()).into_owned()
    };
    let only = |reading: usize| {
        parsed
            .iter()
            .find(|(_, date)| date.readings[1 - reading].is_none())
    };
    let (order, evidence) = match (only(dates::DAY_FIRST), only(dates::MONTH_FIRST)) {
        (Some(&(row, _)), None) => (
            DateOrder::Dmy,
            Some(format!(
                "data row {}: \"{}\" is only valid day-first",
                row + 1,
                text(row)
            )),
        ),
        (None, Some(&(row, _))) => (
            DateOrder::Mdy,
            Some(format!(
                "data row {}: \"{}\" is only valid month-first",
                row + 1,
                text(row)
            )),
        ),
        (Some(&(day_row, _)), Some(&(month_row, _))) => (
            DateOrder::Mdy,
            Some(format!(
                "mixed: data row {} (\"{}\") is day-first, data row {} (\"{}\") month-first",
                day_row + 1,
                text(day_row),
                month_row + 1,
                text(month_row)
            )),
        ),
        (None, None) => {
            return DateOrderReport {
                shape: Some(first.shape),
                shapes: Vec::new(),
                order: Some(DateOrder::Mdy),
                ambiguous: true,
                evidence: None,
            };
        }
    };
    DateOrderReport {
        shape: Some(first.shape),
        shapes: Vec::new(),
        order: Some(order),
        ambiguous: false,
        evidence,
    }
}

/// A seekable input as one trait object. Reading (and the pipeline around it) takes
/// `&mut dyn ReadSeek`, so it is compiled once in this crate rather than again for every reader
/// type in every crate that calls it (in a cold build, up to 50 s for each pipeline test binary).
pub trait ReadSeek: Read + Seek {}

impl<T: Read + Seek> ReadSeek for T {}

/// Reads a whole file: cleans every record and aggregates per customer.
///
/// `total_bytes` is the input's size if known (only passed through to `progress`, which is
/// called with the bytes consumed so far, about once per MiB and once at the end). The input
/// is read once, or twice for a long file whose invoices are interleaved (see [`duplicates`]):
/// the second pass starts progress again from zero.
pub fn read_transactions(
    reader: &mut dyn ReadSeek,
    total_bytes: Option<u64>,
    options: &IngestOptions,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<Ingested, IngestError> {
    read_ahead::without_waiting(read_transactions_ahead(
        reader,
        &NoReadAhead,
        total_bytes,
        options,
        progress,
    ))
}

/// [`read_transactions`] from a source that reads ahead between records ([`ReadAhead`]).
pub async fn read_transactions_ahead(
    reader: &mut dyn ReadSeek,
    read_ahead: &dyn ReadAhead,
    total_bytes: Option<u64>,
    options: &IngestOptions,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<Ingested, IngestError> {
    let input = Input {
        read_ahead,
        total_bytes,
        options,
    };
    read_following_runs(reader, &input, WHOLE_FILE_LINES, progress).await
}

/// What every pass reads with.
struct Input<'a> {
    read_ahead: &'a dyn ReadAhead,
    total_bytes: Option<u64>,
    options: &'a IngestOptions,
}

/// [`read_transactions_ahead`], with the duplicate rule remembering every line up to
/// `whole_file_lines` kept lines.
async fn read_following_runs(
    reader: &mut dyn ReadSeek,
    input: &Input<'_>,
    whole_file_lines: usize,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<Ingested, IngestError> {
    let first = DuplicateLines::following_runs(whole_file_lines);
    let at = match read_pass(&mut *reader, input, first, progress).await? {
        Pass::Read(ingested) => return Ok(*ingested),
        Pass::ReadAgain { at } => at,
    };
    reader.rewind().map_err(io_error)?;
    match read_pass(&mut *reader, input, DuplicateLines::whole_file(), progress).await? {
        Pass::Read(mut ingested) => {
            ingested.report.read_twice_from = Some(at);
            Ok(*ingested)
        }
        Pass::ReadAgain { .. } => Err(IngestError::Internal(
            "a pass that remembers every line cannot ask to be read again",
        )),
    }
}

fn io_error(error: std::io::Error) -> IngestError {
    IngestError::Io(error.to_string())
}

/// One pass over the input: its result, or where it found that it must be read again.
enum Pass {
    Read(Box<Ingested>),
    ReadAgain { at: String },
}

async fn read_pass(
    reader: &mut dyn Read,
    input: &Input<'_>,
    duplicates: DuplicateLines,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<Pass, IngestError> {
    let Input {
        read_ahead,
        total_bytes,
        options,
    } = *input;
    let (mut counted, bytes_done) = source::CountingReader::new(reader);
    let raw_prefix = source::read_prefix(&mut counted, SNIFF_BYTES).map_err(io_error)?;
    if raw_prefix.is_empty() {
        return Err(IngestError::Empty);
    }
    if source::is_compound_file(&raw_prefix) {
        let mut start = raw_prefix;
        (&mut counted)
            .take(source::OLE_SCAN_BYTES)
            .read_to_end(&mut start)
            .map_err(io_error)?;
        return Err(source::refuse_compound_file(&start));
    }
    let mut format = source::container_of(&raw_prefix);
    let (mut records, layout) = match format {
        FileFormat::Xlsx => {
            let mut archive = raw_prefix;
            counted.read_to_end(&mut archive).map_err(io_error)?;
            match source::zipped_text(&archive)? {
                Some(entry) => {
                    format = FileFormat::ZipCsv;
                    inflated_records(entry.open(archive), format)?
                }
                None => (
                    Records::Sheets(SheetRecords::from_bytes(archive)?),
                    xlsx_layout(),
                ),
            }
        }
        FileFormat::GzipCsv => {
            let text = flate2::read::MultiGzDecoder::new(Cursor::new(raw_prefix).chain(counted));
            inflated_records(Box::new(text), format)?
        }
        FileFormat::Csv | FileFormat::ZipCsv => {
            let layout = source::detect_layout(&raw_prefix, raw_prefix.len() < SNIFF_BYTES)?;
            let stream = after_bom(raw_prefix, &layout).chain(counted);
            (
                Records::csv(Box::new(stream), layout.delimiter, format),
                layout,
            )
        }
    };
    // The header is the first of the top rows that maps the columns the pipeline needs.
    // When none does, the first row is taken so that the error names what it lacks.
    let mut top = Vec::new();
    let mut header_at = 0;
    while top.len() <= TITLE_ROWS {
        let mut row = csv::ByteRecord::new();
        if !records.next_into(&mut row)? {
            break;
        }
        top.push(row);
        if maps_columns(&top[top.len() - 1], &layout, &options.mapping) {
            header_at = top.len() - 1;
            break;
        }
    }
    if top.is_empty() {
        return Err(IngestError::Empty);
    }
    let header_found_at = (header_at > 0).then(|| records.location(&top[header_at]).to_string());
    let header = decode_header(&top[header_at], layout.encoding);
    let mapping = ColumnMapping::detect(&header).overridden_by(&options.mapping);
    let (kind, columns) = clean::resolve_columns(&header, &mapping)?;
    // Rows read ahead decide each number column's decimal separator.
    let mut ahead = Vec::new();
    let mut ahead_bytes = 0;
    while ahead.len() < LOOKAHEAD_ROWS && ahead_bytes < LOOKAHEAD_BYTES {
        let mut row = csv::ByteRecord::new();
        if !records.next_into(&mut row)? {
            break;
        }
        ahead_bytes += row.as_slice().len();
        ahead.push(row);
    }
    let located = ahead
        .iter()
        .map(|row| (row, records.location(row).to_string()));
    let mut aggregator = clean::Aggregator::new(
        options,
        kind,
        columns,
        layout.delimiter,
        layout.encoding,
        duplicates,
        located,
    );
    for row in &ahead {
        aggregator.add(row, &|| records.location(row))?;
        if let Some(at) = aggregator.read_again_from() {
            return Ok(Pass::ReadAgain { at });
        }
    }
    drop(ahead);
    const PROGRESS_EVERY: u64 = 1 << 20;
    let mut next_progress = PROGRESS_EVERY;
    let mut record = csv::ByteRecord::new();
    while records.next_into(&mut record)? {
        if read_ahead.running_low() {
            read_ahead.read_ahead().await.map_err(io_error)?;
        }
        let records = &records;
        let record_ref = &record;
        aggregator.add(&record, &|| records.location(record_ref))?;
        if let Some(at) = aggregator.read_again_from() {
            return Ok(Pass::ReadAgain { at });
        }
        if bytes_done.get() >= next_progress {
            progress(bytes_done.get(), total_bytes);
            next_progress = bytes_done.get() + PROGRESS_EVERY;
        }
    }
    progress(bytes_done.get(), total_bytes);
    let aggregated = aggregator.finish()?;
    let report = QualityReport {
        format,
        encoding: layout.encoding,
        delimiter: (format != FileFormat::Xlsx).then_some(char::from(layout.delimiter)),
        input_kind: aggregated.kind,
        mapping,
        rows_read: aggregated.rows_read,
        rows_kept: aggregated.rows_kept,
        removed: aggregated.removed,
        unreadable: aggregated.unreadable,
        cancellations: aggregated.cancellations,
        customers: aggregated.customers.len() as u64,
        invoices: aggregated.invoices,
        first_date: aggregated.first_date,
        last_date: aggregated.last_date,
        snapshot_date: aggregated.snapshot_date,
        total_revenue: aggregated.total_revenue,
        date_order: aggregated.date_order,
        netted_cancellation_rows: aggregated.netted_cancellation_rows,
        customers_without_positive_total: aggregated.customers_without_positive_total,
        header_found_at,
        number_formats: aggregated.number_formats,
        skipped_sheets: records.skipped_sheets(),
        far_dates: aggregated.far_dates,
        not_utf8: aggregated.not_utf8,
        read_twice_from: None,
    };
    Ok(Pass::Read(Box::new(Ingested {
        customers: aggregated.customers,
        report,
    })))
}

/// The records of a compressed text table, its layout detected on the first inflated bytes.
fn inflated_records<'r>(
    mut text: Box<dyn Read + 'r>,
    container: FileFormat,
) -> Result<(Records<'r>, TextLayout), IngestError> {
    let text_prefix =
        source::read_prefix(&mut text, SNIFF_BYTES).map_err(|error| match container {
            FileFormat::GzipCsv => IngestError::Gzip(error.to_string()),
            _ => IngestError::Zip(error.to_string()),
        })?;
    let layout = source::detect_layout(&text_prefix, text_prefix.len() < SNIFF_BYTES)?;
    let stream = after_bom(text_prefix, &layout).chain(text);
    Ok((
        Records::csv(Box::new(stream), layout.delimiter, container),
        layout,
    ))
}

/// How many rows above the header (a report title, an export date) are looked through.
const TITLE_ROWS: usize = 10;

/// How many data rows are read ahead to decide the number columns' decimal separators, and
/// at most how many bytes they may hold.
const LOOKAHEAD_ROWS: usize = 1000;
const LOOKAHEAD_BYTES: usize = 4 << 20;

/// Whether a row, read as the header, names every column the pipeline needs.
fn maps_columns(row: &csv::ByteRecord, layout: &TextLayout, mapping: &ColumnMapping) -> bool {
    let header = decode_header(row, layout.encoding);
    let detected = ColumnMapping::detect(&header).overridden_by(mapping);
    clean::resolve_columns(&header, &detected).is_ok()
}

/// The first of `rows` that maps the needed columns; the first row when none does (so the
/// error names what it lacks).
fn header_position(
    rows: &[csv::ByteRecord],
    layout: &TextLayout,
    mapping: &ColumnMapping,
) -> usize {
    rows.iter()
        .position(|row| maps_columns(row, layout, mapping))
        .unwrap_or(0)
}

/// Cells of a workbook are already Unicode and have no delimiter.
fn xlsx_layout() -> TextLayout {
    TextLayout {
        encoding: TextEncoding::Utf8,
        has_bom: false,
        delimiter: b',',
    }
}

fn after_bom(prefix: Vec<u8>, layout: &TextLayout) -> Cursor<Vec<u8>> {
    let mut cursor = Cursor::new(prefix);
    cursor.set_position(if layout.has_bom { 3 } else { 0 });
    cursor
}

fn text_body<'a>(text: &'a [u8], layout: &TextLayout) -> &'a [u8] {
    if layout.has_bom { &text[3..] } else { text }
}

fn decode_header(record: &csv::ByteRecord, encoding: TextEncoding) -> Vec<String> {
    record
        .iter()
        .map(|field| encoding.decode(field).trim().to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three lines for each of `invoices`, in the order given, and the first of them again.
    fn lines(invoices: &[u32]) -> Vec<u8> {
        let mut text = String::from("Invoice,StockCode,Quantity,InvoiceDate,Price,Customer ID\n");
        for &invoice in invoices {
            let customer = 100 + invoice % 7;
            let day = 1 + invoice % 28;
            for item in [0, 1, 2, 0] {
                text += &format!(
                    "{invoice},{item},{},2010-03-{day:02} 10:00,1.50,{customer}\n",
                    item + 1
                );
            }
        }
        text.into_bytes()
    }

    fn read(text: &[u8], whole_file_lines: usize) -> Ingested {
        let options = IngestOptions::default();
        let input = Input {
            read_ahead: &NoReadAhead,
            total_bytes: None,
            options: &options,
        };
        let mut progress = |_, _| {};
        let mut file = Cursor::new(text);
        let reading = read_following_runs(&mut file, &input, whole_file_lines, &mut progress);
        read_ahead::without_waiting(reading).expect("the file reads")
    }

    fn duplicates(ingested: &Ingested) -> u64 {
        let removed = &ingested.report.removed;
        let duplicate = removed.iter().find(|r| r.rule == CleaningRule::Duplicate);
        duplicate.expect("the duplicate rule runs").rows
    }

    #[test]
    fn contiguous_invoices_past_the_limit_read_once_with_the_same_result() {
        let text = lines(&(0..50).collect::<Vec<_>>());
        let everything = read(&text, usize::MAX);
        let following = read(&text, 10);
        assert_eq!(duplicates(&everything), 50);
        assert_eq!(following.customers, everything.customers);
        assert_eq!(following.report, everything.report);
        assert_eq!(following.report.read_twice_from, None);
    }

    #[test]
    fn an_invoice_back_past_the_limit_reads_the_file_again_with_the_same_result() {
        // Invoice 3 comes back after 40 others: two overlapping exports one after the other.
        let mut order: Vec<u32> = (0..45).collect();
        order.extend([3, 46]);
        let text = lines(&order);
        let everything = read(&text, usize::MAX);
        let following = read(&text, 10);
        // Invoice 3's second run repeats its four lines, all duplicates.
        assert_eq!(duplicates(&everything), 45 + 4 + 1);
        assert_eq!(following.customers, everything.customers);
        assert_eq!(
            following.report.read_twice_from.as_deref(),
            Some("line 182")
        );
        let notes = following.report.reading_notes();
        assert!(notes.iter().any(|note| note.topic == "duplicates"
            && note.text.contains("an invoice came back at line 182")));
        let report = QualityReport {
            read_twice_from: None,
            ..following.report
        };
        assert_eq!(report, everything.report);
    }

    #[test]
    fn an_invoice_back_before_the_limit_is_read_once() {
        let text = lines(&[1, 2, 1, 3]);
        let ingested = read(&text, 100);
        assert_eq!(duplicates(&ingested), 1 + 1 + 4 + 1);
        assert_eq!(ingested.report.read_twice_from, None);
    }
}

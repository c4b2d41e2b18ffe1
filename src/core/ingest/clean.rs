//! The cleaning rules and the per-customer aggregation, one record at a time.
//!
//! Over 400 lines because every cleaning rule reads the same parsed record and writes the same
//! per-customer aggregate and quality counters; splitting the rules apart would pass both
//! through every call.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hasher};

use csv::ByteRecord;
use foldhash::quality::FixedState;

use super::columns::{ColumnMapping, Role, find_column};
use super::dates::{self, DAY_FIRST, DateOrder, DateShape, MONTH_FIRST, ParsedDate};
use super::duplicates::{DuplicateLines, Run, Seen};
use super::numbers::{NumberColumns, NumberFormatReport};
use super::source::Location;
use super::{
    CANCELLED_STATUSES, CancellationConvention, CancellationMatch, CancellationPolicy,
    CancellationReport, CleaningRule, CustomerTotals, DateOrderReport, DateShapeLines,
    FAR_DATE_MARGIN_DAYS, FIRST_LINES_SHOWN, FarDates, IngestError, IngestOptions, InputKind,
    NotUtf8, PurchaseDay, RemovedRows, TextEncoding, UnreadableLines, UnreadableReason,
};

/// A record longer than this is refused: it is almost always an unclosed quote that swallowed
/// the rest of the file, and refusing it bounds memory.
pub const MAX_RECORD_BYTES: usize = 1 << 20;

/// The largest line amount (or aggregated monetary) read: far beyond any purchase in any
/// currency, and small enough that sums and squares over millions of lines stay finite, so
/// every variance, distance and statistic downstream is a number.
pub const MAX_LINE_AMOUNT: f64 = 1e15;

/// Column positions of the roles the pipeline reads.
pub struct Columns {
    names: Vec<String>,
    customer: usize,
    invoice: Option<usize>,
    date: Option<usize>,
    quantity: Option<usize>,
    price: Option<usize>,
    amount: Option<usize>,
    stock_code: Option<usize>,
    status: Option<usize>,
    /// Recency, frequency and monetary of an aggregated RFM table.
    rfm: Option<[usize; 3]>,
    /// How many fields a record needs to hold every mapped column.
    width: usize,
}

/// Resolves the mapping against the header and decides the input kind.
pub fn resolve_columns(
    header: &[String],
    mapping: &ColumnMapping,
) -> Result<(InputKind, Columns), IngestError> {
    let position = |role: Role| -> Result<Option<usize>, IngestError> {
        match mapping.get(role) {
            None => Ok(None),
            Some(name) => {
                find_column(header, name)
                    .map(Some)
                    .ok_or_else(|| IngestError::UnknownColumn {
                        role: role.name(),
                        column: name.to_owned(),
                        header: header_list(header),
                    })
            }
        }
    };
    let kind = input_kind(mapping).map_err(|missing| {
        if header.len() == 1 {
            IngestError::SingleColumn {
                header: header[0].chars().take(200).collect(),
            }
        } else {
            IngestError::MissingColumns {
                missing: missing
                    .iter()
                    .map(|role| role.name())
                    .collect::<Vec<_>>()
                    .join(", "),
                header: header_list(header),
            }
        }
    })?;
    let required = |role| position(role)?.ok_or(IngestError::Internal("required role lost"));
    let rfm = match kind {
        InputKind::AggregatedRfm => Some([
            required(Role::Recency)?,
            required(Role::Frequency)?,
            required(Role::Monetary)?,
        ]),
        _ => None,
    };
    let mut columns = Columns {
        names: header.to_vec(),
        customer: required(Role::CustomerId)?,
        invoice: position(Role::Invoice)?,
        date: position(Role::Date)?,
        quantity: position(Role::Quantity)?,
        price: position(Role::Price)?,
        amount: position(Role::Amount)?,
        stock_code: position(Role::StockCode)?,
        status: position(Role::Status)?,
        rfm,
        width: 0,
    };
    columns.width = 1 + [
        columns.invoice,
        columns.date,
        columns.quantity,
        columns.price,
        columns.amount,
        columns.stock_code,
        columns.status,
    ]
    .into_iter()
    .flatten()
    .chain(columns.rfm.into_iter().flatten())
    .chain([columns.customer])
    .max()
    .unwrap_or(0);
    Ok((kind, columns))
}

/// The header for a message: the first 20 names (each cut at 60 characters).
fn header_list(header: &[String]) -> String {
    const SHOWN: usize = 20;
    let mut list: Vec<String> = header
        .iter()
        .take(SHOWN)
        .map(|name| name.chars().take(60).collect())
        .collect();
    if header.len() > SHOWN {
        list.push(format!("... ({} more)", header.len() - SHOWN));
    }
    list.join(", ")
}

/// The input kind the mapping allows, or the roles it still lacks.
pub fn input_kind(mapping: &ColumnMapping) -> Result<InputKind, Vec<Role>> {
    let has = |role| mapping.get(role).is_some();
    if has(Role::CustomerId) && has(Role::Recency) && has(Role::Frequency) && has(Role::Monetary) {
        return Ok(InputKind::AggregatedRfm);
    }
    let value_roles: &[Role] = if has(Role::Amount) && !(has(Role::Quantity) && has(Role::Price)) {
        &[Role::Amount]
    } else {
        &[Role::Quantity, Role::Price]
    };
    let missing: Vec<Role> = [Role::CustomerId, Role::Date]
        .iter()
        .chain(value_roles)
        .copied()
        .filter(|&role| !has(role))
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    Ok(
        match (
            has(Role::Amount) && value_roles == [Role::Amount],
            has(Role::Invoice),
        ) {
            (false, true) => InputKind::Transactions,
            (false, false) => InputKind::TransactionsWithoutInvoice,
            (true, _) => InputKind::AmountTransactions,
        },
    )
}

/// Kahan summation exactly as pandas' `groupby().sum()` does it, so monetary totals agree with
/// the reference to the last bit when rows arrive in the same order.
#[derive(Debug, Clone, Copy, Default)]
struct KahanSum {
    sum: f64,
    compensation: f64,
}

impl KahanSum {
    fn add(&mut self, value: f64) {
        let y = value - self.compensation;
        let t = self.sum + y;
        self.compensation = t - self.sum - y;
        self.sum = t;
    }
}

struct CustomerAccumulator {
    id: String,
    /// Latest purchase under each date reading (see [`dates`]).
    last_purchase: [i64; 2],
    purchases: bool,
    frequency: u32,
    monetary: KahanSum,
    /// Only for an aggregated RFM table.
    given_recency: u32,
    /// Purchase days, for [`CustomerTotals::purchase_days`]: one entry per day, so memory grows
    /// with purchase occasions, not lines. Per customer rather than one map keyed by customer
    /// and day: half the bytes at a million customers.
    days: Vec<DayTotal>,
}

/// Amount and new purchase occasions on one purchase day under each date reading
/// (`i32::MIN` where a reading is invalid).
struct DayTotal {
    days: [i32; 2],
    amount: KahanSum,
    occasions: u32,
}

impl CustomerAccumulator {
    /// The customer's entry for a purchase day. Lines of one day usually follow each other, so
    /// the search starts at the latest entry; the first entries are allocated one at a time
    /// (most customers buy on a day or two), the rest by doubling.
    fn day_total(&mut self, days: [i32; 2]) -> &mut DayTotal {
        let index = match self.days.iter().rposition(|total| total.days == days) {
            Some(index) => index,
            None => {
                if self.days.len() < 4 {
                    self.days.reserve_exact(1);
                }
                self.days.push(DayTotal {
                    days,
                    amount: KahanSum::default(),
                    occasions: 0,
                });
                self.days.len() - 1
            }
        };
        &mut self.days[index]
    }
}

/// Tracks which date readings the rows still allow.
#[derive(Default)]
struct DateEvidence {
    /// Every way dates are written, in order of first appearance.
    shapes: Vec<DateShapeLines>,
    /// First row that rules out each reading: location and text.
    ruled_out: [Option<(String, String)>; 2],
}

/// [`Aggregator::invoices`]' mark of an invoice with no purchase line yet.
const NO_PURCHASE: u32 = u32::MAX;

/// Applies the cleaning rules to each record and aggregates what is left per customer.
pub struct Aggregator<'o> {
    options: &'o IngestOptions,
    kind: InputKind,
    columns: Columns,
    numbers: NumberColumns,
    non_product_codes: HashSet<Vec<u8>, FixedState>,
    rows_read: u64,
    rows_kept: u64,
    removed: Vec<(CleaningRule, u64)>,
    /// Per reason, in order of first appearance.
    unreadable: Vec<UnreadableLines>,
    cancellations: CancellationReport,
    /// Customer-id fingerprint -> index into `accumulators`. An id whose fingerprint another
    /// took first (probability about n²/2⁶⁵, 3e-8 at a million) is in `colliding_customers`.
    customers: HashMap<u64, u32, FixedState>,
    colliding_customers: HashMap<Vec<u8>, u32, FixedState>,
    accumulators: Vec<CustomerAccumulator>,
    /// Invoice fingerprint -> the customer of its first purchase line ([`NO_PURCHASE`] while
    /// the duplicate rule has seen only its cancellations). Keyed by 64-bit fingerprints rather
    /// than the text, like the lines below: two different invoices (lines) share one with
    /// probability about n²/2⁶⁵ (1e-8 at a million).
    invoices: HashMap<u64, u32, FixedState>,
    /// Invoices with a purchase: the report's count.
    purchase_invoices: u64,
    /// Frequency counts distinct (customer, occasion) pairs. With invoices, the pairs of an
    /// invoice's first customer are in `invoices`; only an invoice shared by several customers
    /// (rare) adds the others' pairs here. Without, the (customer, purchase day) pairs.
    occasions: HashSet<(u32, u64), FixedState>,
    /// Fingerprints of kept lines, for the duplicate rule.
    duplicates: DuplicateLines,
    /// Where an invoice came back after the duplicate rule had forgotten its lines: this pass
    /// is void and the file must be read again (see [`duplicates`](super::duplicates)).
    read_again_from: Option<String>,
    line_hasher: FixedState,
    first_last: [(i64, i64); 2],
    revenue: KahanSum,
    netted_cancellation_rows: u64,
    dates: DateEvidence,
    /// The file's encoding, as sniffed from its start; customer ids are decoded one by one.
    encoding: TextEncoding,
    not_utf8: Option<NotUtf8>,
}

impl<'o> Aggregator<'o> {
    /// `ahead` are the first data rows (with where each was read), from which each number
    /// column's decimal separator is decided; they are added afterwards like any other.
    pub fn new<'r>(
        options: &'o IngestOptions,
        kind: InputKind,
        columns: Columns,
        delimiter: u8,
        encoding: TextEncoding,
        duplicates: DuplicateLines,
        ahead: impl Iterator<Item = (&'r ByteRecord, String)> + Clone,
    ) -> Self {
        let number_columns: Vec<usize> = [columns.quantity, columns.price, columns.amount]
            .into_iter()
            .flatten()
            .chain(columns.rfm.into_iter().flatten())
            .collect();
        let numbers = NumberColumns::decide(&columns.names, &number_columns, ahead, delimiter);
        let policy = &options.policy;
        let mut rules = vec![CleaningRule::MissingCustomerId];
        if kind == InputKind::AggregatedRfm {
            rules.push(CleaningRule::Duplicate);
        } else {
            if policy.cancellations == CancellationPolicy::Drop {
                rules.push(CleaningRule::Cancellation);
            }
            if policy.drop_nonpositive_quantity && columns.quantity.is_some() {
                rules.push(CleaningRule::NonPositiveQuantity);
            }
            if policy.drop_nonpositive_price {
                rules.push(CleaningRule::NonPositivePrice);
            }
            if policy.drop_non_product_codes && columns.stock_code.is_some() {
                rules.push(CleaningRule::NonProductCode);
            }
            if policy.drop_duplicates {
                rules.push(CleaningRule::Duplicate);
            }
        }
        let non_product_codes = policy
            .non_product_codes
            .iter()
            .map(|code| code.trim().to_ascii_uppercase().into_bytes())
            .collect();
        Aggregator {
            options,
            kind,
            columns,
            numbers,
            non_product_codes,
            rows_read: 0,
            rows_kept: 0,
            removed: rules.into_iter().map(|rule| (rule, 0)).collect(),
            unreadable: Vec::new(),
            cancellations: CancellationReport::default(),
            customers: HashMap::default(),
            colliding_customers: HashMap::default(),
            accumulators: Vec::new(),
            invoices: HashMap::default(),
            purchase_invoices: 0,
            occasions: HashSet::default(),
            // A table's rows have no invoice to follow.
            duplicates: if kind == InputKind::AggregatedRfm {
                DuplicateLines::whole_file()
            } else {
                duplicates
            },
            read_again_from: None,
            line_hasher: FixedState::with_seed(0x5eed_f00d),
            first_last: [(i64::MAX, i64::MIN); 2],
            revenue: KahanSum::default(),
            netted_cancellation_rows: 0,
            dates: DateEvidence::default(),
            encoding,
            not_utf8: None,
        }
    }

    /// Where the duplicate rule found that the file must be read again (once).
    pub fn read_again_from(&mut self) -> Option<String> {
        self.read_again_from.take()
    }

    fn remove(&mut self, rule: CleaningRule) {
        if let Some(slot) = self.removed.iter_mut().find(|(known, _)| *known == rule) {
            slot.1 += 1;
        }
    }

    fn applies(&self, rule: CleaningRule) -> bool {
        self.removed.iter().any(|(known, _)| *known == rule)
    }

    /// Processes one data record. A line that cannot be read is dropped and counted, or in
    /// strict mode refuses the file.
    pub fn add(
        &mut self,
        record: &ByteRecord,
        at: &dyn Fn() -> Location,
    ) -> Result<(), IngestError> {
        self.rows_read += 1;
        match self.read_line(record, at) {
            Err(error) if !self.options.strict => match UnreadableReason::of(&error) {
                Some(reason) => {
                    let at = at();
                    self.note_unreadable(reason.over_lines(&at), &error, &at);
                    Ok(())
                }
                None => Err(error),
            },
            result => result,
        }
    }

    fn note_unreadable(&mut self, reason: UnreadableReason, error: &IngestError, at: &Location) {
        let index = match self
            .unreadable
            .iter()
            .position(|lines| lines.reason == reason)
        {
            Some(index) => index,
            None => {
                self.unreadable.push(UnreadableLines {
                    reason,
                    label: reason.label().to_owned(),
                    rows: 0,
                    lines: 0,
                    first_lines: Vec::new(),
                    example: error.to_string(),
                });
                self.unreadable.len() - 1
            }
        };
        let lines = &mut self.unreadable[index];
        lines.rows += 1;
        lines.lines += at.line_count();
        if lines.first_lines.len() < FIRST_LINES_SHOWN {
            lines.first_lines.push(at.first_line());
        }
    }

    /// Applies the rules to one line. Its numbers and date are read before the duplicate rule
    /// and the totals, so a line that fails adds nothing to them.
    fn read_line(
        &mut self,
        record: &ByteRecord,
        at: &dyn Fn() -> Location,
    ) -> Result<(), IngestError> {
        if record.as_slice().len() > MAX_RECORD_BYTES {
            return Err(IngestError::RecordTooLong {
                at: at().to_string(),
                limit: MAX_RECORD_BYTES,
            });
        }
        let header_width = self.columns.names.len();
        let spills_over = || {
            record
                .iter()
                .skip(header_width)
                .any(|f| !f.trim_ascii().is_empty())
        };
        if record.len() < self.columns.width || (record.len() > header_width && spills_over()) {
            return Err(IngestError::FieldCount {
                at: at().to_string(),
                found: record.len(),
                expected: header_width,
            });
        }
        let Some(customer) = normalised_customer_id(&record[self.columns.customer]) else {
            self.remove(CleaningRule::MissingCustomerId);
            return Ok(());
        };
        if self.kind == InputKind::AggregatedRfm {
            return self.add_aggregated_row(record, customer, at);
        }
        // The invoice and the status are looked at first, so that a cancellation dropped by
        // the policy is charged to that rule even when its numbers cannot be read.
        let written = self.written_cancellation(record);
        if let Some(found) = written
            && self.count_cancellation(found, record, at)
        {
            return Ok(());
        }
        let mut negative = None;
        let quantity = self
            .columns
            .quantity
            .map(|column| self.number(record, column, at))
            .transpose()?;
        let (amount, price) = match (self.kind, self.columns.amount, self.columns.price, quantity) {
            (InputKind::AmountTransactions, Some(column), _, _) => {
                let amount = self.number(record, column, at)?;
                check_amount(amount, || text_of(record, column), at)?;
                if written.is_none() && amount < 0.0 {
                    negative = Some((CancellationConvention::NegativeAmount, column));
                }
                // The price rule looks at the size of a refund, not its sign.
                (
                    amount,
                    if written.is_some() || negative.is_some() {
                        amount.abs()
                    } else {
                        amount
                    },
                )
            }
            (_, _, Some(column), Some(quantity)) => {
                let price = self.number(record, column, at)?;
                let amount = quantity * price;
                check_amount(
                    amount,
                    || {
                        let quantity = self.columns.quantity.map(|q| text_of(record, q));
                        format!(
                            "{} x {}",
                            quantity.unwrap_or_default(),
                            text_of(record, column)
                        )
                    },
                    at,
                )?;
                if let (None, Some(quantity_column)) = (written, self.columns.quantity)
                    && quantity < 0.0
                {
                    negative = Some((CancellationConvention::NegativeQuantity, quantity_column));
                }
                (amount, price)
            }
            _ => return Err(IngestError::Internal("value columns missing")),
        };
        if let Some(found) = negative
            && self.count_cancellation(found, record, at)
        {
            return Ok(());
        }
        let is_cancellation = written.is_some() || negative.is_some();
        if quantity.is_some_and(|q| q <= 0.0)
            && !is_cancellation
            && self.applies(CleaningRule::NonPositiveQuantity)
        {
            self.remove(CleaningRule::NonPositiveQuantity);
            return Ok(());
        }
        // A netted cancellation takes money back, whichever sign the file wrote it with.
        let amount = if is_cancellation {
            -amount.abs()
        } else {
            amount
        };
        if price <= 0.0 && self.applies(CleaningRule::NonPositivePrice) {
            self.remove(CleaningRule::NonPositivePrice);
            return Ok(());
        }
        if let Some(column) = self.columns.stock_code
            && self.applies(CleaningRule::NonProductCode)
            && self
                .non_product_codes
                .contains(&record[column].trim_ascii().to_ascii_uppercase())
        {
            self.remove(CleaningRule::NonProductCode);
            return Ok(());
        }
        let Some(date_column) = self.columns.date else {
            return Err(IngestError::Internal("date column missing"));
        };
        // Read before the duplicate rule so that an unreadable line leaves no fingerprint; a
        // duplicate repeats a kept line's date, so the date evidence is unchanged.
        let date = self.date(&record[date_column], date_column, at)?;
        let invoice = self
            .columns
            .invoice
            .map(|column| self.line_hasher.hash_one(&record[column]));
        if self.applies(CleaningRule::Duplicate) {
            // A duplicate repeats the invoice, or without one the date and so its day.
            let run = match invoice {
                Some(key) => Run::Invoice {
                    key,
                    first_line: match self.invoices.entry(key) {
                        Entry::Vacant(first) => {
                            first.insert(NO_PURCHASE);
                            true
                        }
                        Entry::Occupied(_) => false,
                    },
                },
                None => Run::Day(first_day(&date) as u64),
            };
            match self.duplicates.see(run, self.fingerprint(record)) {
                Seen::New => {}
                Seen::Duplicate => {
                    self.remove(CleaningRule::Duplicate);
                    return Ok(());
                }
                Seen::ReadAgain => {
                    self.read_again_from.get_or_insert_with(|| at().to_string());
                    return Ok(());
                }
            }
        }
        self.rows_kept += 1;
        self.revenue.add(amount);
        let customer_index = self.customer_index(customer, at);
        let accumulator = &mut self.accumulators[customer_index as usize];
        accumulator.monetary.add(amount);
        if is_cancellation {
            self.netted_cancellation_rows += 1;
            return Ok(());
        }
        accumulator.purchases = true;
        for reading in [MONTH_FIRST, DAY_FIRST] {
            if let Some(stamp) = date.readings[reading] {
                accumulator.last_purchase[reading] = accumulator.last_purchase[reading].max(stamp);
                let (first, last) = &mut self.first_last[reading];
                *first = (*first).min(stamp);
                *last = (*last).max(stamp);
            }
        }
        // Without an invoice column a purchase occasion is a (customer, calendar day). The day is
        // taken from the first valid reading: two rows share it only if they share the day under
        // the reading finally chosen (a row valid under one reading only has day > 12 there).
        let new_occasion = match invoice {
            Some(invoice) => match self.invoices.entry(invoice) {
                Entry::Vacant(first) => {
                    first.insert(customer_index);
                    self.purchase_invoices += 1;
                    true
                }
                Entry::Occupied(mut first) if *first.get() == NO_PURCHASE => {
                    first.insert(customer_index);
                    self.purchase_invoices += 1;
                    true
                }
                Entry::Occupied(first) if *first.get() == customer_index => false,
                Entry::Occupied(_) => self.occasions.insert((customer_index, invoice)),
            },
            None => self
                .occasions
                .insert((customer_index, first_day(&date) as u64)),
        };
        if new_occasion {
            accumulator.frequency += 1;
        }
        let days = date
            .readings
            .map(|stamp| stamp.map_or(i32::MIN, dates::day_number));
        let day = accumulator.day_total(days);
        day.amount.add(amount);
        day.occasions += u32::from(new_occasion);
        Ok(())
    }

    /// The convention, and the column holding the evidence, when the invoice or the status
    /// says the line is a cancellation; invoices that start with "C" without matching are
    /// counted for the report.
    fn written_cancellation(
        &mut self,
        record: &ByteRecord,
    ) -> Option<(CancellationConvention, usize)> {
        if let Some(column) = self.columns.invoice {
            let invoice = record[column].trim_ascii();
            if let Some(number) = invoice.strip_prefix(b"C") {
                if !number.is_empty() && number.iter().all(u8::is_ascii_digit) {
                    return Some((CancellationConvention::CInvoice, column));
                }
                self.cancellations.other_c_invoice_rows += 1;
            }
        }
        let column = self.columns.status?;
        let status = record[column].trim_ascii();
        CANCELLED_STATUSES
            .iter()
            .any(|cancelled| status.eq_ignore_ascii_case(cancelled.as_bytes()))
            .then_some((CancellationConvention::Status, column))
    }

    /// Counts a cancellation under its convention (the first of each is kept as the example)
    /// and, when the policy drops cancellations, charges the line to that rule: true = dropped.
    fn count_cancellation(
        &mut self,
        (convention, column): (CancellationConvention, usize),
        record: &ByteRecord,
        at: &dyn Fn() -> Location,
    ) -> bool {
        let matched = &mut self.cancellations.matched;
        match matched.iter_mut().find(|m| m.convention == convention) {
            Some(known) => known.rows += 1,
            None => matched.push(CancellationMatch {
                convention,
                rule: convention.rule().to_owned(),
                rows: 1,
                example: text_of(record, column),
                example_at: at().to_string(),
            }),
        }
        let dropped = self.applies(CleaningRule::Cancellation);
        if dropped {
            self.remove(CleaningRule::Cancellation);
        }
        dropped
    }

    fn add_aggregated_row(
        &mut self,
        record: &ByteRecord,
        customer: &[u8],
        at: &dyn Fn() -> Location,
    ) -> Result<(), IngestError> {
        let Some([recency, frequency, monetary]) = self.columns.rfm else {
            return Err(IngestError::Internal("RFM columns missing"));
        };
        let recency = self.whole_number(record, recency, at)?;
        let frequency = self.whole_number(record, frequency, at)?;
        let monetary_text = || text_of(record, monetary);
        let monetary = self.number(record, monetary, at)?;
        check_amount(monetary, monetary_text, at)?;
        if self.duplicates.see(Run::Day(0), self.fingerprint(record)) == Seen::Duplicate {
            self.remove(CleaningRule::Duplicate);
            return Ok(());
        }
        // An index below the count before is a customer of an earlier row.
        let earlier_customers = self.accumulators.len();
        let index = self.customer_index(customer, at) as usize;
        if index < earlier_customers {
            return Err(IngestError::RepeatedCustomer {
                at: at().to_string(),
                customer: String::from_utf8_lossy(customer).into_owned(),
            });
        }
        self.rows_kept += 1;
        self.revenue.add(monetary);
        let accumulator = &mut self.accumulators[index];
        accumulator.purchases = true;
        accumulator.given_recency = recency;
        accumulator.frequency = frequency;
        accumulator.monetary.add(monetary);
        Ok(())
    }

    fn customer_index(&mut self, customer: &[u8], at: &dyn Fn() -> Location) -> u32 {
        let fingerprint = self.line_hasher.hash_one(customer);
        if let Some(index) = self.known_customer(fingerprint, customer) {
            return index;
        }
        let index = self.accumulators.len() as u32;
        match self.customers.entry(fingerprint) {
            Entry::Vacant(fingerprint) => {
                fingerprint.insert(index);
            }
            Entry::Occupied(_) => {
                self.colliding_customers.insert(customer.to_vec(), index);
            }
        }
        let id = self.decode_id(customer, at);
        self.accumulators.push(CustomerAccumulator {
            id,
            last_purchase: [i64::MIN; 2],
            purchases: false,
            frequency: 0,
            monetary: KahanSum::default(),
            given_recency: 0,
            days: Vec::new(),
        });
        index
    }

    fn known_customer(&self, fingerprint: u64, customer: &[u8]) -> Option<u32> {
        let index = *self.customers.get(&fingerprint)?;
        let id = &self.accumulators[index as usize].id;
        // ASCII reads the same in every encoding the reader knows.
        let same = if customer.is_ascii() {
            id.as_bytes() == customer
        } else {
            match (self.encoding, std::str::from_utf8(customer)) {
                (TextEncoding::Utf8, Ok(text)) => text == id,
                _ => TextEncoding::Windows1252.decode(customer) == *id,
            }
        };
        if same {
            Some(index)
        } else {
            self.colliding_customers.get(customer).copied()
        }
    }

    /// A customer id as text. The encoding was sniffed from the file's start, so a UTF-8 file
    /// may turn out to hold Windows-1252 further down (rows appended by another program): such
    /// an id is read as Windows-1252, and the first one is reported with its line.
    fn decode_id(&mut self, id: &[u8], at: &dyn Fn() -> Location) -> String {
        match (self.encoding, std::str::from_utf8(id)) {
            (TextEncoding::Utf8, Ok(text)) => text.to_owned(),
            (TextEncoding::Utf8, Err(_)) => {
                let text = TextEncoding::Windows1252.decode(id);
                self.not_utf8.get_or_insert_with(|| NotUtf8 {
                    at: at().to_string(),
                    customer: text.clone(),
                });
                text
            }
            (TextEncoding::Windows1252, _) => TextEncoding::Windows1252.decode(id),
        }
    }

    /// Fingerprint of the whole line; field lengths are mixed in so that moving bytes between
    /// fields changes it.
    fn fingerprint(&self, record: &ByteRecord) -> u64 {
        let mut hasher = self.line_hasher.build_hasher();
        for field in record {
            hasher.write_usize(field.len());
            hasher.write(field);
        }
        hasher.finish()
    }

    fn number(
        &mut self,
        record: &ByteRecord,
        column: usize,
        at: &dyn Fn() -> Location,
    ) -> Result<f64, IngestError> {
        let text = record[column].trim_ascii();
        let parsed = self.numbers.parse(column, text, &|| at().to_string());
        parsed.ok_or_else(|| IngestError::BadNumber {
            at: at().to_string(),
            column: self.columns.names[column].clone(),
            value: String::from_utf8_lossy(text).into_owned(),
        })
    }

    fn whole_number(
        &mut self,
        record: &ByteRecord,
        column: usize,
        at: &dyn Fn() -> Location,
    ) -> Result<u32, IngestError> {
        let value = self.number(record, column, at)?;
        if value < 0.0 || value.fract() != 0.0 || value > f64::from(u32::MAX) {
            return Err(IngestError::NotWholeNumber {
                at: at().to_string(),
                column: self.columns.names[column].clone(),
                value: String::from_utf8_lossy(record[column].trim_ascii()).into_owned(),
            });
        }
        Ok(value as u32)
    }

    fn date(
        &mut self,
        text: &[u8],
        column: usize,
        at: &dyn Fn() -> Location,
    ) -> Result<ParsedDate, IngestError> {
        let value = || String::from_utf8_lossy(text.trim_ascii()).into_owned();
        let Some(mut date) = dates::parse_date(text) else {
            return Err(IngestError::BadDate {
                at: at().to_string(),
                column: self.columns.names[column].clone(),
                value: value(),
            });
        };
        match self
            .dates
            .shapes
            .iter_mut()
            .find(|seen| seen.shape == date.shape)
        {
            Some(seen) => seen.lines += 1,
            None => self.dates.shapes.push(DateShapeLines {
                shape: date.shape,
                lines: 1,
                example: format!("{}: \"{}\"", at(), value()),
            }),
        }
        if date.shape != DateShape::DayMonth {
            return Ok(date);
        }
        let forced = match self.options.date_order {
            DateOrder::Auto => None,
            DateOrder::Mdy => Some(MONTH_FIRST),
            DateOrder::Dmy => Some(DAY_FIRST),
        };
        if let Some(reading) = forced {
            let stamp = date.readings[reading];
            if stamp.is_none() {
                return Err(IngestError::DateOrderContradicted {
                    at: at().to_string(),
                    value: value(),
                    order: if reading == MONTH_FIRST {
                        "month first"
                    } else {
                        "day first"
                    },
                });
            }
            date.readings = [stamp; 2];
            return Ok(date);
        }
        for reading in [MONTH_FIRST, DAY_FIRST] {
            if date.readings[reading].is_none() && self.dates.ruled_out[reading].is_none() {
                self.dates.ruled_out[reading] = Some((at().to_string(), value()));
            }
        }
        if let [
            Some((month_first_at, month_first_value)),
            Some((day_first_at, day_first_value)),
        ] = &self.dates.ruled_out
        {
            return Err(IngestError::ConflictingDayMonth {
                day_first_at: month_first_at.clone(),
                day_first_value: month_first_value.clone(),
                month_first_at: day_first_at.clone(),
                month_first_value: day_first_value.clone(),
            });
        }
        Ok(date)
    }

    /// The date reading the file allows, and the report on how it was chosen.
    fn chosen_reading(&self) -> (usize, DateOrderReport) {
        let shape = self.dates.shapes.first().map(|seen| seen.shape);
        let shapes = if self.dates.shapes.len() > 1 {
            self.dates.shapes.clone()
        } else {
            Vec::new()
        };
        if !self
            .dates
            .shapes
            .iter()
            .any(|seen| seen.shape == DateShape::DayMonth)
        {
            return (
                MONTH_FIRST,
                DateOrderReport {
                    shape,
                    shapes,
                    order: None,
                    ambiguous: false,
                    evidence: None,
                },
            );
        }
        let (reading, order, ambiguous, evidence) =
            match (self.options.date_order, &self.dates.ruled_out) {
                (DateOrder::Mdy, _) => (
                    MONTH_FIRST,
                    DateOrder::Mdy,
                    false,
                    Some("chosen by the user".to_owned()),
                ),
                (DateOrder::Dmy, _) => (
                    DAY_FIRST,
                    DateOrder::Dmy,
                    false,
                    Some("chosen by the user".to_owned()),
                ),
                (DateOrder::Auto, [Some((at, value)), _]) => (
                    DAY_FIRST,
                    DateOrder::Dmy,
                    false,
                    Some(format!("{at}: \"{value}\" is only valid day-first")),
                ),
                (DateOrder::Auto, [None, Some((at, value))]) => (
                    MONTH_FIRST,
                    DateOrder::Mdy,
                    false,
                    Some(format!("{at}: \"{value}\" is only valid month-first")),
                ),
                (DateOrder::Auto, [None, None]) => (MONTH_FIRST, DateOrder::Mdy, true, None),
            };
        (
            reading,
            DateOrderReport {
                shape,
                shapes,
                order: Some(order),
                ambiguous,
                evidence,
            },
        )
    }

    /// Closes the aggregation: per-customer totals (sorted by id) and the report's numbers.
    pub fn finish(self) -> Result<Aggregated, IngestError> {
        let (reading, date_order) = self.chosen_reading();
        let removed: Vec<RemovedRows> = self
            .removed
            .iter()
            .map(|&(rule, rows)| RemovedRows {
                rule,
                label: rule.label().to_string(),
                rows,
            })
            .collect();
        if self.rows_read == 0 {
            return Err(IngestError::NoDataRows);
        }
        let unreadable: u64 = self.unreadable.iter().map(|lines| lines.rows).sum();
        // Half the lines or more unreadable is a wrong mapping or delimiter, not a few bad lines.
        // The main reason is the most frequent, the earliest on a tie (`max_by_key` takes the last).
        if let Some(main) = self.unreadable.iter().rev().max_by_key(|lines| lines.rows)
            && unreadable * 2 >= self.rows_read
        {
            return Err(IngestError::MostlyUnreadable {
                unreadable,
                rows_read: self.rows_read,
                reason: main.reason.label(),
                rows: main.rows,
                first_lines: main
                    .first_lines
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                example: main.example.clone(),
            });
        }
        let (first, last) = self.first_last[reading];
        let snapshot_day = (last != i64::MIN).then(|| dates::day_of(last) + 1);
        let chosen_day = |total: &DayTotal| {
            let day = total.days[reading];
            (day != i32::MIN).then_some(day)
        };
        let mut every_day: Vec<(i32, u32)> = Vec::new();
        for (customer, accumulator) in self.accumulators.iter().enumerate() {
            every_day.extend(
                (accumulator.days.iter())
                    .filter_map(chosen_day)
                    .map(|day| (day, customer as u32)),
            );
        }
        let far_dates = far_dates(&mut every_day, &self.accumulators);
        drop(every_day);
        let mut customers_without_positive_total = 0;
        let mut customers: Vec<CustomerTotals> = Vec::with_capacity(self.accumulators.len());
        for accumulator in self.accumulators {
            let purchase_days = (accumulator.days.iter())
                .filter_map(|total| {
                    Some(PurchaseDay {
                        day: dates::to_naive_date(i64::from(chosen_day(total)?))?,
                        amount: total.amount.sum,
                        occasions: total.occasions,
                    })
                })
                .collect();
            let monetary = accumulator.monetary.sum;
            if !accumulator.purchases
                || (self.options.policy.cancellations == CancellationPolicy::Net && monetary <= 0.0)
            {
                customers_without_positive_total += 1;
                continue;
            }
            let (last_purchase, recency) = match snapshot_day {
                Some(snapshot) => {
                    let day = dates::day_of(accumulator.last_purchase[reading]);
                    (dates::to_naive_date(day), (snapshot - day) as u32)
                }
                None => (None, accumulator.given_recency),
            };
            customers.push(CustomerTotals {
                customer_id: accumulator.id,
                last_purchase,
                recency,
                frequency: accumulator.frequency,
                monetary,
                purchase_days: merged_by_day(purchase_days),
            });
        }
        if customers.is_empty() {
            let summary = removed
                .iter()
                .filter(|removed| removed.rows > 0)
                .map(|removed| format!("{} {}", removed.rows, removed.label))
                .chain(
                    self.unreadable
                        .iter()
                        .map(|lines| format!("{} unreadable ({})", lines.rows, lines.label)),
                )
                .collect::<Vec<_>>()
                .join(", ");
            return Err(IngestError::NothingLeft {
                rows_read: self.rows_read,
                removed: summary,
            });
        }
        customers.sort_by(|a, b| compare_ids(&a.customer_id, &b.customer_id));
        Ok(Aggregated {
            far_dates,
            not_utf8: self.not_utf8,
            kind: self.kind,
            customers,
            rows_read: self.rows_read,
            rows_kept: self.rows_kept,
            removed,
            unreadable: self.unreadable,
            number_formats: self.numbers.into_reports(),
            cancellations: self.cancellations,
            invoices: if self.columns.invoice.is_some() {
                self.purchase_invoices
            } else {
                self.occasions.len() as u64
            },
            first_date: (first != i64::MAX)
                .then(|| dates::to_naive_date_time(first))
                .flatten(),
            last_date: (last != i64::MIN)
                .then(|| dates::to_naive_date_time(last))
                .flatten(),
            snapshot_date: snapshot_day.and_then(dates::to_naive_date),
            total_revenue: self.revenue.sum,
            netted_cancellation_rows: self.netted_cancellation_rows,
            customers_without_positive_total,
            date_order,
        })
    }
}

/// The purchase days (day, customer index) far from the rest, see [`FarDates`]. O(n): two
/// selections, no sort. Needs 100 days for the percentiles to mean anything.
fn far_dates(days: &mut [(i32, u32)], customers: &[CustomerAccumulator]) -> Option<FarDates> {
    if days.len() < 100 {
        return None;
    }
    let n = days.len();
    let (low_at, high_at) = (n / 100, n - 1 - n / 100);
    let usual_first = i64::from(days.select_nth_unstable(low_at).1.0);
    let usual_last = i64::from(days.select_nth_unstable(high_at).1.0);
    let far = |day: i64| {
        day < usual_first - FAR_DATE_MARGIN_DAYS || day > usual_last + FAR_DATE_MARGIN_DAYS
    };
    let mut far_days = (days.iter())
        .map(|&(day, customer)| (i64::from(day), customer))
        .filter(|&(day, _)| far(day));
    let (first_far, customer) = far_days.next()?;
    let (mut earliest, mut latest, mut count) = (first_far, first_far, 1);
    for (day, _) in far_days {
        earliest = earliest.min(day);
        latest = latest.max(day);
        count += 1;
    }
    let example_customer = customers[customer as usize].id.clone();
    Some(FarDates {
        purchase_days: count,
        usual_first: dates::to_naive_date(usual_first)?,
        usual_last: dates::to_naive_date(usual_last)?,
        earliest: dates::to_naive_date(earliest)?,
        latest: dates::to_naive_date(latest)?,
        example_customer,
    })
}

/// Purchase days in date order, one per day: two date texts that are different days under the
/// reading not chosen can be the same day under the chosen one.
fn merged_by_day(mut days: Vec<PurchaseDay>) -> Vec<PurchaseDay> {
    days.sort_by_key(|purchase| purchase.day);
    let mut merged: Vec<PurchaseDay> = Vec::with_capacity(days.len());
    for purchase in days {
        match merged.last_mut() {
            Some(last) if last.day == purchase.day => {
                last.amount += purchase.amount;
                last.occasions += purchase.occasions;
            }
            _ => merged.push(purchase),
        }
    }
    merged
}

/// Refuses an amount beyond [`MAX_LINE_AMOUNT`] (or not finite); `written` is how the line
/// spells it.
fn check_amount(
    amount: f64,
    written: impl FnOnce() -> String,
    at: &dyn Fn() -> Location,
) -> Result<(), IngestError> {
    if amount.abs() <= MAX_LINE_AMOUNT {
        return Ok(());
    }
    Err(IngestError::AmountTooLarge {
        at: at().to_string(),
        amount: written(),
        limit: MAX_LINE_AMOUNT,
    })
}

/// A field's text, trimmed, for a message.
/// The day of a date's first valid reading: two lines with the same date text share it.
fn first_day(date: &ParsedDate) -> i64 {
    let stamp = date
        .readings
        .into_iter()
        .flatten()
        .next()
        .unwrap_or_default();
    dates::day_of(stamp)
}

fn text_of(record: &ByteRecord, column: usize) -> String {
    String::from_utf8_lossy(record[column].trim_ascii()).into_owned()
}

/// What [`Aggregator::finish`] hands to the report.
pub struct Aggregated {
    pub kind: InputKind,
    pub number_formats: Vec<NumberFormatReport>,
    pub customers: Vec<CustomerTotals>,
    pub rows_read: u64,
    pub rows_kept: u64,
    pub removed: Vec<RemovedRows>,
    pub unreadable: Vec<UnreadableLines>,
    pub cancellations: CancellationReport,
    pub invoices: u64,
    pub first_date: Option<chrono::NaiveDateTime>,
    pub last_date: Option<chrono::NaiveDateTime>,
    pub snapshot_date: Option<chrono::NaiveDate>,
    pub total_revenue: f64,
    pub netted_cancellation_rows: u64,
    pub customers_without_positive_total: u64,
    pub date_order: DateOrderReport,
    pub far_dates: Option<FarDates>,
    pub not_utf8: Option<NotUtf8>,
}

/// What exports write where a customer id is missing: empty cells, null spellings,
/// spreadsheet errors, a dash, a zero (compared case-insensitively, after trimming).
const PLACEHOLDER_IDS: [&[u8]; 9] = [
    b"", b"nan", b"null", b"none", b"n/a", b"#n/a", b"unknown", b"-", b"0",
];

/// Trimmed id, `None` when missing (see [`PLACEHOLDER_IDS`]); a float-formatted whole number
/// (`17850.0`, as pandas writes an id column that had gaps, or `17850,0` with a decimal comma)
/// loses its fraction so it matches the integer form of the same id.
pub fn normalised_customer_id(field: &[u8]) -> Option<&[u8]> {
    let mut id = field.trim_ascii();
    if let Some(dot) = id.iter().position(|&b| b == b'.' || b == b',')
        && dot > 0
        && id[..dot].iter().all(u8::is_ascii_digit)
        && id[dot + 1..].iter().all(|&b| b == b'0')
    {
        id = &id[..dot];
    }
    let placeholder = PLACEHOLDER_IDS
        .iter()
        .any(|missing| id.eq_ignore_ascii_case(missing));
    (!placeholder).then_some(id)
}

/// Numeric ids in numeric order (what pandas' groupby on a numeric id column gives), numeric
/// before text, text in byte order.
pub fn compare_ids(a: &str, b: &str) -> std::cmp::Ordering {
    let numeric = |id: &str| id.parse::<u64>().ok();
    match (numeric(a), numeric(b)) {
        (Some(x), Some(y)) => x.cmp(&y).then_with(|| a.cmp(b)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customer_ids_are_trimmed_and_lose_a_float_suffix() {
        assert_eq!(normalised_customer_id(b" 17850.0 "), Some(&b"17850"[..]));
        assert_eq!(normalised_customer_id(b"13047,0"), Some(&b"13047"[..]));
        assert_eq!(normalised_customer_id(b"00012"), Some(&b"00012"[..]));
        assert_eq!(normalised_customer_id(b"17850.5"), Some(&b"17850.5"[..]));
        assert_eq!(normalised_customer_id(b"A.0"), Some(&b"A.0"[..]));
        assert_eq!(normalised_customer_id(b"  "), None);
        assert_eq!(normalised_customer_id(b"NaN"), None);
        for placeholder in ["N/A", "#N/A", " - ", "None", "null", "UNKNOWN", "0", "0.0"] {
            assert_eq!(
                normalised_customer_id(placeholder.as_bytes()),
                None,
                "{placeholder}"
            );
        }
        assert_eq!(normalised_customer_id(b"00"), Some(&b"00"[..]));
    }

    #[test]
    fn a_customer_whose_fingerprint_another_took_stays_apart() {
        let options = IngestOptions::default();
        let header = [
            "Invoice",
            "StockCode",
            "Quantity",
            "InvoiceDate",
            "Price",
            "Customer ID",
        ]
        .map(String::from);
        let mapping = ColumnMapping::detect(&header);
        let (kind, columns) = resolve_columns(&header, &mapping).expect("the columns map");
        let mut aggregator = Aggregator::new(
            &options,
            kind,
            columns,
            b',',
            TextEncoding::Utf8,
            DuplicateLines::whole_file(),
            std::iter::empty(),
        );
        let add = |aggregator: &mut Aggregator, invoice: &str, item: &str, customer: &str| {
            let line = ByteRecord::from(vec![
                invoice,
                item,
                "2",
                "2010-03-01 10:00",
                "1.50",
                customer,
            ]);
            aggregator
                .add(&line, &|| Location::Line(2))
                .expect("the line reads");
        };
        add(&mut aggregator, "1", "A", "12345");
        // "54321" finds its fingerprint taken by "12345", as a 64-bit collision would.
        let taken = aggregator.line_hasher.hash_one(b"54321".as_slice());
        aggregator.customers.insert(taken, 0);
        add(&mut aggregator, "2", "A", "54321");
        add(&mut aggregator, "2", "B", "54321");
        add(&mut aggregator, "3", "A", "12345");
        let customers = aggregator.finish().expect("the file aggregates").customers;
        let frequencies: Vec<(&str, u32)> = customers
            .iter()
            .map(|c| (c.customer_id.as_str(), c.frequency))
            .collect();
        assert_eq!(frequencies, [("12345", 2), ("54321", 1)]);
    }

    #[test]
    fn ids_sort_numerically_then_as_text() {
        let mut ids = vec!["9", "12346", "B2", "100", "A1"];
        ids.sort_by(|a, b| compare_ids(a, b));
        assert_eq!(ids, ["9", "100", "12346", "A1", "B2"]);
    }
}

//! A deterministic generator of Online-Retail-II-shaped transactions (demo data, tests and
//! benchmarks at any size).
//!
//! The shape follows the real 2009-2011 file: ~22% of rows without a customer id ("guest"
//! invoices with retail prices and a few zero-price lines), ~2% cancellation rows (invoice
//! "C...", negative quantity, copying lines of an earlier invoice of the same customer), ~1%
//! exact duplicate lines, non-product stock codes (POST, M, C2, DOT, BANK CHARGES) among the
//! products, descriptions with commas and quotes, Zipf-like product popularity, log-normal
//! prices, customer activity and basket sizes, and a churn model that makes recency
//! right-skewed. Invoice lines are drawn from a generator seeded per invoice, so a
//! cancellation can copy the lines of its source invoice without storing any rows: memory
//! grows with invoices, not rows.
//!
//! A second mode writes a population of exactly N customers ([`generate_population`]) for
//! inputs far beyond the real file: customers are drawn one at a time from their own seed and
//! streamed out (memory does not grow with N), as transactions or as the RFM table those
//! transactions give.
//!
//! Over 400 lines because the transactions and the population generators share the customer
//! model, the id and date writers and the streaming CSV output here.

use std::io::Write;

use rand::{Rng, SeedableRng};
use rand_distr::{Binomial, Distribution, LogNormal};
use rand_xoshiro::Xoshiro256Plus;

/// Row count of the real two-sheet Online Retail II file.
pub const REAL_ROWS: u64 = 1_067_371;
const REAL_CUSTOMERS: f64 = 5_942.0;
const FIRST_INVOICE: u64 = 489_434;
const FIRST_CUSTOMER_ID: u32 = 12_346;
/// 2009-12-01 .. 2011-12-09, the real file's span, in days.
const SPAN_DAYS: u32 = 738;
const PRODUCTS: usize = 4_000;
const GUEST_SHARE: f64 = 0.22;
const CANCELLATION_SHARE: f64 = 0.02;
const DUPLICATE_LINE_SHARE: f64 = 0.01;
/// Rows per customer of a generated population, guest and cancellation rows included.
const POPULATION_ROWS_PER_CUSTOMER: f64 = 20.0;
/// Invoices per customer = ceil(LogNormal(mu, sigma)), fitted to the real 2009-2010 sheet:
/// 33% of customers with one invoice, median 2, mean 4.5, 90th percentile 9, 99th 31, max 205
/// of 4,312 (the fit gives 33%, 2, 4.4, 9, 34 and a max of ~150 at that size, ~700 at 1M).
const INVOICES_MU: f64 = 0.56;
const INVOICES_SIGMA: f64 = 1.27;
/// Spread of lines per invoice (ceil of a log-normal, like invoices per customer).
const LINES_SIGMA: f64 = 0.9;
/// Chance that a guest invoice follows a customer; guests buy bigger baskets.
const GUEST_INVOICE_CHANCE: f64 = 0.5;
/// Chance that a customer invoice is followed by a cancellation of some of its lines.
const CANCELLED_INVOICE_CHANCE: f64 = 0.05;
/// The most customers of a population: ids are 12346 + index and must fit a `u32`.
pub const MAX_POPULATION: u32 = 100_000_000;

pub const HEADER: [&str; 8] = [
    "Invoice",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "Price",
    "Customer ID",
    "Country",
];

const COUNTRIES: [&str; 20] = [
    "United Kingdom",
    "EIRE",
    "Germany",
    "France",
    "Netherlands",
    "Spain",
    "Switzerland",
    "Belgium",
    "Portugal",
    "Australia",
    "Channel Islands",
    "Italy",
    "Norway",
    "Sweden",
    "Cyprus",
    "Finland",
    "Austria",
    "Denmark",
    "Japan",
    "USA",
];
const ADJECTIVES: [&str; 24] = [
    "VINTAGE",
    "RED",
    "WHITE",
    "PINK",
    "BLUE",
    "IVORY",
    "RETRO",
    "FRENCH",
    "REGENCY",
    "HEART",
    "SPOTTY",
    "FLORAL",
    "WOODEN",
    "GLASS",
    "ENAMEL",
    "JUMBO",
    "MINI",
    "ASSORTED",
    "CHRISTMAS",
    "PARTY",
    "ROSE",
    "SKULL",
    "STRAWBERRY",
    "HANGING",
];
const NOUNS: [&str; 20] = [
    "T-LIGHT HOLDER",
    "CAKE CASES",
    "LUNCH BAG",
    "TEA TOWEL",
    "MUG",
    "DOORMAT",
    "BUNTING",
    "CANDLE",
    "HOT WATER BOTTLE",
    "ALARM CLOCK",
    "PHOTO FRAME",
    "CUSHION COVER",
    "SHOPPING BAG",
    "WALL ART",
    "JAM MAKING SET",
    "STORAGE TIN",
    "LANTERN",
    "NOTEBOOK",
    "CAKE STAND",
    "PURSE",
];
const PHRASES: [&str; 6] = [
    "HOME SWEET HOME",
    "KEEP CALM",
    "LOVE",
    "WELCOME",
    "TEA TIME",
    "OPEN",
];
/// Non-product lines: code, description, price (`None` = drawn per line), guest-only.
const SPECIALS: [(&str, &str, Option<f64>, bool); 5] = [
    ("POST", "POSTAGE", Some(18.0), false),
    ("M", "Manual", None, false),
    ("C2", "CARRIAGE", Some(50.0), false),
    ("DOT", "DOTCOM POSTAGE", None, true),
    ("BANK CHARGES", "Bank Charges", Some(15.0), false),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GeneratorConfig {
    pub rows: u64,
    pub seed: u64,
    /// Registered customers; by default it scales with rows like the real file
    /// (`5942 * (rows / 1067371)^0.45`, ~4,300 at the 2009-2010 sheet's 525k rows).
    pub customers: Option<u32>,
}

/// A population of exactly `customers` registered customers (`rfm-studio generate --customers`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PopulationConfig {
    pub customers: u32,
    pub seed: u64,
    pub output: PopulationOutput,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PopulationOutput {
    /// Online-Retail-II-shaped transactions, ~20 rows per customer, grouped by customer.
    Transactions,
    /// `customer_id,recency,frequency,monetary`: what the ingest computes from the
    /// transactions of the same seed (recency counted from the day after the span's end).
    Rfm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GenerationSummary {
    pub rows: u64,
    pub customers: u32,
    pub invoices: u64,
    pub guest_rows: u64,
    pub cancellation_rows: u64,
}

struct Product {
    code: String,
    description: String,
    price: f64,
    pack: u32,
    special: Option<usize>,
}

struct Customer {
    id: u32,
    country: usize,
    basket_multiplier: f64,
}

struct Invoice {
    minute: u32,
    /// Index into the customers; `None` for a guest invoice.
    customer: Option<u32>,
    country: usize,
    lines: u32,
    /// For a cancellation: the invoice whose first `lines` lines it cancels.
    cancels: Option<u32>,
    /// Seed of the line generator (for a cancellation, that of the source invoice).
    line_seed: u64,
}

/// Writes `config.rows` data rows (plus the header) as CSV.
pub fn generate_transactions<W: Write>(
    config: &GeneratorConfig,
    out: W,
) -> std::io::Result<GenerationSummary> {
    let mut rng = Xoshiro256Plus::seed_from_u64(config.seed);
    let rows = config.rows;
    let (mut cancellation_rows, mut guest_rows) = (
        (CANCELLATION_SHARE * rows as f64).round() as u64,
        (GUEST_SHARE * rows as f64).round() as u64,
    );
    if cancellation_rows + guest_rows >= rows {
        (cancellation_rows, guest_rows) = (0, 0);
    }
    let customer_rows = rows - cancellation_rows - guest_rows;
    let wanted_customers = config.customers.unwrap_or_else(|| {
        (REAL_CUSTOMERS * (rows as f64 / REAL_ROWS as f64).powf(0.45)).round() as u32
    });
    let customer_count = u64::from(wanted_customers.max(1)).min(customer_rows.max(1)) as u32;

    let products = make_products(&mut rng);
    let popularity = cumulative(&zipf_weights(&mut rng, products.len()));
    let customers = make_customers(&mut rng, customer_count);
    let mut invoices = customer_invoices(&mut rng, &customers, customer_rows);
    let customer_invoice_count = invoices.len();
    invoices.extend(guest_invoices(&mut rng, guest_rows));
    invoices.extend(cancellations(
        &mut rng,
        &invoices[..customer_invoice_count],
        cancellation_rows,
    ));
    // Invoice numbers follow time; ties keep generation order, which is itself seeded.
    invoices.sort_by_key(|invoice| invoice.minute);

    let mut sink = TransactionSink::new(out)?;
    for invoice in &invoices {
        let lines = invoice_lines(invoice, &products, &popularity, &customers);
        let customer_id = invoice.customer.map(|c| customers[c as usize].id);
        sink.write_invoice(invoice, customer_id, &lines, &products)?;
    }
    sink.finish()?;
    Ok(GenerationSummary {
        rows: sink.rows,
        customers: customer_count,
        invoices: invoices.len() as u64,
        guest_rows,
        cancellation_rows,
    })
}

/// Writes the rows of successive invoices, numbering the invoices in writing order.
struct TransactionSink<W: Write> {
    writer: csv::Writer<W>,
    days: Vec<String>,
    invoices: u64,
    rows: u64,
    /// Reused field buffers: formatting without an allocation per row.
    invoice: String,
    date: String,
    customer: String,
    quantity: String,
    price: String,
}

impl<W: Write> TransactionSink<W> {
    fn new(out: W) -> std::io::Result<Self> {
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(HEADER)?;
        Ok(TransactionSink {
            writer,
            days: (0..=SPAN_DAYS).map(day_text).collect(),
            invoices: 0,
            rows: 0,
            invoice: String::new(),
            date: String::new(),
            customer: String::new(),
            quantity: String::new(),
            price: String::new(),
        })
    }

    fn write_invoice(
        &mut self,
        invoice: &Invoice,
        customer_id: Option<u32>,
        lines: &[Line],
        products: &[Product],
    ) -> std::io::Result<()> {
        use std::fmt::Write as _;
        let number = FIRST_INVOICE + self.invoices;
        self.invoices += 1;
        let prefix = if invoice.cancels.is_some() { "C" } else { "" };
        self.invoice.clear();
        let _ = write!(self.invoice, "{prefix}{number}");
        self.date.clear();
        let _ = write!(
            self.date,
            "{} {:02}:{:02}:00",
            self.days[(invoice.minute / 1440) as usize],
            invoice.minute / 60 % 24,
            invoice.minute % 60
        );
        // As pandas exports the real workbook: a float id column because of the gaps.
        self.customer.clear();
        if let Some(id) = customer_id {
            let _ = write!(self.customer, "{id}.0");
        }
        for line in lines {
            let product = &products[line.product];
            let description = if line.blank_description {
                ""
            } else {
                product.description.as_str()
            };
            self.quantity.clear();
            let _ = write!(self.quantity, "{}", line.quantity);
            // Prices as pandas writes floats: shortest form, whole numbers with ".0".
            self.price.clear();
            let _ = if line.price.fract() == 0.0 {
                write!(self.price, "{:.1}", line.price)
            } else {
                write!(self.price, "{}", line.price)
            };
            self.writer.write_record([
                self.invoice.as_str(),
                product.code.as_str(),
                description,
                self.quantity.as_str(),
                self.date.as_str(),
                self.price.as_str(),
                self.customer.as_str(),
                COUNTRIES[invoice.country],
            ])?;
        }
        self.rows += lines.len() as u64;
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}

fn day_text(day: u32) -> String {
    let first = chrono::NaiveDate::from_ymd_opt(2009, 12, 1).unwrap_or_default();
    (first + chrono::Duration::days(i64::from(day)))
        .format("%Y-%m-%d")
        .to_string()
}

fn log_normal(rng: &mut Xoshiro256Plus, mu: f64, sigma: f64) -> f64 {
    LogNormal::new(mu, sigma).map_or(mu.exp(), |distribution| distribution.sample(rng))
}

/// Trials until the first success (>= 1).
fn geometric(rng: &mut Xoshiro256Plus, p: f64) -> u32 {
    let u: f64 = rng.r#gen();
    1 + ((1.0 - u).ln() / (1.0 - p).ln()).floor().clamp(0.0, 1e6) as u32
}

fn make_products(rng: &mut Xoshiro256Plus) -> Vec<Product> {
    let regular = PRODUCTS - SPECIALS.len();
    let mut codes: Vec<u32> = (10_002..90_215).collect();
    for i in 0..regular {
        let j = rng.gen_range(i..codes.len());
        codes.swap(i, j);
    }
    let mut products: Vec<Product> = codes[..regular]
        .iter()
        .map(|&code| {
            let suffix = if rng.gen_bool(0.18) {
                char::from(b'A' + rng.gen_range(0..8u8)).to_string()
            } else {
                String::new()
            };
            let (a, b) = (
                ADJECTIVES[rng.gen_range(0..ADJECTIVES.len())],
                ADJECTIVES[rng.gen_range(0..ADJECTIVES.len())],
            );
            let noun = NOUNS[rng.gen_range(0..NOUNS.len())];
            let phrase = PHRASES[rng.gen_range(0..PHRASES.len())];
            let description = match rng.r#gen::<f64>() {
                k if k < 0.07 => format!("{noun}, {a} {b}"),
                k if k < 0.10 => format!("{a} {noun} \"{phrase}\""),
                k if k < 0.115 => format!("{noun}, \"{phrase}\" DESIGN"),
                k if k < 0.16 => format!("GRANNY'S {a} {noun}"),
                k if k < 0.55 => format!("{a} {b} {noun}"),
                _ => format!("{a} {noun}"),
            };
            let price =
                ((log_normal(rng, 2.1f64.ln(), 0.8) * 20.0).round() / 20.0).clamp(0.06, 650.0);
            let pack = [1, 1, 1, 1, 2, 2, 3, 4, 6, 12, 12, 24][rng.gen_range(0..12)];
            Product {
                code: format!("{code}{suffix}"),
                description,
                price,
                pack,
                special: None,
            }
        })
        .collect();
    products.extend(
        SPECIALS
            .iter()
            .enumerate()
            .map(|(index, (code, description, price, _))| Product {
                code: code.to_string(),
                description: description.to_string(),
                price: price.unwrap_or(0.0),
                pack: 1,
                special: Some(index),
            }),
    );
    products
}

/// Zipf-like popularity over a random rank order.
fn zipf_weights(rng: &mut Xoshiro256Plus, n: usize) -> Vec<f64> {
    let mut ranks: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        ranks.swap(i, rng.gen_range(0..=i));
    }
    ranks
        .iter()
        .map(|&rank| 1.0 / (rank as f64 + 15.0).powf(1.05))
        .collect()
}

fn cumulative(weights: &[f64]) -> Vec<f64> {
    let total: f64 = weights.iter().sum();
    let mut running = 0.0;
    weights
        .iter()
        .map(|w| {
            running += w / total;
            running
        })
        .collect()
}

fn pick(rng: &mut Xoshiro256Plus, cumulative: &[f64]) -> usize {
    let u: f64 = rng.r#gen();
    cumulative
        .partition_point(|&c| c < u)
        .min(cumulative.len() - 1)
}

fn make_customers(rng: &mut Xoshiro256Plus, count: u32) -> Vec<Customer> {
    let id_range = (REAL_CUSTOMERS as u32).max(count);
    let mut ids: Vec<u32> = (0..id_range).collect();
    for i in 0..count as usize {
        let j = rng.gen_range(i..ids.len());
        ids.swap(i, j);
    }
    let mut ids: Vec<u32> = ids[..count as usize]
        .iter()
        .map(|offset| FIRST_CUSTOMER_ID + offset)
        .collect();
    ids.sort_unstable();
    ids.into_iter().map(|id| make_customer(rng, id)).collect()
}

fn make_customer(rng: &mut Xoshiro256Plus, id: u32) -> Customer {
    let country = if rng.gen_bool(0.9) {
        0
    } else {
        rng.gen_range(1..COUNTRIES.len())
    };
    let mut basket_multiplier = log_normal(rng, -0.5, 0.7);
    if rng.gen_bool(0.004) {
        basket_multiplier *= rng.gen_range(3.0..12.0); // wholesalers
    }
    Customer {
        id,
        country,
        basket_multiplier,
    }
}

/// Splits `total` into `weights.len()` counts proportional to the weights (a multinomial draw
/// by conditional binomials).
fn multinomial(rng: &mut Xoshiro256Plus, total: u64, weights: &[f64]) -> Vec<u64> {
    let mut remaining_weight: f64 = weights.iter().sum();
    let mut remaining = total;
    weights
        .iter()
        .enumerate()
        .map(|(i, &w)| {
            let draw = if i + 1 == weights.len() || remaining_weight <= 0.0 {
                remaining
            } else {
                let p = (w / remaining_weight).clamp(0.0, 1.0);
                Binomial::new(remaining, p).map_or(0, |binomial| binomial.sample(rng))
            };
            remaining -= draw;
            remaining_weight -= w;
            draw
        })
        .collect()
}

/// Heavy-tailed line counts, each >= 1, summing to `rows`.
fn split_lines(rng: &mut Xoshiro256Plus, rows: u64, invoices: usize, sigma: f64) -> Vec<u64> {
    let weights: Vec<f64> = (0..invoices).map(|_| log_normal(rng, 0.0, sigma)).collect();
    multinomial(rng, rows - invoices as u64, &weights)
        .into_iter()
        .map(|extra| extra + 1)
        .collect()
}

/// A business-hours minute on `day` (no Saturdays: the shop logs none).
fn business_minute(rng: &mut Xoshiro256Plus, day: f64) -> u32 {
    let mut day = day.clamp(0.0, f64::from(SPAN_DAYS)) as u32;
    if (day + 1) % 7 == 5 {
        day = if day > 0 { day - 1 } else { day + 1 };
    }
    let hour = (12.5 + 2.3 * rng.sample::<f64, _>(rand_distr::StandardNormal))
        .round()
        .clamp(7.0, 19.0) as u32;
    day * 1440 + hour * 60 + rng.gen_range(0..60)
}

fn customer_invoices(rng: &mut Xoshiro256Plus, customers: &[Customer], rows: u64) -> Vec<Invoice> {
    let count = customers.len() as u64;
    if rows == 0 || count == 0 {
        return Vec::new();
    }
    let invoice_count = (rows as f64 / 21.0)
        .round()
        .clamp(count as f64, rows as f64) as u64;
    let activity: Vec<f64> = customers
        .iter()
        .map(|_| log_normal(rng, 0.0, 1.6).min(200.0))
        .collect();
    let per_customer = multinomial(rng, invoice_count - count, &activity);
    let mut by_activity: Vec<usize> = (0..customers.len()).collect();
    by_activity.sort_by(|&a, &b| activity[a].total_cmp(&activity[b]));
    let mut activity_rank = vec![0.0; customers.len()];
    for (rank, &customer) in by_activity.iter().enumerate() {
        activity_rank[customer] = rank as f64 / (customers.len().max(2) - 1) as f64;
    }
    let lines = split_lines(rng, rows, invoice_count as usize, 0.9);
    let mut invoices = Vec::with_capacity(invoice_count as usize);
    for (index, customer) in customers.iter().enumerate() {
        let (first, last) = active_window(rng, activity_rank[index]);
        for _ in 0..=per_customer[index] {
            let day = (first + rng.r#gen::<f64>() * (last - first)).floor();
            invoices.push(Invoice {
                minute: business_minute(rng, day),
                customer: Some(index as u32),
                country: customer.country,
                lines: 0,
                cancels: None,
                line_seed: rng.r#gen(),
            });
        }
    }
    for (invoice, lines) in invoices.iter_mut().zip(lines) {
        invoice.lines = lines as u32;
    }
    invoices
}

/// The days (first, last) between which a customer buys: the first purchase skewed early;
/// light buyers (`activity_rank` near 0, of 0..=1) churn more often, which skews recency right.
fn active_window(rng: &mut Xoshiro256Plus, activity_rank: f64) -> (f64, f64) {
    let span = f64::from(SPAN_DAYS);
    let first = span * rng.r#gen::<f64>().powf(1.6);
    let stays = rng.gen_bool(0.30 + 0.55 * activity_rank);
    let churn = first - 200.0 * (1.0 - rng.r#gen::<f64>()).ln();
    let last = if stays {
        span + 1.0
    } else {
        churn.min(span + 1.0)
    }
    .max(first + 1.0);
    (first, last)
}

fn guest_invoices(rng: &mut Xoshiro256Plus, rows: u64) -> Vec<Invoice> {
    if rows == 0 {
        return Vec::new();
    }
    let count = (rows as f64 / 28.0).round().clamp(1.0, rows as f64) as usize;
    split_lines(rng, rows, count, 1.0)
        .into_iter()
        .map(|lines| guest_invoice(rng, lines as u32))
        .collect()
}

/// An invoice without a customer id on a random day.
fn guest_invoice(rng: &mut Xoshiro256Plus, lines: u32) -> Invoice {
    let day = rng.r#gen::<f64>() * f64::from(SPAN_DAYS + 1);
    Invoice {
        minute: business_minute(rng, day),
        customer: None,
        country: if rng.gen_bool(0.95) {
            0
        } else {
            rng.gen_range(1..COUNTRIES.len())
        },
        lines,
        cancels: None,
        line_seed: rng.r#gen(),
    }
}

/// Cancellation invoices copying the first lines of random earlier customer invoices.
fn cancellations(rng: &mut Xoshiro256Plus, sources: &[Invoice], rows: u64) -> Vec<Invoice> {
    let mut remaining = rows;
    let mut cancellations = Vec::new();
    while remaining > 0 && !sources.is_empty() {
        let source_index = rng.gen_range(0..sources.len());
        let cancellation = cancellation(rng, &sources[source_index], source_index, remaining);
        remaining -= u64::from(cancellation.lines);
        cancellations.push(cancellation);
    }
    cancellations
}

/// A cancellation of the first lines (at most `max_lines`) of `source`, a few days later.
fn cancellation(
    rng: &mut Xoshiro256Plus,
    source: &Invoice,
    source_index: usize,
    max_lines: u64,
) -> Invoice {
    let lines = u64::from(geometric(rng, 0.5))
        .min(u64::from(source.lines))
        .min(max_lines);
    let day = f64::from(source.minute / 1440 + geometric(rng, 0.35) - 1);
    Invoice {
        minute: business_minute(rng, day)
            .max(source.minute + 1)
            .min((SPAN_DAYS + 1) * 1440 - 1),
        customer: source.customer,
        country: source.country,
        lines: lines as u32,
        cancels: Some(source_index as u32),
        line_seed: source.line_seed,
    }
}

#[derive(Clone, Copy)]
struct Line {
    product: usize,
    quantity: i64,
    price: f64,
    blank_description: bool,
}

/// The lines of an invoice, drawn from its own seed (a cancellation redraws its source's lines
/// and negates them).
fn invoice_lines(
    invoice: &Invoice,
    products: &[Product],
    popularity: &[f64],
    customers: &[Customer],
) -> Vec<Line> {
    let mut rng = Xoshiro256Plus::seed_from_u64(invoice.line_seed);
    let guest = invoice.customer.is_none();
    let multiplier = invoice
        .customer
        .map_or(1.0, |c| customers[c as usize].basket_multiplier);
    let mut lines: Vec<Line> = Vec::with_capacity(invoice.lines as usize);
    while lines.len() < invoice.lines as usize {
        if let Some(previous) = lines.last()
            && !guest
            && rng.gen_bool(DUPLICATE_LINE_SHARE)
        {
            lines.push(*previous);
            continue;
        }
        let mut product_index = pick(&mut rng, popularity);
        if lines.iter().any(|line| line.product == product_index) {
            // Popular products would repeat within big invoices far more than in the real
            // file, where exact duplicates are ~1.3% of lines; one redraw brings that close.
            product_index = pick(&mut rng, popularity);
        }
        let special = products[product_index].special;
        if special.is_some_and(|index| SPECIALS[index].3 && !guest) {
            product_index = rng.gen_range(0..PRODUCTS - SPECIALS.len());
        }
        let product = &products[product_index];
        let (quantity, price) = match product.special {
            Some(index) => {
                let price = match SPECIALS[index].2 {
                    Some(price) => price,
                    None if index == 1 => (log_normal(&mut rng, 1.5, 1.4) * 100.0).round() / 100.0,
                    None => (rng.gen_range(20.0..1200.0f64) * 100.0).round() / 100.0,
                };
                (rng.gen_range(1..4), price)
            }
            None => {
                let mut quantity =
                    (f64::from(product.pack) * f64::from(geometric(&mut rng, 0.6)) * multiplier)
                        .round()
                        .max(1.0) as i64;
                if !guest && rng.gen_bool(0.002) {
                    quantity *= rng.gen_range(10..60);
                }
                let quantity = quantity.min(5000);
                let mut price = product.price;
                if quantity >= 12 * i64::from(product.pack) {
                    price = (price * 0.85 * 100.0).round().max(1.0) / 100.0;
                }
                if guest {
                    price = (price * 1.9 * 100.0).round() / 100.0; // retail markup
                }
                (quantity, price)
            }
        };
        let zero = guest && rng.gen_bool(0.005); // damaged or unknown lines
        lines.push(Line {
            product: product_index,
            quantity,
            price: if zero { 0.0 } else { price },
            blank_description: zero && rng.gen_bool(0.5),
        });
    }
    if invoice.cancels.is_some() {
        for line in &mut lines {
            line.quantity = if rng.gen_bool(0.2) {
                -(line.quantity / 2).max(1)
            } else {
                -line.quantity
            };
        }
    }
    lines
}

/// Writes a population of exactly `config.customers` customers, one at a time: each is drawn
/// from its own seed (invoices per customer heavy-tailed like the real sheet's, ~20 rows per
/// customer), then written as its invoices (customer by customer, each customer's in time
/// order; guest invoices between customers) or as its RFM row. Memory does not grow with the
/// number of customers.
pub fn generate_population<W: Write>(
    config: &PopulationConfig,
    out: W,
) -> std::io::Result<GenerationSummary> {
    if config.customers > MAX_POPULATION {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("at most {MAX_POPULATION} customers"),
        ));
    }
    let mut rng = Xoshiro256Plus::seed_from_u64(config.seed);
    let products = make_products(&mut rng);
    let popularity = cumulative(&zipf_weights(&mut rng, products.len()));
    let buyers = (0..config.customers).map(|index| {
        let mut buyer_rng = Xoshiro256Plus::seed_from_u64(rng.r#gen());
        let buyer = draw_buyer(&mut buyer_rng, FIRST_CUSTOMER_ID + index);
        (buyer, buyer_rng)
    });
    let mut summary = GenerationSummary {
        customers: config.customers,
        ..GenerationSummary::default()
    };
    match config.output {
        PopulationOutput::Transactions => {
            let guest_lines_mu = log_normal_mu_for_ceil_mean(
                GUEST_SHARE * POPULATION_ROWS_PER_CUSTOMER / GUEST_INVOICE_CHANCE,
                LINES_SIGMA,
            );
            let mut sink = TransactionSink::new(out)?;
            for (buyer, mut rng) in buyers {
                let customers = std::slice::from_ref(&buyer.customer);
                for invoice in &buyer.invoices {
                    let lines = invoice_lines(invoice, &products, &popularity, customers);
                    if invoice.cancels.is_some() {
                        summary.cancellation_rows += lines.len() as u64;
                    }
                    sink.write_invoice(invoice, Some(buyer.customer.id), &lines, &products)?;
                }
                if rng.gen_bool(GUEST_INVOICE_CHANCE) {
                    let line_count = ceil_log_normal(&mut rng, guest_lines_mu, LINES_SIGMA);
                    let guest = guest_invoice(&mut rng, line_count);
                    let lines = invoice_lines(&guest, &products, &popularity, &[]);
                    summary.guest_rows += lines.len() as u64;
                    sink.write_invoice(&guest, None, &lines, &products)?;
                }
            }
            sink.finish()?;
            (summary.rows, summary.invoices) = (sink.rows, sink.invoices);
        }
        PopulationOutput::Rfm => {
            let mut out = out;
            writeln!(out, "customer_id,recency,frequency,monetary")?;
            for (buyer, _) in buyers {
                let (recency, frequency, monetary) = buyer.rfm(&products, &popularity);
                writeln!(
                    out,
                    "{},{recency},{frequency},{monetary:.2}",
                    buyer.customer.id
                )?;
                summary.invoices += u64::from(frequency);
            }
            out.flush()?;
            summary.rows = u64::from(config.customers);
        }
    }
    Ok(summary)
}

/// One customer of a population and its invoices in time order, each cancellation right after
/// the invoice it cancels.
struct Buyer {
    customer: Customer,
    invoices: Vec<Invoice>,
}

fn draw_buyer(rng: &mut Xoshiro256Plus, id: u32) -> Buyer {
    let customer = make_customer(rng, id);
    let purchases = ceil_log_normal(rng, INVOICES_MU, INVOICES_SIGMA);
    // Frequent buyers stay more often: rank 0 at one invoice, 1 from 50 on.
    let activity_rank = (f64::from(purchases).ln() / 50f64.ln()).min(1.0);
    let (first, last) = active_window(rng, activity_rank);
    let lines_mu = log_normal_mu_for_ceil_mean(customer_lines_mean(), LINES_SIGMA);
    let mut purchases: Vec<Invoice> = (0..purchases)
        .map(|_| {
            let day = (first + rng.r#gen::<f64>() * (last - first)).floor();
            Invoice {
                minute: business_minute(rng, day),
                customer: Some(0),
                country: customer.country,
                lines: ceil_log_normal(rng, lines_mu, LINES_SIGMA),
                cancels: None,
                line_seed: rng.r#gen(),
            }
        })
        .collect();
    purchases.sort_by_key(|invoice| invoice.minute);
    let mut invoices = Vec::with_capacity(purchases.len() + purchases.len() / 8);
    for (index, purchase) in purchases.into_iter().enumerate() {
        let cancelled = rng
            .gen_bool(CANCELLED_INVOICE_CHANCE)
            .then(|| cancellation(rng, &purchase, index, u64::MAX));
        invoices.push(purchase);
        invoices.extend(cancelled);
    }
    Buyer { customer, invoices }
}

/// Lines per customer invoice that make [`POPULATION_ROWS_PER_CUSTOMER`] rows per customer
/// with the guest and cancellation shares of the real file. (The real sheet has ~21 lines per
/// invoice, ~95 rows per customer: a population spends its rows on customers, not baskets.)
fn customer_lines_mean() -> f64 {
    let mean_invoices = ceil_log_normal_mean(INVOICES_MU, INVOICES_SIGMA);
    POPULATION_ROWS_PER_CUSTOMER * (1.0 - GUEST_SHARE - CANCELLATION_SHARE) / mean_invoices
}

/// ceil(LogNormal(mu, sigma)), at least 1 (the tail is capped far beyond any real customer).
fn ceil_log_normal(rng: &mut Xoshiro256Plus, mu: f64, sigma: f64) -> u32 {
    log_normal(rng, mu, sigma).ceil().clamp(1.0, 1e5) as u32
}

/// Mean of [`ceil_log_normal`], close enough: the log-normal mean plus half a unit.
fn ceil_log_normal_mean(mu: f64, sigma: f64) -> f64 {
    (mu + sigma * sigma / 2.0).exp() + 0.5
}

/// The `mu` giving [`ceil_log_normal`] the mean `mean` (> 1.5).
fn log_normal_mu_for_ceil_mean(mean: f64, sigma: f64) -> f64 {
    (mean - 0.5).ln() - sigma * sigma / 2.0
}

impl Buyer {
    /// Recency, frequency and monetary as the ingest computes them from this customer's rows:
    /// cancellations, exact duplicate lines and unpriced lines left out; recency in days from
    /// the day after the span's last day (the ingest counts from the day after the file's last
    /// purchase, the same day or earlier).
    fn rfm(&self, products: &[Product], popularity: &[f64]) -> (u32, u32, f64) {
        let customers = std::slice::from_ref(&self.customer);
        let (mut frequency, mut monetary, mut last_day) = (0, 0.0, 0);
        for invoice in self.invoices.iter().filter(|i| i.cancels.is_none()) {
            let lines = invoice_lines(invoice, products, popularity, customers);
            let mut bought = false;
            for (index, line) in lines.iter().enumerate() {
                let duplicate = lines[..index].iter().any(|earlier| {
                    (earlier.product, earlier.quantity, earlier.price.to_bits())
                        == (line.product, line.quantity, line.price.to_bits())
                });
                if line.price > 0.0 && !duplicate {
                    monetary += line.quantity as f64 * line.price;
                    bought = true;
                }
            }
            if bought {
                frequency += 1;
                last_day = last_day.max(invoice.minute / 1440);
            }
        }
        (SPAN_DAYS + 1 - last_day, frequency, monetary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generate(rows: u64, seed: u64) -> (Vec<u8>, GenerationSummary) {
        let mut out = Vec::new();
        let summary = generate_transactions(
            &GeneratorConfig {
                rows,
                seed,
                customers: None,
            },
            &mut out,
        )
        .unwrap();
        (out, summary)
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let (first, _) = generate(3_000, 7);
        let (again, _) = generate(3_000, 7);
        let (other, _) = generate(3_000, 8);
        assert_eq!(first, again);
        assert_ne!(first, other);
    }

    #[test]
    fn exact_row_count_at_any_size() {
        for rows in [1, 2, 10, 99, 1_000, 20_011] {
            let (bytes, summary) = generate(rows, 1);
            let mut reader = csv::Reader::from_reader(bytes.as_slice());
            assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), HEADER);
            assert_eq!(reader.records().count() as u64, rows, "rows {rows}");
            assert_eq!(summary.rows, rows);
        }
    }
}

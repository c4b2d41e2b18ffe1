//! The native command-line twin `rfm-studio`: the same core as the browser, for batch users,
//! benchmarks and files too large for a browser tab.
//!
//! Over 400 lines because its commands (rfm, segment, generate, clv, sql) share the ingest
//! arguments, the quality printing and one error type; each command's body is a short function.

use std::fs::File;
use std::io::{BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::core::clv::{ClvError, ClvOptions, ClvReport, fit_customer_value, summarize};
use crate::core::embed::scale::Scaling;
use crate::core::export::{csv_text, labels_csv, money};
use crate::core::generate::{
    GeneratorConfig, MAX_POPULATION, PopulationConfig, PopulationOutput, generate_population,
    generate_transactions,
};
use crate::core::ingest::{
    CancellationPolicy, ColumnMapping, DateOrder, IngestError, IngestOptions, Ingested,
    QualityReport, Role, SNIFF_BYTES, read_transactions, sniff,
};
use crate::core::pipeline::{
    DEFAULT_SAMPLE_SIZE, PipelineError, PipelineOptions, Progress, Report, run_blocking,
};
use crate::core::rfm::{RfmError, RfmTable};
use crate::core::warehouse::{
    Dialect, SegmentModel, WarehouseError, bigquery_ml_script, pyspark_script, rfm_query,
    score_query,
};

#[derive(Debug, Parser)]
#[command(
    name = "rfm-studio",
    version,
    about = "Customer segmentation: RFM, autoencoder, clustering"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read transactions (CSV, .csv.gz or XLSX) or an RFM table, write RFM with scores and segments.
    Rfm(RfmArgs),
    /// Run the whole pipeline (embeddings, six clusterings, evaluation, statistics, t-SNE) on
    /// transactions or an RFM table; write the labels and the full report.
    Segment(SegmentArgs),
    /// Fit BG/NBD and Gamma-Gamma on the transactions' purchase days; write each customer's
    /// P(alive), expected purchases, expected spend per purchase and CLV over a horizon.
    Clv(ClvArgs),
    /// Write a synthetic Online-Retail-II-shaped transaction CSV.
    Generate(GenerateArgs),
    /// Print SQL that runs where the data lives: the RFM query, or a fitted variant's scoring
    /// query (and KMeans refit scripts for BigQuery ML and PySpark).
    #[command(subcommand)]
    Sql(SqlCommand),
}

#[derive(Debug, Subcommand)]
pub enum SqlCommand {
    /// The RFM table (scores and segments included) as one query over a transactions table
    /// whose columns are named as in FILE's header, with the cleaning policy of the flags.
    Rfm(SqlRfmArgs),
    /// Fit as `segment` does, then print the chosen variant's model as one SELECT over a table
    /// (customer_id, recency, frequency, monetary) returning customer_id, cluster, persona.
    Score(SqlScoreArgs),
}

#[derive(Debug, Args)]
pub struct SqlRfmArgs {
    /// A sample export (CSV, .csv.gz or XLSX) whose header gives the column names, as for `rfm`.
    pub file: PathBuf,
    #[arg(long, value_enum)]
    pub dialect: DialectArg,
    /// The warehouse table holding the transactions.
    #[arg(long, default_value = "transactions")]
    pub table: String,
    #[command(flatten)]
    pub ingest: IngestArgs,
}

#[derive(Debug, Args)]
pub struct SqlScoreArgs {
    /// Variant(s) to export, comma-separated: KM_PCA, GMM_PCA, AGGLO_PCA, KM_AE, GMM_AE, AGGLO_AE.
    #[arg(long, value_delimiter = ',', required = true)]
    pub variant: Vec<String>,
    /// Dialect(s), comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', required = true)]
    pub dialect: Vec<DialectArg>,
    /// The warehouse table holding customer_id, recency, frequency, monetary.
    #[arg(long, default_value = "rfm")]
    pub table: String,
    /// Write VARIANT.DIALECT.sql per pair, VARIANT.bigquery_ml.sql and VARIANT.pyspark.py here
    /// instead of printing the one query asked for.
    #[arg(long)]
    pub out_dir: Option<PathBuf>,
    #[command(flatten)]
    pub segment: SegmentArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DialectArg {
    Duckdb,
    Spark,
    Bigquery,
    Postgres,
}

impl From<DialectArg> for Dialect {
    fn from(dialect: DialectArg) -> Self {
        match dialect {
            DialectArg::Duckdb => Dialect::DuckDb,
            DialectArg::Spark => Dialect::Spark,
            DialectArg::Bigquery => Dialect::BigQuery,
            DialectArg::Postgres => Dialect::Postgres,
        }
    }
}

#[derive(Debug, Args)]
pub struct ClvArgs {
    /// Transactions (CSV, .csv.gz or XLSX); an aggregated RFM table has no purchase dates.
    pub file: PathBuf,
    /// Days ahead for the expected purchases and the CLV.
    #[arg(long, default_value_t = 90.0)]
    pub horizon_days: f64,
    /// Discount rate per 30-day month (lifetimes' default 0.01, about 12.7% a year).
    #[arg(long, default_value_t = 0.01)]
    pub discount_rate: f64,
    /// Output CSV: customer_id,frequency,recency,T,p_alive,expected_purchases,expected_spend,clv.
    #[arg(long)]
    pub out: PathBuf,
    /// Also write the fitted parameters (r, alpha, a, b; p, q, gamma) as JSON.
    #[arg(long)]
    pub params_json: Option<PathBuf>,
    #[command(flatten)]
    pub ingest: IngestArgs,
}

#[derive(Debug, Args)]
pub struct RfmArgs {
    /// Input file; the format is detected from its content, not its name.
    pub file: PathBuf,
    /// Output CSV: customer_id,recency,frequency,monetary,r_score,f_score,m_score,segment.
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub ingest: IngestArgs,
    /// Snapshot date (YYYY-MM-DD) for recency; default: the day after the last purchase.
    #[arg(long)]
    pub snapshot: Option<NaiveDate>,
    /// Also write the data-quality report as JSON.
    #[arg(long)]
    pub report_json: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SegmentArgs {
    /// Transactions (CSV, .csv.gz, XLSX) or an aggregated RFM table.
    pub file: PathBuf,
    #[arg(long, default_value_t = 3)]
    pub k: usize,
    /// Seeds every random choice (autoencoder, clustering restarts, subsamples, noise).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// seed: standard scaling of raw RFM, as the original project; log: log1p first.
    #[arg(long, value_enum, default_value_t = ScalingArg::Seed)]
    pub scaling: ScalingArg,
    /// Report with every metric, as JSON.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// customer_id,recency,frequency,monetary, one label column per variant, tsne_x,tsne_y.
    #[arg(long)]
    pub labels: Option<PathBuf>,
    /// Skip the k sweep (2..=10).
    #[arg(long)]
    pub no_k_sweep: bool,
    /// The complexity budget: silhouettes, Ward trees, stability, the k sweep and t-SNE use a
    /// seeded, stratified sample of at most this many customers (exact at or below it).
    #[arg(long, default_value_t = DEFAULT_SAMPLE_SIZE)]
    pub sample_size: usize,
    /// Days ahead for the expected purchases and the CLV.
    #[arg(long, default_value_t = 90.0)]
    pub horizon_days: f64,
    /// Discount rate per 30-day month (lifetimes' default 0.01, about 12.7% a year).
    #[arg(long, default_value_t = 0.01)]
    pub discount_rate: f64,
    /// Segment migration and the purchase model's holdout start here (YYYY-MM-DD); default: a
    /// quarter before the last purchase.
    #[arg(long)]
    pub migration_date: Option<NaiveDate>,
    #[command(flatten)]
    pub ingest: IngestArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ScalingArg {
    Seed,
    Log,
}

/// How the input is read and cleaned (shared by `rfm` and `segment`).
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Column for a role, overriding detection (repeatable), e.g. --map amount=dollar_value.
    /// Roles: customer_id invoice date quantity price amount stock_code description country
    /// recency frequency monetary.
    #[arg(long = "map", value_name = "ROLE=COLUMN")]
    pub mappings: Vec<String>,
    /// How to read slash dates; auto decides from the data and flags ambiguity.
    #[arg(long, value_enum, default_value_t = DateOrderArg::Auto)]
    pub date_order: DateOrderArg,
    /// Drop cancellation lines, or net them against the customer's purchases.
    #[arg(long, value_enum, default_value_t = CancellationArg::Drop)]
    pub cancellations: CancellationArg,
    /// Keep exact duplicate lines.
    #[arg(long)]
    pub keep_duplicates: bool,
    /// Keep lines with quantity <= 0.
    #[arg(long)]
    pub keep_nonpositive_quantity: bool,
    /// Keep lines with price (or amount) <= 0.
    #[arg(long)]
    pub keep_nonpositive_price: bool,
    /// Drop non-product stock codes (postage, fees, adjustments; see --non-product-codes).
    #[arg(long)]
    pub drop_non_product: bool,
    /// Comma-separated stock codes treated as non-product (replaces the default list).
    #[arg(long, value_delimiter = ',')]
    pub non_product_codes: Option<Vec<String>>,
    /// Refuse the file at the first line that cannot be read (default: drop and count it).
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Data rows to write; customers scale with rows like the real file unless --customers.
    #[arg(long, required_unless_present = "customers")]
    pub rows: Option<u64>,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Registered customers. Without --rows: exactly this many, with heavy-tailed purchase
    /// counts like the real file's and ~20 rows each, streamed (for inputs of any size).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_POPULATION)))]
    pub customers: Option<u32>,
    /// With --customers and no --rows: write the RFM table those transactions give
    /// (customer_id,recency,frequency,monetary) instead of the transactions.
    #[arg(long, requires = "customers", conflicts_with = "rows")]
    pub rfm: bool,
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DateOrderArg {
    Auto,
    Mdy,
    Dmy,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CancellationArg {
    Drop,
    Net,
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{path}: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Ingest(#[from] IngestError),
    #[error("{0}")]
    Rfm(#[from] RfmError),
    #[error("--map {0}: expected ROLE=COLUMN with ROLE one of {roles}", roles = role_names())]
    BadMapping(String),
    #[error("{0}")]
    Pipeline(#[from] PipelineError),
    #[error("{0}")]
    Clv(#[from] ClvError),
    #[error(transparent)]
    Warehouse(#[from] WarehouseError),
    #[error("several variants or dialects need --out-dir (one file each)")]
    ManyQueries,
}

fn role_names() -> String {
    Role::ALL
        .iter()
        .map(|role| role.name())
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn main() -> ExitCode {
    match run(&Cli::parse().command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one subcommand; `main` prints the error as `error: {message}` and exits with 1.
pub fn run(command: &Command) -> Result<(), CliError> {
    match command {
        Command::Rfm(args) => run_rfm(args),
        Command::Segment(args) => run_segment(args),
        Command::Clv(args) => run_clv(args),
        Command::Generate(args) => run_generate(args),
        Command::Sql(SqlCommand::Rfm(args)) => run_sql_rfm(args),
        Command::Sql(SqlCommand::Score(args)) => run_sql_score(args),
    }
}

fn file_error(path: &Path) -> impl FnOnce(std::io::Error) -> CliError + '_ {
    move |source| CliError::File {
        path: path.to_owned(),
        source,
    }
}

pub fn ingest_options(args: &IngestArgs) -> Result<IngestOptions, CliError> {
    let mut mapping = ColumnMapping::default();
    for pair in &args.mappings {
        let (role, column) = pair
            .split_once('=')
            .ok_or_else(|| CliError::BadMapping(pair.clone()))?;
        let role =
            Role::from_name(role.trim()).ok_or_else(|| CliError::BadMapping(pair.clone()))?;
        mapping.set(role, Some(column.to_owned()));
    }
    let mut options = IngestOptions {
        mapping,
        date_order: match args.date_order {
            DateOrderArg::Auto => DateOrder::Auto,
            DateOrderArg::Mdy => DateOrder::Mdy,
            DateOrderArg::Dmy => DateOrder::Dmy,
        },
        strict: args.strict,
        ..IngestOptions::default()
    };
    let policy = &mut options.policy;
    policy.cancellations = match args.cancellations {
        CancellationArg::Drop => CancellationPolicy::Drop,
        CancellationArg::Net => CancellationPolicy::Net,
    };
    policy.drop_duplicates = !args.keep_duplicates;
    policy.drop_nonpositive_quantity = !args.keep_nonpositive_quantity;
    policy.drop_nonpositive_price = !args.keep_nonpositive_price;
    policy.drop_non_product_codes = args.drop_non_product;
    if let Some(codes) = &args.non_product_codes {
        policy.non_product_codes = codes.clone();
    }
    Ok(options)
}

/// Reads and cleans a file, with a percentage on a terminal.
fn read_input(path: &Path, ingest: &IngestArgs) -> Result<Ingested, CliError> {
    let options = ingest_options(ingest)?;
    let file = File::open(path).map_err(file_error(path))?;
    let total = file.metadata().ok().map(|metadata| metadata.len());
    let show_progress = std::io::stderr().is_terminal();
    let mut last_percent = None;
    let mut progress = |done: u64, total: Option<u64>| {
        if let (true, Some(total)) = (show_progress, total.filter(|&t| t > 0)) {
            let percent = done * 100 / total;
            if last_percent != Some(percent) {
                eprint!("\rreading {percent:>3}%");
                last_percent = Some(percent);
            }
        }
    };
    let ingested = read_transactions(
        &mut std::io::BufReader::with_capacity(1 << 20, file),
        total,
        &options,
        &mut progress,
    );
    if show_progress {
        eprintln!();
    }
    Ok(ingested?)
}

fn run_rfm(args: &RfmArgs) -> Result<(), CliError> {
    let ingested = read_input(&args.file, &args.ingest)?;
    let table = RfmTable::from_ingested(&ingested, args.snapshot)?;
    let out = File::create(&args.out).map_err(file_error(&args.out))?;
    write_rfm_csv(&table, BufWriter::new(out)).map_err(file_error(&args.out))?;
    if let Some(path) = &args.report_json {
        let json =
            serde_json::to_string_pretty(&ingested.report).map_err(|error| CliError::File {
                path: path.clone(),
                source: std::io::Error::other(error),
            })?;
        std::fs::write(path, json).map_err(file_error(path))?;
    }
    print!("{}", report_text(&ingested.report));
    println!(
        "wrote {} customers to {}",
        table.customers.len(),
        args.out.display()
    );
    Ok(())
}

fn run_clv(args: &ClvArgs) -> Result<(), CliError> {
    let ingested = read_input(&args.file, &args.ingest)?;
    let snapshot = ingested
        .report
        .snapshot_date
        .ok_or(ClvError::NoPurchaseHistory)?;
    let summaries = summarize(&ingested.customers, snapshot)?;
    let options = ClvOptions {
        horizon_days: args.horizon_days,
        monthly_discount_rate: args.discount_rate,
    };
    let report = fit_customer_value(&summaries, &options)?;
    let out = File::create(&args.out).map_err(file_error(&args.out))?;
    write_clv_csv(&report, BufWriter::new(out)).map_err(file_error(&args.out))?;
    if let Some(path) = &args.params_json {
        std::fs::write(path, clv_params_json(&report)).map_err(file_error(path))?;
    }
    let (purchases, spend) = (&report.purchases.params, &report.spend.params);
    print!("{}", report_text(&ingested.report));
    println!(
        "BG/NBD on {} customers: r {:.4}, alpha {:.4}, a {:.4}, b {:.4}",
        report.purchases.customers, purchases.r, purchases.alpha, purchases.a, purchases.b
    );
    println!(
        "Gamma-Gamma on {} repeat buyers: p {:.4}, q {:.4}, gamma {:.4}",
        report.spend.customers, spend.p, spend.q, spend.gamma
    );
    let total: f64 = report.customers.iter().map(|c| c.clv).sum();
    println!(
        "CLV over {} days at {}%/month: {} in total; wrote {} customers to {}",
        options.horizon_days,
        options.monthly_discount_rate * 100.0,
        money(total),
        report.customers.len(),
        args.out.display()
    );
    Ok(())
}

/// Per customer, every number at full precision (shortest text that reads back the same).
pub fn write_clv_csv(report: &ClvReport, mut out: impl Write) -> std::io::Result<()> {
    writeln!(
        out,
        "customer_id,frequency,recency,T,p_alive,expected_purchases,expected_spend,clv"
    )?;
    for customer in &report.customers {
        let summary = &customer.summary;
        writeln!(
            out,
            "{},{},{},{},{},{},{},{}",
            csv_text(&summary.customer_id),
            summary.frequency,
            summary.recency,
            summary.t,
            customer.p_alive,
            customer.expected_purchases,
            customer.expected_spend,
            customer.clv,
        )?;
    }
    out.flush()
}

/// The fitted parameters by the papers' names, with what they were fitted on.
pub fn clv_params_json(report: &ClvReport) -> String {
    let (purchases, spend) = (&report.purchases, &report.spend);
    let json = serde_json::json!({
        "r": purchases.params.r,
        "alpha": purchases.params.alpha,
        "a": purchases.params.a,
        "b": purchases.params.b,
        "p": spend.params.p,
        "q": spend.params.q,
        "gamma": spend.params.gamma,
        "bgnbd_customers": purchases.customers,
        "bgnbd_log_likelihood": purchases.log_likelihood,
        "gamma_gamma_customers": spend.customers,
        "gamma_gamma_log_likelihood": spend.log_likelihood,
        "frequency_spend_correlation": spend.frequency_spend_correlation,
        "horizon_days": report.options.horizon_days,
        "monthly_discount_rate": report.options.monthly_discount_rate,
    });
    format!("{json:#}\n")
}

/// The RFM table as CSV; text cells go through [`csv_text`], money through [`money`].
pub fn write_rfm_csv(table: &RfmTable, mut out: impl Write) -> std::io::Result<()> {
    writeln!(
        out,
        "customer_id,recency,frequency,monetary,r_score,f_score,m_score,segment"
    )?;
    for customer in &table.customers {
        writeln!(
            out,
            "{},{},{},{},{},{},{},{}",
            csv_text(&customer.customer_id),
            customer.recency,
            customer.frequency,
            money(customer.monetary),
            customer.r_score,
            customer.f_score,
            customer.m_score,
            csv_text(customer.segment.name()),
        )?;
    }
    out.flush()
}

/// The data-quality report as the terminal shows it: the counts, then how the file was read.
pub fn report_text(report: &QualityReport) -> String {
    let mut text = format!(
        "rows read: {}\nrows kept: {}\n",
        report.rows_read, report.rows_kept
    );
    for removed in &report.removed {
        text += &format!("  removed, {}: {}\n", removed.label, removed.rows);
    }
    for lines in &report.unreadable {
        let first: Vec<String> = lines.first_lines.iter().map(u64::to_string).collect();
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        let count = if lines.lines > lines.rows {
            let rows = lines.rows;
            format!(
                "{rows} record{} over {} lines",
                plural(rows as usize),
                lines.lines
            )
        } else {
            lines.rows.to_string()
        };
        text += &format!(
            "  unreadable, {}: {count} (first at line{} {}; {})\n",
            lines.label,
            plural(first.len()),
            first.join(", "),
            lines.example
        );
    }
    text += &format!(
        "customers: {}\ninvoices: {}\n",
        report.customers, report.invoices
    );
    if let (Some(first), Some(last)) = (report.first_date, report.last_date) {
        text += &format!("dates: {first} .. {last}\n");
    }
    if let Some(snapshot) = report.snapshot_date {
        text += &format!("snapshot: {snapshot}\n");
    }
    text += &format!("total revenue: {:.2}\n", report.total_revenue);
    for note in report.reading_notes() {
        let flag = if note.warning { "! " } else { "" };
        text += &format!("{flag}{}: {}\n", note.topic, note.text);
    }
    text
}

/// Runs the pipeline as `segment` does and writes the --report and --labels files asked for.
fn segment_report(args: &SegmentArgs) -> Result<Report, CliError> {
    let file = File::open(&args.file).map_err(file_error(&args.file))?;
    let total_bytes = file.metadata().ok().map(|m| m.len());
    let options = PipelineOptions {
        k: args.k,
        seed: args.seed,
        scaling: match args.scaling {
            ScalingArg::Seed => Scaling::SeedCompatible,
            ScalingArg::Log => Scaling::Log1p,
        },
        ingest: ingest_options(&args.ingest)?,
        k_sweep: !args.no_k_sweep,
        sample_size: args.sample_size,
        clv: ClvOptions {
            horizon_days: args.horizon_days,
            monthly_discount_rate: args.discount_rate,
        },
        migration_date: args.migration_date,
        ..PipelineOptions::default()
    };
    let show_progress = std::io::stderr().is_terminal();
    let report = run_blocking(
        &mut BufReader::new(file),
        total_bytes,
        &options,
        &mut |progress| {
            if let (true, Progress::Stage { stage, done, total }) = (show_progress, &progress) {
                eprint!("\r{:<28} {done:>9} / {total:<9}", stage.label());
            }
        },
    )?;
    if show_progress {
        eprintln!();
    }
    let write = |path: &Path, text: String| std::fs::write(path, text).map_err(file_error(path));
    if let Some(path) = &args.report {
        let json = serde_json::to_string_pretty(&report).map_err(|error| CliError::File {
            path: path.clone(),
            source: std::io::Error::other(error),
        })?;
        write(path, json)?;
    }
    if let Some(path) = &args.labels {
        let rows: Vec<usize> = (0..report.customers.len()).collect();
        write(path, labels_csv(&report, &rows))?;
    }
    Ok(report)
}

fn run_segment(args: &SegmentArgs) -> Result<(), CliError> {
    let report = segment_report(args)?;
    if let Some(quality) = &report.quality {
        print!("{}", report_text(quality));
    }
    println!(
        "{:<10} {:>9} {:>9} {:>9} {:>9} {:>7}  sizes",
        "variant", "sil.own", "sil.common", "macro", "stability", "score"
    );
    for v in &report.variants {
        println!(
            "{:<10} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>7.3}  {:?}",
            v.name,
            v.silhouette_own.score,
            v.silhouette_common.score,
            v.silhouette_common.macro_score,
            v.stability_subsample,
            v.score,
            v.sizes
        );
    }
    println!("{}", report.verdict);
    match (&report.value, &report.value_note) {
        (Some(value), _) => {
            let alive: f64 = value.p_alive.iter().sum();
            let clv: f64 = value.clv.iter().sum();
            println!(
                "customer value over {} days (models fitted on {} of {} customers): {:.0} \
                 expected alive, {:.0} expected purchases, CLV {}{}",
                value.options.horizon_days,
                value.fitted_on,
                value.customers,
                alive,
                value.expected_purchases.iter().sum::<f64>(),
                money(clv),
                value
                    .spend_note
                    .as_ref()
                    .map_or_else(String::new, |note| format!(" (no CLV: {note})"))
            );
        }
        (None, note) => println!("no customer value: {}", note.as_deref().unwrap_or("")),
    }
    if let Some(value) = &report.value {
        match (&value.migration, &value.holdout) {
            (Some(migration), Some(check)) => {
                let (actual, predicted) = check.bins.iter().fold((0.0, 0.0), |(a, p), bin| {
                    let n = bin.customers as f64;
                    (a + n * bin.actual_mean, p + n * bin.predicted_mean)
                });
                println!(
                    "since {}: {} new customers; holdout of {:.0} days: {:.0} purchases, \
                     {:.0} predicted by BG/NBD refitted up to that date",
                    migration.earlier_date,
                    migration.rows.last().map_or(0, |row| row.customers),
                    check.holdout_days,
                    actual,
                    predicted
                );
            }
            _ => println!(
                "no migration or holdout: {}",
                value
                    .holdout_note
                    .as_deref()
                    .or(value.migration_note.as_deref())
                    .unwrap_or("")
            ),
        }
    }
    if !report.sample.is_everyone() {
        println!(
            "sampled (seed {}, {} of {} customers; silhouette standard errors up to {:.4}): {}",
            report.options.seed,
            report.sample.size,
            report.sample.customers,
            report
                .variants
                .iter()
                .map(|v| v.silhouette_own.standard_error)
                .fold(0.0, f64::max),
            report.sample.used_for.join(", ")
        );
    }
    println!("stage times: {}", report.stage_times().join(", "));
    Ok(())
}

fn run_sql_rfm(args: &SqlRfmArgs) -> Result<(), CliError> {
    let options = ingest_options(&args.ingest)?;
    let mut first_bytes = Vec::new();
    File::open(&args.file)
        .and_then(|file| file.take(SNIFF_BYTES as u64).read_to_end(&mut first_bytes))
        .map_err(file_error(&args.file))?;
    let mapping = sniff(&first_bytes)?.mapping.overridden_by(&options.mapping);
    println!(
        "{};",
        rfm_query(&mapping, &options.policy, args.dialect.into(), &args.table)?
    );
    Ok(())
}

fn run_sql_score(args: &SqlScoreArgs) -> Result<(), CliError> {
    let single = args.variant.len() == 1 && args.dialect.len() == 1;
    if args.out_dir.is_none() && !single {
        return Err(CliError::ManyQueries);
    }
    let report = segment_report(&args.segment)?;
    for variant in &args.variant {
        let model = SegmentModel::from_report(&report, variant)?;
        let Some(dir) = &args.out_dir else {
            println!(
                "{};",
                score_query(&model, args.dialect[0].into(), &args.table)?
            );
            return Ok(());
        };
        std::fs::create_dir_all(dir).map_err(file_error(dir))?;
        let write = |name: String, text: String| {
            let path = dir.join(name);
            std::fs::write(&path, text).map_err(file_error(&path))
        };
        for &dialect in &args.dialect {
            let dialect = Dialect::from(dialect);
            let query = score_query(&model, dialect, &args.table)?;
            write(
                format!("{variant}.{}.sql", dialect.name()),
                format!("{query};\n"),
            )?;
        }
        let model_name = format!("rfm_studio.{}", variant.to_ascii_lowercase());
        write(
            format!("{variant}.bigquery_ml.sql"),
            bigquery_ml_script(&model, &args.table, &model_name)?,
        )?;
        write(
            format!("{variant}.pyspark.py"),
            pyspark_script(&model, &args.table)?,
        )?;
    }
    if let Some(dir) = &args.out_dir {
        eprintln!("wrote the queries to {}", dir.display());
    }
    Ok(())
}

fn run_generate(args: &GenerateArgs) -> Result<(), CliError> {
    let file = File::create(&args.out).map_err(file_error(&args.out))?;
    let out = BufWriter::with_capacity(1 << 20, file);
    let summary = match (args.rows, args.customers) {
        (Some(rows), customers) => generate_transactions(
            &GeneratorConfig {
                rows,
                seed: args.seed,
                customers,
            },
            out,
        ),
        (None, Some(customers)) => generate_population(
            &PopulationConfig {
                customers,
                seed: args.seed,
                output: if args.rfm {
                    PopulationOutput::Rfm
                } else {
                    PopulationOutput::Transactions
                },
            },
            out,
        ),
        // clap requires --rows or --customers
        (None, None) => unreachable!("--rows or --customers"),
    }
    .map_err(file_error(&args.out))?;
    if args.rfm {
        println!(
            "wrote the RFM table of {} customers to {}",
            summary.customers,
            args.out.display()
        );
        return Ok(());
    }
    println!(
        "wrote {} rows ({} customers, {} invoices, {} guest rows, {} cancellation rows) to {}",
        summary.rows,
        summary.customers,
        summary.invoices,
        summary.guest_rows,
        summary.cancellation_rows,
        args.out.display()
    );
    Ok(())
}

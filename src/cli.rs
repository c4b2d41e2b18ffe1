//! The native command-line twin `rfm-studio`: the same core as the browser, for batch users,
//! benchmarks and files too large for a browser tab.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::core::embed::scale::Scaling;
use crate::core::export::labels_csv;
use crate::core::generate::{GeneratorConfig, generate_transactions};
use crate::core::ingest::{
    CancellationPolicy, ColumnMapping, DateOrder, IngestError, IngestOptions, QualityReport, Role,
    read_transactions,
};
use crate::core::pipeline::{PipelineError, PipelineOptions, Progress, run_blocking};
use crate::core::rfm::{RfmError, RfmTable};

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
    /// Write a synthetic Online-Retail-II-shaped transaction CSV.
    Generate(GenerateArgs),
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
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[arg(long)]
    pub rows: u64,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Registered customers (default: scales with rows like the real file).
    #[arg(long)]
    pub customers: Option<u32>,
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
        Command::Generate(args) => run_generate(args),
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

fn run_rfm(args: &RfmArgs) -> Result<(), CliError> {
    let options = ingest_options(&args.ingest)?;
    let file = File::open(&args.file).map_err(file_error(&args.file))?;
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
        std::io::BufReader::with_capacity(1 << 20, file),
        total,
        &options,
        &mut progress,
    );
    if show_progress {
        eprintln!();
    }
    let ingested = ingested?;
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

pub fn write_rfm_csv(table: &RfmTable, out: impl Write) -> std::io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record([
        "customer_id",
        "recency",
        "frequency",
        "monetary",
        "r_score",
        "f_score",
        "m_score",
        "segment",
    ])?;
    for customer in &table.customers {
        writer.write_record([
            customer.customer_id.as_str(),
            &customer.recency.to_string(),
            &customer.frequency.to_string(),
            &customer.monetary.to_string(),
            &customer.r_score.to_string(),
            &customer.f_score.to_string(),
            &customer.m_score.to_string(),
            customer.segment.name(),
        ])?;
    }
    writer.flush()
}

/// The data-quality report as the terminal shows it.
pub fn report_text(report: &QualityReport) -> String {
    let mut text = String::new();
    let delimiter = match report.delimiter {
        Some('\t') => "tab".to_owned(),
        Some(other) => format!("'{other}'"),
        None => "-".to_owned(),
    };
    text += &format!(
        "input: {:?}, {:?}, delimiter {delimiter}, {:?}\n",
        report.format, report.encoding, report.input_kind
    );
    text += &format!(
        "rows read: {}\nrows kept: {}\n",
        report.rows_read, report.rows_kept
    );
    for removed in &report.removed {
        text += &format!("  removed, {}: {}\n", removed.label, removed.rows);
    }
    if report.netted_cancellation_rows > 0 {
        text += &format!(
            "cancellation lines netted: {}\n",
            report.netted_cancellation_rows
        );
    }
    if report.customers_without_positive_total > 0 {
        text += &format!(
            "customers left out (no positive total): {}\n",
            report.customers_without_positive_total
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
    let order = &report.date_order;
    if let Some(date_order) = order.order {
        let how = match (&order.evidence, order.ambiguous) {
            (_, true) => {
                "AMBIGUOUS: no day above 12, month-first assumed (override with --date-order)"
                    .to_owned()
            }
            (Some(evidence), false) => evidence.clone(),
            (None, false) => String::new(),
        };
        text += &format!("date order: {date_order:?} ({how})\n");
    }
    text += &format!("total revenue: {:.2}\n", report.total_revenue);
    text
}

fn run_segment(args: &SegmentArgs) -> Result<(), CliError> {
    let bytes = std::fs::read(&args.file).map_err(file_error(&args.file))?;
    let options = PipelineOptions {
        k: args.k,
        seed: args.seed,
        scaling: match args.scaling {
            ScalingArg::Seed => Scaling::SeedCompatible,
            ScalingArg::Log => Scaling::Log1p,
        },
        ingest: ingest_options(&args.ingest)?,
        k_sweep: !args.no_k_sweep,
        ..PipelineOptions::default()
    };
    let show_progress = std::io::stderr().is_terminal();
    let report = run_blocking(&bytes, &options, &mut |progress| {
        if let (true, Progress::Stage { stage, done, total }) = (show_progress, &progress) {
            eprint!("\r{:<28} {done:>9} / {total:<9}", stage.label());
        }
    })?;
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
    let timings: Vec<String> = report
        .timings
        .iter()
        .map(|t| format!("{} {:.2} s", t.stage.label(), t.seconds))
        .collect();
    println!("stage times: {}", timings.join(", "));
    Ok(())
}

fn run_generate(args: &GenerateArgs) -> Result<(), CliError> {
    let out = File::create(&args.out).map_err(file_error(&args.out))?;
    let config = GeneratorConfig {
        rows: args.rows,
        seed: args.seed,
        customers: args.customers,
    };
    let summary = generate_transactions(&config, BufWriter::with_capacity(1 << 20, out))
        .map_err(file_error(&args.out))?;
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

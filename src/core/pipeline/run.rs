//! [`run`]: the stages in order, their progress and their report (the cost of each is the
//! table in [`super`]). Built with the `training` feature only: it trains the autoencoder (burn),
//! which the page never does.

use std::collections::HashSet;

use burn::tensor::Device;
use ndarray::{Array2, ArrayView2, Axis, s};

#[cfg(not(target_arch = "wasm32"))]
use super::MapThread;
use super::embeddings::Embeddings;
use super::variant::{VariantSpec, evaluate_variant};
use super::{
    Clock, Customer, Embedding, MapMaker, PipelineError, PipelineOptions, Progress, Report,
    SampleReport, Stage, StageTiming, Training, k_sweep, pairs, rank_variants,
    seed_published_numbers, sweep_range, value,
};
use crate::core::cluster::Algorithm;
use crate::core::embed::autoencoder::{self, AutoencoderConfig, Encoder};
use crate::core::embed::pca::Pca;
use crate::core::embed::scale::Scaler;
use crate::core::evaluate::SortedFeatures;
use crate::core::ingest::{self, ReadAhead, ReadSeek};
use crate::core::rfm::RfmTable;
use crate::core::sampling::CustomerSample;
use crate::core::tsne::TsneConfig;
use crate::core::warehouse::EmbeddingModels;

/// Separates the sample's random stream from every other use of the run's seed.
const SAMPLE_STREAM: u64 = 0x5a3b_1e00_0000_0001;

/// Rows the encoder embeds at a time: bounds its intermediate layers' memory at large n.
const ENCODE_BATCH: usize = 1 << 16;

/// What a platform lends the pipeline.
pub struct Platform<'a> {
    /// Where the autoencoder trains: flex CPU, or an initialised WebGPU device in a browser.
    pub device: &'a Device,
    /// Says which, for the report.
    pub device_label: &'a str,
    /// Times the stages.
    pub now: Clock<'a>,
    /// Computes the t-SNE map, beside the other stages where it can.
    pub maps: &'a dyn MapMaker,
}

/// Runs the whole pipeline on a file (transactions or an aggregated RFM table), read as a
/// stream: memory grows with customers and invoices, not with the file's size (XLSX excepted,
/// which is read whole). A long file whose invoices are interleaved is read twice.
/// `read_ahead` is the file's side door ([`ReadAhead`]; [`ingest::NoReadAhead`] for a source
/// read only on demand), `total_bytes` its size when known, for progress.
pub async fn run(
    file: &mut dyn ReadSeek,
    read_ahead: &dyn ReadAhead,
    total_bytes: Option<u64>,
    options: &PipelineOptions,
    platform: &Platform<'_>,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report, PipelineError> {
    options.validate()?;
    let mut stopwatch = Stopwatch::new(platform.now);
    let ingested = ingest::read_transactions_ahead(
        file,
        read_ahead,
        total_bytes,
        &options.ingest,
        &mut |done, total| report_stage(progress, Stage::Read, done, total.unwrap_or(done)),
    )
    .await?;
    stopwatch.lap(Stage::Read);

    let table = RfmTable::from_ingested(&ingested, None)?;
    let raw = table.features();
    let n = raw.nrows();
    let profiles = check_segmentable(raw.view(), options.k)?;
    let strata: Vec<usize> = table.customers.iter().map(|c| c.segment as usize).collect();
    let sample =
        CustomerSample::stratified(&strata, options.sample_size, options.seed ^ SAMPLE_STREAM);
    report_stage(progress, Stage::Rfm, 1, 1);
    stopwatch.lap(Stage::Rfm);

    let value = value::customer_value(
        &ingested,
        &table,
        &sample,
        &options.clv,
        options.migration_date,
    );
    let (value, earlier) = match value {
        Ok((value, earlier)) => (Ok(value), earlier),
        Err(note) => (Err(note), None),
    };
    // The purchase days (a fifth of the memory at a million customers) have served.
    let ingest::Ingested {
        customers: purchases,
        report: quality,
    } = ingested;
    drop(purchases);
    report_stage(progress, Stage::Value, 1, 1);
    stopwatch.lap(Stage::Value);

    let scaler = Scaler::fit(options.scaling, raw.view())?;
    let scaled = scaler.transform(raw.view())?;
    let pca = Pca::fit(scaled.view(), 2)?;
    let pca_points = pca.transform(scaled.view())?;
    report_stage(progress, Stage::Embed, 1, 1);
    stopwatch.lap(Stage::Embed);

    // Every customer below the budget (the sample is then all rows, in order).
    let sampled_scaled = scaled.select(Axis(0), &sample.rows);
    let tsne_config = TsneConfig {
        iterations: options.tsne_iterations,
        seed: options.seed,
        perplexity: TsneConfig::default()
            .perplexity
            .min((sample.len() - 1) as f64 / 3.0),
        ..TsneConfig::default()
    };
    let map = platform
        .maps
        .start(sampled_scaled.clone(), tsne_config)
        .await;

    let ae_config = AutoencoderConfig {
        seed: options.seed,
        ..options.autoencoder.clone()
    };
    let fit = autoencoder::train_autoencoder(
        sampled_scaled.view(),
        &ae_config,
        platform.device,
        &mut |epoch| progress(Progress::Epoch(epoch)),
    )
    .await?;
    let ae_points = if sample.is_everyone() {
        fit.embedding
    } else {
        encode_in_batches(&fit.encoder, scaled.view())
    };
    stopwatch.lap(Stage::Autoencoder);

    let embeddings = Embeddings::new(
        sampled_scaled,
        &pca,
        &pca_points,
        &fit.encoder,
        &ae_points,
        &sample,
    )?;
    let variant_specs: Vec<VariantSpec> = Embedding::ALL
        .iter()
        .flat_map(|&embedding| {
            Algorithm::ALL.iter().map(move |&algorithm| VariantSpec {
                algorithm,
                embedding,
                k: options.k,
                seed: options.seed,
            })
        })
        .collect();
    let count = variant_specs.len() as u64;
    let mut clusterings = Vec::new();
    for (i, spec) in variant_specs.iter().enumerate() {
        clusterings.push(embeddings.cluster(spec.algorithm, spec.embedding, spec.k, spec.seed)?);
        report_stage(progress, Stage::Cluster, i as u64 + 1, count);
    }
    stopwatch.lap(Stage::Cluster);

    let sorted_raw = SortedFeatures::new(raw.view())?;
    let mut variants = Vec::new();
    for (i, (spec, clustering)) in variant_specs.iter().zip(clusterings).enumerate() {
        variants.push(evaluate_variant(
            spec,
            clustering,
            &embeddings,
            &sorted_raw,
            options,
        )?);
        report_stage(progress, Stage::Evaluate, i as u64 + 1, count);
    }
    let (winner, verdict) = rank_variants(&mut variants);
    stopwatch.lap(Stage::Evaluate);

    let k_sweep = if options.k_sweep {
        k_sweep::k_sweep(
            &embeddings,
            sweep_range(sample.len(), profiles),
            options.seed,
            &mut |done, total| report_stage(progress, Stage::KSweep, done, total),
        )?
    } else {
        Vec::new()
    };
    stopwatch.lap(Stage::KSweep);

    report_stage(progress, Stage::Tsne, 0, 1);
    let map = map.await.map_err(PipelineError::Map)?;
    report_stage(progress, Stage::Tsne, 1, 1);
    stopwatch.beside(Stage::Tsne, map.seconds);

    let sampled = sample.len();
    let mut report = Report {
        options: options.clone(),
        quality: Some(quality),
        customers: table.customers.iter().map(Customer::from).collect(),
        pca: pairs(pca_points.view()),
        pca_explained_variance_ratio: pca.explained_variance_ratio().to_vec(),
        latent: pairs(ae_points.view()),
        tsne: map.points,
        sample: SampleReport {
            customers: n,
            size: sampled,
            limit: options.sample_size,
            used_for: sample_uses(options, value.is_ok()),
        },
        sample_rows: sample.rows,
        value_note: value.as_ref().err().cloned(),
        value: value.ok(),
        training: Training {
            device: platform.device_label.to_string(),
            losses: fit.loss_curve,
            best_epoch: fit.best_epoch,
            reconstruction_mse: fit.reconstruction_mse,
            trained_on: sampled,
        },
        variants,
        winner,
        verdict,
        published: seed_published_numbers(),
        k_sweep,
        timings: Vec::new(),
        map_computed_on: map.computed_on,
        models: EmbeddingModels::new(&scaler, &pca, &fit.encoder),
    };
    // The clusters' migration needs the fitted variants: computed last, timed as customer value.
    if let Some(earlier) = earlier {
        value::add_cluster_migrations(&mut report, &earlier, &table);
        stopwatch.add_to(Stage::Value);
    }
    report.timings = stopwatch.timings;
    Ok(report)
}

/// [`run`] on the calling thread with burn's CPU device, for native callers (CLI, tests).
#[cfg(not(target_arch = "wasm32"))]
pub fn run_blocking(
    file: &mut dyn ReadSeek,
    total_bytes: Option<u64>,
    options: &PipelineOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report, PipelineError> {
    let started = std::time::Instant::now();
    let now = move || started.elapsed().as_secs_f64();
    let platform = Platform {
        device: &Device::flex(),
        device_label: "CPU (burn flex)",
        now: &now,
        maps: &MapThread,
    };
    futures_lite::future::block_on(run(
        file,
        &ingest::NoReadAhead,
        total_bytes,
        options,
        &platform,
        progress,
    ))
}

/// Times the stages one after the other.
struct Stopwatch<'a> {
    now: Clock<'a>,
    started: f64,
    timings: Vec<StageTiming>,
}

impl<'a> Stopwatch<'a> {
    fn new(now: Clock<'a>) -> Self {
        Self {
            started: now(),
            now,
            timings: Vec::new(),
        }
    }

    fn lap(&mut self, stage: Stage) {
        let t = (self.now)();
        self.timings.push(StageTiming {
            stage,
            seconds: t - self.started,
        });
        self.started = t;
    }

    /// A stage that ran beside the others, `seconds` on its own core: the wait for it since
    /// the last lap is in no stage's time.
    fn beside(&mut self, stage: Stage, seconds: f64) {
        self.timings.push(StageTiming { stage, seconds });
        self.started = (self.now)();
    }

    /// The time since the last lap, added to `stage`'s earlier lap: for work that belongs to a
    /// stage but can only run later.
    fn add_to(&mut self, stage: Stage) {
        let t = (self.now)();
        if let Some(timing) = self.timings.iter_mut().find(|t| t.stage == stage) {
            timing.seconds += t - self.started;
        }
        self.started = t;
    }
}

fn report_stage(progress: &mut dyn FnMut(Progress), stage: Stage, done: u64, total: u64) {
    progress(Progress::Stage { stage, done, total });
}

/// Refuses, before any modelling, data that cannot be split into `k` clusters: too few
/// customers, or too few distinct profiles. Returns the number of distinct profiles.
fn check_segmentable(raw: ArrayView2<f64>, k: usize) -> Result<usize, PipelineError> {
    let customers = raw.nrows();
    let needed = 2 * k;
    if customers < needed {
        return Err(PipelineError::TooFewCustomers {
            k,
            customers,
            needed,
        });
    }
    let mut profiles = HashSet::new();
    for row in raw.rows() {
        profiles.insert(row.iter().map(|v| v.to_bits()).collect::<Vec<u64>>());
        if profiles.len() > *crate::core::cluster::K_SWEEP.end() {
            break;
        }
    }
    if profiles.len() < k {
        return Err(PipelineError::NothingToSegment {
            k,
            customers,
            profiles: profiles.len(),
        });
    }
    Ok(profiles.len())
}

/// What the sample stood in for, in the words the views show.
fn sample_uses(options: &PipelineOptions, customer_value: bool) -> Vec<String> {
    let mut uses = vec![
        "silhouettes".to_string(),
        "the Ward trees (other customers join the cluster Ward would merge them into)".into(),
        "stability and robustness refits".into(),
        "autoencoder training".into(),
        "the t-SNE map".into(),
    ];
    if options.k_sweep {
        uses.push("the k sweep".into());
    }
    if customer_value {
        uses.push("the BG/NBD and Gamma-Gamma fits (every customer is predicted)".into());
    }
    uses
}

fn encode_in_batches(encoder: &Encoder, scaled: ArrayView2<f64>) -> Array2<f64> {
    let mut out: Option<Array2<f64>> = None;
    let mut start = 0;
    while start < scaled.nrows() {
        let end = (start + ENCODE_BATCH).min(scaled.nrows());
        let batch = encoder.encode(scaled.slice(s![start..end, ..]));
        let out = out.get_or_insert_with(|| Array2::zeros((scaled.nrows(), batch.ncols())));
        out.slice_mut(s![start..end, ..]).assign(&batch);
        start = end;
    }
    out.unwrap_or_else(|| Array2::zeros((0, 0)))
}

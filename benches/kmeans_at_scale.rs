//! KMeans at a million customers: the pipeline's path against linfa-clustering's, on the scaled
//! R, F, M (3-D) of a generated population. One measurement per method and k, printed as a
//! table (time, and inertia over every customer against the returned centres, so all methods
//! are scored alike):
//!
//! - ours: best of 10 greedy k-means++ starts on a 5,000-customer sample, then Lloyd on
//!   everyone ([`cluster_from_sample`], what the pipeline runs above its budget);
//! - linfa KMeans (Lloyd on everyone) with k-means++ and with k-means|| initialisation;
//! - linfa's incremental (mini-batch) KMeans, batches of 1,024, until its tolerance is met or
//!   after two passes over the data.
//!
//! Run: `RAYON_NUM_THREADS=1 cargo bench --bench kmeans_at_scale` (one thread, as in the
//! browser worker; linfa parallelises with rayon otherwise). `KMEANS_CUSTOMERS` and
//! `KMEANS_LINFA_RUNS` (default 10) change the size and linfa's restarts.

use std::io::Cursor;

use std::time::Instant;

use linfa::DatasetBase;
use linfa::ParamGuard;
use linfa::traits::{Fit, FitWith};
use linfa_clustering::{IncrKMeansError, KMeans, KMeansInit};
use ndarray::{Array2, ArrayView2};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;
use rfm_studio::core::cluster::{Algorithm, cluster_from_sample};
use rfm_studio::core::embed::scale::{Scaler, Scaling};
use rfm_studio::core::generate::{PopulationConfig, PopulationOutput, generate_population};
use rfm_studio::core::ingest::{IngestOptions, read_transactions};
use rfm_studio::core::rfm::RfmTable;
use rfm_studio::core::sampling::CustomerSample;

const SEED: u64 = 42;
const SAMPLE: usize = 5_000;
const MINI_BATCH: usize = 1_024;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The scaled R, F, M of `customers` generated customers, as the pipeline computes them.
fn scaled_rfm(customers: u32) -> Array2<f64> {
    let mut csv = Vec::new();
    generate_population(
        &PopulationConfig {
            customers,
            seed: 0,
            output: PopulationOutput::Rfm,
        },
        &mut csv,
    )
    .expect("generate");
    let ingested = read_transactions(
        &mut Cursor::new(csv.as_slice()),
        None,
        &IngestOptions::default(),
        &mut |_, _| {},
    )
    .expect("ingest");
    let raw = RfmTable::from_ingested(&ingested, None)
        .expect("rfm")
        .features();
    Scaler::fit_transform(Scaling::SeedCompatible, raw.view())
        .expect("scale")
        .1
}

/// Sum of squared distances of every row to its nearest centre.
fn inertia(x: ArrayView2<f64>, centres: ArrayView2<f64>) -> f64 {
    x.rows()
        .into_iter()
        .map(|row| {
            centres
                .rows()
                .into_iter()
                .map(|c| {
                    row.iter()
                        .zip(c)
                        .map(|(a, b)| (a - b) * (a - b))
                        .sum::<f64>()
                })
                .fold(f64::INFINITY, f64::min)
        })
        .sum()
}

fn timed(run: impl FnOnce() -> Array2<f64>) -> (f64, Array2<f64>) {
    let started = Instant::now();
    let centres = run();
    (started.elapsed().as_secs_f64(), centres)
}

fn main() {
    let customers = env_or("KMEANS_CUSTOMERS", 1_000_000);
    let linfa_runs = env_or("KMEANS_LINFA_RUNS", 10);
    let x = scaled_rfm(customers as u32);
    let n = x.nrows();
    let sample = CustomerSample::stratified(&vec![0; n], SAMPLE, SEED).rows;
    let dataset = DatasetBase::from(x.clone());
    let shuffled = dataset.shuffle(&mut Xoshiro256Plus::seed_from_u64(SEED));
    println!("{n} customers, 3-D scaled R/F/M; linfa restarts: {linfa_runs}");
    println!(
        "{:>3} {:<28} {:>9} {:>16}",
        "k", "method", "seconds", "inertia"
    );
    for k in [3, 4, 5, 6, 7, 8, 9, 10] {
        let ours = timed(|| {
            cluster_from_sample(Algorithm::KMeans, x.view(), &sample, k, SEED)
                .expect("ours")
                .centroids
        });
        let linfa_full = |init: KMeansInit<f64>| {
            timed(|| {
                KMeans::params_with_rng(k, Xoshiro256Plus::seed_from_u64(SEED))
                    .init_method(init)
                    .n_runs(linfa_runs)
                    .fit(&dataset)
                    .expect("linfa")
                    .centroids()
                    .clone()
            })
        };
        let plus_plus = linfa_full(KMeansInit::KMeansPlusPlus);
        let parallel = linfa_full(KMeansInit::KMeansPara);
        let mini_batch = timed(|| {
            let params = KMeans::params_with_rng(k, Xoshiro256Plus::seed_from_u64(SEED))
                .n_runs(linfa_runs)
                .check()
                .expect("parameters");
            let batches = 2 * n.div_ceil(MINI_BATCH);
            let mut model = None;
            for batch in shuffled.sample_chunks(MINI_BATCH).cycle().take(batches) {
                match params.fit_with(model.take(), &batch) {
                    Ok(converged) => return converged.centroids().clone(),
                    Err(IncrKMeansError::NotConverged(next)) => model = Some(next),
                    Err(other) => panic!("linfa mini-batch: {other}"),
                }
            }
            model.expect("at least one batch").centroids().clone()
        });
        for (method, (seconds, centres)) in [
            ("ours (sample++, Lloyd all)", ours),
            ("linfa k-means++", plus_plus),
            ("linfa k-means||", parallel),
            ("linfa mini-batch", mini_batch),
        ] {
            println!(
                "{k:>3} {method:<28} {seconds:>9.2} {:>16.1}",
                inertia(x.view(), centres.view())
            );
        }
    }
}

//! The complexity budget: above `sample_size` customers the O(n²) stages run on a seeded,
//! stratified sample and the rest is extended to every customer by stated rules. These tests
//! check those rules against their definitions on a generated table, and the sampled
//! silhouette against the exact one; the seed's size (below the budget) is checked to stay
//! exact in tests/pipeline_seed.rs.

mod support;

use std::io::Cursor;

use ndarray::Array2;
use rfm_studio::core::cluster::{Algorithm, WardTree};
use rfm_studio::core::evaluate::silhouette_score;
use rfm_studio::core::pipeline::{Embedding, PipelineOptions, Report, run_blocking};

const CUSTOMERS: usize = 1_500;
const SAMPLE: usize = 500;

fn run(bytes: &[u8], sample_size: usize) -> Report {
    let options = PipelineOptions {
        sample_size,
        stability_rounds: 2,
        tsne_iterations: 250,
        ..PipelineOptions::default()
    };
    run_blocking(
        &mut Cursor::new(bytes),
        Some(bytes.len() as u64),
        &options,
        &mut |_| {},
    )
    .expect("the pipeline runs on the generated table")
}

fn variant(report: &Report, algorithm: Algorithm, embedding: Embedding) -> &[usize] {
    &report
        .variants
        .iter()
        .find(|v| v.algorithm == algorithm && v.embedding == embedding)
        .expect("all six variants are reported")
        .labels
}

fn matrix(points: &[[f64; 2]], rows: impl Iterator<Item = usize>) -> Array2<f64> {
    let rows: Vec<usize> = rows.collect();
    Array2::from_shape_fn((rows.len(), 2), |(i, j)| points[rows[i]][j])
}

fn squared(a: [f64; 2], b: &[f64]) -> f64 {
    (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)
}

#[test]
fn above_the_budget_the_quadratic_stages_see_a_sample_and_every_customer_is_labelled() {
    let bytes = support::retail_rfm_table(CUSTOMERS, 7);
    let report = run(&bytes, SAMPLE);
    let k = report.options.k;

    assert_eq!(report.sample.customers, CUSTOMERS);
    assert_eq!(report.sample.size, SAMPLE);
    assert_eq!(report.sample_rows.len(), SAMPLE);
    assert!(report.sample_rows.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(report.tsne.len(), SAMPLE, "the map shows the sample");
    assert_eq!(report.training.trained_on, SAMPLE);
    assert_eq!(
        report.latent.len(),
        CUSTOMERS,
        "the encoder embeds everyone"
    );
    for v in &report.variants {
        assert_eq!(v.labels.len(), CUSTOMERS, "{}", v.name);
        assert_eq!(v.sizes.iter().sum::<usize>(), CUSTOMERS, "{}", v.name);
        let se = v.silhouette_own.standard_error;
        assert!(se > 0.0 && se < 0.05, "{}: standard error {se}", v.name);
    }

    // Ward: the sample keeps the tree's labels; everyone else joins the cluster with the least
    // Ward merge cost size/(size+1) x squared distance to the sample cluster's mean.
    let sampled = matrix(&report.pca, report.sample_rows.iter().copied());
    let cut = WardTree::fit(sampled.view()).unwrap().cut(k).unwrap();
    let ward = variant(&report, Algorithm::Ward, Embedding::Pca);
    for (i, &row) in report.sample_rows.iter().enumerate() {
        assert_eq!(ward[row], cut.labels[i], "sampled row {row}");
    }
    for row in (0..CUSTOMERS).filter(|r| report.sample_rows.binary_search(r).is_err()) {
        let cost = |c: usize| {
            let size = cut.sizes[c] as f64;
            size / (size + 1.0) * squared(report.pca[row], cut.centroids.row(c).as_slice().unwrap())
        };
        assert!(
            (0..k).all(|c| cost(ward[row]) <= cost(c)),
            "row {row} is not in its least-cost Ward cluster"
        );
    }

    // KMeans: Lloyd ran on every customer until its centres moved less than the tolerance, so
    // its labels are (up to that tolerance) a fixed point there: customers nearer another
    // cluster's mean than their own are at most a handful on the boundaries.
    let kmeans = variant(&report, Algorithm::KMeans, Embedding::Pca);
    let mut means = vec![[0.0; 2]; k];
    let mut sizes = vec![0.0; k];
    for (point, &label) in report.pca.iter().zip(kmeans) {
        means[label][0] += point[0];
        means[label][1] += point[1];
        sizes[label] += 1.0;
    }
    for (mean, size) in means.iter_mut().zip(&sizes) {
        mean[0] /= size;
        mean[1] /= size;
    }
    let misplaced = report
        .pca
        .iter()
        .zip(kmeans)
        .filter(|&(point, &label)| {
            let own = squared(*point, &means[label]);
            means.iter().any(|m| squared(*point, m) < own - 1e-9)
        })
        .count();
    assert!(
        misplaced * 200 <= CUSTOMERS,
        "{misplaced} customers are nearer another KMeans mean"
    );

    // The sampled silhouette estimates the exact one over every customer. The standard error
    // covers the sampling variance of the mean only: with a third of the customers sampled the
    // estimate was seen 0.05 from the exact value (KM_PCA 0.550 vs 0.497 on this table), so the
    // bound is loose; see the closing note of the scale issue.
    for v in &report.variants {
        let points = match v.embedding {
            Embedding::Pca => matrix(&report.pca, 0..CUSTOMERS),
            Embedding::Autoencoder => matrix(&report.latent, 0..CUSTOMERS),
        };
        let exact = silhouette_score(points.view(), &v.labels).unwrap();
        let estimate = v.silhouette_own.score;
        assert!(
            (estimate - exact).abs() < 0.08_f64.max(5.0 * v.silhouette_own.standard_error),
            "{}: sampled {estimate} vs exact {exact}",
            v.name
        );
    }

    // Seeded: the same input and seed give the same report.
    let again = run(&bytes, SAMPLE);
    assert_eq!(again.sample_rows, report.sample_rows);
    for (a, b) in again.variants.iter().zip(&report.variants) {
        assert_eq!(a.labels, b.labels, "{}", a.name);
        assert_eq!(a.silhouette_own, b.silhouette_own, "{}", a.name);
    }
}

#[test]
fn at_or_below_the_budget_every_number_is_exact() {
    let bytes = support::retail_rfm_table(400, 11);
    let report = run(&bytes, 400);
    assert!(report.sample.is_everyone());
    assert_eq!(report.sample_rows, (0..400).collect::<Vec<_>>());
    for v in &report.variants {
        assert_eq!(v.silhouette_own.standard_error, 0.0, "{}", v.name);
        let points = match v.embedding {
            Embedding::Pca => matrix(&report.pca, 0..400),
            Embedding::Autoencoder => matrix(&report.latent, 0..400),
        };
        assert_eq!(
            v.silhouette_own.score,
            silhouette_score(points.view(), &v.labels).unwrap(),
            "{}",
            v.name
        );
    }
}

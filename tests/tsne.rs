//! t-SNE checked against scikit-learn (tests/fixtures/tsne/make_tsne.py): the input affinities
//! value for value, the trustworthiness measure exactly, and the embedding's quality within a
//! tolerance (the optimisation is stochastic in float rounding, so coordinates are not compared).

mod support;

use ndarray::{Array2, ArrayView2};
use rfm_studio::core::tsne::{
    TsneConfig, TsneError, TsneInit, joint_probabilities, trustworthiness, tsne,
};
use serde::Deserialize;
use std::collections::BTreeMap;
use support::cluster::matrix;

#[derive(Deserialize)]
struct Reference {
    x: Vec<Vec<f64>>,
    labels: Vec<i64>,
    perplexity: f64,
    p_rows: BTreeMap<String, Vec<(usize, f64)>>,
    p_total: f64,
    embedding: Vec<Vec<f64>>,
    trustworthiness: f64,
    kl_divergence: f64,
}

fn reference() -> Reference {
    support::fixture("tsne/tsne_reference.json")
}

/// Mean share of each blob point's 10 nearest map neighbours that come from the same blob.
fn neighbour_label_agreement(embedding: ArrayView2<f64>, labels: &[i64]) -> f64 {
    let n = labels.len();
    let blob_points: Vec<usize> = (0..n).filter(|&i| labels[i] >= 0).collect();
    let agreement: f64 = blob_points
        .iter()
        .map(|&i| {
            let mut others: Vec<(f64, usize)> = (0..n)
                .filter(|&j| j != i)
                .map(|j| {
                    let d = &embedding.row(i) - &embedding.row(j);
                    (d.dot(&d), j)
                })
                .collect();
            others.sort_by(|a, b| a.0.total_cmp(&b.0));
            others[..10]
                .iter()
                .filter(|&&(_, j)| labels[j] == labels[i])
                .count() as f64
                / 10.0
        })
        .sum();
    agreement / blob_points.len() as f64
}

#[test]
fn input_affinities_match_sklearn() {
    let r = reference();
    let p = joint_probabilities(matrix(&r.x).view(), r.perplexity).unwrap();
    let total: f64 = (0..p.rows()).flat_map(|i| p.row(i)).map(|(_, v)| v).sum();
    assert!((total - r.p_total).abs() < 1e-9, "sum of P {total}");
    for (row, expected) in &r.p_rows {
        let ours: Vec<(usize, f64)> = p.row(row.parse().unwrap()).collect();
        assert_eq!(
            ours.iter().map(|e| e.0).collect::<Vec<_>>(),
            expected.iter().map(|e| e.0).collect::<Vec<_>>(),
            "non-zero columns of row {row}"
        );
        for ((column, ours), (_, theirs)) in ours.iter().zip(expected) {
            assert!(
                (ours - theirs).abs() <= 1e-6 * theirs.abs(),
                "P[{row},{column}] = {ours}, sklearn {theirs}"
            );
        }
    }
}

#[test]
fn trustworthiness_matches_sklearn() {
    let r = reference();
    let t = trustworthiness(matrix(&r.x).view(), matrix(&r.embedding).view(), 10);
    assert!(
        (t - r.trustworthiness).abs() < 1e-12,
        "{t} vs {}",
        r.trustworthiness
    );
}

#[test]
fn embedding_is_as_faithful_as_sklearn() {
    let r = reference();
    let x = matrix(&r.x);
    let config = TsneConfig::default();
    let mut calls = Vec::new();
    let result = tsne(x.view(), &config, &mut |i, total| calls.push((i, total))).unwrap();
    let ours = trustworthiness(x.view(), result.embedding.view(), 10);
    let agreement = neighbour_label_agreement(result.embedding.view(), &r.labels);
    let sklearn_agreement = neighbour_label_agreement(matrix(&r.embedding).view(), &r.labels);
    println!(
        "trustworthiness {ours:.4} (sklearn {:.4}); KL {:.4} (sklearn {:.4}); \
         10-NN label agreement {agreement:.4} (sklearn {sklearn_agreement:.4}); {} iterations",
        r.trustworthiness, result.kl_divergence, r.kl_divergence, result.iterations
    );
    assert!(result.embedding.iter().all(|v| v.is_finite()));
    assert!((ours - r.trustworthiness).abs() <= 0.02);
    assert!(agreement >= 0.95);
    assert!(
        (result.kl_divergence - r.kl_divergence).abs() <= 0.1 * r.kl_divergence,
        "KL {} vs sklearn {}",
        result.kl_divergence,
        r.kl_divergence
    );
    assert_eq!(calls.len(), result.iterations);
    assert!(
        calls
            .iter()
            .enumerate()
            .all(|(k, &(i, total))| i == k + 1 && total == 1000)
    );
}

#[test]
fn same_seed_same_map() {
    let r = reference();
    let x = matrix(&r.x);
    let config = TsneConfig {
        init: TsneInit::Random,
        iterations: 100,
        seed: 3,
        ..TsneConfig::default()
    };
    let run = |c: &TsneConfig| tsne(x.view(), c, &mut |_, _| {}).unwrap().embedding;
    assert_eq!(run(&config), run(&config));
    assert_ne!(
        run(&config),
        run(&TsneConfig {
            seed: 4,
            ..config.clone()
        })
    );
}

#[test]
fn unusable_inputs_are_errors() {
    let tiny = Array2::from_shape_fn((20, 3), |(i, j)| (i * 3 + j) as f64);
    assert_eq!(
        tsne(tiny.view(), &TsneConfig::default(), &mut |_, _| {}).unwrap_err(),
        TsneError::PerplexityTooLarge {
            perplexity: 30.0,
            rows: 20
        }
    );
    let mut holes = Array2::from_shape_fn((50, 3), |(i, j)| (i * 3 + j) as f64);
    holes[[7, 2]] = f64::NAN;
    assert_eq!(
        tsne(holes.view(), &TsneConfig::default(), &mut |_, _| {}).unwrap_err(),
        TsneError::NonFiniteInput { row: 7, column: 2 }
    );
    let same = Array2::from_elem((50, 3), 1.5);
    assert_eq!(
        tsne(same.view(), &TsneConfig::default(), &mut |_, _| {}).unwrap_err(),
        TsneError::IdenticalRows
    );
}

#[derive(Deserialize)]
struct SeedTableReference {
    rows: usize,
    trustworthiness: f64,
    kl_divergence: f64,
    fit_seconds_single_thread: f64,
}

/// Full-size run on the seed table against sklearn's summary of the same run (fixture
/// `seed_table`), with both timings printed. Slow in an unoptimised build; run on demand:
/// `CARGO_PROFILE_DEV_OPT_LEVEL=2 cargo test --test tsne -- --ignored --nocapture`.
#[test]
#[ignore]
fn seed_table_map_is_as_faithful_as_sklearn() {
    #[derive(Deserialize)]
    struct Fixture {
        seed_table: SeedTableReference,
    }
    let reference = support::fixture::<Fixture>("tsne/tsne_reference.json").seed_table;
    let x = support::seed_table().standard_scaled();
    assert_eq!(x.nrows(), reference.rows);
    let started = std::time::Instant::now();
    let result = tsne(x.view(), &TsneConfig::default(), &mut |_, _| {}).unwrap();
    let seconds = started.elapsed().as_secs_f64();
    let ours = trustworthiness(x.view(), result.embedding.view(), 10);
    println!(
        "seed table ({} rows): {seconds:.1} s (sklearn, one thread: {:.1} s); trustworthiness \
         {ours:.4} (sklearn {:.4}); KL {:.4} (sklearn {:.4})",
        reference.rows,
        reference.fit_seconds_single_thread,
        reference.trustworthiness,
        result.kl_divergence,
        reference.kl_divergence
    );
    assert!((ours - reference.trustworthiness).abs() <= 0.02);
}

//! The whole pipeline on the seed project's own RFM table (tests/data/seed_rfm_with_km_ae.csv,
//! 4,312 customers with the seed's KM_AE labels), with the seed-compatible preset and k = 3.
//!
//! References: the seed's labels (KM_PCA must agree with them, ARI >= 0.95, as the Python peer
//! does) and the Python peer's KM_PCA silhouette on this table (0.611; ../shared/README.md). The
//! KM_AE silhouette across autoencoder seeds is compared with the peer's in tests/autoencoder.rs.

mod support;

use std::collections::HashMap;

use rfm_studio::core::evaluate::adjusted_rand_index;
use rfm_studio::core::pipeline::{PipelineOptions, Progress, Report, Stage, run_blocking};

fn seed_labels() -> HashMap<String, usize> {
    let table = support::seed_table();
    table.customer_ids.into_iter().zip(table.km_ae).collect()
}

fn run_seed(seed: u64, events: &mut Vec<Progress>) -> Report {
    let bytes = std::fs::read(support::seed_table_path()).expect("seed table is readable");
    let options = PipelineOptions {
        seed,
        k_sweep: seed == 42,
        ..PipelineOptions::default()
    };
    run_blocking(
        &mut std::io::Cursor::new(bytes.as_slice()),
        Some(bytes.len() as u64),
        &options,
        &mut |p| events.push(p),
    )
    .expect("the pipeline runs on the seed table")
}

fn variant<'a>(report: &'a Report, name: &str) -> &'a rfm_studio::core::pipeline::Variant {
    report
        .variants
        .iter()
        .find(|v| v.name == name)
        .expect("all six variants are reported")
}

#[test]
fn seed_table_reproduces_the_seed_segmentation_and_reports_every_stage() {
    let mut events = Vec::new();
    let report = run_seed(42, &mut events);
    assert_eq!(report.customers.len(), 4312);
    assert_eq!(report.variants.len(), 6);

    let seed = seed_labels();
    let reference: Vec<usize> = report.customers.iter().map(|c| seed[&c.id]).collect();
    let km_pca = variant(&report, "KM_PCA");
    let ari = adjusted_rand_index(&reference, &km_pca.labels).unwrap();
    eprintln!(
        "KM_PCA vs seed KM_AE labels: ARI {ari:.4}; silhouette {:.4}",
        km_pca.silhouette_own.score
    );
    assert!(
        ari >= 0.95,
        "KM_PCA must reproduce the seed's clusters, ARI {ari}"
    );
    assert!(
        (km_pca.silhouette_own.score - 0.611).abs() < 0.02,
        "KM_PCA silhouette {}",
        km_pca.silhouette_own.score
    );

    for v in &report.variants {
        eprintln!(
            "{:9} own {:.3} common {:.3} macro {:.3} DB {:.3} CH {:.0} stab {:.3} reseed {:?} noise {:.3} ablation {:?} tree {:.3} sizes {:?} score {:.3}",
            v.name,
            v.silhouette_own.score,
            v.silhouette_common.score,
            v.silhouette_common.macro_score,
            v.davies_bouldin,
            v.calinski_harabasz,
            v.stability_subsample,
            v.stability_reseed,
            v.robustness.noise,
            v.robustness.ablation,
            v.interpretability.tree.accuracy,
            v.sizes,
            v.score
        );
        assert_eq!(v.labels.len(), 4312);
        assert_eq!(v.sizes.iter().sum::<usize>(), 4312);
        assert!((-1.0..=1.0).contains(&v.silhouette_own.score));
        assert!((0.0..=1.0).contains(&v.interpretability.tree.accuracy));
        assert_eq!(v.statistics.len(), 3);
        assert_eq!(v.robustness.ablation.len(), 3);
    }
    eprintln!("verdict: {}", report.verdict);
    eprintln!("timings: {:?}", report.timings);
    assert_eq!(
        report.winner,
        report
            .variants
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.score.total_cmp(&b.1.score))
            .unwrap()
            .0
    );
    assert_eq!(report.tsne.len(), 4312);
    assert!(
        report
            .tsne
            .iter()
            .all(|p| p[0].is_finite() && p[1].is_finite())
    );
    // One point per k in order, every variant scored; inertia for KMeans, BIC for mixtures.
    let ks: Vec<usize> = report.k_sweep.iter().map(|p| p.k).collect();
    assert_eq!(ks, (2..=10).collect::<Vec<_>>());
    for point in &report.k_sweep {
        assert_eq!(point.silhouette.len(), 6, "k = {}", point.k);
        let inertia: Vec<&String> = point.inertia.keys().collect();
        assert_eq!(inertia, ["KM_AE", "KM_PCA"], "k = {}", point.k);
        let bic: Vec<&String> = point.bic.keys().collect();
        assert_eq!(bic, ["GMM_AE", "GMM_PCA"], "k = {}", point.k);
    }
    // The sweep's Ward cut at the chosen k is the Ward variant itself (one shared tree).
    let agglo_pca = report
        .variants
        .iter()
        .find(|v| v.name == "AGGLO_PCA")
        .unwrap();
    let sweep_at_k = report.k_sweep.iter().find(|p| p.k == 3).unwrap();
    assert_eq!(
        sweep_at_k.silhouette["AGGLO_PCA"],
        agglo_pca.silhouette_own.score
    );
    assert!(!report.training.losses.is_empty());
    // Every stage reported progress, reading reached the end of the file.
    for stage in [
        Stage::Read,
        Stage::Rfm,
        Stage::Embed,
        Stage::Cluster,
        Stage::Evaluate,
        Stage::KSweep,
        Stage::Tsne,
    ] {
        assert!(
            events
                .iter()
                .any(|e| matches!(e, Progress::Stage { stage: s, .. } if *s == stage)),
            "no progress for {stage:?}"
        );
    }
    assert!(events.iter().any(|e| matches!(e, Progress::Epoch(_))));
    // The report survives the JSON trip to the page.
    let json = serde_json::to_string(&report).unwrap();
    let back: Report = serde_json::from_str(&json).unwrap();
    assert_eq!(back.customers.len(), report.customers.len());
}

#[test]
fn the_same_seed_gives_the_same_report() {
    let first = run_seed(7, &mut Vec::new());
    let second = run_seed(7, &mut Vec::new());
    for (a, b) in first.variants.iter().zip(&second.variants) {
        assert_eq!(
            a.labels, b.labels,
            "{} differs between identical runs",
            a.name
        );
    }
    assert_eq!(first.latent, second.latent);
    assert_eq!(first.tsne, second.tsne);
}

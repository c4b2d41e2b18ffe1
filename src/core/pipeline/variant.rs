//! One variant (algorithm x embedding) evaluated: quality, stability, robustness,
//! interpretability and statistics.
//!
//! Cost in customers n with a sample of s: silhouettes O(s²); Davies-Bouldin, Calinski-Harabasz,
//! ANOVA, Welch, Tukey and Games-Howell O(n k) over every customer; the depth-2 tree
//! O(n) on features sorted once per run; stability and robustness refit on the sample (Ward O(s²) worst case, KMeans and
//! the mixture O(s k) per iteration).

use ndarray::{Array2, Axis};
use rand::{Rng, SeedableRng, seq::index};
use rand_distr::{Distribution, Normal};
use rand_xoshiro::Xoshiro256Plus;

use super::PipelineError;
use super::embeddings::Embeddings;
use super::options::PipelineOptions;
use super::report::{Embedding, FEATURES, Robustness, Variant, VariantId};
use crate::core::cluster::{self, Algorithm, Clustering};
use crate::core::evaluate::{self, SilhouetteSummary, SortedFeatures};
use crate::core::warehouse::{ClusterRule, WARD_SUBCLUSTERS};

pub(super) struct VariantSpec {
    pub algorithm: Algorithm,
    pub embedding: Embedding,
    pub k: usize,
    pub seed: u64,
}

impl VariantSpec {
    pub fn id(&self) -> VariantId {
        VariantId::new(self.algorithm, self.embedding)
    }
}

pub(super) fn evaluate_variant(
    spec: &VariantSpec,
    clustering: Clustering,
    embeddings: &Embeddings<'_>,
    raw: &SortedFeatures<'_>,
    options: &PipelineOptions,
) -> Result<Variant, PipelineError> {
    let points = embeddings.points(spec.embedding);
    let rule = match spec.algorithm {
        Algorithm::Ward => ClusterRule::ward(
            &clustering,
            &embeddings.ward_subclusters(spec.embedding, WARD_SUBCLUSTERS)?,
            &embeddings.sample.rows,
        ),
        Algorithm::KMeans | Algorithm::Gmm => ClusterRule::of(&clustering),
    };
    let labels = clustering.labels;
    let sample = embeddings.sample;
    let sampled_points = embeddings.sampled_points(spec.embedding);
    let sampled_labels = sample.pick(&labels);
    let sampled_silhouette = |space| -> Result<SilhouetteSummary, PipelineError> {
        let mut summary = evaluate::silhouette_summary(space, &sampled_labels)?;
        summary.standard_error *= sample.finite_population_correction();
        Ok(summary)
    };
    let silhouette_own = sampled_silhouette(sampled_points)?;
    let silhouette_common = sampled_silhouette(embeddings.sampled_scaled())?;

    let mut rng = Xoshiro256Plus::seed_from_u64(spec.seed ^ 0x5eed_57ab);
    let m = sampled_labels.len();
    let mut subsample_ari = Vec::new();
    for _ in 0..options.stability_rounds {
        let mut rows = index::sample(&mut rng, m, m * 4 / 5).into_vec();
        rows.sort_unstable();
        let subset = sampled_points.select(Axis(0), &rows);
        let refit = cluster::cluster(spec.algorithm, subset.view(), spec.k, rng.r#gen())?;
        let original: Vec<usize> = rows.iter().map(|&i| sampled_labels[i]).collect();
        subsample_ari.push(evaluate::adjusted_rand_index(&original, &refit.labels)?);
    }
    let stability_reseed = match spec.algorithm {
        Algorithm::Ward => None,
        Algorithm::KMeans | Algorithm::Gmm => {
            let mut aris = Vec::new();
            for round in 1..=options.stability_rounds as u64 {
                let refit =
                    cluster::cluster(spec.algorithm, sampled_points, spec.k, spec.seed + round)?;
                aris.push(evaluate::adjusted_rand_index(
                    &sampled_labels,
                    &refit.labels,
                )?);
            }
            Some(mean(&aris))
        }
    };

    let perturbed_ari = |scaled: Array2<f64>| -> Result<f64, PipelineError> {
        let points = embeddings.reembed(spec.embedding, scaled.view())?;
        let refit = cluster::cluster(spec.algorithm, points.view(), spec.k, spec.seed)?;
        Ok(evaluate::adjusted_rand_index(
            &sampled_labels,
            &refit.labels,
        )?)
    };
    let noise = Normal::new(0.0, options.noise_level).expect("validated: finite and >= 0");
    let noisy = embeddings
        .sampled_scaled()
        .mapv(|v| v + noise.sample(&mut rng));
    let noise_ari = perturbed_ari(noisy)?;
    let mut ablation = Vec::new();
    for feature in 0..FEATURES.len() {
        let mut ablated = embeddings.sampled_scaled().to_owned();
        // Scaled features have mean 0, so this is the feature's mean.
        ablated.column_mut(feature).fill(0.0);
        ablation.push(perturbed_ari(ablated)?);
    }

    let interpretability = evaluate::interpretability_sorted(raw, &FEATURES, &labels)?;
    let tests = evaluate::feature_statistics(raw.features(), &FEATURES, &labels, 0.05)?;
    Ok(Variant {
        name: spec.id().to_string(),
        algorithm: spec.algorithm,
        embedding: spec.embedding,
        sizes: evaluate::cluster_sizes(&labels),
        silhouette_own,
        silhouette_common,
        davies_bouldin: evaluate::davies_bouldin(points, &labels)?,
        calinski_harabasz: evaluate::calinski_harabasz(points, &labels)?,
        stability_subsample: mean(&subsample_ari),
        stability_reseed,
        robustness: Robustness {
            noise: noise_ari,
            ablation,
        },
        interpretability,
        statistics: tests.tested,
        statistics_skipped: tests.skipped,
        labels,
        rule,
        score: 0.0,
    })
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

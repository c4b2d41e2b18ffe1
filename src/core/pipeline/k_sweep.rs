//! The evidence for choosing k: every variant's silhouette, KMeans inertia and mixture BIC for
//! each k of [`K_SWEEP`] the sample can hold, all on the run's sample (O(s²) per silhouette).

use std::collections::BTreeMap;

use super::PipelineError;
use super::embeddings::Embeddings;
use super::report::{Embedding, KSweepPoint, VariantId};
use crate::core::cluster::{Algorithm, K_SWEEP};
use crate::core::evaluate;

/// The sweep's k values for `customers` customers with `profiles` distinct (R, F, M) profiles:
/// at least two customers per cluster, and no more clusters than distinct profiles.
pub fn sweep_range(customers: usize, profiles: usize) -> std::ops::RangeInclusive<usize> {
    let largest = (*K_SWEEP.end()).min(customers / 2).min(profiles);
    *K_SWEEP.start()..=largest
}

pub(super) fn k_sweep(
    embeddings: &Embeddings<'_>,
    ks: std::ops::RangeInclusive<usize>,
    seed: u64,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Vec<KSweepPoint>, PipelineError> {
    let mut points: Vec<KSweepPoint> = ks
        .clone()
        .map(|k| KSweepPoint {
            k,
            silhouette: BTreeMap::new(),
            inertia: BTreeMap::new(),
            bic: BTreeMap::new(),
        })
        .collect();
    let total = (Embedding::ALL.len() * Algorithm::ALL.len()) as u64;
    let mut done = 0;
    for embedding in Embedding::ALL {
        let x = embeddings.sampled_points(embedding);
        for algorithm in Algorithm::ALL {
            let name = VariantId::new(algorithm, embedding).to_string();
            let clusterings = ks
                .clone()
                .map(|k| embeddings.cluster_sample(algorithm, embedding, k, seed))
                .collect::<Result<Vec<_>, _>>()?;
            for (point, clustering) in points.iter_mut().zip(clusterings) {
                let clusters = clustering.sizes.iter().filter(|&&s| s > 0).count();
                if clusters > 1 && clusters < x.nrows() {
                    point.silhouette.insert(
                        name.clone(),
                        evaluate::silhouette_score(x, &clustering.labels)?,
                    );
                }
                match algorithm {
                    Algorithm::KMeans => {
                        point.inertia.insert(name.clone(), clustering.inertia);
                    }
                    Algorithm::Gmm => {
                        if let Some(bic) = clustering.bic {
                            point.bic.insert(name.clone(), bic);
                        }
                    }
                    Algorithm::Ward => {}
                }
            }
            done += 1;
            progress(done, total);
        }
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sweep_fits_the_data() {
        assert_eq!(sweep_range(5000, 4000), K_SWEEP);
        assert_eq!(sweep_range(10, 10), 2..=5);
        assert_eq!(sweep_range(1000, 4), 2..=4);
    }
}

//! Which variant the studio recommends, and why, in words.

use super::report::Variant;

/// Ranking weights: separation that every segment shares (macro silhouette in the common
/// space, so one tight 5-customer cluster cannot carry the score), stability, and how well a
/// two-rule tree on raw R/F/M explains the clusters.
pub const SCORE_WEIGHTS: [(&str, f64); 3] = [
    ("macro silhouette, common space", 0.4),
    ("subsample stability (ARI)", 0.3),
    ("depth-2 tree accuracy on R/F/M", 0.3),
];

/// Scores every variant in place and returns the winner and why it won.
pub fn rank_variants(variants: &mut [Variant]) -> (usize, String) {
    for v in variants.iter_mut() {
        let separation = (v.silhouette_common.macro_score + 1.0) / 2.0;
        v.score = SCORE_WEIGHTS[0].1 * separation
            + SCORE_WEIGHTS[1].1 * v.stability_subsample.max(0.0)
            + SCORE_WEIGHTS[2].1 * v.interpretability.tree.accuracy;
    }
    let winner = (0..variants.len())
        .max_by(|&a, &b| variants[a].score.total_cmp(&variants[b].score))
        .unwrap_or(0);
    let best_own = (0..variants.len())
        .max_by(|&a, &b| {
            variants[a]
                .silhouette_own
                .score
                .total_cmp(&variants[b].silhouette_own.score)
        })
        .unwrap_or(0);
    let w = &variants[winner];
    let mut verdict = format!(
        "{} ranks first (score {:.3}): macro silhouette {:.3} in the common scaled-RFM space, \
         subsample stability {:.3}, and a two-rule tree on raw R/F/M reproduces {:.1}% of its labels.",
        w.name,
        w.score,
        w.silhouette_common.macro_score,
        w.stability_subsample,
        100.0 * w.interpretability.tree.accuracy,
    );
    if best_own != winner {
        let b = &variants[best_own];
        let smallest = b.sizes.iter().copied().min().unwrap_or(0);
        verdict.push_str(&format!(
            " {} has the highest silhouette in its own embedding ({:.3}), the kind of number the \
             seed reported, but its smallest cluster has {} customers and its macro silhouette \
             in the common space is {:.3}.",
            b.name, b.silhouette_own.score, smallest, b.silhouette_common.macro_score
        ));
    }
    (winner, verdict)
}

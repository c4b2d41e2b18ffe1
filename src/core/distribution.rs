//! What a distribution chart draws instead of raw points: a box from its quartiles and fences,
//! a histogram from counts per bin. A chart then costs O(groups × bins) to draw whatever the
//! number of customers; summarising costs O(n log n) (one sort per group) and O(n log bins).
//!
//! Quantiles interpolate linearly between order statistics (numpy's default, Hyndman-Fan type 7);
//! fences are Tukey's: the most extreme values within 1.5 IQR of the quartiles. Bins are
//! half-open `[a, b)` except the last, as numpy's `histogram`.

use serde::{Deserialize, Serialize};

/// A box plot's numbers for one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoxSummary {
    pub count: usize,
    pub mean: f64,
    pub lower_fence: f64,
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
    pub upper_fence: f64,
}

/// Quantile `p` in [0, 1] of ascending `sorted` values (type 7); `None` when empty.
pub fn quantile_of_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let position = p.clamp(0.0, 1.0) * last as f64;
    let below = position.floor() as usize;
    let above = (below + 1).min(last);
    let weight = position - below as f64;
    Some(sorted[below] + weight * (sorted[above] - sorted[below]))
}

/// The box of `values` (non-finite values are ignored); `None` when none is finite.
pub fn box_summary(values: impl IntoIterator<Item = f64>) -> Option<BoxSummary> {
    let mut sorted: Vec<f64> = values.into_iter().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let quartile = |p| quantile_of_sorted(&sorted, p);
    let (q1, median, q3) = (quartile(0.25)?, quartile(0.5)?, quartile(0.75)?);
    let reach = 1.5 * (q3 - q1);
    let lower_fence = sorted[sorted.partition_point(|&v| v < q1 - reach)];
    let upper_fence = sorted[sorted.partition_point(|&v| v <= q3 + reach) - 1];
    Some(BoxSummary {
        count: sorted.len(),
        mean: sorted.iter().sum::<f64>() / sorted.len() as f64,
        lower_fence,
        q1,
        median,
        q3,
        upper_fence,
    })
}

/// How bin edges are spaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BinScale {
    Linear,
    /// Equal ratios: for heavy-tailed features (spend, invoices), where equal widths put nearly
    /// everyone in the first bar and leave the rest of the chart empty.
    Log,
}

impl BinScale {
    /// Log when every value is positive and they span at least [`LOG_SPAN`] (two decades).
    pub fn for_range(min: f64, max: f64) -> BinScale {
        if min > 0.0 && max / min >= LOG_SPAN {
            BinScale::Log
        } else {
            BinScale::Linear
        }
    }
}

/// The ratio of largest to smallest value from which bins are log-spaced.
pub const LOG_SPAN: f64 = 100.0;

/// Counts per bin of several groups over shared edges.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    pub scale: BinScale,
    /// `bins + 1` ascending edges.
    pub edges: Vec<f64>,
    /// Per group, one count per bin.
    pub counts: Vec<Vec<usize>>,
}

/// `bins` bins (at least 1) spanning the finite values of every group; `None` when no group has
/// one. A single distinct value gets the unit-wide range numpy gives it.
pub fn histogram(groups: &[Vec<f64>], bins: usize) -> Option<Histogram> {
    let bins = bins.max(1);
    let finite = || groups.iter().flatten().copied().filter(|v| v.is_finite());
    let min = finite().reduce(f64::min)?;
    let max = finite().reduce(f64::max)?;
    let (scale, edges) = if min == max {
        (BinScale::Linear, linspace(min - 0.5, max + 0.5, bins + 1))
    } else {
        let scale = BinScale::for_range(min, max);
        let edges = match scale {
            BinScale::Linear => linspace(min, max, bins + 1),
            BinScale::Log => {
                // As numpy's geomspace: powers of ten, with the end points exactly the data's.
                let mut edges: Vec<f64> = linspace(min.log10(), max.log10(), bins + 1)
                    .into_iter()
                    .map(|e| 10f64.powf(e))
                    .collect();
                edges[0] = min;
                edges[bins] = max;
                edges
            }
        };
        (scale, edges)
    };
    let last_bin = bins - 1;
    let counts = groups
        .iter()
        .map(|values| {
            let mut counts = vec![0; bins];
            for &v in values.iter().filter(|v| v.is_finite()) {
                let bin = edges.partition_point(|&e| e <= v).saturating_sub(1);
                counts[bin.min(last_bin)] += 1;
            }
            counts
        })
        .collect();
    Some(Histogram {
        scale,
        edges,
        counts,
    })
}

/// `count` evenly spaced values from `start` to `stop` inclusive, computed as numpy's linspace
/// (start + i·step, the last exactly `stop`), so edges match the reference bit for bit.
fn linspace(start: f64, stop: f64, count: usize) -> Vec<f64> {
    let step = (stop - start) / (count - 1) as f64;
    let mut values: Vec<f64> = (0..count).map(|i| start + i as f64 * step).collect();
    values[count - 1] = stop;
    values
}

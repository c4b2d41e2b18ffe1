//! Label bookkeeping shared by the metrics and the statistics.

use super::EvaluateError;

/// The distinct labels present, in ascending order (as `np.unique` gives them), and each
/// sample's position among them. Labels that never occur are simply absent, which is how
/// scikit-learn and statsmodels treat them too.
pub(crate) struct Groups {
    /// Distinct label values, ascending.
    pub labels: Vec<usize>,
    /// For every sample, the index of its label in `labels`.
    pub index: Vec<usize>,
    /// Number of samples per entry of `labels`.
    pub sizes: Vec<usize>,
}

impl Groups {
    pub fn new(labels: &[usize]) -> Self {
        let mut distinct = labels.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        let mut sizes = vec![0; distinct.len()];
        let index = labels
            .iter()
            .map(|label| {
                let g = distinct
                    .binary_search(label)
                    .expect("every label is among the distinct labels");
                sizes[g] += 1;
                g
            })
            .collect();
        Self {
            labels: distinct,
            index,
            sizes,
        }
    }

    pub fn count(&self) -> usize {
        self.labels.len()
    }
}

pub(crate) fn check_lengths(
    what: &'static str,
    left: usize,
    right: usize,
) -> Result<(), EvaluateError> {
    if left == right {
        Ok(())
    } else {
        Err(EvaluateError::LengthMismatch { what, left, right })
    }
}

pub(crate) fn check_finite<'a>(
    values: impl IntoIterator<Item = &'a f64>,
) -> Result<(), EvaluateError> {
    if values.into_iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(EvaluateError::NonFinite)
    }
}

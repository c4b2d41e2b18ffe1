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
        let largest = labels.iter().copied().max().unwrap_or(0);
        // Cluster labels are small (0..k): a table indexed by label value finds each label's
        // group in O(n), where sorting a copy of the labels costs O(n log n) on every call.
        let (distinct, group_of_label) = if largest < labels.len() {
            let mut group_of_label = vec![usize::MAX; largest + 1];
            for &label in labels {
                group_of_label[label] = 0;
            }
            let mut distinct = Vec::new();
            for (label, group) in group_of_label.iter_mut().enumerate() {
                if *group == 0 {
                    *group = distinct.len();
                    distinct.push(label);
                }
            }
            (distinct, Some(group_of_label))
        } else {
            let mut distinct = labels.to_vec();
            distinct.sort_unstable();
            distinct.dedup();
            (distinct, None)
        };
        let mut sizes = vec![0; distinct.len()];
        let index = labels
            .iter()
            .map(|label| {
                let g = match &group_of_label {
                    Some(table) => table[*label],
                    None => distinct
                        .binary_search(label)
                        .expect("every label is among the distinct labels"),
                };
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Small labels take the table, large ones the sort: both give `np.unique`'s groups.
    #[test]
    fn groups_are_the_sorted_distinct_labels_whatever_their_size() {
        let small = Groups::new(&[2, 0, 2, 4, 0, 2]);
        assert_eq!(small.labels, vec![0, 2, 4]);
        assert_eq!(small.index, vec![1, 0, 1, 2, 0, 1]);
        assert_eq!(small.sizes, vec![2, 3, 1]);
        let large = Groups::new(&[700, 5, 700, 90]);
        assert_eq!(large.labels, vec![5, 90, 700]);
        assert_eq!(large.index, vec![2, 0, 2, 1]);
        assert_eq!(large.sizes, vec![1, 1, 2]);
        assert_eq!(Groups::new(&[]).count(), 0);
    }
}

//! The complexity budget's sample: every computation that costs O(n²) in customers (silhouettes,
//! the Ward tree, t-SNE, stability and robustness refits, the k sweep) runs on at most `limit`
//! customers drawn here, seeded and stratified; below the limit the "sample" is every customer
//! in input order, so small inputs give exactly the numbers they gave before there was a budget.

use rand::{SeedableRng, seq::index::sample};
use rand_xoshiro::Xoshiro256Plus;
use serde::{Deserialize, Serialize};

/// Which customers the quadratic stages see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerSample {
    /// Indices into the customer table, ascending.
    pub rows: Vec<usize>,
    /// How many customers there are in all.
    pub population: usize,
}

impl CustomerSample {
    /// Every customer: what inputs at or below the budget get.
    pub fn everyone(population: usize) -> Self {
        Self {
            rows: (0..population).collect(),
            population,
        }
    }

    /// At most `limit` customers, allocated to the strata (e.g. the classic RFM segments) in
    /// proportion to their sizes (largest remainder), so the sample's mix of customers is the
    /// population's and a mean over it needs no weights. Every customer when
    /// `strata.len() <= limit`.
    pub fn stratified(strata: &[usize], limit: usize, seed: u64) -> Self {
        let population = strata.len();
        if population <= limit {
            return Self::everyone(population);
        }
        let mut members: Vec<Vec<usize>> = Vec::new();
        for (row, &stratum) in strata.iter().enumerate() {
            if members.len() <= stratum {
                members.resize_with(stratum + 1, Vec::new);
            }
            members[stratum].push(row);
        }
        let quotas = proportional_quotas(&members.iter().map(Vec::len).collect::<Vec<_>>(), limit);
        let mut rng = Xoshiro256Plus::seed_from_u64(seed);
        let mut rows = Vec::with_capacity(limit);
        for (stratum, quota) in members.iter().zip(quotas) {
            rows.extend(
                sample(&mut rng, stratum.len(), quota)
                    .into_iter()
                    .map(|i| stratum[i]),
            );
        }
        rows.sort_unstable();
        Self { rows, population }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// True when the sample is every customer, i.e. the numbers are exact.
    pub fn is_everyone(&self) -> bool {
        self.rows.len() == self.population
    }

    /// Finite-population correction for a mean over the sample: 0 when it is everyone.
    pub fn finite_population_correction(&self) -> f64 {
        if self.population == 0 {
            return 0.0;
        }
        (1.0 - self.rows.len() as f64 / self.population as f64)
            .max(0.0)
            .sqrt()
    }

    /// `values[row]` for every sampled row.
    pub fn pick<T: Copy>(&self, values: &[T]) -> Vec<T> {
        self.rows.iter().map(|&row| values[row]).collect()
    }
}

/// Splits `total` over groups of the given sizes in proportion to them (Hamilton's method:
/// floors first, then the largest remainders, ties to the earlier group).
fn proportional_quotas(sizes: &[usize], total: usize) -> Vec<usize> {
    let population: usize = sizes.iter().sum();
    let total = total.min(population);
    if population == 0 {
        return vec![0; sizes.len()];
    }
    let exact = |size: usize| (size as u128 * total as u128, population as u128);
    let mut quotas: Vec<usize> = sizes
        .iter()
        .map(|&size| {
            let (numerator, denominator) = exact(size);
            (numerator / denominator) as usize
        })
        .collect();
    let mut by_remainder: Vec<usize> = (0..sizes.len()).collect();
    by_remainder.sort_by_key(|&g| {
        let (numerator, denominator) = exact(sizes[g]);
        std::cmp::Reverse(numerator % denominator)
    });
    let missing = total - quotas.iter().sum::<usize>();
    for &g in by_remainder.iter().take(missing) {
        quotas[g] += 1;
    }
    quotas
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_the_limit_the_sample_is_everyone_in_order() {
        let strata = [3, 1, 4, 1, 5];
        let s = CustomerSample::stratified(&strata, 5, 7);
        assert_eq!(s.rows, vec![0, 1, 2, 3, 4]);
        assert!(s.is_everyone());
        assert_eq!(s.finite_population_correction(), 0.0);
    }

    #[test]
    fn strata_get_proportional_shares_and_the_draw_is_seeded() {
        // 600 / 300 / 100 customers, 100 drawn: 60 / 30 / 10.
        let strata: Vec<usize> = (0..1000)
            .map(|i| match i % 10 {
                0..=5 => 0,
                6..=8 => 1,
                _ => 2,
            })
            .collect();
        let s = CustomerSample::stratified(&strata, 100, 42);
        assert_eq!(s.len(), 100);
        let count = |g: usize| s.rows.iter().filter(|&&r| strata[r] == g).count();
        assert_eq!((count(0), count(1), count(2)), (60, 30, 10));
        assert!(s.rows.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(s, CustomerSample::stratified(&strata, 100, 42));
        assert_ne!(s, CustomerSample::stratified(&strata, 100, 43));
    }

    #[test]
    fn largest_remainders_fill_the_total() {
        assert_eq!(proportional_quotas(&[1, 1, 1], 2), vec![1, 1, 0]);
        assert_eq!(proportional_quotas(&[5, 3, 2], 7), vec![4, 2, 1]);
        assert_eq!(proportional_quotas(&[2, 0, 1], 10), vec![2, 0, 1]);
    }
}

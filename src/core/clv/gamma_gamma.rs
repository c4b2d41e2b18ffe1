//! The Gamma-Gamma model of spend per purchase (Fader, Hardie & Lee 2005, "RFM and CLV";
//! Fader & Hardie's note 025): a customer's purchase amounts are Gamma(p, ν) with
//! ν ~ Gamma(q, γ). Fitted on the customers with repeat purchases, on the mean of their repeat
//! purchases, as lifetimes' `GammaGammaFitter` does.

use libm::lgamma;
use serde::{Deserialize, Serialize};

use super::nelder_mead::{NelderMeadOptions, minimize};
use super::{ClvError, CustomerSummary};

/// The three parameters by the papers' names (lifetimes calls γ `v`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GammaGammaParams {
    pub p: f64,
    pub q: f64,
    pub gamma: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GammaGammaFit {
    pub params: GammaGammaParams,
    /// Σ log-likelihood over the customers fitted on (those with repeat purchases).
    pub log_likelihood: f64,
    pub customers: usize,
    pub evaluations: usize,
    /// Pearson correlation of frequency and mean spend among them: the model assumes the two
    /// independent, so a strong correlation (|ρ| well above 0.3) is a warning to show.
    pub frequency_spend_correlation: f64,
}

/// The customers the model is fitted on: repeat buyers with a positive mean spend.
fn repeat_buyers(customers: &[CustomerSummary]) -> Vec<&CustomerSummary> {
    customers
        .iter()
        .filter(|c| c.frequency > 0 && c.monetary_value > 0.0)
        .collect()
}

/// Maximum likelihood on log-parameters from ln θ = 0.1, as lifetimes starts.
pub fn fit(customers: &[CustomerSummary]) -> Result<GammaGammaFit, ClvError> {
    let repeat = repeat_buyers(customers);
    if repeat.len() < 2 {
        return Err(ClvError::TooFewRepeatBuyers(repeat.len()));
    }
    let objective = |log_params: &[f64]| {
        let params = GammaGammaParams {
            p: log_params[0].exp(),
            q: log_params[1].exp(),
            gamma: log_params[2].exp(),
        };
        -log_likelihood_of(&params, &repeat) / repeat.len() as f64
    };
    let minimum = minimize(objective, &[0.1; 3], &NelderMeadOptions::default());
    if !minimum.converged || !minimum.value.is_finite() {
        return Err(ClvError::DidNotConverge {
            model: "Gamma-Gamma",
            evaluations: minimum.evaluations,
        });
    }
    let [p, q, gamma] = [0, 1, 2].map(|i| minimum.point[i].exp());
    let params = GammaGammaParams { p, q, gamma };
    Ok(GammaGammaFit {
        log_likelihood: log_likelihood_of(&params, &repeat),
        params,
        customers: repeat.len(),
        evaluations: minimum.evaluations,
        frequency_spend_correlation: correlation(&repeat),
    })
}

/// Σ log-likelihood of the repeat buyers' mean spend given their repeat frequency.
fn log_likelihood_of(params: &GammaGammaParams, repeat: &[&CustomerSummary]) -> f64 {
    let GammaGammaParams { p, q, gamma } = *params;
    let ln_gamma_q = lgamma(q);
    repeat
        .iter()
        .map(|c| {
            let (x, m) = (f64::from(c.frequency), c.monetary_value);
            lgamma(p * x + q) - lgamma(p * x) - ln_gamma_q
                + q * gamma.ln()
                + (p * x - 1.0) * m.ln()
                + p * x * x.ln()
                - (p * x + q) * (x * m + gamma).ln()
        })
        .sum()
}

/// E[spend per purchase | x, m̄]: the customer's mean repeat spend shrunk toward the population
/// mean γp/(q − 1), with weight px/(px + q − 1) on their own mean (the population mean for a
/// customer without repeat purchases). Needs q > 1, or the population mean is infinite.
pub fn expected_spend(
    params: &GammaGammaParams,
    customer: &CustomerSummary,
) -> Result<f64, ClvError> {
    let GammaGammaParams { p, q, gamma } = *params;
    if q <= 1.0 {
        return Err(ClvError::UnboundedSpend { q });
    }
    let x = f64::from(customer.frequency);
    let own_weight = p * x / (p * x + q - 1.0);
    let population_mean = gamma * p / (q - 1.0);
    Ok((1.0 - own_weight) * population_mean + own_weight * customer.monetary_value)
}

fn correlation(repeat: &[&CustomerSummary]) -> f64 {
    let n = repeat.len() as f64;
    let mean_x = repeat.iter().map(|c| f64::from(c.frequency)).sum::<f64>() / n;
    let mean_m = repeat.iter().map(|c| c.monetary_value).sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for c in repeat {
        let (dx, dm) = (f64::from(c.frequency) - mean_x, c.monetary_value - mean_m);
        sxy += dx * dm;
        sxx += dx * dx;
        syy += dm * dm;
    }
    if sxx > 0.0 && syy > 0.0 {
        sxy / (sxx * syy).sqrt()
    } else {
        0.0
    }
}

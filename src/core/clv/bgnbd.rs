//! The BG/NBD model (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): while
//! alive a customer buys at a Poisson rate λ ~ Gamma(r, α); after each purchase they drop out
//! with probability p ~ Beta(a, b). Fitted by maximum likelihood on (frequency, recency, T);
//! every formula is lifetimes' `BetaGeoFitter`, term for term.

use libm::lgamma;
use serde::{Deserialize, Serialize};

use super::nelder_mead::{NelderMeadOptions, minimize};
use super::special::hyp2f1_scaled;
use super::{ClvError, CustomerSummary};

/// The four parameters by the paper's names.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BgNbdParams {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BgNbdFit {
    pub params: BgNbdParams,
    /// Σ log-likelihood over the customers, in the data's time unit.
    pub log_likelihood: f64,
    pub customers: usize,
    pub evaluations: usize,
}

/// Maximum likelihood. As lifetimes does, time is scaled so that the oldest customer's age is
/// 1 (α is scaled back afterwards) and the search runs on log-parameters from ln θ = 0.1.
pub fn fit(customers: &[CustomerSummary]) -> Result<BgNbdFit, ClvError> {
    if customers.len() < 2 {
        return Err(ClvError::TooFewCustomers(customers.len()));
    }
    let oldest = customers.iter().map(|c| c.t).fold(0.0, f64::max);
    if oldest <= 0.0 {
        return Err(ClvError::NoTimeObserved);
    }
    let scale = 1.0 / oldest;
    let scaled: Vec<CustomerSummary> = customers
        .iter()
        .map(|c| CustomerSummary {
            recency: c.recency * scale,
            t: c.t * scale,
            ..c.clone()
        })
        .collect();
    let objective = |log_params: &[f64]| {
        let params = BgNbdParams {
            r: log_params[0].exp(),
            alpha: log_params[1].exp(),
            a: log_params[2].exp(),
            b: log_params[3].exp(),
        };
        -log_likelihood(&params, &scaled) / scaled.len() as f64
    };
    let minimum = minimize(objective, &[0.1; 4], &NelderMeadOptions::default());
    if !minimum.converged || !minimum.value.is_finite() {
        return Err(ClvError::DidNotConverge {
            model: "BG/NBD",
            evaluations: minimum.evaluations,
        });
    }
    let [r, alpha, a, b] = [0, 1, 2, 3].map(|i| minimum.point[i].exp());
    let params = BgNbdParams {
        r,
        alpha: alpha / scale,
        a,
        b,
    };
    Ok(BgNbdFit {
        log_likelihood: log_likelihood(&params, customers),
        params,
        customers: customers.len(),
        evaluations: minimum.evaluations,
    })
}

/// Σ over customers of the log-likelihood of (x, t_x, T), equation (6) of the paper.
pub fn log_likelihood(params: &BgNbdParams, customers: &[CustomerSummary]) -> f64 {
    let BgNbdParams { r, alpha, a, b } = *params;
    let (ln_gamma_r, ln_gamma_b, ln_gamma_ab) = (lgamma(r), lgamma(b), lgamma(a + b));
    customers
        .iter()
        .map(|c| {
            let x = f64::from(c.frequency);
            let a1 = lgamma(r + x) - ln_gamma_r + r * alpha.ln();
            let a2 = ln_gamma_ab + lgamma(b + x) - ln_gamma_b - lgamma(a + b + x);
            let a3 = -(r + x) * (alpha + c.t).ln();
            let tail = if c.frequency > 0 {
                let a4 = a.ln() - (b + x - 1.0).ln() - (r + x) * (c.recency + alpha).ln();
                let top = a3.max(a4);
                top + ((a3 - top).exp() + (a4 - top).exp()).ln()
            } else {
                a3
            };
            a1 + a2 + tail
        })
        .sum()
}

/// P(alive | x, t_x, T) (Fader, Hardie & Lee, note 021): 1 for a customer without repeat
/// purchases, who by the model cannot have dropped out yet.
pub fn probability_alive(params: &BgNbdParams, customer: &CustomerSummary) -> f64 {
    if customer.frequency == 0 {
        return 1.0;
    }
    let BgNbdParams { r, alpha, a, b } = *params;
    let x = f64::from(customer.frequency);
    let log_odds_dead = (r + x) * ((alpha + customer.t) / (alpha + customer.recency)).ln()
        + (a / (b + x - 1.0)).ln();
    1.0 / (1.0 + log_odds_dead.exp())
}

/// E[purchases in (T, T + horizon] | x, t_x, T], equation (10) of the paper.
pub fn expected_purchases(
    params: &BgNbdParams,
    customer: &CustomerSummary,
    horizon: f64,
) -> Result<f64, ClvError> {
    if horizon <= 0.0 {
        return Ok(0.0);
    }
    let BgNbdParams { r, alpha, a, b } = *params;
    let x = f64::from(customer.frequency);
    let z = horizon / (alpha + customer.t + horizon);
    let ln_age_share = (r + x) * ((alpha + customer.t) / (alpha + customer.t + horizon)).ln();
    let first = (a + b + x - 1.0) / (a - 1.0);
    let second = 1.0 - hyp2f1_scaled(r + x, b + x, a + b + x - 1.0, z, ln_age_share)?;
    let denominator = if customer.frequency > 0 {
        1.0 + a / (b + x - 1.0) * ((alpha + customer.t) / (alpha + customer.recency)).powf(r + x)
    } else {
        1.0
    };
    Ok(first * second / denominator)
}

/// P(X(t) = n): the chance that a new customer makes n repeat purchases in their first t time
/// units, equation (8) of the paper; the model side of the frequency histogram.
pub fn probability_of_purchases(params: &BgNbdParams, t: f64, n: u32) -> f64 {
    let BgNbdParams { r, alpha, a, b } = *params;
    let count = f64::from(n);
    let ln_beta = |x: f64, y: f64| lgamma(x) + lgamma(y) - lgamma(x + y);
    let ln_share = (alpha / (alpha + t)).ln();
    let ln_rest = (t / (alpha + t)).ln();
    let first = (ln_beta(a, b + count) - ln_beta(a, b) + lgamma(r + count)
        - lgamma(r)
        - lgamma(count + 1.0)
        + r * ln_share
        + if n > 0 { count * ln_rest } else { 0.0 })
    .exp();
    if n == 0 {
        return first;
    }
    // Σ_{j<n} Γ(r + j) / (Γ(r) j!) (t / (α + t))^j, term by term.
    let ratio = t / (alpha + t);
    let (mut term, mut sum) = (1.0, 0.0);
    for j in 0..n {
        sum += term;
        let j = f64::from(j);
        term *= (r + j) / (j + 1.0) * ratio;
    }
    let second = (ln_beta(a + 1.0, b + count - 1.0) - ln_beta(a, b)).exp()
        * (1.0 - (r * ln_share).exp() * sum);
    first + second
}

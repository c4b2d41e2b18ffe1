//! Upper tail of Fisher's F distribution through the regularized incomplete beta function.
//!
//! Written here rather than taken from a statistics crate to keep the wasm build free of
//! linear-algebra dependencies; `libm` supplies `lgamma`.

/// Relative accuracy at which the continued fraction stops.
const CF_EPSILON: f64 = 1e-16;
/// Guard against underflow of the Lentz recurrence denominators.
const CF_TINY: f64 = 1e-300;
/// The fraction needs O(sqrt(max(a, b))) terms; a, b here are at most a few thousand.
const CF_MAX_TERMS: usize = 100_000;

/// P(F > f) for F ~ F(df_num, df_denom); exact to about 1e-14 relative, including far-tail
/// p-values, because the small tail is computed directly rather than as 1 - cdf.
pub fn f_sf(f: f64, df_num: f64, df_denom: f64) -> f64 {
    if f.is_nan() || !(df_num > 0.0 && df_denom > 0.0) {
        return f64::NAN;
    }
    if f <= 0.0 {
        return 1.0;
    }
    if f == f64::INFINITY {
        return 0.0;
    }
    // P(F > f) = I_x(df_denom/2, df_num/2) with x = df_denom / (df_denom + df_num f);
    // 1 - x is formed separately so that neither side suffers cancellation.
    let denom = df_denom + df_num * f;
    beta_inc_reg(
        df_denom / 2.0,
        df_num / 2.0,
        df_denom / denom,
        df_num * f / denom,
    )
}

/// Regularized incomplete beta I_x(a, b), given x and 1 - x (y).
fn beta_inc_reg(a: f64, b: f64, x: f64, y: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if y <= 0.0 {
        return 1.0;
    }
    // The continued fraction converges fast only below the mean; use the symmetry
    // I_x(a, b) = 1 - I_y(b, a) above it.
    if x > (a + 1.0) / (a + b + 2.0) {
        return 1.0 - beta_inc_reg(b, a, y, x);
    }
    let ln_prefactor = a * x.ln() + b * y.ln() - ln_beta(a, b) - a.ln();
    ln_prefactor.exp() * beta_continued_fraction(a, b, x)
}

fn ln_beta(a: f64, b: f64) -> f64 {
    libm::lgamma(a) + libm::lgamma(b) - libm::lgamma(a + b)
}

/// Continued fraction of I_x(a, b) evaluated with the modified Lentz method.
fn beta_continued_fraction(a: f64, b: f64, x: f64) -> f64 {
    let guard = |v: f64| if v.abs() < CF_TINY { CF_TINY } else { v };
    let mut c = 1.0;
    let mut d = 1.0 / guard(1.0 - (a + b) * x / (a + 1.0));
    let mut value = d;
    for m in 1..CF_MAX_TERMS {
        let m = m as f64;
        let two_m = 2.0 * m;
        // even step
        let even = m * (b - m) * x / ((a + two_m - 1.0) * (a + two_m));
        d = 1.0 / guard(1.0 + even * d);
        c = guard(1.0 + even / c);
        value *= d * c;
        // odd step
        let odd = -(a + m) * (a + b + m) * x / ((a + two_m) * (a + two_m + 1.0));
        d = 1.0 / guard(1.0 + odd * d);
        c = guard(1.0 + odd / c);
        let delta = d * c;
        value *= delta;
        if (delta - 1.0).abs() < CF_EPSILON {
            break;
        }
    }
    value
}

//! The special functions the BG/NBD expectations need beyond `libm`: the Gauss hypergeometric
//! function 2F1 on [0, 1).

use super::ClvError;

/// Terms of the series at most; at z = 0.999 it needs about 40,000.
const MAX_TERMS: usize = 1_000_000;

/// 2F1(a, b; c; z) · e^ln_factor for 0 <= z < 1 and c not a non-positive integer, by Euler's
/// transformation
/// 2F1(a, b; c; z) = (1 - z)^(c - a - b) 2F1(c - a, c - b; c; z) and the power series of the
/// transformed function. In the BG/NBD expectation a = r + x, b = b + x, c = a + b + x - 1, so
/// c - a and c - b do not grow with the frequency x while c does: the transformed series stays
/// small where the direct one overflows for frequent buyers (lifetimes switches to the same
/// transformation when the direct value is infinite). The factor is applied in log space, so
/// the product is finite where 2F1 alone overflows; and since the sum can be negative when
/// a + b < 1 makes c < 0 (a degenerate fit), its sign is kept rather than its log taken.
pub fn hyp2f1_scaled(a: f64, b: f64, c: f64, z: f64, ln_factor: f64) -> Result<f64, ClvError> {
    let (ta, tb) = (c - a, c - b);
    let mut term = 1.0;
    let mut sum = 1.0;
    // Past this many terms no factor (ta + n) or (tb + n) changes sign again, so a small term
    // means the tail is small.
    let settled = (-ta).max(-tb).max(0.0);
    for n in 0..MAX_TERMS {
        let n = n as f64;
        term *= (ta + n) * (tb + n) / ((c + n) * (n + 1.0)) * z;
        sum += term;
        if n >= settled && term.abs() <= f64::EPSILON * 1e-2 * sum.abs() {
            let ln_rest = (c - a - b) * (-z).ln_1p() + ln_factor;
            return Ok(sum.signum() * (sum.abs().ln() + ln_rest).exp());
        }
    }
    Err(ClvError::SeriesDidNotConverge { a, b, c, z })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_forms() {
        // 2F1(1, 1; 2; z) = -ln(1 - z) / z
        for z in [0.01f64, 0.3, 0.9, 0.99] {
            let expected = -(-z).ln_1p() / z;
            let got = hyp2f1_scaled(1.0, 1.0, 2.0, z, 0.0).unwrap();
            assert!(
                (got / expected - 1.0).abs() < 1e-13,
                "z={z}: {got} vs {expected}"
            );
        }
        // 2F1(a, b; b; z) = (1 - z)^(-a), here times e^-1
        let got = hyp2f1_scaled(2.5, 3.0, 3.0, 0.7, -1.0).unwrap();
        assert!((got / ((0.3f64).powf(-2.5) * (-1.0f64).exp()) - 1.0).abs() < 1e-13);
        assert_eq!(hyp2f1_scaled(4.0, 5.0, 6.0, 0.0, 0.0).unwrap(), 1.0);
        // c < 0: 2F1(1, 1; -0.5; 0.5) = 1 + Σ (n!)² / ((-0.5)_n n!) 0.5^n is negative.
        let (mut term, mut sum) = (1.0f64, 1.0f64);
        for n in 0..200 {
            let n = f64::from(n);
            term *= (1.0 + n) * (1.0 + n) / ((-0.5 + n) * (n + 1.0)) * 0.5;
            sum += term;
        }
        let got = hyp2f1_scaled(1.0, 1.0, -0.5, 0.5, 0.0).unwrap();
        assert!(
            sum < 0.0 && (got / sum - 1.0).abs() < 1e-12,
            "{got} vs {sum}"
        );
    }
}

//! `max` and `min` for operands that are never NaN. `f64::max` ignores a NaN operand, which
//! WebAssembly's `f64.max` does not (it propagates it), so on wasm32 every `f64::max` or
//! `f64::min` compiles to a call into compiler-builtins' `fmax`/`fmin`: 10% of t-SNE's time in
//! the browser worker. A comparison compiles to a select on every target.

/// The larger of two numbers that are not NaN.
#[inline]
pub(crate) fn max(a: f64, b: f64) -> f64 {
    if a > b { a } else { b }
}

/// The smaller of two numbers that are not NaN.
#[inline]
pub(crate) fn min(a: f64, b: f64) -> f64 {
    if a < b { a } else { b }
}

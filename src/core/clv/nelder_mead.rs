//! Derivative-free minimisation (Nelder & Mead 1965) for the few-parameter likelihoods of the
//! customer-value models. lifetimes maximises the same likelihoods with BFGS and automatic
//! derivatives; the simplex needs no gradient code, and with a restart from its best vertex
//! it reaches the same optimum (checked against lifetimes' estimates in tests/clv_reference.rs).

/// When to stop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NelderMeadOptions {
    /// Size of the first simplex around the start, in each coordinate.
    pub initial_step: f64,
    /// Converged when the simplex's values differ by at most this much ...
    pub value_tolerance: f64,
    /// ... and its vertices by at most this much in every coordinate.
    pub point_tolerance: f64,
    /// Budget of function evaluations of each simplex run. The fits that converge take 600 to
    /// 1,300 (the real sheet, CDNOW); one that does not (a likelihood flat along a ridge, e.g.
    /// BG/NBD on a short calibration period) stops here, each evaluation costing O(customers).
    pub max_evaluations: usize,
}

impl Default for NelderMeadOptions {
    fn default() -> Self {
        NelderMeadOptions {
            initial_step: 0.5,
            value_tolerance: 1e-13,
            point_tolerance: 1e-10,
            max_evaluations: 10_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Minimum {
    pub point: Vec<f64>,
    pub value: f64,
    pub evaluations: usize,
    /// False when the evaluation budget ran out first.
    pub converged: bool,
}

/// Simplex runs at most (the first and its restarts).
const MAX_RUNS: usize = 20;

/// Minimises `objective` from `start`. A value that is not finite counts as +infinity, so the
/// simplex backs away from regions where the likelihood overflows. After convergence the
/// simplex is rebuilt around its best vertex and run again until a restart no longer
/// improves the value: a collapsed simplex can otherwise stop short of the minimum.
pub fn minimize(
    mut objective: impl FnMut(&[f64]) -> f64,
    start: &[f64],
    options: &NelderMeadOptions,
) -> Minimum {
    let mut evaluations = 0;
    let mut evaluate = |point: &[f64]| {
        evaluations += 1;
        let value = objective(point);
        if value.is_finite() {
            value
        } else {
            f64::INFINITY
        }
    };
    let mut best = (start.to_vec(), evaluate(start));
    let mut converged = false;
    for _ in 0..MAX_RUNS {
        let (point, value, done) = run_simplex(&mut evaluate, &best.0, best.1, options);
        let improved = best.1 - value > options.value_tolerance;
        best = (point, value);
        converged = done && !improved;
        if converged || !done {
            break;
        }
    }
    Minimum {
        point: best.0,
        value: best.1,
        evaluations,
        converged,
    }
}

/// One simplex run with the standard coefficients (reflection 1, expansion 2, contraction 1/2,
/// shrink 1/2). Returns the best vertex, its value and whether it converged in budget.
fn run_simplex(
    evaluate: &mut impl FnMut(&[f64]) -> f64,
    start: &[f64],
    start_value: f64,
    options: &NelderMeadOptions,
) -> (Vec<f64>, f64, bool) {
    let dimensions = start.len();
    let mut vertices: Vec<(Vec<f64>, f64)> = vec![(start.to_vec(), start_value)];
    for axis in 0..dimensions {
        let mut point = start.to_vec();
        point[axis] += options.initial_step;
        let value = evaluate(&point);
        vertices.push((point, value));
    }
    let mut used = dimensions + 1;
    loop {
        vertices.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (best, worst) = (vertices[0].1, vertices[dimensions].1);
        let spread = (0..dimensions)
            .map(|axis| {
                vertices
                    .iter()
                    .map(|(point, _)| (point[axis] - vertices[0].0[axis]).abs())
                    .fold(0.0, f64::max)
            })
            .fold(0.0, f64::max);
        if (worst - best).abs() <= options.value_tolerance && spread <= options.point_tolerance {
            let (point, value) = vertices.swap_remove(0);
            return (point, value, true);
        }
        if used >= options.max_evaluations {
            let (point, value) = vertices.swap_remove(0);
            return (point, value, false);
        }
        let centroid: Vec<f64> = (0..dimensions)
            .map(|axis| {
                vertices[..dimensions]
                    .iter()
                    .map(|(point, _)| point[axis])
                    .sum::<f64>()
                    / dimensions as f64
            })
            .collect();
        let toward = |coefficient: f64, from: &[f64]| -> Vec<f64> {
            centroid
                .iter()
                .zip(from)
                .map(|(c, x)| c + coefficient * (c - x))
                .collect()
        };
        let worst_point = vertices[dimensions].0.clone();
        let reflected = toward(1.0, &worst_point);
        let reflected_value = evaluate(&reflected);
        used += 1;
        let second_worst = vertices[dimensions - 1].1;
        if reflected_value < best {
            let expanded = toward(2.0, &worst_point);
            let expanded_value = evaluate(&expanded);
            used += 1;
            vertices[dimensions] = if expanded_value < reflected_value {
                (expanded, expanded_value)
            } else {
                (reflected, reflected_value)
            };
            continue;
        }
        if reflected_value < second_worst {
            vertices[dimensions] = (reflected, reflected_value);
            continue;
        }
        // Contract toward the better of the worst vertex and its reflection.
        let (contracted, limit) = if reflected_value < worst {
            (toward(0.5, &worst_point), reflected_value)
        } else {
            (toward(-0.5, &worst_point), worst)
        };
        let contracted_value = evaluate(&contracted);
        used += 1;
        if contracted_value < limit {
            vertices[dimensions] = (contracted, contracted_value);
            continue;
        }
        let anchor = vertices[0].0.clone();
        for (point, value) in vertices.iter_mut().skip(1) {
            for (x, a) in point.iter_mut().zip(&anchor) {
                *x = a + 0.5 * (*x - a);
            }
            *value = evaluate(point);
            used += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_rosenbrock_minimum() {
        let rosenbrock = |x: &[f64]| 100.0 * (x[1] - x[0] * x[0]).powi(2) + (1.0 - x[0]).powi(2);
        let minimum = minimize(rosenbrock, &[-1.2, 1.0], &NelderMeadOptions::default());
        assert!(minimum.converged);
        assert!((minimum.point[0] - 1.0).abs() < 1e-6, "{minimum:?}");
        assert!((minimum.point[1] - 1.0).abs() < 1e-6, "{minimum:?}");
    }

    #[test]
    fn backs_away_from_values_that_are_not_finite() {
        // Undefined left of 0.5; minimum at 2.
        let objective = |x: &[f64]| {
            if x[0] < 0.5 {
                f64::NAN
            } else {
                (x[0] - 2.0).powi(2)
            }
        };
        let minimum = minimize(objective, &[0.6], &NelderMeadOptions::default());
        assert!((minimum.point[0] - 2.0).abs() < 1e-6, "{minimum:?}");
    }

    #[test]
    fn reports_a_budget_that_ran_out() {
        let options = NelderMeadOptions {
            max_evaluations: 10,
            ..NelderMeadOptions::default()
        };
        let sphere = |x: &[f64]| x.iter().map(|v| v * v).sum::<f64>();
        let minimum = minimize(sphere, &[3.0, -2.0, 1.0], &options);
        assert!(!minimum.converged);
        assert!(minimum.value < 14.0);
    }
}

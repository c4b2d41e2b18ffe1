//! Feature scaling presets, fitted once and reusable on new rows (noise robustness re-embeds
//! perturbed data with the original fit) and invertible (personas speak in days and money).

use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::array_serde;

/// How raw R/F/M columns are turned into features.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scaling {
    /// scikit-learn `StandardScaler` on the raw values: what the original KM_AE project did,
    /// so it reproduces the seed's labels and silhouettes (heavy-tailed, one tiny VIP cluster).
    #[default]
    SeedCompatible,
    /// `log1p` first, then standardise: tames the long tails, gives balanced segments.
    Log1p,
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum ScaleError {
    #[error("cannot fit a scaler on an empty table")]
    Empty,
    #[error("expected {expected} columns, got {found}")]
    ColumnCount { expected: usize, found: usize },
    #[error("row {row}, column {column}: {value} is not a finite number")]
    NotFinite {
        row: usize,
        column: usize,
        value: f64,
    },
    #[error("row {row}, column {column}: log1p needs values above -1, got {value}")]
    OutsideLog1pDomain {
        row: usize,
        column: usize,
        value: f64,
    },
}

/// A fitted scaler: `z = (f(x) - mean) / scale` with `f` = identity or `log1p`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scaler {
    scaling: Scaling,
    /// Per-column mean of `f(x)`.
    #[serde(serialize_with = "array_serde::vector")]
    mean: Array1<f64>,
    /// Per-column population standard deviation (ddof = 0) of `f(x)`; 1 for constant columns.
    #[serde(serialize_with = "array_serde::vector")]
    scale: Array1<f64>,
}

impl Scaler {
    pub fn fit(scaling: Scaling, x: ArrayView2<f64>) -> Result<Self, ScaleError> {
        if x.nrows() == 0 {
            return Err(ScaleError::Empty);
        }
        let features = apply_transform(scaling, x)?;
        let n = features.nrows() as f64;
        let mean = features.sum_axis(Axis(0)) / n;
        let variance = (&features - &mean).mapv(|v| v * v).sum_axis(Axis(0)) / n;
        let scale = variance
            .iter()
            .zip(&mean)
            .map(|(&var, &m)| {
                let std = var.sqrt();
                // Like scikit-learn: a constant column stays centred instead of dividing by ~0.
                if std <= 10.0 * f64::EPSILON * m.abs().max(1.0) {
                    1.0
                } else {
                    std
                }
            })
            .collect();
        Ok(Self {
            scaling,
            mean,
            scale,
        })
    }

    pub fn fit_transform(
        scaling: Scaling,
        x: ArrayView2<f64>,
    ) -> Result<(Self, Array2<f64>), ScaleError> {
        let scaler = Self::fit(scaling, x)?;
        let scaled = scaler.transform(x)?;
        Ok((scaler, scaled))
    }

    pub fn transform(&self, x: ArrayView2<f64>) -> Result<Array2<f64>, ScaleError> {
        self.check_columns(x.ncols())?;
        let features = apply_transform(self.scaling, x)?;
        Ok((features - &self.mean) / &self.scale)
    }

    /// Maps scaled points (e.g. centroids) back to raw R/F/M units.
    pub fn inverse_transform(&self, z: ArrayView2<f64>) -> Result<Array2<f64>, ScaleError> {
        self.check_columns(z.ncols())?;
        let features = &z * &self.scale + &self.mean;
        Ok(match self.scaling {
            Scaling::SeedCompatible => features,
            Scaling::Log1p => features.mapv(f64::exp_m1),
        })
    }

    pub fn scaling(&self) -> Scaling {
        self.scaling
    }

    pub fn mean(&self) -> &Array1<f64> {
        &self.mean
    }

    pub fn scale(&self) -> &Array1<f64> {
        &self.scale
    }

    fn check_columns(&self, found: usize) -> Result<(), ScaleError> {
        if found == self.mean.len() {
            Ok(())
        } else {
            Err(ScaleError::ColumnCount {
                expected: self.mean.len(),
                found,
            })
        }
    }
}

fn apply_transform(scaling: Scaling, x: ArrayView2<f64>) -> Result<Array2<f64>, ScaleError> {
    for ((row, column), &value) in x.indexed_iter() {
        if !value.is_finite() {
            return Err(ScaleError::NotFinite { row, column, value });
        }
        if scaling == Scaling::Log1p && value <= -1.0 {
            return Err(ScaleError::OutsideLog1pDomain { row, column, value });
        }
    }
    Ok(match scaling {
        Scaling::SeedCompatible => x.to_owned(),
        Scaling::Log1p => x.mapv(f64::ln_1p),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn inverse_undoes_transform_for_both_presets() {
        let x = array![[1.0, 10.0, 250.5], [30.0, 2.0, 12.0], [365.0, 1.0, 0.0]];
        for scaling in [Scaling::SeedCompatible, Scaling::Log1p] {
            let (scaler, z) = Scaler::fit_transform(scaling, x.view()).unwrap();
            let back = scaler.inverse_transform(z.view()).unwrap();
            for (a, b) in back.iter().zip(x.iter()) {
                assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn constant_column_is_centred_not_divided_by_zero() {
        let x = array![[5.0, 1.0], [5.0, 3.0]];
        let (scaler, z) = Scaler::fit_transform(Scaling::SeedCompatible, x.view()).unwrap();
        assert_eq!(scaler.scale()[0], 1.0);
        assert_eq!(z.column(0).to_vec(), vec![0.0, 0.0]);
        assert_eq!(z.column(1).to_vec(), vec![-1.0, 1.0]);
    }

    #[test]
    fn rejects_bad_input() {
        let nan = array![[1.0, f64::NAN]];
        assert!(matches!(
            Scaler::fit(Scaling::SeedCompatible, nan.view()),
            Err(ScaleError::NotFinite {
                row: 0,
                column: 1,
                ..
            })
        ));
        let below = array![[-1.0, 2.0]];
        assert!(matches!(
            Scaler::fit(Scaling::Log1p, below.view()),
            Err(ScaleError::OutsideLog1pDomain { .. })
        ));
        let scaler = Scaler::fit(Scaling::Log1p, array![[1.0, 2.0], [3.0, 4.0]].view()).unwrap();
        assert_eq!(
            scaler.transform(array![[1.0]].view()),
            Err(ScaleError::ColumnCount {
                expected: 2,
                found: 1
            })
        );
    }
}

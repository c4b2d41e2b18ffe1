//! Embedding stage: scaled RFM -> 2-D coordinates in which the customers are clustered.
//!
//! `scale` turns raw Recency/Frequency/Monetary into standardised features (and back, for
//! personas), `pca` projects them onto their two main axes, `autoencoder` learns a non-linear
//! 2-D bottleneck.

pub mod autoencoder;
pub mod pca;
pub mod scale;

pub use pca::{Pca, PcaError};
pub use scale::{ScaleError, Scaler, Scaling};

/// Serde helpers: reports want plain JSON arrays (rows of numbers), not ndarray's own serde
/// format (an object with a version, the shape and the flat data).
pub(crate) mod array_serde {
    use ndarray::{Array1, Array2};
    use serde::Serializer;

    pub fn vector<S: Serializer>(values: &Array1<f64>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(values.iter())
    }

    pub fn matrix<S: Serializer>(rows: &Array2<f64>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(rows.rows().into_iter().map(|row| row.to_vec()))
    }
}

//! Autoencoder embedding: a small dense autoencoder (the seed's "AE" in KM_AE) whose bottleneck
//! gives a 2-D view of the scaled RFM table.
//!
//! The architecture mirrors the original Keras model: `d -> 16 -> 8 -> 2 -> 8 -> 16 -> d` with
//! ReLU on hidden layers, a linear bottleneck and a linear output, mean squared error, Adam.
//!
//! Training it ([`train_autoencoder`], in `training.rs`) needs burn and the `training` feature;
//! the trained encoder ([`Encoder`]) is plain numbers that every build can evaluate.

#[cfg(feature = "training")]
mod training;

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

#[cfg(feature = "training")]
pub use training::train_autoencoder;
#[cfg(all(feature = "training", not(target_arch = "wasm32")))]
pub use training::train_autoencoder_blocking;

/// Below this, a 10% validation split would be empty or a single row.
const MIN_ROWS: usize = 10;

/// How the autoencoder is shaped and trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutoencoderConfig {
    /// Encoder hidden layer widths (ReLU); the decoder mirrors them.
    pub hidden: Vec<usize>,
    /// Bottleneck width (linear): the embedding's dimension.
    pub latent: usize,
    /// Maximum number of passes over the training rows.
    pub epochs: usize,
    /// Rows per Adam step.
    pub batch_size: usize,
    /// Adam step size.
    pub learning_rate: f64,
    /// Stop after this many epochs without a new best validation loss; 0 disables early stopping.
    pub patience: usize,
    /// Seeds the weights, the validation split and the batch order.
    pub seed: u64,
}

impl Default for AutoencoderConfig {
    /// The Python reference's training protocol (../shared/peer: 50 epochs, batch 32, Adam 1e-3,
    /// no early stopping). With it, KMeans(3) silhouettes on the latent space of the seed's
    /// table spread across seeds like the reference's own (tests/autoencoder.rs compares the
    /// two over ten seeds). Early stopping on the held-out rows (`patience`) is available but
    /// off: it stopped runs at different depths and narrowed the spread below the reference's.
    fn default() -> Self {
        Self {
            hidden: vec![16, 8],
            latent: 2,
            epochs: 50,
            batch_size: 32,
            learning_rate: 1e-3,
            patience: 0,
            seed: 42,
        }
    }
}

/// Progress of one finished epoch, as mean squared reconstruction errors per value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpochReport {
    /// 1-based epoch number.
    pub epoch: usize,
    /// The configured maximum, so a progress bar can be drawn without the config.
    pub epochs: usize,
    /// Mean over the epoch's training batches, weighted by batch size.
    pub train_loss: f64,
    /// Loss on the held-out rows after the epoch.
    pub val_loss: f64,
}

/// A trained autoencoder's output.
#[derive(Debug, Clone, PartialEq)]
pub struct AutoencoderFit {
    /// Latent coordinates of every input row, in input order (`n x latent`).
    pub embedding: Array2<f64>,
    /// One report per epoch run (fewer than `epochs` when stopped early).
    pub loss_curve: Vec<EpochReport>,
    /// Epoch whose weights were kept: the best validation loss.
    pub best_epoch: usize,
    /// Mean squared reconstruction error over all rows with the kept weights.
    pub reconstruction_mse: f64,
    /// The kept encoder's weights, to embed perturbed rows (robustness) without the device.
    pub encoder: Encoder,
}

/// A trained encoder as plain numbers: evaluating 3-16-8-2 dense layers on a few thousand rows
/// costs microseconds, far less than a round trip to the GPU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Encoder {
    layers: Vec<DenseLayer>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct DenseLayer {
    /// `d_in x d_out`, as burn stores it.
    weight: Array2<f64>,
    bias: Vec<f64>,
}

impl Encoder {
    /// Each dense layer as (weight `d_in x d_out`, bias); a ReLU follows every layer but the
    /// last. For exporting the encoder (e.g. as SQL arithmetic).
    pub fn layers(&self) -> impl Iterator<Item = (&Array2<f64>, &[f64])> {
        self.layers
            .iter()
            .map(|layer| (&layer.weight, layer.bias.as_slice()))
    }

    /// Latent coordinates of `x` (rows scaled like the training data).
    pub fn encode(&self, x: ArrayView2<f64>) -> Array2<f64> {
        let last = self.layers.len().saturating_sub(1);
        let mut h = x.to_owned();
        for (i, layer) in self.layers.iter().enumerate() {
            h = h.dot(&layer.weight);
            for mut row in h.rows_mut() {
                for (v, b) in row.iter_mut().zip(&layer.bias) {
                    *v += b;
                    if i < last {
                        *v = v.max(0.0);
                    }
                }
            }
        }
        h
    }
}

/// Why the autoencoder could not be trained.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AutoencoderError {
    #[error("the autoencoder needs at least {MIN_ROWS} rows, got {0}")]
    TooFewRows(usize),
    #[error("the input has no columns")]
    NoColumns,
    #[error("the input has a missing or infinite value at row {row}, column {column}")]
    NonFiniteInput { row: usize, column: usize },
    #[error("invalid autoencoder setting: {0}")]
    InvalidConfig(&'static str),
    #[error("training diverged: the loss became {loss} at epoch {epoch}")]
    Diverged { epoch: usize, loss: f64 },
    #[error("the compute device failed: {0}")]
    Device(String),
}

//! Autoencoder embedding: a small dense autoencoder (the seed's "AE" in KM_AE) whose bottleneck
//! gives a 2-D view of the scaled RFM table.
//!
//! The architecture mirrors the original Keras model: `d -> 16 -> 8 -> 2 -> 8 -> 16 -> d` with
//! ReLU on hidden layers, a linear bottleneck and a linear output, mean squared error, Adam.
//! `burn-train` does not run in wasm, so the training loop is written here. It is an `async fn`
//! because on WebGPU a tensor may only be read asynchronously; the loop reads one scalar per
//! epoch (train loss) and one for validation, which also yields to the browser's event loop.
//! Natively, [`train_autoencoder_blocking`] drives the same future with a tiny executor, so
//! there is only one code path.
//!
//! # Determinism
//!
//! Everything random is drawn from one `Xoshiro256Plus` seeded with [`AutoencoderConfig::seed`]:
//! the weights (Glorot uniform, like Keras' `Dense`; zero biases), the train/validation split and
//! the batch order of every epoch. burn's own RNG is not used, so concurrent trainings cannot
//! disturb each other. How far that carries depends on the device:
//! - Flex (pure-Rust CPU, without the `rayon` feature, as built here) runs every operation in a
//!   fixed order on one thread: the same seed gives bit-identical embeddings on the same target.
//!   Native and wasm builds may still differ in the last bits (different float code generation).
//! - WebGPU: the same seed gives the same initial weights and batches, but GPU reductions
//!   (matmul, mean) may sum in a driver-dependent order, so results agree only up to float
//!   rounding, which training can amplify; the embedding is reproducible in distribution
//!   (silhouette, cluster structure), not bit for bit.
//!
//! Over 400 lines because the model, its training loop and its seeded initialisation must agree
//! on one layer layout, kept in one place.

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor, TensorData};
use ndarray::{Array2, ArrayView2};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_distr::{Distribution, Uniform};
use rand_xoshiro::Xoshiro256Plus;
use serde::{Deserialize, Serialize};

/// Share of the rows held out to decide early stopping (Keras' `validation_split=0.1`).
const VALIDATION_FRACTION: f64 = 0.1;
/// Below this, a 10% validation split would be empty or a single row.
const MIN_ROWS: usize = 10;
/// Keras' Adam epsilon; burn's default (1e-5) damps the small steps late in training.
const ADAM_EPSILON: f32 = 1e-7;

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

    async fn read(layers: &[Linear]) -> Result<Self, AutoencoderError> {
        let mut out = Vec::with_capacity(layers.len());
        for layer in layers {
            let [d_in, d_out] = layer.weight.val().dims();
            let weight = read_values(layer.weight.val()).await?;
            let bias = match &layer.bias {
                Some(b) => read_values(b.val()).await?,
                None => vec![0.0; d_out],
            };
            let weight = Array2::from_shape_vec((d_in, d_out), weight)
                .map_err(|e| AutoencoderError::Device(e.to_string()))?;
            out.push(DenseLayer { weight, bias });
        }
        Ok(Self { layers: out })
    }
}

async fn read_values<const D: usize>(t: Tensor<D>) -> Result<Vec<f64>, AutoencoderError> {
    Ok(t.into_data_async()
        .await
        .map_err(|e| AutoencoderError::Device(e.to_string()))?
        .try_into_vec::<f32>()
        .map_err(|e| AutoencoderError::Device(format!("{e:?}")))?
        .into_iter()
        .map(f64::from)
        .collect())
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

/// Dense layers of the encoder and decoder, in order.
#[derive(Module, Debug)]
struct Autoencoder {
    encoder: Vec<Linear>,
    decoder: Vec<Linear>,
}

impl Autoencoder {
    fn new(widths: &[usize], latent: usize, rng: &mut Xoshiro256Plus, device: &Device) -> Self {
        let encoder_widths: Vec<usize> = widths.iter().copied().chain([latent]).collect();
        let decoder_widths: Vec<usize> = encoder_widths.iter().rev().copied().collect();
        let mut layers = |sizes: &[usize], d_in: usize| -> Vec<Linear> {
            let mut d_in = d_in;
            sizes
                .iter()
                .map(|&d_out| {
                    let layer = glorot_linear(d_in, d_out, rng, device);
                    d_in = d_out;
                    layer
                })
                .collect()
        };
        let d = widths[0];
        let encoder = layers(&encoder_widths[1..], d);
        let decoder = layers(&decoder_widths[1..], latent);
        Self { encoder, decoder }
    }

    fn encode(&self, x: Tensor<2>) -> Tensor<2> {
        forward_stack(&self.encoder, x)
    }

    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        forward_stack(&self.decoder, self.encode(x))
    }
}

/// ReLU after every layer but the last, which stays linear (bottleneck or reconstruction).
fn forward_stack(layers: &[Linear], mut x: Tensor<2>) -> Tensor<2> {
    let last = layers.len() - 1;
    for (i, layer) in layers.iter().enumerate() {
        x = layer.forward(x);
        if i < last {
            x = relu(x);
        }
    }
    x
}

/// Keras' default `Dense` initialisation, drawn from our seeded RNG rather than burn's global one.
fn glorot_linear(d_in: usize, d_out: usize, rng: &mut Xoshiro256Plus, device: &Device) -> Linear {
    let limit = (6.0 / (d_in + d_out) as f32).sqrt();
    let uniform = Uniform::new_inclusive(-limit, limit);
    let weights: Vec<f32> = (0..d_in * d_out).map(|_| uniform.sample(rng)).collect();
    Linear {
        weight: Param::from_data(TensorData::new(weights, [d_in, d_out]), device),
        bias: Some(Param::from_data(
            TensorData::new(vec![0.0f32; d_out], [d_out]),
            device,
        )),
    }
}

/// Row-major f32 copy of the selected rows, ready to upload as a `[rows, d]` tensor.
fn gather_rows(x: &ArrayView2<f64>, rows: &[usize], device: &Device) -> Tensor<2> {
    let d = x.ncols();
    let values: Vec<f32> = rows
        .iter()
        .flat_map(|&r| x.row(r).to_vec())
        .map(|v| v as f32)
        .collect();
    Tensor::from_data(TensorData::new(values, [rows.len(), d]), device)
}

fn mse(reconstruction: Tensor<2>, x: Tensor<2>) -> Tensor<1> {
    (reconstruction - x).square().mean()
}

async fn read_scalar(t: Tensor<1>) -> Result<f64, AutoencoderError> {
    t.into_scalar_async::<f32>()
        .await
        .map(f64::from)
        .map_err(|e| AutoencoderError::Device(e.to_string()))
}

fn validate(x: &ArrayView2<f64>, config: &AutoencoderConfig) -> Result<(), AutoencoderError> {
    if x.ncols() == 0 {
        return Err(AutoencoderError::NoColumns);
    }
    if x.nrows() < MIN_ROWS {
        return Err(AutoencoderError::TooFewRows(x.nrows()));
    }
    if let Some(((row, column), _)) = x.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(AutoencoderError::NonFiniteInput { row, column });
    }
    if config.latent == 0 || config.hidden.contains(&0) {
        return Err(AutoencoderError::InvalidConfig(
            "layer widths must be positive",
        ));
    }
    if config.epochs == 0 || config.batch_size == 0 {
        return Err(AutoencoderError::InvalidConfig(
            "epochs and batch size must be positive",
        ));
    }
    if !(config.learning_rate.is_finite() && config.learning_rate > 0.0) {
        return Err(AutoencoderError::InvalidConfig(
            "the learning rate must be a positive number",
        ));
    }
    Ok(())
}

/// Trains the autoencoder on `x` (rows = customers, already scaled) on `device` and returns the
/// latent embedding of every row. `on_epoch` is called after each epoch.
///
/// `device` is a plain device (`Device::flex()`, or an initialised WebGPU device); autodiff is
/// enabled on it here. Early stopping keeps the weights of the best validation epoch.
pub async fn train_autoencoder(
    x: ArrayView2<'_, f64>,
    config: &AutoencoderConfig,
    device: &Device,
    on_epoch: &mut dyn FnMut(EpochReport),
) -> Result<AutoencoderFit, AutoencoderError> {
    validate(&x, config)?;
    let n = x.nrows();
    let mut rng = Xoshiro256Plus::seed_from_u64(config.seed);
    let train_device = device.clone().autodiff();
    let widths: Vec<usize> = [x.ncols()]
        .into_iter()
        .chain(config.hidden.iter().copied())
        .collect();
    let mut model = Autoencoder::new(&widths, config.latent, &mut rng, &train_device);
    let mut optimizer = AdamConfig::new().with_epsilon(ADAM_EPSILON).init();

    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rng);
    let n_val = ((n as f64 * VALIDATION_FRACTION).round() as usize).max(1);
    let (val_rows, train_rows) = order.split_at(n_val);
    let mut train_rows = train_rows.to_vec();
    let val_x = gather_rows(&x, val_rows, device);

    let mut loss_curve = Vec::with_capacity(config.epochs);
    let mut best: Option<(f64, usize, Autoencoder)> = None;
    for epoch in 1..=config.epochs {
        train_rows.shuffle(&mut rng);
        let mut weighted_loss = Tensor::<1>::zeros([1], device);
        for batch in train_rows.chunks(config.batch_size) {
            let xb = gather_rows(&x, batch, &train_device);
            let loss = mse(model.forward(xb.clone()), xb);
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optimizer.step(config.learning_rate, model, grads);
            weighted_loss = weighted_loss + loss.inner().mul_scalar(batch.len() as f32);
        }
        let train_loss = read_scalar(weighted_loss).await? / train_rows.len() as f64;
        let snapshot = model.valid();
        let val_loss = read_scalar(mse(snapshot.forward(val_x.clone()), val_x.clone())).await?;
        if !(train_loss.is_finite() && val_loss.is_finite()) {
            let loss = if train_loss.is_finite() {
                val_loss
            } else {
                train_loss
            };
            return Err(AutoencoderError::Diverged { epoch, loss });
        }
        let report = EpochReport {
            epoch,
            epochs: config.epochs,
            train_loss,
            val_loss,
        };
        loss_curve.push(report);
        on_epoch(report);
        match &best {
            Some((best_loss, _, _)) if val_loss >= *best_loss => {}
            _ => best = Some((val_loss, epoch, snapshot)),
        }
        let best_epoch = best.as_ref().map_or(epoch, |b| b.1);
        if config.patience > 0 && epoch - best_epoch >= config.patience {
            break;
        }
    }

    let (_, best_epoch, kept) = best.expect("at least one epoch ran");
    let all_rows: Vec<usize> = (0..n).collect();
    let all_x = gather_rows(&x, &all_rows, device);
    let reconstruction_mse = read_scalar(mse(kept.forward(all_x.clone()), all_x.clone())).await?;
    let latent = read_values(kept.encode(all_x)).await?;
    let embedding = Array2::from_shape_vec((n, config.latent), latent)
        .map_err(|e| AutoencoderError::Device(e.to_string()))?;
    Ok(AutoencoderFit {
        embedding,
        loss_curve,
        best_epoch,
        reconstruction_mse,
        encoder: Encoder::read(&kept.encoder).await?,
    })
}

/// [`train_autoencoder`] on the calling thread, for native callers (CLI, tests).
#[cfg(not(target_arch = "wasm32"))]
pub fn train_autoencoder_blocking(
    x: ArrayView2<'_, f64>,
    config: &AutoencoderConfig,
    device: &Device,
    on_epoch: &mut dyn FnMut(EpochReport),
) -> Result<AutoencoderFit, AutoencoderError> {
    futures_lite::future::block_on(train_autoencoder(x, config, device, on_epoch))
}

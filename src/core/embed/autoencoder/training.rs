//! The autoencoder's training loop. `burn-train` does not run in wasm, so it is written here. It
//! is an `async fn` because on WebGPU a tensor may only be read asynchronously; the loop reads one
//! scalar per epoch (train loss) and one for validation, which also yields to the browser's
//! event loop.
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

use super::{
    AutoencoderConfig, AutoencoderError, AutoencoderFit, DenseLayer, Encoder, EpochReport, MIN_ROWS,
};

/// Share of the rows held out to decide early stopping (Keras' `validation_split=0.1`).
const VALIDATION_FRACTION: f64 = 0.1;

/// Keras' Adam epsilon; burn's default (1e-5) damps the small steps late in training.
const ADAM_EPSILON: f32 = 1e-7;

impl Encoder {
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

//! What the user chooses before a run, checked before any work starts (in the manner of linfa's
//! `ParamGuard`): a bad option is refused with the control at fault named, never discovered as a
//! NaN at the end of the run.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::core::cluster::K_SWEEP;
use crate::core::clv::ClvOptions;
use crate::core::embed::autoencoder::AutoencoderConfig;
use crate::core::embed::scale::Scaling;
use crate::core::ingest::IngestOptions;
use crate::core::tsne::TsneConfig;

/// Everything the user can choose before a run; every random choice derives from `seed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PipelineOptions {
    pub k: usize,
    pub seed: u64,
    pub scaling: Scaling,
    pub ingest: IngestOptions,
    /// Its `seed` is replaced by the run's seed.
    pub autoencoder: AutoencoderConfig,
    pub tsne_iterations: usize,
    /// Subsamples (80% of the sample) and reseeds used to measure stability.
    pub stability_rounds: usize,
    /// Standard deviation of the Gaussian noise added to the scaled features (robustness).
    pub noise_level: f64,
    /// Run the k sweep too.
    pub k_sweep: bool,
    /// The complexity budget: the most customers any O(n²) computation sees (see
    /// [`crate::core::sampling`]). At or below it every number is exact.
    pub sample_size: usize,
    /// CLV's horizon and discount rate.
    pub clv: ClvOptions,
    /// Where segment migration and the purchase model's holdout start; `None`: a quarter
    /// before the last purchase (see [`crate::core::migration::default_earlier_date`]).
    pub migration_date: Option<NaiveDate>,
}

/// The default budget. The seed's table (4,312 customers) stays exact; above it, the sampled
/// stages (t-SNE above all: ~6 s for 5,000 points in the browser worker) stay within the scale
/// targets on a 2-core machine, and a 5,000-customer silhouette's standard error is ~0.003.
pub const DEFAULT_SAMPLE_SIZE: usize = 5_000;

/// Below this the sampled statistics (stability over 80% subsamples, a k sweep to 10) lose
/// their meaning.
pub const MIN_SAMPLE_SIZE: usize = 100;

impl Default for PipelineOptions {
    fn default() -> Self {
        Self {
            k: 3,
            seed: 42,
            scaling: Scaling::SeedCompatible,
            ingest: IngestOptions::default(),
            autoencoder: AutoencoderConfig::default(),
            tsne_iterations: TsneConfig::default().iterations,
            stability_rounds: 5,
            noise_level: 0.1,
            k_sweep: true,
            sample_size: DEFAULT_SAMPLE_SIZE,
            clv: ClvOptions::default(),
            migration_date: None,
        }
    }
}

/// An option that cannot be run, named by its field so the page can point at the control.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OptionsError {
    #[error("k must be between {low} and {high}; got {0}", low = K_SWEEP.start(), high = K_SWEEP.end())]
    K(usize),
    #[error("stability needs at least 1 round; got 0")]
    StabilityRounds,
    #[error("the noise level must be a finite number >= 0; got {0}")]
    NoiseLevel(f64),
    #[error("the sample size must be at least {MIN_SAMPLE_SIZE}; got {0}")]
    SampleSize(usize),
    #[error("t-SNE needs at least 250 iterations (its early exaggeration phase); got {0}")]
    TsneIterations(usize),
    #[error("autoencoder: {0}")]
    Autoencoder(String),
    #[error("the CLV horizon must be between 1 and {MAX_HORIZON_DAYS} days; got {0}")]
    Horizon(f64),
    #[error("the monthly discount rate must be at least 0 and below 1; got {0}")]
    DiscountRate(f64),
}

/// Ten years: BG/NBD's forecasts past that rest on nothing the data shows.
pub const MAX_HORIZON_DAYS: f64 = 3650.0;

impl OptionsError {
    /// The option's field name in [`PipelineOptions`], for the page to mark the control.
    pub fn field(&self) -> &'static str {
        match self {
            OptionsError::K(_) => "k",
            OptionsError::StabilityRounds => "stability_rounds",
            OptionsError::NoiseLevel(_) => "noise_level",
            OptionsError::SampleSize(_) => "sample_size",
            OptionsError::TsneIterations(_) => "tsne_iterations",
            OptionsError::Autoencoder(_) => "autoencoder",
            OptionsError::Horizon(_) => "horizon_days",
            OptionsError::DiscountRate(_) => "monthly_discount_rate",
        }
    }
}

impl PipelineOptions {
    /// Checks every option that the data does not decide; run first, before reading the file.
    pub fn validate(&self) -> Result<(), OptionsError> {
        if !K_SWEEP.contains(&self.k) {
            return Err(OptionsError::K(self.k));
        }
        if self.stability_rounds == 0 {
            return Err(OptionsError::StabilityRounds);
        }
        if !(self.noise_level.is_finite() && self.noise_level >= 0.0) {
            return Err(OptionsError::NoiseLevel(self.noise_level));
        }
        if self.sample_size < MIN_SAMPLE_SIZE {
            return Err(OptionsError::SampleSize(self.sample_size));
        }
        if self.tsne_iterations < 250 {
            return Err(OptionsError::TsneIterations(self.tsne_iterations));
        }
        let ae = &self.autoencoder;
        if ae.epochs == 0 || ae.batch_size == 0 || ae.latent == 0 || ae.hidden.contains(&0) {
            return Err(OptionsError::Autoencoder(
                "epochs, batch size and every layer width must be at least 1".into(),
            ));
        }
        if !(ae.learning_rate.is_finite() && ae.learning_rate > 0.0) {
            return Err(OptionsError::Autoencoder(format!(
                "the learning rate must be a finite number > 0; got {}",
                ae.learning_rate
            )));
        }
        let horizon = self.clv.horizon_days;
        if !(horizon.is_finite() && (1.0..=MAX_HORIZON_DAYS).contains(&horizon)) {
            return Err(OptionsError::Horizon(horizon));
        }
        let rate = self.clv.monthly_discount_rate;
        if !(rate.is_finite() && (0.0..1.0).contains(&rate)) {
            return Err(OptionsError::DiscountRate(rate));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_each_bad_option_names_its_field() {
        assert_eq!(PipelineOptions::default().validate(), Ok(()));
        let bad = |change: fn(&mut PipelineOptions)| {
            let mut options = PipelineOptions::default();
            change(&mut options);
            options.validate().unwrap_err().field()
        };
        assert_eq!(bad(|o| o.k = 1), "k");
        assert_eq!(bad(|o| o.k = 11), "k");
        assert_eq!(bad(|o| o.stability_rounds = 0), "stability_rounds");
        assert_eq!(bad(|o| o.noise_level = -0.1), "noise_level");
        assert_eq!(bad(|o| o.noise_level = f64::NAN), "noise_level");
        assert_eq!(bad(|o| o.sample_size = 10), "sample_size");
        assert_eq!(bad(|o| o.tsne_iterations = 10), "tsne_iterations");
        assert_eq!(bad(|o| o.autoencoder.batch_size = 0), "autoencoder");
        assert_eq!(bad(|o| o.autoencoder.learning_rate = 0.0), "autoencoder");
        assert_eq!(bad(|o| o.clv.horizon_days = 0.0), "horizon_days");
        assert_eq!(bad(|o| o.clv.horizon_days = 3651.0), "horizon_days");
        assert_eq!(bad(|o| o.clv.horizon_days = f64::NAN), "horizon_days");
        assert_eq!(
            bad(|o| o.clv.monthly_discount_rate = -0.01),
            "monthly_discount_rate"
        );
        assert_eq!(
            bad(|o| o.clv.monthly_discount_rate = 1.0),
            "monthly_discount_rate"
        );
    }
}

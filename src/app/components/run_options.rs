//! k, seed, scaling, sample size, the customer-value settings and device: shown on the start screen, the preview and the
//! Models tab. Values are stored as typed; [`PipelineOptions::validate`] judges them and the
//! message appears beside the control at fault (the run is refused until it is fixed).
//!
//! [`PipelineOptions::validate`]: crate::core::pipeline::PipelineOptions::validate

use chrono::NaiveDate;
use leptos::prelude::*;

use crate::app::state::AppState;
use crate::core::cluster::K_SWEEP;
use crate::core::embed::scale::Scaling;
use crate::core::pipeline::{MAX_HORIZON_DAYS, MIN_SAMPLE_SIZE};

#[component]
pub fn RunOptions() -> impl IntoView {
    let state = expect_context::<AppState>();
    let options = state.options;
    let scaling_is = move |scaling: Scaling| move || options.with(|o| o.scaling == scaling);
    view! {
        <fieldset class="run-options">
            <legend>"Model settings"</legend>
            <label>
                "Clusters (k) "
                <input
                    type="number"
                    min=*K_SWEEP.start()
                    max=*K_SWEEP.end()
                    data-testid="k"
                    prop:value=move || options.with(|o| o.k.to_string())
                    on:change=move |ev| {
                        if let Ok(k) = event_target_value(&ev).parse::<usize>() {
                            options.update(|o| o.k = k);
                        }
                    }
                /> <FieldError field="k" />
            </label>
            <label>
                "Seed "
                <input
                    type="number"
                    min="0"
                    data-testid="seed"
                    prop:value=move || options.with(|o| o.seed.to_string())
                    on:change=move |ev| {
                        if let Ok(seed) = event_target_value(&ev).parse::<u64>() {
                            options.update(|o| o.seed = seed);
                        }
                    }
                />
            </label>
            <label title=SAMPLE_SIZE_HELP>
                "Sample for O(n²) stages "
                <input
                    type="number"
                    min=MIN_SAMPLE_SIZE
                    step="1000"
                    data-testid="sample-size"
                    prop:value=move || options.with(|o| o.sample_size.to_string())
                    on:change=move |ev| {
                        if let Ok(size) = event_target_value(&ev).parse::<usize>() {
                            options.update(|o| o.sample_size = size);
                        }
                    }
                /> <FieldError field="sample_size" />
            </label>
            <label title=HORIZON_HELP>
                "CLV horizon (days) "
                <input
                    type="number"
                    min="1"
                    max=MAX_HORIZON_DAYS
                    data-testid="horizon-days"
                    prop:value=move || options.with(|o| o.clv.horizon_days.to_string())
                    on:change=move |ev| {
                        if let Ok(days) = event_target_value(&ev).parse::<f64>() {
                            options.update(|o| o.clv.horizon_days = days);
                        }
                    }
                /> <FieldError field="horizon_days" />
            </label>
            <label>
                "Discount per month (%) "
                <input
                    type="number"
                    min="0"
                    step="0.1"
                    data-testid="discount-rate"
                    prop:value=move || {
                        options.with(|o| format!("{}", o.clv.monthly_discount_rate * 100.0))
                    }
                    on:change=move |ev| {
                        if let Ok(percent) = event_target_value(&ev).parse::<f64>() {
                            options.update(|o| o.clv.monthly_discount_rate = percent / 100.0);
                        }
                    }
                /> <FieldError field="monthly_discount_rate" />
            </label>
            <label title=MIGRATION_HELP>
                "Migration and holdout from "
                <input
                    type="date"
                    data-testid="migration-date"
                    prop:value=move || {
                        options
                            .with(|o| o.migration_date.map(|d| d.to_string()).unwrap_or_default())
                    }
                    on:change=move |ev| {
                        let date = event_target_value(&ev).parse::<NaiveDate>().ok();
                        options.update(|o| o.migration_date = date);
                    }
                />
            </label>
            <label>
                "Scaling "
                <select
                    data-testid="scaling"
                    on:change=move |ev| {
                        let scaling = if event_target_value(&ev) == "log" {
                            Scaling::Log1p
                        } else {
                            Scaling::SeedCompatible
                        };
                        options.update(|o| o.scaling = scaling);
                    }
                >
                    <option value="seed" selected=scaling_is(Scaling::SeedCompatible)>
                        "Seed-compatible (standard scaling of raw RFM)"
                    </option>
                    <option value="log" selected=scaling_is(Scaling::Log1p)>
                        "log1p + standard (balanced segments)"
                    </option>
                </select>
            </label>
            <label>
                <input
                    type="checkbox"
                    prop:checked=move || state.force_cpu.get()
                    on:change=move |ev| state.force_cpu.set(event_target_checked(&ev))
                />
                " Train on CPU even if WebGPU is available"
            </label>
        </fieldset>
    }
}

const HORIZON_HELP: &str = "Expected purchases and CLV are forecast over this many days after the \
    last purchase.";

const MIGRATION_HELP: &str = "Segments and clusters as of this date are compared with the end of \
    the data, and the purchase model is refitted up to it and checked on the purchases after it. \
    Empty: a quarter before the last purchase.";

const SAMPLE_SIZE_HELP: &str = "Silhouettes, Ward trees, stability, the k sweep and the t-SNE map \
    cost O(n²): above this many customers they use a seeded, stratified sample of this size; at \
    or below it every number is exact.";

/// The message of the option at fault when it is `field` (an [`OptionsError::field`] name).
///
/// [`OptionsError::field`]: crate::core::pipeline::OptionsError::field
#[component]
fn FieldError(field: &'static str) -> impl IntoView {
    let state = expect_context::<AppState>();
    move || {
        state
            .options_error
            .get()
            .filter(|error| error.field() == field)
            .map(|error| {
                view! {
                    <span
                        class="warning field-error"
                        role="alert"
                        data-testid=format!("{field}-error")
                    >
                        {error.to_string()}
                    </span>
                }
            })
    }
}

//! k, seed, scaling, sample size and device: shown on the start screen, the preview and the
//! Models tab. Values are stored as typed; [`PipelineOptions::validate`] judges them and the
//! message appears beside the control at fault (the run is refused until it is fixed).
//!
//! [`PipelineOptions::validate`]: crate::core::pipeline::PipelineOptions::validate

use leptos::prelude::*;

use crate::app::state::AppState;
use crate::core::cluster::K_SWEEP;
use crate::core::embed::scale::Scaling;
use crate::core::pipeline::MIN_SAMPLE_SIZE;

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

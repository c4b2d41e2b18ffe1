//! A range input bound to one number, its label showing the current value.

use leptos::prelude::*;

#[component]
pub fn Slider(
    label: &'static str,
    min: f64,
    max: f64,
    step: f64,
    /// The number the slider shows and sets.
    #[prop(into)]
    value: Signal<f64>,
    /// How the label writes the value, e.g. [`crate::app::format::money`].
    show: fn(f64) -> String,
    on_input: impl Fn(f64) + 'static,
) -> impl IntoView {
    view! {
        <label class="slider">
            <span>{move || format!("{label}: {}", show(value.get()))}</span>
            <input
                type="range"
                min=min.to_string()
                max=max.to_string()
                step=step.to_string()
                prop:value=move || value.get().to_string()
                on:input=move |ev| {
                    if let Ok(v) = event_target_value(&ev).parse::<f64>() {
                        on_input(v);
                    }
                }
            />
        </label>
    }
}

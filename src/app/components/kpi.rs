//! A key figure: a small label over a large value.

use leptos::prelude::*;

#[component]
pub fn Kpi(label: &'static str, value: String) -> impl IntoView {
    view! {
        <div class="kpi">
            <span class="kpi-label">{label}</span>
            <span class="kpi-value">{value}</span>
        </div>
    }
}

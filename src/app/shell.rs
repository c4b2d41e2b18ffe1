//! The page's frame: header (worker badge, dark mode), error banner and the current phase.

use leptos::prelude::*;

use super::dashboard::Dashboard;
use super::preview::Preview;
use super::running::Running;
use super::start::Start;
use super::state::{AppState, Phase};

const PRIVACY: &str = "Your file never leaves this device: it is read, cleaned and modelled here, in \
    this tab. Nothing is uploaded.";

#[component]
pub fn App() -> impl IntoView {
    let state = AppState::new();
    provide_context(state);

    view! {
        <header class="topbar">
            <h1>"rfm-studio"</h1>
            <p class="tagline">"Customer segmentation that runs entirely in your browser"</p>
            <WorkerBadge />
            <button class="ghost" data-testid="theme-toggle" on:click=move |_| state.toggle_theme()>
                {move || if state.dark.get() { "Light mode" } else { "Dark mode" }}
            </button>
        </header>
        <main id="main">
            <p class="privacy" data-testid="privacy">
                {PRIVACY}
            </p>
            {move || {
                state
                    .error
                    .get()
                    .map(|e| {
                        view! {
                            <div class="error-banner" role="alert" data-testid="error">
                                <span>{e}</span>
                                <button class="ghost" on:click=move |_| state.error.set(None)>
                                    "Dismiss"
                                </button>
                            </div>
                        }
                    })
            }}
            {move || match state.phase.get() {
                Phase::Start => view! { <Start /> }.into_any(),
                Phase::Preview(sniffed) => view! { <Preview sniffed=sniffed /> }.into_any(),
                Phase::Running => view! { <Running /> }.into_any(),
                Phase::Dashboard => view! { <Dashboard /> }.into_any(),
            }}
        </main>
    }
}

#[component]
fn WorkerBadge() -> impl IntoView {
    let state = expect_context::<AppState>();
    move || {
        let (class, text) = match state.worker_status.get() {
            None => ("badge", "Starting worker…".to_string()),
            Some(Ok(device)) => ("badge ok", device.label()),
            Some(Err(e)) => ("badge error", format!("Worker failed: {e}")),
        };
        view! {
            <span class=class data-testid="worker-status" title="Where the autoencoder trains">
                {text}
            </span>
        }
    }
}

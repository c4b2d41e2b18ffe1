//! The run screen: a progress bar per stage, the autoencoder's live loss curve, elapsed time and
//! Cancel (which terminates the worker, so it works even mid-computation).

use leptos::prelude::*;
use plotly::{Plot, Scatter, common::Mode};

use super::components::{Chart, base_layout};
use super::state::{AppState, now_ms};
use crate::core::pipeline::Stage;

#[component]
pub fn Running() -> impl IntoView {
    let state = expect_context::<AppState>();
    // Ticks the elapsed-time display even while no progress message arrives.
    let ticker = set_interval_with_handle(
        move || state.now_ms.set(now_ms()),
        std::time::Duration::from_millis(500),
    )
    .ok();
    on_cleanup(move || {
        if let Some(t) = ticker {
            t.clear();
        }
    });
    let elapsed = move || (state.now_ms.get() - state.run_started_ms.get()) / 1000.0;
    let rows = move || {
        let stages = state.stages.get();
        Stage::ALL
            .into_iter()
            .map(|stage| {
                let progress = stages.iter().find(|s| s.stage == stage);
                let fraction = progress
                    .filter(|p| p.total > 0)
                    .map(|p| p.done as f64 / p.total as f64)
                    .unwrap_or(0.0);
                let status = match progress {
                    None => "waiting".to_string(),
                    Some(p) if p.done >= p.total && p.total > 0 => "done".to_string(),
                    Some(p) if stage == Stage::Read => {
                        format!(
                            "{:.1} / {:.1} MB",
                            p.done as f64 / 1e6,
                            p.total as f64 / 1e6
                        )
                    }
                    Some(p) if stage == Stage::Autoencoder => {
                        format!("epoch {} / {}", p.done, p.total)
                    }
                    Some(p) => format!("{} / {}", p.done, p.total),
                };
                view! {
                    <li class="stage">
                        <span class="stage-name">{stage.label()}</span>
                        <progress
                            max="1"
                            value=fraction.to_string()
                            aria-label=stage.label()
                        ></progress>
                        <span class="stage-status">{status}</span>
                    </li>
                }
            })
            .collect_view()
    };
    let loss_chart = move || {
        let losses = state.losses.get();
        let epochs: Vec<usize> = losses.iter().map(|l| l.epoch).collect();
        let mut plot = Plot::new();
        plot.add_trace(
            Scatter::new(
                epochs.clone(),
                losses.iter().map(|l| l.train_loss).collect(),
            )
            .name("training")
            .mode(Mode::Lines),
        );
        plot.add_trace(
            Scatter::new(epochs, losses.iter().map(|l| l.val_loss).collect())
                .name("validation")
                .mode(Mode::Lines),
        );
        plot.set_layout(
            base_layout("Autoencoder reconstruction loss (MSE)", state.dark.get()).height(280),
        );
        plot
    };
    view! {
        <section class="running" data-testid="running">
            <h2>"Running on " {state.source_name()}</h2>
            <p class="muted">
                {move || format!("Elapsed {:.1} s · ", elapsed())}
                {move || {
                    state
                        .training_device
                        .get()
                        .map(|d| format!("autoencoder on {}", d.label()))
                        .unwrap_or_else(|| "preparing…".into())
                }}
            </p>
            <ul class="stages">{rows}</ul>
            <Chart id="loss-curve" figure=loss_chart />
            <button class="danger" data-testid="cancel" on:click=move |_| state.cancel()>
                "Cancel"
            </button>
        </section>
    }
}

//! Map: the customers of the run's sample in two dimensions (t-SNE, PCA or the autoencoder's
//! latent space), coloured by cluster.

use leptos::prelude::*;
use plotly::common::{HoverInfo, Marker, Mode};
use plotly::{Plot, Scatter};

use crate::app::components::{Chart, Choice, ChoiceSelect, base_layout, cluster_colour};
use crate::app::segmentation::DashboardContext;
use crate::core::pipeline::Report;

/// Which 2-D coordinates the map plots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Projection {
    Tsne,
    Pca,
    Latent,
}

impl Choice for Projection {
    const ALL: &'static [Projection] = &[Projection::Tsne, Projection::Pca, Projection::Latent];

    fn label(self) -> &'static str {
        match self {
            Projection::Tsne => "t-SNE",
            Projection::Pca => "PCA",
            Projection::Latent => "Autoencoder latent",
        }
    }
}

impl Projection {
    fn title(self) -> &'static str {
        match self {
            Projection::Tsne => "t-SNE map of customers",
            Projection::Pca => "PCA (2 components)",
            Projection::Latent => "Autoencoder latent space",
        }
    }

    fn position(self, report: &Report, customer: usize) -> Option<[f64; 2]> {
        match self {
            Projection::Tsne => report.tsne_of(customer),
            Projection::Pca => report.pca.get(customer).copied(),
            Projection::Latent => report.latent.get(customer).copied(),
        }
    }
}

#[component]
pub fn Map() -> impl IntoView {
    let (state, ctx) = DashboardContext::expect();
    let projection = RwSignal::new(Projection::Tsne);
    let scatter = move || {
        let visible = ctx.visible.get();
        let which = projection.get();
        ctx.segmentation.with(|s| {
            let mut plot = Plot::new();
            if let Some(s) = s {
                let report = &s.report;
                // The map shows the run's sample: the t-SNE was computed on it, and a chart of
                // a million points would freeze the page. SVG, not WebGL: plotly's WebGL scatter
                // shows a notice instead of the chart where its WebGL setup fails (seen in
                // headless Chromium even with SwiftShader's WebGL), and a sample of the default
                // 5,000 customers draws quickly as SVG.
                for c in 0..s.k {
                    let rows: Vec<usize> = visible
                        .iter()
                        .copied()
                        .filter(|&i| {
                            s.labels()[i] == c && report.sample_rows.binary_search(&i).is_ok()
                        })
                        .collect();
                    let text: Vec<String> = rows
                        .iter()
                        .map(|&i| {
                            let cu = &report.customers[i];
                            format!(
                                "customer {}<br>R {} · F {} · M {:.2}",
                                cu.id, cu.recency, cu.frequency, cu.monetary
                            )
                        })
                        .collect();
                    let (xs, ys): (Vec<f64>, Vec<f64>) = rows
                        .iter()
                        .filter_map(|&i| which.position(report, i))
                        .map(|[x, y]| (x, y))
                        .unzip();
                    plot.add_trace(
                        Scatter::new(xs, ys)
                            .mode(Mode::Markers)
                            .name(s.cluster_name(c))
                            .marker(Marker::new().color(cluster_colour(c)).size(5).opacity(0.75))
                            .hover_text_array(text)
                            .hover_info(HoverInfo::Text),
                    );
                }
            }
            let title = match s.as_ref().map(|s| &s.report.sample) {
                Some(sample) if !sample.is_everyone() => format!(
                    "{}: seeded sample of {} of {} customers",
                    which.title(),
                    sample.size,
                    sample.customers
                ),
                _ => which.title().to_string(),
            };
            plot.set_layout(base_layout(&title, state.dark.get()).height(620));
            plot
        })
    };
    view! {
        <div class="controls">
            <label>"Projection " <ChoiceSelect value=projection /></label>
        </div>
        <Chart id="tsne-map" figure=scatter />
    }
}

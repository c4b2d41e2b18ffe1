//! What every dashboard view reads: the report, the chosen variant's labels and their personas,
//! and the customers the cluster filter lets through. Provided once by the dashboard as a
//! [`DashboardContext`]; the views only read it.

use std::sync::Arc;

use leptos::prelude::*;

use super::state::AppState;
use crate::core::personas::{ClusterProfile, Persona, cluster_profiles, personas};
use crate::core::pipeline::Report;

/// The report seen through one variant's clusters.
#[derive(Clone)]
pub struct Segmentation {
    pub report: Arc<Report>,
    /// Index into the report's variants (one that exists).
    pub variant: usize,
    pub k: usize,
    pub profiles: Arc<Vec<ClusterProfile>>,
    pub personas: Arc<Vec<Persona>>,
}

/// The same report and variant: everything else derives from them. (`Arc<Report>`'s own `==`
/// compares the reports field by field, a million customers' worth on every variant change.)
impl PartialEq for Segmentation {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.report, &other.report) && self.variant == other.variant
    }
}

impl Segmentation {
    fn of(report: Arc<Report>, variant: usize) -> Option<Self> {
        let variant = variant.min(report.variants.len().saturating_sub(1));
        let k = report.options.k;
        let profiles = cluster_profiles(
            report.features().view(),
            &report.variants.get(variant)?.labels,
            k,
        );
        let personas = personas(&profiles);
        Some(Segmentation {
            report,
            variant,
            k,
            profiles: Arc::new(profiles),
            personas: Arc::new(personas),
        })
    }

    /// The chosen variant's cluster of each customer, in the report's order.
    pub fn labels(&self) -> &[usize] {
        &self.report.variants[self.variant].labels
    }

    pub fn cluster_name(&self, cluster: usize) -> String {
        self.personas
            .get(cluster)
            .map(|p| format!("{cluster}: {}", p.name))
            .unwrap_or_else(|| cluster.to_string())
    }
}

#[derive(Clone, Copy)]
pub struct DashboardContext {
    pub segmentation: Memo<Option<Segmentation>>,
    /// Customers (indices into the report) that pass the cluster filter.
    pub visible: Memo<Arc<Vec<usize>>>,
}

impl DashboardContext {
    /// Derives the context from the page's state and provides it to the dashboard's views.
    pub fn provide(state: AppState) {
        let segmentation =
            Memo::new(move |_| Segmentation::of(state.report.get()?, state.variant.get()));
        let visible = Memo::new(move |_| {
            let filter = state.cluster_filter.get();
            Arc::new(segmentation.with(|s| {
                s.as_ref()
                    .map(|s| {
                        let labels = s.labels();
                        (0..labels.len())
                            .filter(|&i| filter.is_none_or(|c| labels[i] == c))
                            .collect()
                    })
                    .unwrap_or_default()
            }))
        });
        provide_context(DashboardContext {
            segmentation,
            visible,
        });
    }

    /// The page's state and the dashboard's context, as every view starts.
    pub fn expect() -> (AppState, DashboardContext) {
        (
            expect_context::<AppState>(),
            expect_context::<DashboardContext>(),
        )
    }

    /// Renders `body` with the current segmentation, or nothing before a report exists.
    pub fn render<V: IntoView + 'static>(
        self,
        body: impl Fn(&Segmentation) -> V + Send + Sync + 'static,
    ) -> impl IntoView {
        move || self.segmentation.with(|s| s.as_ref().map(&body))
    }
}

//! Campaign ROI per segment. [`campaign`] is the model to use: contacts, cost per contact,
//! response over a holdout, gross margin and the CLV a retained customer adds.
//!
//! What follows here is the first, revenue-only scenario the browser's ROI view still calls
//! (`scenario`, `RoiAssumptions`). It counts every conversion's whole order value as incremental
//! revenue with no margin and no response rate, so its ROIs run to thousands of percent; it is
//! kept only until the view moves to [`campaign`], then goes.
//!
//! Model, per cluster c with observed revenue `revenue_c` over the data window:
//! - retention: revenue at risk = revenue_c x lapsed share; retained = at risk x retention uplift.
//! - campaign: budget_c = budget x revenue share; conversions = budget_c / cost per conversion
//!   (baseline x (1 + change)); campaign revenue = conversions x average order value
//!   (revenue_c / invoices_c) x (1 + campaign ROI uplift).
//! - incremental revenue = retained + campaign revenue; ROI = (incremental - budget_c) / budget_c.
//!
//! The baseline (no levers) uses the same formulas with every uplift at zero, so the difference
//! between the two is exactly what the levers assume, nothing hidden.

use serde::{Deserialize, Serialize};

use crate::core::personas::ClusterProfile;

pub mod campaign;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoiAssumptions {
    /// Total campaign budget, in the data's currency.
    pub budget: f64,
    pub retention_uplift: f64,
    pub campaign_roi_uplift: f64,
    pub cost_per_conversion_change: f64,
    pub baseline_cost_per_conversion: f64,
}

impl Default for RoiAssumptions {
    fn default() -> Self {
        Self {
            budget: 10_000.0,
            retention_uplift: 0.15,
            campaign_roi_uplift: 0.18,
            cost_per_conversion_change: -0.12,
            baseline_cost_per_conversion: 25.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentRoi {
    pub cluster: usize,
    pub budget: f64,
    pub revenue_at_risk: f64,
    pub retained_revenue: f64,
    pub conversions: f64,
    pub campaign_revenue: f64,
    pub incremental_revenue: f64,
    pub roi: f64,
    /// The same segment with every lever at zero.
    pub baseline_incremental_revenue: f64,
    pub baseline_roi: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoiScenario {
    pub assumptions: RoiAssumptions,
    pub segments: Vec<SegmentRoi>,
    pub total_incremental_revenue: f64,
    pub total_roi: f64,
    pub baseline_total_roi: f64,
}

pub fn scenario(profiles: &[ClusterProfile], assumptions: &RoiAssumptions) -> RoiScenario {
    let total_revenue: f64 = profiles.iter().map(|p| p.revenue).sum();
    let baseline = RoiAssumptions {
        retention_uplift: 0.0,
        campaign_roi_uplift: 0.0,
        cost_per_conversion_change: 0.0,
        ..assumptions.clone()
    };
    let segments: Vec<SegmentRoi> = profiles
        .iter()
        .map(|p| {
            let share = if total_revenue > 0.0 {
                p.revenue / total_revenue
            } else {
                0.0
            };
            let budget = assumptions.budget * share;
            let scenario = levers(p, budget, assumptions);
            let base = levers(p, budget, &baseline);
            SegmentRoi {
                cluster: p.cluster,
                budget,
                revenue_at_risk: scenario.at_risk,
                retained_revenue: scenario.retained,
                conversions: scenario.conversions,
                campaign_revenue: scenario.campaign_revenue,
                incremental_revenue: scenario.incremental(),
                roi: roi(scenario.incremental(), budget),
                baseline_incremental_revenue: base.incremental(),
                baseline_roi: roi(base.incremental(), budget),
            }
        })
        .collect();
    let total_incremental_revenue = segments.iter().map(|s| s.incremental_revenue).sum();
    let baseline_total: f64 = segments
        .iter()
        .map(|s| s.baseline_incremental_revenue)
        .sum();
    RoiScenario {
        assumptions: assumptions.clone(),
        total_roi: roi(total_incremental_revenue, assumptions.budget),
        baseline_total_roi: roi(baseline_total, assumptions.budget),
        total_incremental_revenue,
        segments,
    }
}

struct Levers {
    at_risk: f64,
    retained: f64,
    conversions: f64,
    campaign_revenue: f64,
}

impl Levers {
    fn incremental(&self) -> f64 {
        self.retained + self.campaign_revenue
    }
}

fn levers(p: &ClusterProfile, budget: f64, a: &RoiAssumptions) -> Levers {
    let at_risk = p.revenue * p.lapsed_share;
    let cost_per_conversion = a.baseline_cost_per_conversion * (1.0 + a.cost_per_conversion_change);
    let conversions = if cost_per_conversion > 0.0 {
        budget / cost_per_conversion
    } else {
        0.0
    };
    let invoices = p.frequency_mean * p.customers as f64;
    let average_order_value = if invoices > 0.0 {
        p.revenue / invoices
    } else {
        0.0
    };
    Levers {
        at_risk,
        retained: at_risk * a.retention_uplift,
        conversions,
        campaign_revenue: conversions * average_order_value * (1.0 + a.campaign_roi_uplift),
    }
}

fn roi(incremental: f64, budget: f64) -> f64 {
    if budget > 0.0 {
        (incremental - budget) / budget
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(
        cluster: usize,
        customers: usize,
        frequency: f64,
        revenue: f64,
        lapsed: f64,
    ) -> ClusterProfile {
        ClusterProfile {
            cluster,
            customers,
            share: 0.5,
            recency_mean: 0.0,
            frequency_mean: frequency,
            monetary_mean: revenue / customers as f64,
            recency_median: 0.0,
            frequency_median: frequency,
            monetary_median: 0.0,
            revenue,
            lapsed_share: lapsed,
            z_recency: 0.0,
            z_frequency: 0.0,
            z_monetary: 0.0,
        }
    }

    #[test]
    fn hand_computed_segment_matches_the_documented_formulas() {
        // 100 customers, 2 invoices each, 40,000 revenue => average order 200; 25% lapsed.
        let profiles = [
            profile(0, 100, 2.0, 40_000.0, 0.25),
            profile(1, 10, 1.0, 10_000.0, 1.0),
        ];
        let a = RoiAssumptions::default();
        let s = scenario(&profiles, &a);
        let seg = &s.segments[0];
        assert!((seg.budget - 8_000.0).abs() < 1e-9); // 80% of revenue
        assert!((seg.revenue_at_risk - 10_000.0).abs() < 1e-9);
        assert!((seg.retained_revenue - 1_500.0).abs() < 1e-9);
        let conversions = 8_000.0 / (25.0 * 0.88);
        assert!((seg.conversions - conversions).abs() < 1e-9);
        assert!((seg.campaign_revenue - conversions * 200.0 * 1.18).abs() < 1e-6);
        let incremental = 1_500.0 + conversions * 200.0 * 1.18;
        assert!((seg.roi - (incremental - 8_000.0) / 8_000.0).abs() < 1e-12);
        // Baseline: no retention effect, full cost per conversion, no campaign uplift.
        let base = 8_000.0 / 25.0 * 200.0;
        assert!((seg.baseline_incremental_revenue - base).abs() < 1e-6);
        assert!(s.total_roi > s.baseline_total_roi);
        let budgets: f64 = s.segments.iter().map(|x| x.budget).sum();
        assert!((budgets - a.budget).abs() < 1e-9);
    }
}

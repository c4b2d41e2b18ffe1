//! Personas: a name and a recommended action for each cluster, derived from its R/F/M profile.
//!
//! Rules work on log1p-scaled R/F/M standardised over all customers, because raw monetary values
//! are so skewed that one VIP would otherwise make every other cluster look "low value".

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use super::distribution::quantile_of_sorted;

/// Averages of one cluster in the raw units the analyst knows (days, invoices, currency).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterProfile {
    pub cluster: usize,
    pub customers: usize,
    pub share: f64,
    pub recency_mean: f64,
    pub frequency_mean: f64,
    pub monetary_mean: f64,
    pub recency_median: f64,
    pub frequency_median: f64,
    pub monetary_median: f64,
    pub revenue: f64,
    /// Share of the cluster's customers whose last purchase is older than [`LAPSED_AFTER_DAYS`].
    pub lapsed_share: f64,
    /// Cluster means of standardised log1p(R), log1p(F), log1p(M): the persona rules' inputs.
    pub z_recency: f64,
    pub z_frequency: f64,
    pub z_monetary: f64,
}

/// A customer who has not bought for a quarter is treated as lapsing (ROI's retention lever).
pub const LAPSED_AFTER_DAYS: f64 = 90.0;

/// Profiles of clusters `0..k` from the raw features (columns recency, frequency, monetary).
pub fn cluster_profiles(rfm: ArrayView2<f64>, labels: &[usize], k: usize) -> Vec<ClusterProfile> {
    assert_eq!(rfm.nrows(), labels.len(), "one label per customer");
    let logs: Vec<[f64; 3]> = rfm
        .rows()
        .into_iter()
        .map(|r| [r[0].ln_1p(), r[1].ln_1p(), r[2].ln_1p()])
        .collect();
    let standardise = |feature: usize| -> (f64, f64) {
        let n = logs.len().max(1) as f64;
        let mean = logs.iter().map(|l| l[feature]).sum::<f64>() / n;
        let var = logs
            .iter()
            .map(|l| (l[feature] - mean).powi(2))
            .sum::<f64>()
            / n;
        (mean, var.sqrt().max(f64::EPSILON))
    };
    let scales = [standardise(0), standardise(1), standardise(2)];
    let total = labels.len().max(1) as f64;
    (0..k)
        .map(|cluster| {
            let members: Vec<usize> = (0..labels.len())
                .filter(|&i| labels[i] == cluster)
                .collect();
            let column = |feature: usize| -> Vec<f64> {
                members.iter().map(|&i| rfm[[i, feature]]).collect()
            };
            let z = |feature: usize| -> f64 {
                let (mean, sd) = scales[feature];
                mean_of(members.iter().map(|&i| (logs[i][feature] - mean) / sd))
            };
            let (recency, frequency, monetary) = (column(0), column(1), column(2));
            ClusterProfile {
                cluster,
                customers: members.len(),
                share: members.len() as f64 / total,
                recency_mean: mean_of(recency.iter().copied()),
                frequency_mean: mean_of(frequency.iter().copied()),
                monetary_mean: mean_of(monetary.iter().copied()),
                recency_median: median(recency.clone()),
                frequency_median: median(frequency),
                monetary_median: median(monetary.clone()),
                revenue: monetary.iter().sum(),
                lapsed_share: mean_of(
                    recency
                        .iter()
                        .map(|&r| f64::from(u8::from(r > LAPSED_AFTER_DAYS))),
                ),
                z_recency: z(0),
                z_frequency: z(1),
                z_monetary: z(2),
            }
        })
        .collect()
}

fn mean_of(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 { f64::NAN } else { sum / n as f64 }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    quantile_of_sorted(&values, 0.5).unwrap_or(f64::NAN)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PersonaKind {
    Vip,
    Loyal,
    AtRiskHighValue,
    NewPromising,
    DormantLowValue,
}

impl PersonaKind {
    pub fn title(self) -> &'static str {
        match self {
            PersonaKind::Vip => "VIP",
            PersonaKind::Loyal => "Loyal regulars",
            PersonaKind::AtRiskHighValue => "At-risk high value",
            PersonaKind::NewPromising => "New and promising",
            PersonaKind::DormantLowValue => "Dormant low value",
        }
    }

    pub fn action(self) -> &'static str {
        match self {
            PersonaKind::Vip => {
                "Protect: personal contact, early access and service perks; discounts are not needed"
            }
            PersonaKind::Loyal => {
                "Grow: loyalty programme, cross-sell and bundles matched to past purchases"
            }
            PersonaKind::AtRiskHighValue => {
                "Win back now: personalised reactivation offer before they lapse for good"
            }
            PersonaKind::NewPromising => "Onboard: welcome series and a second-purchase incentive",
            PersonaKind::DormantLowValue => {
                "Reactivate cheaply (automated e-mail) or let go; keep out of costly campaigns"
            }
        }
    }
}

/// Thresholds of the persona rules, in standard deviations of log1p values.
pub const VIP_VALUE_Z: f64 = 1.0;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Persona {
    pub cluster: usize,
    pub kind: PersonaKind,
    /// Unique across clusters: a second cluster of the same kind is numbered.
    pub name: String,
    pub action: String,
    /// One line the analyst can check against the profile.
    pub evidence: String,
}

/// The rule table: value = mean of the F and M z-scores; recent = R z-score below 0.
/// value >= 1 and recent -> VIP; value >= 0 and recent -> Loyal; value >= 0, not recent ->
/// At-risk high value; value < 0 and recent -> New and promising; otherwise Dormant low value.
pub fn classify(profile: &ClusterProfile) -> PersonaKind {
    let value = (profile.z_frequency + profile.z_monetary) / 2.0;
    let recent = profile.z_recency < 0.0;
    match (recent, value) {
        (true, v) if v >= VIP_VALUE_Z => PersonaKind::Vip,
        (true, v) if v >= 0.0 => PersonaKind::Loyal,
        (false, v) if v >= 0.0 => PersonaKind::AtRiskHighValue,
        (true, _) => PersonaKind::NewPromising,
        (false, _) => PersonaKind::DormantLowValue,
    }
}

pub fn personas(profiles: &[ClusterProfile]) -> Vec<Persona> {
    let kinds: Vec<PersonaKind> = profiles.iter().map(classify).collect();
    profiles
        .iter()
        .zip(&kinds)
        .map(|(profile, &kind)| {
            let same_kind = kinds.iter().filter(|&&k| k == kind).count();
            let ordinal = kinds[..profile.cluster.min(kinds.len())]
                .iter()
                .filter(|&&k| k == kind)
                .count();
            let name = if same_kind > 1 {
                format!("{} {}", kind.title(), ordinal + 1)
            } else {
                kind.title().to_string()
            };
            Persona {
                cluster: profile.cluster,
                kind,
                name,
                action: kind.action().to_string(),
                evidence: format!(
                    "{} customers; last purchase {:.0} days ago, {:.1} invoices, {:.0} spent on average",
                    profile.customers,
                    profile.recency_mean,
                    profile.frequency_mean,
                    profile.monetary_mean
                ),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn profiles_average_in_raw_units_and_classify_the_obvious_groups() {
        // Cluster 0: recent big spenders; cluster 1: long-gone one-off buyers.
        let rfm = array![
            [2.0, 40.0, 9000.0],
            [4.0, 30.0, 7000.0],
            [300.0, 1.0, 20.0],
            [320.0, 1.0, 30.0],
            [310.0, 2.0, 25.0],
        ];
        let labels = [0, 0, 1, 1, 1];
        let profiles = cluster_profiles(rfm.view(), &labels, 2);
        assert_eq!(profiles[0].customers, 2);
        assert!((profiles[0].recency_mean - 3.0).abs() < 1e-12);
        assert!((profiles[1].monetary_median - 25.0).abs() < 1e-12);
        assert!((profiles[0].revenue - 16000.0).abs() < 1e-9);
        assert!((profiles[1].lapsed_share - 1.0).abs() < 1e-12);
        assert!((profiles[0].share - 0.4).abs() < 1e-12);
        let named = personas(&profiles);
        assert_eq!(named[0].kind, PersonaKind::Vip);
        assert_eq!(named[1].kind, PersonaKind::DormantLowValue);
    }

    #[test]
    fn every_quadrant_of_the_rule_table_is_reachable_and_names_stay_unique() {
        let profile = |cluster, z_recency, z_value| ClusterProfile {
            cluster,
            customers: 1,
            share: 0.2,
            recency_mean: 0.0,
            frequency_mean: 0.0,
            monetary_mean: 0.0,
            recency_median: 0.0,
            frequency_median: 0.0,
            monetary_median: 0.0,
            revenue: 0.0,
            lapsed_share: 0.0,
            z_recency,
            z_frequency: z_value,
            z_monetary: z_value,
        };
        let profiles = [
            profile(0, -1.0, 1.5),
            profile(1, -1.0, 0.5),
            profile(2, 1.0, 0.5),
            profile(3, -1.0, -0.5),
            profile(4, 1.0, -0.5),
            profile(5, 1.0, -1.5),
        ];
        let named = personas(&profiles);
        let kinds: Vec<_> = named.iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds,
            [
                PersonaKind::Vip,
                PersonaKind::Loyal,
                PersonaKind::AtRiskHighValue,
                PersonaKind::NewPromising,
                PersonaKind::DormantLowValue,
                PersonaKind::DormantLowValue
            ]
        );
        assert_eq!(named[4].name, "Dormant low value 1");
        assert_eq!(named[5].name, "Dormant low value 2");
        assert_eq!(named[0].name, "VIP");
    }
}

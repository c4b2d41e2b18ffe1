//! The dashboard's tabs, one module per tab. Each reads the shared
//! [`Segmentation`](super::segmentation::Segmentation) and the cluster filter; charts are plotly
//! figures rebuilt when what they read changes.

mod cohorts;
mod distributions;
mod map;
mod migration;
mod models;
mod overview;
mod profiles;
mod roi;
mod score_thresholds;
mod segments;
mod validation;
mod value;

pub use cohorts::Cohorts;
pub use distributions::Distributions;
pub use map::Map;
pub use models::Models;
pub use overview::Overview;
pub use profiles::Profiles;
pub use roi::Roi;
pub use segments::Segments;
pub use validation::Validation;
pub use value::Value;

//! The dashboard's tabs, one module per tab. Each reads the shared
//! [`Segmentation`](super::segmentation::Segmentation) and the cluster filter; charts are plotly
//! figures rebuilt when what they read changes.

mod distributions;
mod map;
mod models;
mod overview;
mod profiles;
mod roi;
mod segments;
mod validation;

pub use distributions::Distributions;
pub use map::Map;
pub use models::Models;
pub use overview::Overview;
pub use profiles::Profiles;
pub use roi::Roi;
pub use segments::Segments;
pub use validation::Validation;

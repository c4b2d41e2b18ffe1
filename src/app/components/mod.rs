//! Widgets the screens share: figures, a Sankey diagram, typed selects, KPI tiles, sliders, table headers, the
//! run options and the warehouse SQL target.

mod chart;
mod choice;
mod kpi;
mod run_options;
mod sankey;
mod slider;
mod table;
mod warehouse;

pub use chart::{Chart, base_layout, cluster_colour};
pub use choice::{Choice, ChoiceSelect};
pub use kpi::Kpi;
pub use run_options::RunOptions;
pub use sankey::Sankey;
pub use slider::Slider;
pub use table::{Column, TableHead};
pub use warehouse::{DownloadError, WarehouseTarget};

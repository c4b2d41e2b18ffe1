//! The numeric core, one module per pipeline stage:
//! ingest -> rfm (cut_points) -> embed -> cluster -> evaluate -> present (tsne, personas, roi,
//! distribution);
//! customer value over time beside them: clv, cohorts, migration.

pub mod cluster;
pub mod clv;
pub mod cohorts;
pub mod cut_points;
pub mod distribution;
pub mod embed;
pub mod evaluate;
pub mod export;
mod finite;
pub mod generate;
pub mod ingest;
pub mod migration;
pub mod personas;
pub mod pipeline;
pub mod rfm;
pub mod roi;
pub mod sampling;
pub mod tsne;
pub mod warehouse;

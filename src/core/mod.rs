//! The numeric core, one module per pipeline stage:
//! ingest -> rfm -> embed -> cluster -> evaluate -> present (tsne, personas, roi).

pub mod cluster;
pub mod embed;
pub mod evaluate;
pub mod export;
mod finite;
pub mod generate;
pub mod ingest;
pub mod personas;
pub mod pipeline;
pub mod rfm;
pub mod roi;
pub mod sampling;
pub mod tsne;
pub mod warehouse;

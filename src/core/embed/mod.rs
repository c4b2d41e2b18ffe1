//! (stage under construction)

pub mod autoencoder;

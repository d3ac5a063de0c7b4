//! Looking inside a trained generator: what it can and cannot produce.
//!
//! - [`inversion`]: the latent whose image is closest to a given picture,
//!   and so the real pictures a generator cannot reach.

pub mod inversion;

//! Looking inside a trained generator: what it can and cannot produce.
//!
//! - [`inversion`]: the latent whose image is closest to a given picture,
//!   and so the real pictures a generator cannot reach.
//! - [`probe`]: how linearly separable an encoder's features leave the classes.

pub mod inversion;
pub mod probe;

//! Looking inside a trained generator: what it can and cannot produce.
//!
//! - [`inversion`]: the latent whose image is closest to a given picture,
//!   and so the real pictures a generator cannot reach.
//! - [`steering`]: a latent direction along which the generator's pictures
//!   shift, zoom, brighten or thicken, and how far along it they follow.

pub mod inversion;
pub mod steering;

//! Looking inside a trained generator: what it can and cannot produce.
//!
//! - [`inversion`]: the latent whose image is closest to a given picture,
//!   and so the real pictures a generator cannot reach.
//! - [`probe`]: how linearly separable an encoder's features leave the classes.
//! - [`dissection`]: which units of a layer draw which part of a digit, and
//!   what switching them off or on does to the pictures (GAN dissection),
//!   with the parts as masks from [`concepts`].
//! - [`steering`]: a latent direction along which the generator's pictures
//!   shift, zoom, brighten or thicken, and how far along it they follow.
//! - [`style`]: StyleGAN's pictures: style mixing, truncation, noise, and
//!   interpolation in Z beside W.
//! - [`droplets`]: StyleGAN2's check that demodulation keeps the feature
//!   maps free of isolated spikes (the "droplets").

pub mod concepts;
pub mod dissection;
pub mod droplets;
pub mod inversion;
pub mod probe;
pub mod steering;
pub mod style;

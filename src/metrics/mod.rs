//! Measurements of how well a generator is doing.
//!
//! - [`modes`]: mode coverage on the 2D Gaussian mixtures.

pub mod modes;

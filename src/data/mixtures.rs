//! The 2D Gaussian mixtures used to study mode collapse.
//!
//! A GAN trained on a mixture of well-separated Gaussians often learns only
//! some of them ("mode collapse"), which is easy to see and to count in 2D.
//! The two standard settings come from the VEEGAN and PacGAN papers:
//!
//! - [`Mixture::ring`]: 8 Gaussians on the unit circle, std 0.01.
//! - [`Mixture::grid`]: 25 Gaussians on the lattice {-4,-2,0,2,4}², std 0.05.
//!
//! Each component has the same weight and the same isotropic standard
//! deviation.

use rand::Rng;
use rand_distr::StandardNormal;
use std::f32::consts::PI;

/// An equal-weight mixture of isotropic 2D Gaussians.
#[derive(Debug, Clone, PartialEq)]
pub struct Mixture {
    /// Centre of each component.
    pub means: Vec<[f32; 2]>,
    /// Standard deviation of every component, in both directions.
    pub std: f32,
}

impl Mixture {
    /// 8 Gaussians with means (cos 2πi/8, sin 2πi/8) and std 0.01.
    pub fn ring() -> Self {
        let means = (0..8)
            .map(|i| {
                let angle = 2.0 * PI * i as f32 / 8.0;
                [angle.cos(), angle.sin()]
            })
            .collect();
        Mixture { means, std: 0.01 }
    }

    /// 25 Gaussians with means {-4, -2, 0, 2, 4}² and std 0.05.
    pub fn grid() -> Self {
        let coordinates = [-4.0, -2.0, 0.0, 2.0, 4.0];
        let means = coordinates.iter().flat_map(|&x| coordinates.iter().map(move |&y| [x, y])).collect();
        Mixture { means, std: 0.05 }
    }

    /// Draws `n` points: pick a component uniformly at random, then add
    /// Gaussian noise of standard deviation `std` around its mean.
    ///
    /// # Panics
    /// If the mixture has no means.
    pub fn sample<R: Rng + ?Sized>(&self, n: usize, rng: &mut R) -> Vec<[f32; 2]> {
        assert!(!self.means.is_empty(), "a mixture needs at least one mean");
        (0..n)
            .map(|_| {
                let [mean_x, mean_y] = self.means[rng.random_range(0..self.means.len())];
                let noise_x: f32 = rng.sample(StandardNormal);
                let noise_y: f32 = rng.sample(StandardNormal);
                [mean_x + self.std * noise_x, mean_y + self.std * noise_y]
            })
            .collect()
    }

    /// Half the side of a square view centred on the origin that shows every
    /// mean with a margin (what the scatter plots draw).
    pub fn view_half_width(&self) -> f32 {
        self.means.iter().map(|m| m[0].abs().max(m[1].abs())).fold(0.0, f32::max) * 1.5
    }

    /// The probability density of the mixture at (x, y).
    ///
    /// For shading a picture, divide by the density at one of the means,
    /// which is (almost exactly) the peak when the components are well
    /// separated, to get values in [0, 1].
    pub fn density(&self, x: f32, y: f32) -> f32 {
        let variance = self.std * self.std;
        let component_peak = 1.0 / (2.0 * PI * variance);
        let total: f32 = self
            .means
            .iter()
            .map(|&[mean_x, mean_y]| {
                let squared_distance = (x - mean_x).powi(2) + (y - mean_y).powi(2);
                component_peak * (-squared_distance / (2.0 * variance)).exp()
            })
            .sum();
        total / self.means.len() as f32
    }
}

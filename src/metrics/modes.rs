//! Mode coverage on the 2D Gaussian mixtures (the VEEGAN / PacGAN protocol).
//!
//! Each generated point is assigned to its nearest mean. It counts as
//! "high quality" when it lies within 3 standard deviations (Euclidean
//! distance `3 * std`) of that mean. From this we report:
//!
//! - how many modes received at least one high-quality point,
//! - what fraction of all points are high quality,
//! - how far the spread of high-quality points over the modes is from
//!   uniform, as a KL divergence.
//!
//! A generator that has collapsed onto a few modes covers few modes and has
//! a large KL; a generator that spreads points between modes has a low
//! high-quality fraction.

use crate::data::mixtures::Mixture;

/// A point is high quality when it is within this many standard deviations
/// of its nearest mean.
pub const HIGH_QUALITY_STDS: f32 = 3.0;

/// The result of [`evaluate_modes`].
#[derive(Debug, Clone, PartialEq)]
pub struct ModeReport {
    /// Number of high-quality points assigned to each mean, in the order of
    /// `Mixture::means`.
    pub high_quality_per_mode: Vec<usize>,
    /// Number of means with at least one high-quality point.
    pub modes_covered: usize,
    /// High-quality points divided by all points (0 when there are none).
    pub high_quality_fraction: f32,
    /// `KL(p || u) = Σ_k p_k ln(p_k / u_k)` in nats, where `p_k` is the share
    /// of the high-quality points that fall on mode `k` and `u_k = 1/K` is
    /// uniform over the `K` modes. Empty modes contribute 0 (0 ln 0 = 0).
    /// It is 0 for a perfectly even spread and ln K when every high-quality
    /// point sits on one mode. `None` when there is no high-quality point,
    /// because `p` is then undefined.
    pub kl_to_uniform: Option<f32>,
}

/// Scores generated `points` against the `mixture` they should imitate.
pub fn evaluate_modes(points: &[[f32; 2]], mixture: &Mixture) -> ModeReport {
    let radius = HIGH_QUALITY_STDS * mixture.std;
    let mut high_quality_per_mode = vec![0usize; mixture.means.len()];
    for &point in points {
        if let Some((mode, distance)) = nearest_mean(point, &mixture.means) {
            if distance <= radius {
                high_quality_per_mode[mode] += 1;
            }
        }
    }
    let high_quality: usize = high_quality_per_mode.iter().sum();
    ModeReport {
        modes_covered: high_quality_per_mode.iter().filter(|&&n| n > 0).count(),
        high_quality_fraction: if points.is_empty() { 0.0 } else { high_quality as f32 / points.len() as f32 },
        kl_to_uniform: kl_to_uniform(&high_quality_per_mode),
        high_quality_per_mode,
    }
}

/// Index of the mean closest to `point`, and the distance to it.
fn nearest_mean(point: [f32; 2], means: &[[f32; 2]]) -> Option<(usize, f32)> {
    means
        .iter()
        .map(|mean| (point[0] - mean[0]).hypot(point[1] - mean[1]))
        .enumerate()
        .min_by(|(_, a), (_, b)| a.total_cmp(b))
}

/// KL divergence of the histogram `counts` (normalised) from uniform.
fn kl_to_uniform(counts: &[usize]) -> Option<f32> {
    let total: usize = counts.iter().sum();
    if total == 0 {
        return None;
    }
    let mode_count = counts.len() as f64;
    let kl: f64 = counts
        .iter()
        .filter(|&&count| count > 0)
        .map(|&count| {
            let p = count as f64 / total as f64;
            p * (p * mode_count).ln()
        })
        .sum();
    Some(kl as f32)
}

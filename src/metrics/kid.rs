//! Kernel Inception Distance (Bińkowski et al. 2018, "Demystifying MMD GANs"),
//! here on the features of this crate's classifier.
//!
//! The squared maximum mean discrepancy between the feature distributions of
//! real (x) and generated (y) images, with the cubic polynomial kernel
//! k(a, b) = (a.b / d + 1)^3 (d the feature width), estimated without bias
//! from m samples of each:
//!
//! ```text
//! MMD^2 = 1/(m(m-1)) sum_{i!=j} k(x_i, x_j) + 1/(m(m-1)) sum_{i!=j} k(y_i, y_j)
//!       - 2/m^2 sum_{i,j} k(x_i, y_j)
//! ```
//!
//! Unlike FID it has no bias that depends on the sample size: its expectation
//! is 0 when both sets come from the same distribution (so a single estimate
//! can be slightly negative). As in the paper, it is averaged over random
//! subsets, and their standard deviation is reported too.

use super::MeanStd;
use nalgebra::DMatrix;
use rand::rngs::StdRng;
use rand::seq::index::sample;
use rand::SeedableRng;

/// How KID draws its subsets.
#[derive(Clone, Copy, Debug)]
pub struct KidSubsets {
    pub count: usize,
    /// Samples per subset from each set (capped at the smaller set's size).
    pub size: usize,
    pub seed: u64,
}

impl Default for KidSubsets {
    /// The reference implementation's 100 subsets of 1,000.
    fn default() -> Self {
        KidSubsets { count: 100, size: 1000, seed: 0 }
    }
}

/// KID between features x [N, D] and y [M, D]: the mean and std of the
/// unbiased MMD^2 over `subsets.count` random subsets, drawn without replacement.
pub fn kid(x: &DMatrix<f64>, y: &DMatrix<f64>, subsets: KidSubsets) -> MeanStd {
    let m = subsets.size.min(x.nrows()).min(y.nrows());
    assert!(m >= 2, "KID needs at least 2 samples in each set, got {} and {}", x.nrows(), y.nrows());
    let mut rng = StdRng::seed_from_u64(subsets.seed);
    let estimates: Vec<f64> = (0..subsets.count.max(1))
        .map(|_| {
            let xs = x.select_rows(sample(&mut rng, x.nrows(), m).iter().collect::<Vec<_>>().iter());
            let ys = y.select_rows(sample(&mut rng, y.nrows(), m).iter().collect::<Vec<_>>().iter());
            unbiased_mmd2(&xs, &ys)
        })
        .collect();
    MeanStd::of(&estimates)
}

// ANCHOR: reference_units
/// KID with both sets measured in units of the reference x's feature scale:
/// divided by the root-mean-square value of x's entries. The cubic kernel is
/// not scale-free: Inception's pool3 features are small, so a.b/d is of order
/// 1 there, but this crate's classifier has features in the tens, which made
/// the kernel values run to thousands and KID scale with them (the real
/// floor read 109 instead of 0.006). In these units a.b/d is of order 1
/// again and KID no longer depends on the network's arbitrary output scale.
pub fn kid_in_reference_units(x: &DMatrix<f64>, y: &DMatrix<f64>, subsets: KidSubsets) -> MeanStd {
    let rms = (x.norm_squared() / (x.nrows() * x.ncols()) as f64).sqrt();
    let unit = if rms > 0.0 { rms } else { 1.0 };
    kid(&(x / unit), &(y / unit), subsets)
}
// ANCHOR_END: reference_units

/// The unbiased MMD^2 estimate (the formula above) of two sets of equal size m.
pub fn unbiased_mmd2(x: &DMatrix<f64>, y: &DMatrix<f64>) -> f64 {
    let m = x.nrows() as f64;
    let (kxx, kyy, kxy) = (kernel(x, x), kernel(y, y), kernel(x, y));
    let off_diagonal = |k: &DMatrix<f64>| k.sum() - k.trace();
    (off_diagonal(&kxx) + off_diagonal(&kyy)) / (m * (m - 1.0)) - 2.0 * kxy.sum() / (m * m)
}

/// The Gram matrix of the cubic polynomial kernel: (a b^T / d + 1)^3.
fn kernel(a: &DMatrix<f64>, b: &DMatrix<f64>) -> DMatrix<f64> {
    let d = a.ncols() as f64;
    (a * b.transpose()).map(|dot| (dot / d + 1.0).powi(3))
}

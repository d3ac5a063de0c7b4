//! Fréchet Inception Distance (Heusel et al. 2017, "GANs Trained by a Two
//! Time-Scale Update Rule Converge to a Local Nash Equilibrium"), here with
//! the features of this crate's own classifier instead of Inception-v3's.
//!
//! Fit a Gaussian N(mu, S) to the features of each image set; the squared
//! Fréchet (2-Wasserstein) distance between two Gaussians is
//!
//! ```text
//! FID = |mu_1 - mu_2|^2 + tr(S_1 + S_2 - 2 (S_1 S_2)^(1/2))
//! ```
//!
//! S_1 S_2 is not symmetric, but its eigenvalues are those of the symmetric
//! positive semi-definite M = S_1^(1/2) S_2 S_1^(1/2) (a similarity
//! transform), so tr (S_1 S_2)^(1/2) = sum_i sqrt(lambda_i(M)). Both square
//! roots therefore need only symmetric eigendecompositions, done in f64 by
//! nalgebra; eigenvalues that rounding pushed slightly below zero are taken as 0.

use nalgebra::{DMatrix, DVector, SymmetricEigen};

/// A Gaussian fitted to a set of feature vectors.
#[derive(Clone, Debug)]
pub struct Gaussian {
    pub mean: DVector<f64>,
    /// The unbiased sample covariance (divides by N - 1, as numpy's `cov`).
    pub covariance: DMatrix<f64>,
}

impl Gaussian {
    /// The mean and covariance of the rows of `features` [N, D], N >= 2.
    pub fn fit(features: &DMatrix<f64>) -> Gaussian {
        let n = features.nrows();
        assert!(n >= 2, "a covariance needs at least 2 samples, got {n}");
        let mean = features.row_mean().transpose();
        let centred = DMatrix::from_fn(n, features.ncols(), |i, j| features[(i, j)] - mean[j]);
        let covariance = centred.tr_mul(&centred) / (n - 1) as f64;
        Gaussian { mean, covariance }
    }
}

// ANCHOR: frechet_distance
/// The squared Fréchet distance between two Gaussians (the formula above).
pub fn frechet_distance(a: &Gaussian, b: &Gaussian) -> f64 {
    let mean_term = (&a.mean - &b.mean).norm_squared();
    let root_a = symmetric_sqrt(&a.covariance);
    let middle = &root_a * &b.covariance * &root_a;
    let trace_of_root: f64 = eigenvalues(&middle).iter().map(|&l| l.max(0.0).sqrt()).sum();
    mean_term + a.covariance.trace() + b.covariance.trace() - 2.0 * trace_of_root
}
// ANCHOR_END: frechet_distance

/// FID between two sets of features [N, D] and [M, D].
pub fn fid(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    frechet_distance(&Gaussian::fit(a), &Gaussian::fit(b))
}

/// The square root of a symmetric positive semi-definite matrix: Q sqrt(L) Q^T
/// from its eigendecomposition Q L Q^T.
fn symmetric_sqrt(m: &DMatrix<f64>) -> DMatrix<f64> {
    let eigen = SymmetricEigen::new(symmetrised(m));
    let roots = eigen.eigenvalues.map(|l| l.max(0.0).sqrt());
    &eigen.eigenvectors * DMatrix::from_diagonal(&roots) * eigen.eigenvectors.transpose()
}

fn eigenvalues(m: &DMatrix<f64>) -> DVector<f64> {
    SymmetricEigen::new(symmetrised(m)).eigenvalues
}

/// (M + M^T) / 2: removes the rounding asymmetry of a product that is
/// symmetric in exact arithmetic.
fn symmetrised(m: &DMatrix<f64>) -> DMatrix<f64> {
    (m + m.transpose()) * 0.5
}

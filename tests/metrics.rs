//! Known-answer tests of the image metrics (CPU, f64): each states the case
//! whose answer is known and why.

use ganforge::metrics::class_coverage::ClassCoverage;
use ganforge::metrics::fid::{fid, frechet_distance, Gaussian};
use ganforge::metrics::inception_score::inception_score;
use ganforge::metrics::kid::{kid, kid_in_reference_units, unbiased_mmd2, KidSubsets};
use ganforge::metrics::label_accuracy::LabelAccuracy;
use ganforge::metrics::precision_recall::{precision_recall, K};
use nalgebra::{DMatrix, DVector};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

/// n samples [n, d] of N(mean, diag(stds^2)).
fn gaussian_samples(n: usize, mean: &[f64], stds: &[f64], seed: u64) -> DMatrix<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    DMatrix::from_fn(n, mean.len(), |_, j| mean[j] + stds[j] * rng.sample::<f64, _>(StandardNormal))
}

/// A rotation by `angle` in the plane.
fn rotation(angle: f64) -> DMatrix<f64> {
    let (s, c) = angle.sin_cos();
    DMatrix::from_row_slice(2, 2, &[c, -s, s, c])
}

#[test]
fn fid_of_a_set_against_itself_is_zero() {
    let x = gaussian_samples(500, &[1.0, -2.0, 0.5], &[1.0, 3.0, 0.2], 1);
    let value = fid(&x, &x);
    assert!(value.abs() < 1e-9, "FID(x, x) = {value}");
}

#[test]
fn fid_of_commuting_gaussians_matches_the_closed_form() {
    // S1 = R diag(1, 4) R^T and S2 = R diag(9, 1) R^T share eigenvectors, so
    // (S1 S2)^(1/2) = R diag(3, 2) R^T and
    // FID = |mu1 - mu2|^2 + (1 + 4) + (9 + 1) - 2 (3 + 2) = |mu1 - mu2|^2 + 5.
    let r = rotation(0.7);
    let a = Gaussian {
        mean: DVector::from_vec(vec![1.0, 2.0]),
        covariance: &r * DMatrix::from_diagonal(&DVector::from_vec(vec![1.0, 4.0])) * r.transpose(),
    };
    let b = Gaussian {
        mean: DVector::from_vec(vec![-1.0, 2.5]),
        covariance: &r * DMatrix::from_diagonal(&DVector::from_vec(vec![9.0, 1.0])) * r.transpose(),
    };
    let want = (4.0 + 0.25) + 5.0;
    let got = frechet_distance(&a, &b);
    assert!((got - want).abs() < 1e-9, "FID {got}, closed form {want}");
}

#[test]
fn fid_of_non_commuting_gaussians_matches_the_closed_form() {
    // In one dimension per axis the formula is (m1 - m2)^2 + (s1 - s2)^2; for
    // 2x2 covariances tr (S1 S2)^(1/2) = sqrt(tr(S1 S2) + 2 sqrt(det(S1 S2)))
    // (the square root of a 2x2 matrix with positive eigenvalues l1, l2 has
    // trace sqrt(l1) + sqrt(l2), whose square is l1 + l2 + 2 sqrt(l1 l2)).
    let a = Gaussian { mean: DVector::zeros(2), covariance: DMatrix::from_row_slice(2, 2, &[2.0, 0.5, 0.5, 1.0]) };
    let b = Gaussian { mean: DVector::zeros(2), covariance: DMatrix::from_row_slice(2, 2, &[1.0, -0.3, -0.3, 3.0]) };
    let product = &a.covariance * &b.covariance;
    let trace_root = (product.trace() + 2.0 * product.determinant().sqrt()).sqrt();
    let want = a.covariance.trace() + b.covariance.trace() - 2.0 * trace_root;
    let got = frechet_distance(&a, &b);
    assert!((got - want).abs() < 1e-9, "FID {got}, closed form {want}");
}

#[test]
fn fid_of_samples_approaches_the_gaussians_distance() {
    // N(0, I) against N((1, 0, 0), diag(4, 1, 1)): 1 + (2 - 1)^2 = 2, up to
    // sampling error (a few hundredths at 20,000 samples).
    let x = gaussian_samples(20_000, &[0.0, 0.0, 0.0], &[1.0, 1.0, 1.0], 2);
    let y = gaussian_samples(20_000, &[1.0, 0.0, 0.0], &[2.0, 1.0, 1.0], 3);
    let value = fid(&x, &y);
    assert!((value - 2.0).abs() < 0.1, "FID {value}, expected about 2");
}

#[test]
fn kid_matches_its_formula_on_a_tiny_case() {
    // One dimension, x = (0, 1), y = (1, 2); k(a, b) = (ab + 1)^3:
    // k(0,1) = 1, k(1,2) = 27, xy pairs: k(0,1) + k(0,2) + k(1,1) + k(1,2) = 1 + 1 + 8 + 27.
    // MMD^2 = (2 * 1)/2 + (2 * 27)/2 - 2 * 37 / 4 = 1 + 27 - 18.5 = 9.5.
    let x = DMatrix::from_row_slice(2, 1, &[0.0, 1.0]);
    let y = DMatrix::from_row_slice(2, 1, &[1.0, 2.0]);
    let value = unbiased_mmd2(&x, &y);
    assert!((value - 9.5).abs() < 1e-12, "MMD^2 = {value}");
}

#[test]
fn kid_is_unbiased_on_samples_of_one_distribution() {
    // Two independent samples of the same Gaussian: the unbiased estimate
    // averages to 0 (here within 3 standard errors of the subset mean), while
    // a shifted distribution is clearly positive.
    let x = gaussian_samples(2000, &[0.5; 4], &[1.0; 4], 4);
    let y = gaussian_samples(2000, &[0.5; 4], &[1.0; 4], 5);
    let subsets = KidSubsets { count: 50, size: 200, seed: 0 };
    let same = kid(&x, &y, subsets);
    let standard_error = same.std / (subsets.count as f64).sqrt();
    assert!(same.mean.abs() < 3.0 * standard_error + 1e-4, "KID of equal distributions {same:?}");
    let shifted = gaussian_samples(2000, &[1.5; 4], &[1.0; 4], 6);
    let different = kid(&x, &shifted, subsets);
    assert!(different.mean > 5.0 * different.std, "KID of shifted distributions {different:?}");
}

/// Probabilities [n, k]: one-hot on class i % k when `one_hot`, else uniform.
fn predictions(n: usize, k: usize, one_hot: bool) -> DMatrix<f64> {
    DMatrix::from_fn(n, k, |i, j| match one_hot {
        true => f64::from(u8::from(i % k == j)),
        false => 1.0 / k as f64,
    })
}

#[test]
fn inception_score_is_the_class_count_for_confident_balanced_predictions() {
    // p(y|x) one-hot, p(y) uniform: KL = log 10 for every image, IS = 10.
    // (One split holds all the images, so its classes are exactly balanced;
    // smaller splits of a shuffle are only nearly so.)
    let score = inception_score(&predictions(1000, 10, true), 1);
    assert!((score.mean - 10.0).abs() < 1e-9 && score.std < 1e-9, "{score:?}");
    let split = inception_score(&predictions(1000, 10, true), 10);
    assert!(split.mean > 9.5, "{split:?}");
}

#[test]
fn inception_score_splits_do_not_depend_on_the_order_of_the_images() {
    // Images stored class by class (all 0s, then all 1s, ...) still give
    // nearly balanced splits, hence IS near 10, not 1.
    let sorted = DMatrix::from_fn(1000, 10, |i, j| f64::from(u8::from(i / 100 == j)));
    let score = inception_score(&sorted, 10);
    assert!(score.mean > 9.5, "{score:?}");
}

#[test]
fn inception_score_is_one_for_uniform_predictions() {
    // p(y|x) = p(y): every KL is 0, IS = exp(0) = 1.
    let score = inception_score(&predictions(1000, 10, false), 10);
    assert!((score.mean - 1.0).abs() < 1e-12 && score.std < 1e-12, "{score:?}");
}

#[test]
fn precision_and_recall_of_a_set_against_itself_are_one() {
    let x = gaussian_samples(300, &[0.0; 5], &[1.0; 5], 7);
    let pr = precision_recall(&x, &x, K);
    assert_eq!((pr.precision, pr.recall), (1.0, 1.0));
}

#[test]
fn precision_and_recall_separate_quality_from_coverage() {
    // Generated points that cover only half of the real cloud (x0 > 0) are
    // all realistic (precision near 1) but miss half of it (recall near 1/2);
    // points far from the real data are neither.
    let real = gaussian_samples(2000, &[0.0, 0.0], &[1.0, 1.0], 8);
    let half_rows: Vec<usize> = (0..real.nrows()).filter(|&i| real[(i, 0)] > 0.0).collect();
    let half = real.select_rows(half_rows.iter());
    let pr = precision_recall(&real, &half, K);
    assert!(pr.precision > 0.99 && (pr.recall - 0.5).abs() < 0.1, "{pr:?}");
    let far = gaussian_samples(500, &[50.0, 50.0], &[1.0, 1.0], 9);
    let pr = precision_recall(&real, &far, K);
    assert_eq!((pr.precision, pr.recall), (0.0, 0.0));
}

#[test]
fn class_coverage_counts_classes_and_measures_imbalance() {
    // Equally frequent classes: all covered, KL 0.
    let balanced: Vec<usize> = (0..100).map(|i| i % 10).collect();
    let coverage = ClassCoverage::of(&balanced, 10);
    assert_eq!((coverage.covered, coverage.histogram[3]), (10, 10));
    assert!(coverage.kl_to_uniform.abs() < 1e-12);
    // One class only (full collapse): 1 covered, KL = log 10.
    let collapsed = ClassCoverage::of(&[7; 50], 10);
    assert_eq!(collapsed.covered, 1);
    assert!((collapsed.kl_to_uniform - 10f64.ln()).abs() < 1e-12);
    // Two classes equally: KL = log(10 / 2).
    let two = ClassCoverage::of(&[1, 4, 1, 4], 10);
    assert!((two.kl_to_uniform - 5f64.ln()).abs() < 1e-12);
}

#[test]
fn label_accuracy_is_per_asked_label() {
    // Asked 0, 1, 2 four times each; label 1 is always drawn as 2, label 2
    // half the time as 0: accuracy 1, 0, 0.5 by label and 6/12 overall.
    let asked: Vec<usize> = (0..12).map(|i| i % 3).collect();
    let predicted: Vec<usize> = asked
        .iter()
        .enumerate()
        .map(|(i, &label)| match label {
            1 => 2,
            2 if i % 2 == 0 => 0,
            other => other,
        })
        .collect();
    let accuracy = LabelAccuracy::of(&predicted, &asked, 4);
    assert_eq!(accuracy.per_class, [1.0, 0.0, 0.5, 0.0]);
    assert_eq!(accuracy.overall, 0.5);
    assert_eq!(LabelAccuracy::of(&asked, &asked, 3).overall, 1.0);
}

#[test]
fn kid_in_reference_units_ignores_the_feature_scale() {
    // Scaling both sets by 7 changes raw KID (the cubic kernel is not
    // scale-free) but not KID in the reference's units; and when the
    // reference already has unit root-mean-square, the two agree.
    let x = gaussian_samples(300, &[1.0, 0.0, 2.0], &[1.0, 0.5, 1.0], 1);
    let y = gaussian_samples(300, &[1.5, 0.0, 2.0], &[1.0, 0.5, 2.0], 2);
    let subsets = KidSubsets { count: 5, size: 200, seed: 3 };
    let base = kid_in_reference_units(&x, &y, subsets);
    let scaled = kid_in_reference_units(&(&x * 7.0), &(&y * 7.0), subsets);
    assert!((base.mean - scaled.mean).abs() < 1e-9 * base.mean.abs(), "{base:?} vs {scaled:?}");
    let raw = kid(&(&x * 7.0), &(&y * 7.0), subsets);
    assert!(raw.mean > 100.0 * base.mean, "raw {raw:?} should grow with the scale");
    let rms = (x.norm_squared() / (x.nrows() * x.ncols()) as f64).sqrt();
    let unit_x = &x / rms;
    let unit_y = &y / rms;
    let direct = kid(&unit_x, &unit_y, subsets);
    assert!((kid_in_reference_units(&unit_x, &unit_y, subsets).mean - direct.mean).abs() < 1e-12);
}

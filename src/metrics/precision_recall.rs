//! Improved precision and recall (Kynkäänniemi et al. 2019, "Improved
//! Precision and Recall Metric for Assessing Generative Models").
//!
//! Each set of feature vectors stands for a manifold: the union of balls
//! centred on its points, each ball's radius the distance to that point's k-th
//! nearest neighbour in its own set (k = 3 in the paper). Then
//!
//! ```text
//! precision = fraction of generated points inside the real manifold   (quality)
//! recall    = fraction of real points inside the generated manifold   (coverage)
//! ```
//!
//! A set against itself scores 1 and 1: every point lies in its own ball.

use nalgebra::DMatrix;

/// The paper's neighbourhood size.
pub const K: usize = 3;
/// Rows of pairwise distances computed at once (bounds the memory).
const CHUNK: usize = 1024;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PrecisionRecall {
    pub precision: f64,
    pub recall: f64,
}

// ANCHOR: precision_recall
/// Precision and recall of generated features [M, D] against real [N, D],
/// with k-th-neighbour radii; each set needs more than k points.
pub fn precision_recall(real: &DMatrix<f64>, generated: &DMatrix<f64>, k: usize) -> PrecisionRecall {
    let real_radii = knn_radii(real, k);
    let generated_radii = knn_radii(generated, k);
    PrecisionRecall {
        precision: fraction_inside(generated, real, &real_radii),
        recall: fraction_inside(real, generated, &generated_radii),
    }
}
// ANCHOR_END: precision_recall

/// For each row, the squared distance to its k-th nearest other row (its
/// distance 0 to itself is the 0th).
fn knn_radii(points: &DMatrix<f64>, k: usize) -> Vec<f64> {
    assert!(points.nrows() > k, "k-NN radii with k = {k} need more than {k} points, got {}", points.nrows());
    let mut radii = Vec::with_capacity(points.nrows());
    for_each_distance_row(points, points, |row| {
        let mut sorted = row.to_vec();
        sorted.select_nth_unstable_by(k, f64::total_cmp);
        radii.push(sorted[k]);
    });
    radii
}

/// The fraction of `queries` that lie within the squared radius of some point of `centres`.
fn fraction_inside(queries: &DMatrix<f64>, centres: &DMatrix<f64>, radii: &[f64]) -> f64 {
    let mut inside = 0usize;
    for_each_distance_row(queries, centres, |row| {
        if row.iter().zip(radii).any(|(d, r)| d <= r) {
            inside += 1;
        }
    });
    inside as f64 / queries.nrows() as f64
}

/// Calls `f` with the squared distances from each row of `a` to every row of
/// `b`, in order, computed a chunk at a time as |a|^2 + |b|^2 - 2 a.b.
fn for_each_distance_row(a: &DMatrix<f64>, b: &DMatrix<f64>, mut f: impl FnMut(&[f64])) {
    let b_norms: Vec<f64> = b.row_iter().map(|r| r.norm_squared()).collect();
    for start in (0..a.nrows()).step_by(CHUNK) {
        let rows = a.rows(start, CHUNK.min(a.nrows() - start));
        let dots = rows * b.transpose(); // [chunk, |b|]
        for (i, row) in rows.row_iter().enumerate() {
            let a_norm = row.norm_squared();
            let distances: Vec<f64> =
                (0..b.nrows()).map(|j| (a_norm + b_norms[j] - 2.0 * dots[(i, j)]).max(0.0)).collect();
            f(&distances);
        }
    }
}

//! The Inception Score (Salimans et al. 2016, "Improved Techniques for
//! Training GANs"), with this crate's classifier's softmax p(y|x) in place of
//! Inception-v3's:
//!
//! ```text
//! IS = exp( E_x KL( p(y|x) || p(y) ) ),   p(y) = E_x p(y|x)
//! ```
//!
//! High when each image is classified confidently (p(y|x) peaked) and the
//! classes are used evenly (p(y) flat). It lies between 1 (every prediction
//! the same distribution) and the number of classes (one-hot predictions,
//! equally frequent classes): 10 for MNIST. As in the paper, the images are
//! cut into splits and the mean and std of the per-split scores reported.
//! The images are put in a fixed pseudo-random order before they are cut
//! into consecutive splits: the same for a generator's i.i.d. samples, but a
//! dataset stored class by class (or cyclically) would otherwise give
//! single-class splits and an IS near 1.

use super::MeanStd;
use nalgebra::DMatrix;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// IS of class probabilities [N, K] (rows sum to 1) over `splits` splits
/// of a fixed shuffle (see the header).
pub fn inception_score(probabilities: &DMatrix<f64>, splits: usize) -> MeanStd {
    let n = probabilities.nrows();
    let splits = splits.clamp(1, n.max(1));
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut StdRng::seed_from_u64(0));
    let scores: Vec<f64> = (0..splits)
        .map(|s| split_score(&probabilities.select_rows(order[s * n / splits..(s + 1) * n / splits].iter())))
        .collect();
    MeanStd::of(&scores)
}

// ANCHOR: split_score
/// exp of the mean KL(p(y|x) || p(y)) over one split; 0 log 0 counts as 0.
fn split_score(p: &DMatrix<f64>) -> f64 {
    let marginal = p.row_mean();
    let mean_kl = p
        .row_iter()
        .map(|row| {
            row.iter().zip(marginal.iter()).filter(|(&q, _)| q > 0.0).map(|(&q, &m)| q * (q / m).ln()).sum::<f64>()
        })
        .sum::<f64>()
        / p.nrows() as f64;
    mean_kl.exp()
}
// ANCHOR_END: split_score

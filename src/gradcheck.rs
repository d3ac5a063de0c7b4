//! Checking gradients against finite differences.
//!
//! For a function f of some tensors, we compare the autograd gradient of
//! L = sum(r * f(x)), with fixed random weights r, against central differences
//! (L(x + h e_j) - L(x - h e_j)) / 2h for every element x_j of every input.
//! Weighting by r makes every output element matter, with either sign. The
//! outputs are read back and L summed in f64, so the only f32 error left is the
//! kernels' own.
//!
//! `gradgradcheck` applies the same check to the gradient itself (computed
//! with `create_graph`), which is what a gradient penalty differentiates.

use crate::autograd::{enable_grad, grad};
use crate::tensor::Tensor;
use rand::{rngs::StdRng, Rng, SeedableRng};

/// Step and tolerances: an element passes when
/// |analytic - numeric| <= atol + rtol * |numeric| (so never when either is NaN).
#[derive(Clone, Copy, Debug)]
pub struct Tolerance {
    pub step: f32,
    pub atol: f64,
    pub rtol: f64,
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance { step: 1e-2, atol: 2e-3, rtol: 1e-2 }
    }
}

/// Checks the first derivatives of `f` at `inputs` with the default tolerance.
pub fn gradcheck(f: impl Fn(&[Tensor]) -> Tensor, inputs: &[Tensor]) -> Result<(), String> {
    gradcheck_with(f, inputs, Tolerance::default())
}

/// Checks the second derivatives of `f`: the gradient of the weighted sum of
/// `f`'s output, taken with `create_graph`, must itself pass `gradcheck`.
pub fn gradgradcheck(f: impl Fn(&[Tensor]) -> Tensor, inputs: &[Tensor]) -> Result<(), String> {
    gradgradcheck_with(f, inputs, Tolerance::default())
}

pub fn gradgradcheck_with(
    f: impl Fn(&[Tensor]) -> Tensor,
    inputs: &[Tensor],
    tolerance: Tolerance,
) -> Result<(), String> {
    let output_shape = evaluate(&f, inputs).shape().to_vec();
    let r = weights(&output_shape, 11);
    let gradient = |xs: &[Tensor]| {
        let loss = f(xs).mul(&r).sum_all();
        let refs: Vec<&Tensor> = xs.iter().collect();
        let grads = grad(&[&loss], &refs, true);
        let flat: Vec<Tensor> = grads.iter().map(|g| g.flatten(0)).collect();
        Tensor::concat(&flat.iter().collect::<Vec<_>>(), 0)
    };
    gradcheck_with(gradient, inputs, tolerance).map_err(|e| format!("second order: {e}"))
}

pub fn gradcheck_with(f: impl Fn(&[Tensor]) -> Tensor, inputs: &[Tensor], tolerance: Tolerance) -> Result<(), String> {
    let values: Vec<Vec<f32>> = inputs.iter().map(Tensor::to_vec).collect();
    let shapes: Vec<Vec<usize>> = inputs.iter().map(|t| t.shape().to_vec()).collect();
    let leaves_from = |values: &[Vec<f32>]| -> Vec<Tensor> {
        values.iter().zip(&shapes).map(|(v, s)| Tensor::from_slice(v, s).requires_grad_()).collect()
    };

    // Analytic: autograd's gradient of L = sum(r * f(x)).
    let leaves = leaves_from(&values);
    let output = evaluate(&f, &leaves);
    let r = weights(output.shape(), 7);
    let r_values: Vec<f64> = r.to_vec().into_iter().map(f64::from).collect();
    let loss = enable_grad(|| output.mul(&r).sum_all());
    let refs: Vec<&Tensor> = leaves.iter().collect();
    let analytic: Vec<Vec<f32>> = grad(&[&loss], &refs, false).iter().map(Tensor::to_vec).collect();

    // Numeric: central differences of L, one element at a time.
    let weighted_sum = |values: &[Vec<f32>]| -> f64 {
        let y = evaluate(&f, &leaves_from(values)).to_vec();
        y.iter().zip(&r_values).map(|(&y, &r)| f64::from(y) * r).sum()
    };
    for (i, input) in values.iter().enumerate() {
        for j in 0..input.len() {
            let mut plus = values.clone();
            let mut minus = values.clone();
            plus[i][j] += tolerance.step;
            minus[i][j] -= tolerance.step;
            let h = f64::from(plus[i][j]) - f64::from(minus[i][j]);
            let numeric = (weighted_sum(&plus) - weighted_sum(&minus)) / h;
            let got = f64::from(analytic[i][j]);
            // Written so that a NaN on either side fails: every comparison with NaN is false.
            let within = (got - numeric).abs() <= tolerance.atol + tolerance.rtol * numeric.abs();
            if !within {
                return Err(format!(
                    "gradient of input {i} (shape {:?}) at element {j}: autograd {got:.6}, finite differences {numeric:.6}",
                    shapes[i]
                ));
            }
        }
    }
    Ok(())
}

/// f(xs) with recording on, whatever scope the caller is in.
fn evaluate(f: &impl Fn(&[Tensor]) -> Tensor, xs: &[Tensor]) -> Tensor {
    enable_grad(|| f(xs))
}

/// Fixed pseudo-random weights in [-1, 1] of the given shape.
fn weights(shape: &[usize], seed: u64) -> Tensor {
    let mut rng = StdRng::seed_from_u64(seed);
    let values: Vec<f32> = (0..crate::tensor::numel(shape)).map(|_| rng.random_range(-1.0..1.0)).collect();
    Tensor::from_vec(values, shape)
}

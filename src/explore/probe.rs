//! The linear probe: how much of the class a set of features makes linearly
//! readable, measured by the held-out accuracy of a softmax regression
//! trained on a few labelled examples.
//!
//! This is how BiGAN's encoder is judged (Donahue et al. 2017; BigBiGAN):
//! the encoder never saw a label, so if a linear map from E(x) finds the
//! digit from ten examples a class, E has learnt the digits' structure. The
//! same probe on raw pixels and on an untrained E gives the two baselines
//! that make the number mean something.
//!
//! The regression is the textbook one: features standardised with the
//! training set's mean and spread, zero-initialised weights, full-batch Adam
//! on the mean cross-entropy plus an L2 penalty of weight 1/N (scikit-learn's
//! `LogisticRegression` default, C = 1), a fixed number of steps.

use crate::optim::{Adam, Optimizer};
use crate::Tensor;

/// How the regression is fitted.
#[derive(Clone, Debug)]
pub struct ProbeSettings {
    /// Full-batch Adam steps.
    pub steps: usize,
    /// Adam's learning rate.
    pub lr: f32,
}

impl Default for ProbeSettings {
    fn default() -> Self {
        ProbeSettings { steps: 500, lr: 0.01 }
    }
}

/// Features [N, d] with their class labels.
pub struct Labelled<'a> {
    pub features: &'a Tensor,
    pub labels: &'a [usize],
}

/// Fits a softmax regression on `train` and returns its accuracy on `test`.
pub fn linear_probe(train: &Labelled, test: &Labelled, classes: usize, settings: &ProbeSettings) -> f32 {
    let [rows, dim] = train.features.shape()[..] else {
        panic!("linear_probe: features must be [N, d], got {:?}", train.features.shape());
    };
    assert_eq!(train.labels.len(), rows, "linear_probe: {rows} feature rows but {} labels", train.labels.len());
    // Standardise with the training set's statistics only; a feature constant
    // in training (a border pixel) becomes 0 there and keeps a zero weight.
    let mean = train.features.mean(&[0], true);
    let spread = train.features.var(&[0], true).add_scalar(1e-6).sqrt();
    let standardise = |x: &Tensor| x.sub(&mean).div(&spread);
    let (train_x, test_x) = crate::no_grad(|| (standardise(train.features), standardise(test.features)));
    let weight = Tensor::zeros(&[dim, classes]).requires_grad_();
    let bias = Tensor::zeros(&[classes]).requires_grad_();
    let logits = |x: &Tensor| x.matmul(&weight).add(&bias);
    let mut adam = Adam::new(vec![weight.clone(), bias.clone()], settings.lr).weight_decay(1.0 / rows as f32);
    // ANCHOR: probe_fit
    for _ in 0..settings.steps {
        let loss = logits(&train_x).cross_entropy(train.labels);
        adam.zero_grad();
        loss.backward_for(&[&weight, &bias]);
        adam.step();
    }
    // ANCHOR_END: probe_fit
    let scores = crate::no_grad(|| logits(&test_x)).to_vec();
    let correct = scores.chunks(classes).zip(test.labels).filter(|(row, &label)| argmax(row) == label).count();
    correct as f32 / test.labels.len() as f32
}

fn argmax(row: &[f32]) -> usize {
    (0..row.len()).max_by(|&a, &b| row[a].total_cmp(&row[b])).unwrap_or(0)
}

//! The network that goes back from data to latent codes: BiGAN's encoder E
//! and VEEGAN's reconstructor F. A perceptron over the flattened sample, with
//! one head for the code, or (stochastic) two: the mean and log-variance of
//! a Gaussian q(z | x) sampled by reparameterisation, as ALI's encoder
//! (Dumoulin et al., section 2.2).

use super::perceptron;
use crate::nn::{Layer, LeakyRelu, Linear, Module, Sequential};
use crate::Tensor;
use rand::Rng;

/// Whether E(x) is a function of x or a draw from q(z | x).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum EncoderKind {
    Deterministic,
    Stochastic,
}

impl EncoderKind {
    /// The config's `encoder`: `deterministic` or `stochastic`.
    pub fn parse(name: &str) -> Result<EncoderKind, String> {
        match name {
            "deterministic" => Ok(EncoderKind::Deterministic),
            "stochastic" => Ok(EncoderKind::Stochastic),
            _ => Err(format!("unknown encoder {name:?}: use deterministic or stochastic")),
        }
    }
}

pub struct Encoder {
    /// Flattened sample [N, in] to hidden features [N, hidden].
    body: Sequential,
    /// The code, or the Gaussian's mean [N, latent].
    mean: Linear,
    /// The Gaussian's log-variance [N, latent]; only a stochastic encoder has it.
    log_variance: Option<Linear>,
}

impl Encoder {
    pub fn new(item_shape: &[usize], latent: usize, hidden: usize, kind: EncoderKind, rng: &mut impl Rng) -> Encoder {
        let sample: usize = item_shape.iter().product();
        let body = perceptron(&[sample, hidden, hidden], rng).push(LeakyRelu(0.2));
        let mean = Linear::new(hidden, latent, rng);
        let log_variance = (kind == EncoderKind::Stochastic).then(|| Linear::new(hidden, latent, rng));
        Encoder { body, mean, log_variance }
    }

    /// The code's mean [N, latent] and, for a stochastic encoder, its log-variance.
    pub fn moments(&self, x: &Tensor) -> (Tensor, Option<Tensor>) {
        let features = self.body.forward(&x.flatten(1));
        (self.mean.forward(&features), self.log_variance.as_ref().map(|head| head.forward(&features)))
    }

    /// The point estimate of x's code [N, latent]: the mean (what inversion uses).
    pub fn encode(&self, x: &Tensor) -> Tensor {
        self.moments(x).0
    }

    /// E(x) as training uses it: the mean, or a draw mu + sigma * eps with eps from `rng`.
    pub fn sample(&self, x: &Tensor, rng: &mut impl Rng) -> Tensor {
        match self.moments(x) {
            (mean, None) => mean,
            (mean, Some(log_variance)) => {
                let noise = Tensor::randn_from(mean.shape(), rng);
                reparameterise(&mean, &log_variance, &noise)
            }
        }
    }
}

/// z = mu + exp(log_variance / 2) * eps (Kingma and Welling's trick): the draw
/// is a differentiable function of mu and the log-variance, so the gradient
/// of anything computed from z reaches both heads; eps ~ N(0, I) is given.
pub fn reparameterise(mean: &Tensor, log_variance: &Tensor, noise: &Tensor) -> Tensor {
    mean.add(&log_variance.mul_scalar(0.5).exp().mul(noise))
}

impl Module for Encoder {
    fn children(&self) -> Vec<(String, &dyn Module)> {
        let mut children: Vec<(String, &dyn Module)> = vec![("body".into(), &self.body), ("mean".into(), &self.mean)];
        if let Some(head) = &self.log_variance {
            children.push(("log_variance".into(), head));
        }
        children
    }
}

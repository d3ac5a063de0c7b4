//! GAN objectives on the discriminator's raw outputs ("logits").
//!
//! Each objective gives the loss the discriminator minimises and the loss the
//! generator minimises, from D's outputs on a real batch and a generated
//! batch. With D(x) = sigmoid(logit), the logistic ones are written with
//! softplus: log D = -softplus(-logit) and log(1 - D) = -softplus(logit), so no
//! probability is ever rounded to 0 before its log is taken.

use super::fgan::Divergence;
use crate::Tensor;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Objective {
    /// Goodfellow et al.'s minimax game, with the generator minimising
    /// E[log(1 - D(G(z)))] as in their Algorithm 1 (it saturates early on).
    Minimax,
    /// Same D; G maximises E[log D(G(z))] instead (their suggested fix).
    NonSaturating,
    /// WGAN (Arjovsky et al.): a critic estimating the Wasserstein-1 distance,
    /// kept Lipschitz by weight clipping (done by the trainer).
    Wasserstein,
    /// WGAN-GP (Gulrajani et al.): the same losses; the gradient penalty comes
    /// from `penalties::gradient_penalty`.
    WassersteinGp,
    /// LSGAN (Mao et al.) with targets a = 0 (fake), b = 1 (real), c = 1.
    LeastSquares,
    /// The hinge loss of geometric GAN / SN-GAN.
    Hinge,
    /// f-GAN with the given divergence.
    FGan(Divergence),
}

impl Objective {
    /// The loss the discriminator minimises.
    pub fn d_loss(&self, real: &Tensor, fake: &Tensor) -> Tensor {
        self.d_loss_with_real_label(real, fake, 1.0)
    }

    // ANCHOR: d_loss
    /// `d_loss` with the real target set to `real_label` instead of 1: one-sided
    /// label smoothing (Salimans et al. use 0.9). Only the logistic and
    /// least-squares objectives have a target; the others ignore it.
    pub fn d_loss_with_real_label(&self, real: &Tensor, fake: &Tensor, real_label: f32) -> Tensor {
        match self {
            Objective::Minimax | Objective::NonSaturating => {
                // -E[y log D(x) + (1-y) log(1 - D(x))] on real (y = label) and fake (y = 0).
                let real_loss = real.bce_with_logits(&Tensor::full(real.shape(), real_label));
                real_loss.add(&fake.softplus().mean_all())
            }
            Objective::Wasserstein | Objective::WassersteinGp => fake.mean_all().sub(&real.mean_all()),
            Objective::LeastSquares => {
                let real_term = real.sub_scalar(real_label).powf(2.0).mean_all();
                real_term.add(&fake.powf(2.0).mean_all()).mul_scalar(0.5)
            }
            Objective::Hinge => {
                real.neg().add_scalar(1.0).relu().mean_all().add(&fake.add_scalar(1.0).relu().mean_all())
            }
            Objective::FGan(divergence) => divergence.lower_bound(real, fake).neg(),
        }
    }
    // ANCHOR_END: d_loss

    // ANCHOR: g_loss
    /// The loss the generator minimises, from D's outputs on generated samples.
    pub fn g_loss(&self, fake: &Tensor) -> Tensor {
        match self {
            // E[log(1 - D(G(z)))] = -E[softplus(logit)].
            Objective::Minimax => fake.softplus().mean_all().neg(),
            // -E[log D(G(z))] = E[softplus(-logit)].
            Objective::NonSaturating => fake.neg().softplus().mean_all(),
            Objective::Wasserstein | Objective::WassersteinGp | Objective::Hinge => fake.mean_all().neg(),
            Objective::LeastSquares => fake.sub_scalar(1.0).powf(2.0).mean_all().mul_scalar(0.5),
            // Nowozin et al.'s practical generator loss: maximise E_Q[g_f(v)].
            Objective::FGan(divergence) => divergence.activation(fake).mean_all().neg(),
        }
    }
    // ANCHOR_END: g_loss

    /// Parses the command line's `--loss` value.
    pub fn parse(name: &str) -> Option<Objective> {
        Some(match name {
            "minimax" => Objective::Minimax,
            "ns" | "non-saturating" => Objective::NonSaturating,
            "wgan" => Objective::Wasserstein,
            "wgan-gp" => Objective::WassersteinGp,
            "lsgan" => Objective::LeastSquares,
            "hinge" => Objective::Hinge,
            _ => Objective::FGan(Divergence::parse(name.strip_prefix("f:")?)?),
        })
    }
}

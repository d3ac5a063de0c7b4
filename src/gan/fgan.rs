//! f-GAN (Nowozin, Cseke and Tomioka, 2016): every f-divergence
//! D_f(P || Q) = E_Q[f(p/q)] has the variational lower bound
//! D_f(P || Q) >= sup_T E_P[T(x)] - E_Q[f*(T(x))], where f* is the Fenchel
//! conjugate f*(t) = sup_u (u t - f(u)). The discriminator outputs an
//! unconstrained value v, and an output activation g_f maps it into the
//! domain of f*: T = g_f(v). Maximising the bound over D estimates the
//! divergence; the generator minimises it.
//!
//! Each divergence below carries the three columns of the paper's table:
//! the generator function f (as plain f64, for documentation and tests), the
//! output activation g_f and the conjugate f*. `conjugate_of_activation`
//! computes f*(g_f(v)) in a simplified form that stays finite where the
//! literal composition would round to log(0).

use crate::Tensor;
use std::f32::consts::LN_2;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Divergence {
    TotalVariation,
    KullbackLeibler,
    ReverseKullbackLeibler,
    PearsonChiSquared,
    NeymanChiSquared,
    SquaredHellinger,
    Jeffrey,
    JensenShannon,
    /// The original GAN's objective: 2 JS(P || Q) - log 4.
    Gan,
    /// Amari's alpha-divergence, alpha not 0 or 1.
    Alpha(f32),
}

impl Divergence {
    /// Every divergence of the table, with alpha = 0.5 standing for the alpha family.
    pub const ALL: [Divergence; 10] = [
        Divergence::TotalVariation,
        Divergence::KullbackLeibler,
        Divergence::ReverseKullbackLeibler,
        Divergence::PearsonChiSquared,
        Divergence::NeymanChiSquared,
        Divergence::SquaredHellinger,
        Divergence::Jeffrey,
        Divergence::JensenShannon,
        Divergence::Gan,
        Divergence::Alpha(0.5),
    ];

    /// The name used on the command line (`f:kl`, `f:alpha=0.5`, ...).
    pub fn parse(name: &str) -> Option<Divergence> {
        Some(match name {
            "tv" | "total-variation" => Divergence::TotalVariation,
            "kl" => Divergence::KullbackLeibler,
            "reverse-kl" | "rkl" => Divergence::ReverseKullbackLeibler,
            "pearson" => Divergence::PearsonChiSquared,
            "neyman" => Divergence::NeymanChiSquared,
            "hellinger" => Divergence::SquaredHellinger,
            "jeffrey" => Divergence::Jeffrey,
            "js" | "jensen-shannon" => Divergence::JensenShannon,
            "gan" => Divergence::Gan,
            _ => {
                let alpha: f32 = name.strip_prefix("alpha=")?.parse().ok()?;
                if alpha == 0.0 || alpha == 1.0 {
                    return None;
                }
                Divergence::Alpha(alpha)
            }
        })
    }

    /// The generator function f(u), u = p/q > 0 (f(1) = 0, except -log 4 for GAN).
    pub fn f(&self, u: f64) -> f64 {
        match *self {
            Divergence::TotalVariation => 0.5 * (u - 1.0).abs(),
            Divergence::KullbackLeibler => u * u.ln(),
            Divergence::ReverseKullbackLeibler => -u.ln(),
            Divergence::PearsonChiSquared => (u - 1.0).powi(2),
            Divergence::NeymanChiSquared => (1.0 - u).powi(2) / u,
            Divergence::SquaredHellinger => (u.sqrt() - 1.0).powi(2),
            Divergence::Jeffrey => (u - 1.0) * u.ln(),
            Divergence::JensenShannon => -(u + 1.0) * ((1.0 + u) / 2.0).ln() + u * u.ln(),
            Divergence::Gan => u * u.ln() - (u + 1.0) * (u + 1.0).ln(),
            Divergence::Alpha(a) => {
                let a = f64::from(a);
                (u.powf(a) - 1.0 - a * (u - 1.0)) / (a * (a - 1.0))
            }
        }
    }

    /// The output activation g_f: maps the critic's raw output into dom f*.
    pub fn activation(&self, v: &Tensor) -> Tensor {
        match *self {
            Divergence::TotalVariation => v.tanh().mul_scalar(0.5),
            Divergence::KullbackLeibler | Divergence::PearsonChiSquared | Divergence::Jeffrey => v.clone(),
            Divergence::ReverseKullbackLeibler => v.neg().exp().neg(),
            Divergence::NeymanChiSquared | Divergence::SquaredHellinger => v.neg().exp().neg().add_scalar(1.0),
            Divergence::JensenShannon => v.neg().softplus().neg().add_scalar(LN_2),
            Divergence::Gan => v.neg().softplus().neg(),
            Divergence::Alpha(a) => v.neg().softplus().neg().add_scalar(1.0 / (1.0 - a)),
        }
    }

    /// The Fenchel conjugate f*(t), literally as in the table (t in dom f*).
    pub fn conjugate(&self, t: &Tensor) -> Tensor {
        match *self {
            Divergence::TotalVariation => t.clone(),
            Divergence::KullbackLeibler => t.sub_scalar(1.0).exp(),
            Divergence::ReverseKullbackLeibler => t.neg().log().neg().sub_scalar(1.0),
            Divergence::PearsonChiSquared => t.mul(t).mul_scalar(0.25).add(t),
            Divergence::NeymanChiSquared => t.neg().add_scalar(1.0).sqrt().mul_scalar(-2.0).add_scalar(2.0),
            Divergence::SquaredHellinger => t.div(&t.neg().add_scalar(1.0)),
            Divergence::Jeffrey => {
                let w = t.neg().add_scalar(1.0).exp().lambert_w();
                w.add(&w.powf(-1.0)).add(t).sub_scalar(2.0)
            }
            Divergence::JensenShannon => t.exp().neg().add_scalar(2.0).log().neg(),
            Divergence::Gan => t.exp().neg().add_scalar(1.0).log().neg(),
            Divergence::Alpha(a) => {
                t.mul_scalar(a - 1.0).add_scalar(1.0).powf(a / (a - 1.0)).sub_scalar(1.0).div_scalar(a)
            }
        }
    }

    /// f*(g_f(v)), simplified so that it stays finite for any v:
    /// e.g. for GAN, -log(1 - e^{-softplus(-v)}) = -log(1 - sigmoid(v)) = softplus(v).
    pub fn conjugate_of_activation(&self, v: &Tensor) -> Tensor {
        match *self {
            Divergence::TotalVariation => v.tanh().mul_scalar(0.5),
            Divergence::KullbackLeibler => v.sub_scalar(1.0).exp(),
            Divergence::ReverseKullbackLeibler => v.sub_scalar(1.0),
            Divergence::PearsonChiSquared => v.mul(v).mul_scalar(0.25).add(v),
            Divergence::NeymanChiSquared => v.mul_scalar(-0.5).exp().mul_scalar(-2.0).add_scalar(2.0),
            Divergence::SquaredHellinger => v.exp().sub_scalar(1.0),
            Divergence::Jeffrey => self.conjugate(v),
            Divergence::JensenShannon => v.softplus().sub_scalar(LN_2),
            Divergence::Gan => v.softplus(),
            // t (a - 1) + 1 = (1 - a) softplus(-v) for t = 1/(1-a) - softplus(-v).
            Divergence::Alpha(a) => {
                v.neg().softplus().mul_scalar(1.0 - a).powf(a / (a - 1.0)).sub_scalar(1.0).div_scalar(a)
            }
        }
    }

    /// The variational lower bound E_P[g_f(v)] - E_Q[f*(g_f(v))] estimated on
    /// a batch of critic outputs for real (P) and generated (Q) samples.
    pub fn lower_bound(&self, real: &Tensor, fake: &Tensor) -> Tensor {
        self.activation(real).mean_all().sub(&self.conjugate_of_activation(fake).mean_all())
    }
}

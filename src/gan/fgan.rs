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
    /// Jensen-Shannon with the mixture weighted pi : 1 - pi, 0 < pi < 1:
    /// pi KL(P || M) + (1 - pi) KL(Q || M) with M = pi P + (1 - pi) Q.
    JensenShannonWeighted(f32),
    /// The original GAN's objective: 2 JS(P || Q) - log 4.
    Gan,
    /// Amari's alpha-divergence, alpha not 0 or 1.
    Alpha(f32),
}

impl Divergence {
    /// Every row of the paper's table: pi = 0.25 stands for the weighted
    /// Jensen-Shannon family and alpha = 0.5 for the alpha family.
    pub const ALL: [Divergence; 11] = [
        Divergence::TotalVariation,
        Divergence::KullbackLeibler,
        Divergence::ReverseKullbackLeibler,
        Divergence::PearsonChiSquared,
        Divergence::NeymanChiSquared,
        Divergence::SquaredHellinger,
        Divergence::Jeffrey,
        Divergence::JensenShannon,
        Divergence::JensenShannonWeighted(0.25),
        Divergence::Gan,
        Divergence::Alpha(0.5),
    ];

    /// The name used on the command line (`f:kl`, `f:alpha=0.5`,
    /// `f:js-weighted=0.25`, ...).
    pub fn parse(name: &str) -> Option<Divergence> {
        if let Some(pi) = name.strip_prefix("js-weighted=") {
            let pi: f32 = pi.parse().ok()?;
            return (pi > 0.0 && pi < 1.0).then_some(Divergence::JensenShannonWeighted(pi));
        }
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

    // ANCHOR: generator_function
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
            Divergence::JensenShannonWeighted(pi) => {
                let (pi, mixture) = (f64::from(pi), 1.0 - f64::from(pi) + f64::from(pi) * u);
                pi * u * u.ln() - mixture * mixture.ln()
            }
            Divergence::Gan => u * u.ln() - (u + 1.0) * (u + 1.0).ln(),
            Divergence::Alpha(a) => {
                let a = f64::from(a);
                (u.powf(a) - 1.0 - a * (u - 1.0)) / (a * (a - 1.0))
            }
        }
    }
    // ANCHOR_END: generator_function

    // ANCHOR: activation
    /// The output activation g_f: maps the critic's raw output onto the range
    /// of f', where the optimal critic T* = f'(p/q) lives (inside dom f*).
    pub fn activation(&self, v: &Tensor) -> Tensor {
        match *self {
            Divergence::TotalVariation => v.tanh().mul_scalar(0.5),
            Divergence::KullbackLeibler | Divergence::PearsonChiSquared | Divergence::Jeffrey => v.clone(),
            Divergence::ReverseKullbackLeibler => v.neg().exp().neg(),
            Divergence::NeymanChiSquared | Divergence::SquaredHellinger => v.neg().exp().neg().add_scalar(1.0),
            Divergence::JensenShannon => v.neg().softplus().neg().add_scalar(LN_2),
            // f'(u) = pi log(u / (1 - pi + pi u)) < -pi log pi.
            Divergence::JensenShannonWeighted(pi) => v.neg().softplus().neg().add_scalar(-pi * pi.ln()),
            Divergence::Gan => v.neg().softplus().neg(),
            // f'(u) = (u^(a-1) - 1) / (a - 1) is below 1/(1-a) for a < 1 (the
            // paper's row) and above it for a > 1.
            Divergence::Alpha(a) if a < 1.0 => v.neg().softplus().neg().add_scalar(1.0 / (1.0 - a)),
            Divergence::Alpha(a) => v.softplus().add_scalar(1.0 / (1.0 - a)),
        }
    }
    // ANCHOR_END: activation

    /// The Fenchel conjugate f*(t) of the table (t in dom f*); Jeffrey's is
    /// rewritten in log space, same value.
    pub fn conjugate(&self, t: &Tensor) -> Tensor {
        match *self {
            Divergence::TotalVariation => t.clone(),
            Divergence::KullbackLeibler => t.sub_scalar(1.0).exp(),
            Divergence::ReverseKullbackLeibler => t.neg().log().neg().sub_scalar(1.0),
            Divergence::PearsonChiSquared => t.mul(t).mul_scalar(0.25).add(t),
            Divergence::NeymanChiSquared => t.neg().add_scalar(1.0).sqrt().mul_scalar(-2.0).add_scalar(2.0),
            Divergence::SquaredHellinger => t.div(&t.neg().add_scalar(1.0)),
            // The table's W(e^(1-t)) + 1/W(e^(1-t)) + t - 2; with s = log W(e^(1-t)),
            // s + e^s = 1 - t turns it into e^-s - s - 1, which never forms
            // e^(1-t) (it overflows f32 below t = -87).
            Divergence::Jeffrey => {
                let s = t.neg().add_scalar(1.0).log_lambert_w_of_exp();
                s.neg().exp().sub(&s).sub_scalar(1.0)
            }
            Divergence::JensenShannon => t.exp().neg().add_scalar(2.0).log().neg(),
            // (1 - pi) log((1 - pi) / (1 - pi e^(t / pi))).
            Divergence::JensenShannonWeighted(pi) => {
                let denominator = t.div_scalar(pi).exp().mul_scalar(-pi).add_scalar(1.0);
                denominator.log().neg().add_scalar((1.0 - pi).ln()).mul_scalar(1.0 - pi)
            }
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
            // pi e^(t/pi) = e^(-a) with a = softplus(-v) / pi, so
            // f* = (1 - pi) (log(1 - pi) - log(1 - e^-a)).
            Divergence::JensenShannonWeighted(pi) => {
                let a = v.neg().softplus().div_scalar(pi);
                log_one_minus_exp_neg(&a).neg().add_scalar((1.0 - pi).ln()).mul_scalar(1.0 - pi)
            }
            Divergence::Gan => v.softplus(),
            // t (a - 1) + 1 = (1 - a) softplus(-v) for t = 1/(1-a) - softplus(-v) (a < 1),
            // and (a - 1) softplus(v) for t = 1/(1-a) + softplus(v) (a > 1).
            Divergence::Alpha(a) => {
                let base =
                    if a < 1.0 { v.neg().softplus().mul_scalar(1.0 - a) } else { v.softplus().mul_scalar(a - 1.0) };
                base.powf(a / (a - 1.0)).sub_scalar(1.0).div_scalar(a)
            }
        }
    }

    // ANCHOR: lower_bound
    /// The variational lower bound E_P[g_f(v)] - E_Q[f*(g_f(v))] estimated on
    /// a batch of critic outputs for real (P) and generated (Q) samples.
    pub fn lower_bound(&self, real: &Tensor, fake: &Tensor) -> Tensor {
        self.activation(real).mean_all().sub(&self.conjugate_of_activation(fake).mean_all())
    }
    // ANCHOR_END: lower_bound
}

/// log(1 - e^-a) for a > 0. Below a = 0.01 it is log a - a/2 + a^2/24 (the
/// series of log((1 - e^-a) / a), error under a^4 / 2880), because 1 - e^-a
/// rounds to 0 in f32 once a < 6e-8. The other branch sees a clamped to 0.01,
/// so neither branch of the `where_` makes an infinite gradient.
fn log_one_minus_exp_neg(a: &Tensor) -> Tensor {
    let small = a.lt(&Tensor::scalar(0.01));
    let series = a.log().sub(&a.mul_scalar(0.5)).add(&a.mul(a).div_scalar(24.0));
    let direct = a.clamp(0.01, f32::MAX).neg().exp().neg().add_scalar(1.0).log();
    small.where_(&series, &direct)
}

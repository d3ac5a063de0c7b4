//! GAN objectives and regularisers at known points.
mod common;
use common::*;
use ganforge::gan::penalties::{annealed_sigma, feature_matching, gradient_penalty, r1_penalty};
use ganforge::gan::{Divergence, Objective};
use ganforge::gradcheck::gradcheck;
use ganforge::Tensor;
use rand::{rngs::StdRng, Rng, SeedableRng};
use rand_distr::StandardNormal;

const REAL: [f64; 4] = [2.0, -0.5, 0.3, 1.5];
const FAKE: [f64; 4] = [-1.0, 0.7, -2.5, 0.1];

fn t(values: &[f64]) -> Tensor {
    Tensor::from_vec(values.iter().map(|&v| v as f32).collect(), &[values.len()])
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let v: Vec<f64> = values.collect();
    v.iter().sum::<f64>() / v.len() as f64
}

fn softplus(x: f64) -> f64 {
    (1.0 + x.exp()).ln()
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[test]
fn each_objective_matches_its_formula() {
    let (r, f) = (t(&REAL), t(&FAKE));
    let real = REAL.iter().copied();
    let fake = FAKE.iter().copied();
    // Minimax D: -E[log D(x)] - E[log(1 - D(G(z)))], D = sigmoid.
    let d_logistic = -mean(real.clone().map(|x| sigmoid(x).ln())) - mean(fake.clone().map(|x| (1.0 - sigmoid(x)).ln()));
    let cases: Vec<(Objective, f64, f64)> = vec![
        (Objective::Minimax, d_logistic, mean(fake.clone().map(|x| (1.0 - sigmoid(x)).ln()))),
        (Objective::NonSaturating, d_logistic, -mean(fake.clone().map(|x| sigmoid(x).ln()))),
        (Objective::Wasserstein, mean(fake.clone()) - mean(real.clone()), -mean(fake.clone())),
        (Objective::WassersteinGp, mean(fake.clone()) - mean(real.clone()), -mean(fake.clone())),
        (
            Objective::LeastSquares,
            0.5 * mean(real.clone().map(|x| (x - 1.0).powi(2))) + 0.5 * mean(fake.clone().map(|x| x * x)),
            0.5 * mean(fake.clone().map(|x| (x - 1.0).powi(2))),
        ),
        (
            Objective::Hinge,
            mean(real.clone().map(|x| (1.0 - x).max(0.0))) + mean(fake.clone().map(|x| (1.0 + x).max(0.0))),
            -mean(fake.clone()),
        ),
        (
            // GAN divergence: g(v) = -softplus(-v), f*(g(v)) = softplus(v).
            Objective::FGan(Divergence::Gan),
            -(mean(real.clone().map(|x| -softplus(-x))) - mean(fake.clone().map(softplus))),
            -mean(fake.clone().map(|x| -softplus(-x))),
        ),
    ];
    for (objective, d_want, g_want) in cases {
        let d = f64::from(objective.d_loss(&r, &f).item());
        let g = f64::from(objective.g_loss(&f).item());
        assert!((d - d_want).abs() < 1e-5, "{objective:?} D loss {d}, want {d_want}");
        assert!((g - g_want).abs() < 1e-5, "{objective:?} G loss {g}, want {g_want}");
    }
}

#[test]
fn one_sided_label_smoothing_changes_only_the_real_target() {
    let (r, f) = (t(&REAL), t(&FAKE));
    let smoothed = f64::from(Objective::NonSaturating.d_loss_with_real_label(&r, &f, 0.9).item());
    let want = mean(REAL.iter().map(|&x| -(0.9 * sigmoid(x).ln() + 0.1 * (1.0 - sigmoid(x)).ln())))
        + mean(FAKE.iter().map(|&x| -(1.0 - sigmoid(x)).ln()));
    assert!((smoothed - want).abs() < 1e-5, "{smoothed} vs {want}");
}

#[test]
fn the_optimal_discriminator_gives_minus_log_4_when_p_equals_q() {
    // D*(x) = p(x) / (p(x) + q(x)) = 1/2 everywhere when p = q: logit 0.
    let zeros = Tensor::zeros(&[16]);
    let value = -Objective::Minimax.d_loss(&zeros, &zeros).item();
    assert!((value + 4f32.ln()).abs() < 1e-6, "V = {value}");
}

#[test]
fn the_optimal_discriminator_value_is_2_jsd_minus_log_4() {
    // p = N(0, 1), q = N(1, 1): D*'s logit is log p(x) - log q(x) = 0.5 - x.
    // V(D*, q) = -log 4 + 2 JSD(p || q), with JSD by quadrature.
    let mut rng = StdRng::seed_from_u64(1);
    let n = 20_000;
    let xs: Vec<f32> = (0..n).map(|_| rng.sample::<f32, _>(StandardNormal)).collect();
    let ys: Vec<f32> = (0..n).map(|_| rng.sample::<f32, _>(StandardNormal) + 1.0).collect();
    let logit = |v: &[f32]| Tensor::from_vec(v.iter().map(|x| 0.5 - x).collect(), &[v.len()]);
    let value = -f64::from(Objective::Minimax.d_loss(&logit(&xs), &logit(&ys)).item());
    let density = |x: f64, mu: f64| (-(x - mu).powi(2) / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let step = 1e-3;
    let jsd: f64 = (-10_000..11_000)
        .map(|i| {
            let x = f64::from(i) * step;
            let (p, q) = (density(x, 0.0), density(x, 1.0));
            let m = 0.5 * (p + q);
            0.5 * (p * (p / m).ln() + q * (q / m).ln()) * step
        })
        .sum();
    let want = -4f64.ln() + 2.0 * jsd;
    assert!((value - want).abs() < 0.02, "V(D*) = {value}, want {want}");
}

/// sup_u (u t - f(u)) over u > 0, by a dense log-spaced search then local refinement.
fn conjugate_by_search(divergence: Divergence, t: f64) -> f64 {
    let objective = |u: f64| u * t - divergence.f(u);
    let grid = (0..=40_000).map(|i| 10f64.powf(-6.0 + 10.0 * f64::from(i) / 40_000.0));
    let best = grid.fold(1.0, |best, u| if objective(u) > objective(best) { u } else { best });
    let (mut lo, mut hi) = (best * 0.999, best * 1.001);
    for _ in 0..100 {
        let (a, b) = (lo + (hi - lo) / 3.0, hi - (hi - lo) / 3.0);
        if objective(a) < objective(b) {
            lo = a;
        } else {
            hi = b;
        }
    }
    objective(0.5 * (lo + hi))
}

#[test]
fn each_f_gan_conjugate_is_the_supremum_in_the_table() {
    let v = t(&[-1.0, -0.3, 0.4, 1.2]);
    for divergence in Divergence::ALL {
        let activated = divergence.activation(&v);
        let t_values = activated.to_vec();
        let conjugate = divergence.conjugate(&activated).to_vec();
        let fused = divergence.conjugate_of_activation(&v).to_vec();
        for (k, &tk) in t_values.iter().enumerate() {
            let want = conjugate_by_search(divergence, f64::from(tk));
            let got = f64::from(conjugate[k]);
            assert!(
                (got - want).abs() < 1e-3 * (1.0 + want.abs()),
                "{divergence:?}: f*({tk}) = {got}, supremum {want}"
            );
            assert!(
                (fused[k] - conjugate[k]).abs() < 1e-4 * (1.0 + got.abs() as f32),
                "{divergence:?}: simplified f*(g(v)) differs"
            );
        }
        // f(1) = 0 makes D_f(P || P) = 0; the GAN entry is 2 JS - log 4, so its f(1) is -log 4.
        let f_at_1 = if divergence == Divergence::Gan { -4f64.ln() } else { 0.0 };
        assert!((divergence.f(1.0) - f_at_1).abs() < 1e-12, "{divergence:?}: f(1) = {}", divergence.f(1.0));
    }
}

#[test]
fn divergences_and_objectives_parse_from_their_names() {
    assert_eq!(Objective::parse("wgan-gp"), Some(Objective::WassersteinGp));
    assert_eq!(Objective::parse("f:kl"), Some(Objective::FGan(Divergence::KullbackLeibler)));
    assert_eq!(Objective::parse("f:alpha=0.25"), Some(Objective::FGan(Divergence::Alpha(0.25))));
    assert_eq!(Objective::parse("f:alpha=1"), None);
    assert_eq!(Objective::parse("bogus"), None);
}

/// A tiny two-layer critic on [N, 3] inputs: tanh hidden layer, so every
/// finite difference is taken on a smooth function.
fn critic(x: &Tensor, w: &[Tensor]) -> Tensor {
    x.matmul(&w[0]).add(&w[1]).tanh().matmul(&w[2])
}

#[test]
fn gradient_penalties_have_correct_weight_gradients() {
    let real = tensor(&[3, 3], -1.0, 1.0, 1);
    let fake = tensor(&[3, 3], -1.0, 1.0, 2);
    let weights = [tensor(&[3, 4], -1.0, 1.0, 3), tensor(&[4], -0.5, 0.5, 4), tensor(&[4, 1], -1.0, 1.0, 5)];
    let gp = |w: &[Tensor]| gradient_penalty(|x| critic(x, w), &real, &fake, &mut StdRng::seed_from_u64(9));
    gradcheck(gp, &weights).unwrap_or_else(|e| panic!("WGAN-GP: {e}"));
    let r1 = |w: &[Tensor]| r1_penalty(|x| critic(x, w), &real);
    gradcheck(r1, &weights).unwrap_or_else(|e| panic!("R1: {e}"));
}

/// A tiny convolutional critic on [N, 1, 5, 5]: conv 3x3 stride 2 -> tanh -> linear.
fn conv_critic(x: &Tensor, w: &[Tensor]) -> Tensor {
    use ganforge::ops::conv::{conv2d, Conv2dOptions};
    let options = Conv2dOptions { stride: (2, 2), ..Conv2dOptions::default() };
    conv2d(x, &w[0], Some(&w[1]), options).tanh().flatten(1).matmul(&w[2]) // [N, 2*2*2] x [8, 1]
}

#[test]
fn wgan_gp_penalty_gradient_through_a_conv_critic() {
    let real = tensor(&[2, 1, 5, 5], -1.0, 1.0, 1);
    let fake = tensor(&[2, 1, 5, 5], -1.0, 1.0, 2);
    let weights = [tensor(&[2, 1, 3, 3], -1.0, 1.0, 3), tensor(&[2], -0.5, 0.5, 4), tensor(&[8, 1], -1.0, 1.0, 5)];
    let gp = |w: &[Tensor]| gradient_penalty(|x| conv_critic(x, w), &real, &fake, &mut StdRng::seed_from_u64(9));
    gradcheck(gp, &weights).unwrap_or_else(|e| panic!("WGAN-GP through a conv critic: {e}"));
}

#[test]
fn gradient_penalty_is_zero_for_a_unit_slope_critic() {
    // D(x) = x . (0.6, 0.8): ||dD/dx|| = 1 everywhere, so the penalty vanishes.
    let w = Tensor::from_vec(vec![0.6, 0.8], &[2, 1]);
    let real = tensor(&[5, 2], -1.0, 1.0, 1);
    let fake = tensor(&[5, 2], -1.0, 1.0, 2);
    let gp = gradient_penalty(|x| x.matmul(&w), &real, &fake, &mut StdRng::seed_from_u64(3)).item();
    assert!(gp.abs() < 1e-6, "penalty {gp}");
    // Doubling the slope gives (2 - 1)^2 = 1.
    let gp = gradient_penalty(|x| x.matmul(&w).mul_scalar(2.0), &real, &fake, &mut StdRng::seed_from_u64(3)).item();
    assert!((gp - 1.0).abs() < 1e-5, "penalty {gp}");
}

#[test]
fn gradient_penalty_of_a_quadratic_critic_is_taken_at_the_interpolates() {
    // D(x) = 0.5 ||x||^2 has dD/dx = x, so the penalty is mean((||x_hat|| - 1)^2)
    // at x_hat = e real + (1 - e) fake: unlike a linear critic's, its value
    // depends on where the interpolates lie.
    let (n, features, seed) = (5, 3, 3);
    let real = tensor(&[n, features], -1.0, 1.0, 1);
    let fake = tensor(&[n, features], -1.0, 1.0, 2);
    let critic = |x: &Tensor| x.mul(x).sum(&[1], false).mul_scalar(0.5);
    let gp = f64::from(gradient_penalty(critic, &real, &fake, &mut StdRng::seed_from_u64(seed)).item());

    // The penalty draws one e ~ U[0, 1) per sample, in order, from the same seed.
    let mut rng = StdRng::seed_from_u64(seed);
    let e: Vec<f64> = (0..n).map(|_| f64::from(rng.random::<f32>())).collect();
    let (rv, fv) = (real.to_vec(), fake.to_vec());
    let want = mean((0..n).map(|i| {
        let x_hat = (0..features)
            .map(|j| e[i] * f64::from(rv[i * features + j]) + (1.0 - e[i]) * f64::from(fv[i * features + j]));
        let norm = x_hat.map(|v| v * v).sum::<f64>().sqrt();
        (norm - 1.0).powi(2)
    }));
    assert!((gp - want).abs() < 1e-5 * (1.0 + want), "penalty {gp}, want {want}");
}

#[test]
fn r1_penalty_of_a_linear_critic_is_its_squared_slope() {
    // D(x) = x . w has dD/dx = w for every sample, so R1 = ||w||^2 = 4 with ||w|| = 2.
    let w = Tensor::from_vec(vec![1.0, -1.0, 1.0, 1.0], &[4, 1]);
    let real = tensor(&[3, 4], -1.0, 1.0, 1);
    assert_eq!(r1_penalty(|x| x.matmul(&w), &real).item(), 4.0);
}

#[test]
fn feature_matching_and_instance_noise_schedule() {
    let real = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]); // feature means (2, 3)
    let fake = Tensor::from_vec(vec![0.0, 0.0, 2.0, 2.0], &[2, 2]); // feature means (1, 1)
    assert!((feature_matching(&real, &fake).item() - 5.0).abs() < 1e-6); // 1 + 4
    assert_eq!(annealed_sigma(0.2, 0, 100), 0.2);
    assert!((annealed_sigma(0.2, 50, 100) - 0.1).abs() < 1e-7);
    assert_eq!(annealed_sigma(0.2, 150, 100), 0.0);
}

#[test]
fn lambert_w_inverts_w_exp_w() {
    let x = t(&[0.0, 0.1, 1.0, std::f64::consts::E, 50.0, 1e4]);
    let w = x.lambert_w();
    let back = w.mul(&w.exp()).to_vec();
    for (got, want) in back.iter().zip(x.to_vec()) {
        assert!((got - want).abs() <= 1e-4 * (1.0 + want.abs()), "w e^w = {got}, want {want}");
    }
    gradcheck(|x| x[0].lambert_w(), &[tensor(&[5], 0.2, 3.0, 7)]).unwrap();
}

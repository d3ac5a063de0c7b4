//! Why WGAN-GP does or does not cover the 2D mixtures: a small training loop
//! (Gulrajani et al.'s Algorithm 1: k critic steps, then one generator step)
//! on the mlp model that logs what the gradient penalty does.
//!
//! Every `every` steps it prints
//! - ||dD/dx_hat|| at fresh interpolates (mean and std): the penalty wants 1;
//! - the penalty's share of the critic's weight gradient,
//!   |grad lambda GP| / (|grad lambda GP| + |grad (E D(fake) - E D(real))|),
//!   and the cosine between the two (-1: the penalty undoes the critic's step);
//! - E D(real), E D(fake), and the critic loss E D(fake) - E D(real) + lambda GP;
//! - the VEEGAN/PacGAN mode report on 2,500 generated points,
//!
//! and saves a scatter over the critic's output (min-max scaled to [0, 1]) to
//! runs/wgan-gp-<dataset>-<tag>/step_<n>.png.
//!
//! `scale` multiplies the mixture (means and std), so scale=2 is the ring of
//! radius 2 and std 0.02; modes are scored against the scaled mixture.
//!
//! Run: cargo run --release --example wgan_gp_ring -- ring lambda=10 scale=1
//!      [steps=3000 every=250 lr=1e-4 beta1=0.5 beta2=0.9 k=5 batch=256 seed=0]

use ganforge::data::mixtures::Mixture;
use ganforge::gan::models::{self, GanModel};
use ganforge::gan::penalties::{gradient_penalty, interpolate_gradient_norms};
use ganforge::metrics::modes::evaluate_modes;
use ganforge::optim::{Adam, Optimizer};
use ganforge::viz::plot::{save_scatter_with_contour, Bounds};
use ganforge::{grad, no_grad, Tensor};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::collections::HashMap;

/// Points scored per mode report (VEEGAN's protocol), and the contour's lattice side.
const EVAL_POINTS: usize = 2500;
const LATTICE: usize = 96;

fn main() {
    let mut args = std::env::args().skip(1);
    let dataset = args.next().unwrap_or_else(|| "ring".into());
    let options: HashMap<String, f32> = args
        .map(|arg| {
            let (key, value) = arg.split_once('=').unwrap_or_else(|| panic!("expected key=value, got {arg:?}"));
            (key.to_string(), value.parse().unwrap_or_else(|_| panic!("{key}: not a number: {value:?}")))
        })
        .collect();
    let option = |key: &str, default: f32| options.get(key).copied().unwrap_or(default);
    let (lambda, scale, lr) = (option("lambda", 10.0), option("scale", 1.0), option("lr", 1e-4));
    let (beta1, beta2) = (option("beta1", 0.5), option("beta2", 0.9));
    let (steps, every, k, batch) = (
        option("steps", 3000.0) as usize,
        option("every", 250.0) as usize,
        option("k", 5.0) as usize,
        option("batch", 256.0) as usize,
    );
    let seed = option("seed", 0.0) as u64;

    let base = match dataset.as_str() {
        "ring" => Mixture::ring(),
        "grid" => Mixture::grid(),
        other => panic!("unknown dataset {other:?}: use ring or grid"),
    };
    let mixture =
        Mixture { means: base.means.iter().map(|&[x, y]| [x * scale, y * scale]).collect(), std: base.std * scale };
    let tag = format!("l{lambda}-s{scale}-lr{lr}-b{beta1}-seed{seed}");
    let out = std::path::PathBuf::from(format!("runs/wgan-gp-{dataset}-{tag}"));
    std::fs::create_dir_all(&out).expect("run folder");
    println!("WGAN-GP on {dataset} x{scale}: lambda {lambda}, Adam({lr}, {beta1}, {beta2}), k {k}, batch {batch}, seed {seed}");
    println!(
        "{:>6} {:>13} {:>9} {:>7} {:>9} {:>9} {:>9} {:>6} {:>8}",
        "step", "|dD/dx_hat|", "GP share", "cosine", "E D(r)", "E D(f)", "D loss", "modes", "quality"
    );

    let model = models::build("mlp", &[2], None, models::CriticNorm::Layer, 1, seed).expect("the mlp model");
    let mut opt_d = Adam::new(model.discriminator().parameters(), lr).betas(beta1, beta2);
    let mut opt_g = Adam::new(model.generator().parameters(), lr).betas(beta1, beta2);
    let rng = &mut StdRng::seed_from_u64(seed);
    let points = |p: Vec<[f32; 2]>| Tensor::from_vec(p.into_iter().flatten().collect(), &[batch, 2]);
    let critic = |x: &Tensor| model.discriminate(x, None);

    for step in 0..=steps {
        if step % every == 0 {
            let real = points(mixture.sample(batch, rng));
            let fake = no_grad(|| model.generate(&Tensor::randn_from(&[batch, 2], rng), None));
            diagnose(model.as_ref(), &mixture, &real, &fake, lambda, step, &out, rng);
        }
        if step == steps {
            break;
        }
        // ANCHOR: critic_step
        for _ in 0..k {
            let real = points(mixture.sample(batch, rng));
            let fake = no_grad(|| model.generate(&Tensor::randn_from(&[batch, 2], rng), None));
            let wasserstein = critic(&fake).mean_all().sub(&critic(&real).mean_all());
            let loss = wasserstein.add(&gradient_penalty(critic, &real, &fake, rng).mul_scalar(lambda));
            opt_d.zero_grad();
            loss.backward_for(&opt_d.parameters().iter().collect::<Vec<_>>());
            opt_d.step();
        }
        // ANCHOR_END: critic_step
        let fake = model.generate(&Tensor::randn_from(&[batch, 2], rng), None);
        let g_loss = critic(&fake).mean_all().neg();
        opt_g.zero_grad();
        g_loss.backward_for(&opt_g.parameters().iter().collect::<Vec<_>>());
        opt_g.step();
    }
}

/// One log line and one scatter: see the header for the columns.
#[allow(clippy::too_many_arguments)]
fn diagnose(
    model: &dyn GanModel,
    mixture: &Mixture,
    real: &Tensor,
    fake: &Tensor,
    lambda: f32,
    step: usize,
    out: &std::path::Path,
    rng: &mut StdRng,
) {
    let critic = |x: &Tensor| model.discriminate(x, None);
    let norms = interpolate_gradient_norms(critic, real, fake, rng);
    let penalty = norms.detach().sub_scalar(1.0).powf(2.0).mean_all().item();
    let norms = norms.detach().to_vec();
    let (norm_mean, norm_std) = mean_and_std(&norms);

    let (d_real, d_fake) = (critic(real).mean_all(), critic(fake).mean_all());
    let wasserstein = d_fake.sub(&d_real);
    let weights = model.discriminator().parameters();
    let weights: Vec<&Tensor> = weights.iter().collect();
    // ANCHOR: cosine
    let scaled_penalty = gradient_penalty(critic, real, fake, rng).mul_scalar(lambda);
    let w_grad = grad(&[&wasserstein], &weights, false);
    let gp_grad = grad(&[&scaled_penalty], &weights, false);
    let (w_norm, gp_norm) = (dot(&w_grad, &w_grad).sqrt(), dot(&gp_grad, &gp_grad).sqrt());
    let share = gp_norm / (gp_norm + w_norm).max(f32::MIN_POSITIVE);
    let cosine = dot(&w_grad, &gp_grad) / (w_norm * gp_norm).max(f32::MIN_POSITIVE);
    // ANCHOR_END: cosine

    let z = Tensor::randn_from(&[EVAL_POINTS, 2], rng);
    let generated: Vec<[f32; 2]> =
        no_grad(|| model.generate(&z, None)).to_vec().chunks(2).map(|p| [p[0], p[1]]).collect();
    let report = evaluate_modes(&generated, mixture);
    let (d_real, d_fake) = (d_real.item(), d_fake.item());
    println!(
        "{step:>6} {norm_mean:>6.3}±{norm_std:<6.3} {share:>9.3} {cosine:>7.3} {d_real:>9.3} {d_fake:>9.3} {:>9.3} {:>6} {:>7.1}%",
        d_fake - d_real + lambda * penalty,
        report.modes_covered,
        100.0 * report.high_quality_fraction
    );

    let half_width = mixture.means.iter().map(|m| m[0].abs().max(m[1].abs())).fold(0.0, f32::max) * 1.5;
    let bounds = Bounds::square(half_width);
    let field = critic_field(model, bounds);
    let real_points = mixture.sample(EVAL_POINTS, rng);
    let lookup = |x: f32, y: f32| {
        let index = |v: f32, lo: f32, hi: f32| {
            (((v - lo) / (hi - lo) * (LATTICE - 1) as f32).round().clamp(0.0, (LATTICE - 1) as f32)) as usize
        };
        field[index(y, bounds.y_min, bounds.y_max) * LATTICE + index(x, bounds.x_min, bounds.x_max)]
    };
    save_scatter_with_contour(&real_points, &generated, Some(&lookup), bounds, out.join(format!("step_{step:05}.png")))
        .expect("scatter written");
}

/// The critic's raw output on a LATTICE x LATTICE grid over `bounds`, min-max
/// scaled to [0, 1] (a WGAN critic's output has no probability scale).
fn critic_field(model: &dyn GanModel, bounds: Bounds) -> Vec<f32> {
    let lerp = |lo: f32, hi: f32, i: usize| lo + (hi - lo) * i as f32 / (LATTICE - 1) as f32;
    let lattice: Vec<f32> = (0..LATTICE * LATTICE)
        .flat_map(|i| [lerp(bounds.x_min, bounds.x_max, i % LATTICE), lerp(bounds.y_min, bounds.y_max, i / LATTICE)])
        .collect();
    let values = no_grad(|| model.discriminate(&Tensor::from_vec(lattice, &[LATTICE * LATTICE, 2]), None)).to_vec();
    let (lo, hi) = values.iter().fold((f32::MAX, f32::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    values.iter().map(|v| (v - lo) / (hi - lo).max(f32::MIN_POSITIVE)).collect()
}

fn mean_and_std(values: &[f32]) -> (f32, f32) {
    let mean = values.iter().sum::<f32>() / values.len() as f32;
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / values.len() as f32;
    (mean, variance.sqrt())
}

/// The dot product of two lists of gradients, as if each were one flat vector.
fn dot(a: &[Tensor], b: &[Tensor]) -> f32 {
    let products: Vec<Tensor> = a.iter().zip(b).map(|(a, b)| a.mul(b).sum_all().reshape(&[1])).collect();
    Tensor::concat(&products.iter().collect::<Vec<_>>(), 0).to_vec().iter().sum()
}

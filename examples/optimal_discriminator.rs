//! The optimal discriminator (Goodfellow et al. 2014, Proposition 1): for a
//! fixed generator with density q, the D maximising
//! E_p[log D(x)] + E_q[log(1 - D(x))] is D*(x) = p(x) / (p(x) + q(x)).
//!
//! Here p = N(0, 1) is the data and q = N(2, 1) a generator we hold fixed.
//! We train a small MLP discriminator with the minimax D loss, then compare
//! sigmoid(D(x)) with p / (p + q) along the line.
//!
//! Run: cargo run --release --example optimal_discriminator

use ganforge::gan::Objective;
use ganforge::nn::{Layer, LeakyRelu, Linear, Module, Sequential};
use ganforge::optim::{Adam, Optimizer};
use ganforge::{no_grad, Tensor};
use rand::rngs::StdRng;
use rand::SeedableRng;

fn normal_pdf(x: f64, mean: f64) -> f64 {
    (-(x - mean).powi(2) / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

fn main() {
    let rng = &mut StdRng::seed_from_u64(0);
    let d = Sequential::new()
        .push(Linear::new(1, 32, rng))
        .push(LeakyRelu(0.2))
        .push(Linear::new(32, 32, rng))
        .push(LeakyRelu(0.2))
        .push(Linear::new(32, 1, rng));
    let mut optimizer = Adam::new(d.parameters(), 2e-3);
    let batch = 256;
    // ANCHOR: train_d
    for step in 0..=800 {
        let real = Tensor::randn_from(&[batch, 1], rng); // x ~ p
        let fake = Tensor::randn_from(&[batch, 1], rng).add_scalar(2.0); // x ~ q
        let loss = Objective::Minimax.d_loss(&d.forward(&real), &d.forward(&fake));
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        if step % 200 == 0 {
            // At D*, the loss is log 4 - 2 JS(p || q).
            println!("step {step:4}: D loss {:.4}", loss.item());
        }
    }
    // ANCHOR_END: train_d

    let xs: Vec<f32> = (0..=12).map(|i| -2.0 + 0.5 * i as f32).collect();
    let d_x = no_grad(|| d.forward(&Tensor::from_vec(xs.clone(), &[xs.len(), 1])).sigmoid()).to_vec();
    println!("\n     x   sigmoid(D(x))   p/(p+q)");
    let mut worst = 0.0f64;
    for (x, learned) in xs.iter().zip(d_x) {
        let (p, q) = (normal_pdf(f64::from(*x), 0.0), normal_pdf(f64::from(*x), 2.0));
        let optimal = p / (p + q);
        worst = worst.max((f64::from(learned) - optimal).abs());
        println!("{x:6.2}   {learned:13.3}   {optimal:7.3}");
    }
    println!("\nlargest gap to the optimal discriminator on [-2, 4]: {worst:.3}");
}

//! f-GAN's variational divergence estimation (Nowozin et al. 2016): for
//! f(u) = u log u, sup_T E_P[T] - E_Q[f*(T)] with f*(t) = exp(t - 1) equals
//! KL(P || Q). With P = N(0, 1) and Q = N(1, 1), KL = (0 - 1)^2 / 2 = 0.5.
//!
//! We maximise the bound over a small MLP T and print its estimate on fresh
//! samples: it approaches 0.5 from below.
//!
//! Run: cargo run --release --example fgan_kl

use ganforge::gan::Divergence;
use ganforge::nn::{Layer, Linear, Module, Sequential, Tanh};
use ganforge::optim::{Adam, Optimizer};
use ganforge::{no_grad, Tensor};
use rand::rngs::StdRng;
use rand::SeedableRng;

fn main() {
    let rng = &mut StdRng::seed_from_u64(0);
    let critic = Sequential::new().push(Linear::new(1, 32, rng)).push(Tanh).push(Linear::new(32, 1, rng));
    let mut optimizer = Adam::new(critic.parameters(), 1e-2);
    let kl = Divergence::KullbackLeibler;
    let batch = 512;
    for step in 0..=600 {
        let p = Tensor::randn_from(&[batch, 1], rng);
        let q = Tensor::randn_from(&[batch, 1], rng).add_scalar(1.0);
        let bound = kl.lower_bound(&critic.forward(&p), &critic.forward(&q));
        optimizer.zero_grad();
        bound.neg().backward(); // maximise the bound
        optimizer.step();
        if step % 100 == 0 {
            println!("step {step:4}: bound {:.4}", bound.item());
        }
    }
    let n = 20_000;
    let p = Tensor::randn(&[n, 1], 1);
    let q = Tensor::randn(&[n, 1], 2).add_scalar(1.0);
    let estimate = no_grad(|| kl.lower_bound(&critic.forward(&p), &critic.forward(&q))).item();
    println!("\nestimated KL(N(0,1) || N(1,1)) = {estimate:.4} (exact: 0.5)");
}

//! Optimisers, weight clipping and EMA against plain-Rust f64 references of
//! their published update rules.
//!
//! The test problem is the quadratic f(x) = 0.5 * sum(a * x^2), whose gradient
//! a * x is known in closed form, so the reference can run the update rule
//! without any autograd: the GPU run computes the gradient by `backward()`,
//! the reference by the formula.
mod common;
use common::*;
use ganforge::checkpoint::Stateful;
use ganforge::nn::{Layer, Linear, Module, SpectralNorm};
use ganforge::optim::{clip_weights, Adam, Ema, Optimizer, RmsProp, Sgd};
use ganforge::Tensor;
use rand::{rngs::StdRng, SeedableRng};

/// More than one workgroup's 1024 elements (the kernels take 4 per
/// invocation), and not a multiple of 4: the last vec4 is partial.
const N: usize = 1031;

/// (x0, a): starting point and curvatures of the quadratic.
fn problem() -> (Vec<f32>, Vec<f32>) {
    (values(N, -2.0, 2.0, 1), values(N, 0.5, 2.0, 2))
}

/// Runs `steps` optimiser steps on the quadratic, starting from a fresh
/// parameter, and returns the parameter (the optimiser is built by `make`).
fn run_gpu<O: Optimizer>(make: impl Fn(Vec<Tensor>) -> O, steps: usize) -> (Vec<f32>, O) {
    let (x0, a) = problem();
    let x = Tensor::from_vec(x0, &[N]).requires_grad_();
    let a = Tensor::from_vec(a, &[N]);
    let mut optimizer = make(vec![x.clone()]);
    for _ in 0..steps {
        optimizer.zero_grad();
        let loss = x.mul(&x).mul(&a).sum_all().mul_scalar(0.5);
        loss.backward();
        optimizer.step();
    }
    (x.to_vec(), optimizer)
}

/// Runs the reference: `update(x, g, t)` applies one step (t counts from 1)
/// given the gradient g = a * x.
fn run_reference(steps: usize, mut update: impl FnMut(&mut [f64], &[f64], u64)) -> Vec<f64> {
    let (x0, a) = problem();
    let mut x: Vec<f64> = x0.iter().map(|&v| f64::from(v)).collect();
    for t in 1..=steps as u64 {
        let g: Vec<f64> = x.iter().zip(&a).map(|(x, &a)| f64::from(a) * x).collect();
        update(&mut x, &g, t);
    }
    x
}

/// Checks the GPU run against the reference after one and after ten steps.
fn check_rule<O: Optimizer>(name: &str, make: impl Fn(Vec<Tensor>) -> O, reference: impl Fn(usize) -> Vec<f64>) {
    for steps in [1, 10] {
        let (got, _) = run_gpu(&make, steps);
        let want = reference(steps);
        // The parameter must have moved, or the comparison proves nothing.
        let (x0, _) = problem();
        assert!((f64::from(x0[0]) - want[0]).abs() > 1e-3, "{name}: the test problem barely moves");
        check_close(&got, &want, 1e-5, 1e-4).unwrap_or_else(|e| panic!("{name} after {steps} steps: {e}"));
    }
}

#[test]
fn sgd_with_momentum_and_weight_decay_follows_its_rule() {
    // PyTorch's SGD: g += wd * x; v = mu * v + g (v starts at 0); x -= lr * v.
    for (momentum, weight_decay) in [(0.0, 0.0), (0.9, 0.0), (0.9, 0.05)] {
        let (lr, mu, wd) = (0.1, momentum, weight_decay);
        check_rule(
            &format!("sgd momentum {mu} weight decay {wd}"),
            |p| Sgd::new(p, lr).momentum(mu).weight_decay(wd),
            |steps| {
                let mut v = [0.0; N];
                run_reference(steps, |x, g, _| {
                    for i in 0..N {
                        let g = g[i] + f64::from(wd) * x[i];
                        v[i] = f64::from(mu) * v[i] + g;
                        x[i] -= f64::from(lr) * v[i];
                    }
                })
            },
        );
    }
}

#[test]
fn rmsprop_follows_its_rule() {
    // s = alpha s + (1 - alpha) g^2; x -= lr g / (sqrt(s) + eps).
    for weight_decay in [0.0, 0.05] {
        let (lr, alpha, eps, wd) = (0.01f32, 0.9f32, 1e-8f32, weight_decay);
        check_rule(
            &format!("rmsprop weight decay {wd}"),
            |p| RmsProp::new(p, lr).alpha(alpha).eps(eps).weight_decay(wd),
            |steps| {
                let mut s = [0.0; N];
                run_reference(steps, |x, g, _| {
                    for i in 0..N {
                        let g = g[i] + f64::from(wd) * x[i];
                        s[i] = f64::from(alpha) * s[i] + (1.0 - f64::from(alpha)) * g * g;
                        x[i] -= f64::from(lr) * g / (s[i].sqrt() + f64::from(eps));
                    }
                })
            },
        );
    }
}

#[test]
fn adam_with_bias_correction_follows_its_rule() {
    for weight_decay in [0.0, 0.05] {
        let (lr, beta1, beta2) = (0.05, 0.5, 0.999);
        check_rule(
            &format!("adam weight decay {weight_decay}"),
            |p| Adam::new(p, lr).betas(beta1, beta2).weight_decay(weight_decay),
            |steps| {
                let mut reference = AdamReference::new(lr, beta1, beta2, weight_decay, N);
                run_reference(steps, |x, g, t| reference.update(x, g, t))
            },
        );
    }
}

#[test]
fn adam_state_and_step_count_match_the_reference() {
    let (lr, beta1, beta2) = (0.05, 0.9, 0.99);
    let (_, adam) = run_gpu(|p| Adam::new(p, lr).betas(beta1, beta2), 10);
    let mut reference = AdamReference::new(lr, beta1, beta2, 0.0, N);
    run_reference(10, |x, g, t| reference.update(x, g, t));
    let state = adam.state_tensors();
    assert_eq!(state[0].0, "0.exp_avg");
    assert_eq!(state[1].0, "0.exp_avg_sq");
    assert_close(&state[0].1.to_vec(), &reference.m, 1e-6, 1e-4);
    assert_close(&state[1].1.to_vec(), &reference.v, 1e-7, 1e-4);
    assert_eq!(adam.state_counters(), vec![("0.step".to_string(), 10)]);
}

#[test]
fn parameters_without_a_gradient_are_skipped() {
    // y is not used by the first three losses: it must stay put, and its own
    // step count must stay 0, so that its first real update is bias-corrected
    // as a first step: with Adam, a first step moves every element by lr * sign(g)
    // (up to eps), whatever the gradient's size.
    let x = Tensor::from_vec(vec![1.0, -2.0, 3.0], &[3]).requires_grad_();
    let y = Tensor::from_vec(vec![0.5, -0.25], &[2]).requires_grad_();
    let lr = 0.1;
    let mut adam = Adam::new(vec![x.clone(), y.clone()], lr);
    for _ in 0..3 {
        adam.zero_grad();
        x.mul(&x).sum_all().backward();
        adam.step();
    }
    assert_eq!(y.to_vec(), vec![0.5, -0.25]);
    assert_eq!(adam.state_counters(), vec![("0.step".to_string(), 3), ("1.step".to_string(), 0)]);
    adam.zero_grad();
    y.mul(&y).sum_all().mul_scalar(1e-3).backward();
    adam.step();
    assert_close(&y.to_vec(), &[0.5 - 0.1, -0.25 + 0.1], 1e-5, 0.0);
}

#[test]
fn zero_grad_forgets_gradients() {
    let x = Tensor::from_vec(vec![1.0, 2.0], &[2]).requires_grad_();
    let sgd = Sgd::new(vec![x.clone()], 0.1);
    x.sum_all().backward();
    assert!(x.grad().is_some());
    sgd.zero_grad();
    assert!(x.grad().is_none());
}

#[test]
fn weight_clipping_clamps_in_place() {
    let values = values(33, -2.0, 2.0, 5);
    let w = Tensor::from_vec(values.clone(), &[3, 11]).requires_grad_();
    let alias = w.detach(); // shares storage: sees the clipped values too
    clip_weights(std::slice::from_ref(&w), 0.5);
    let want: Vec<f64> = values.iter().map(|&v| f64::from(v.clamp(-0.5, 0.5))).collect();
    assert!(values.iter().any(|v| v.abs() > 0.5) && values.iter().any(|v| v.abs() < 0.5));
    assert_close(&w.to_vec(), &want, 0.0, 0.0);
    assert_close(&alias.to_vec(), &want, 0.0, 0.0);
}

#[test]
fn ema_after_k_updates_matches_the_formula() {
    // shadow_k = d_k * shadow_{k-1} + (1 - d_k) * p_k, shadow_0 = p_0, with
    // the warm-up d_k = min(decay, (1 + k) / (10 + k)); buffers are copied as
    // they are. Starting at k = 78 crosses the cap: d_78 = 79/88 < 0.9 = d_80.
    let mut rng = StdRng::seed_from_u64(3);
    let model = SpectralNorm::new(Linear::new(3, 5, &mut rng), &mut rng);
    let decay = 0.9;
    let ema = Ema::new(&model, decay);
    assert_eq!(ema.decay_at(0), 0.1);
    assert_eq!(ema.decay_at(1000), decay);
    let start: Vec<Vec<f32>> = model.parameters().iter().map(Tensor::to_vec).collect();
    let mut want: Vec<Vec<f64>> = start.iter().map(|v| v.iter().map(|&x| f64::from(x)).collect()).collect();
    for k in 78..82u64 {
        let d_k = f64::from(decay).min((1.0 + k as f64) / (10.0 + k as f64));
        for (p, w) in model.parameters().iter().zip(&mut want) {
            let new_values = values(p.numel(), -1.0, 1.0, 10 + k);
            p.write_(&new_values);
            for (w, &v) in w.iter_mut().zip(&new_values) {
                *w = d_k * *w + (1.0 - d_k) * f64::from(v);
            }
        }
        // A training-mode forward moves the power-iteration buffers, so the
        // test has buffers that change.
        model.forward(&Tensor::ones(&[1, 3]));
        ema.update(&model, k as usize);
    }
    for ((name, shadow), w) in ema.named_parameters().iter().zip(&want) {
        check_close(&shadow.to_vec(), w, 1e-6, 1e-5).unwrap_or_else(|e| panic!("{name}: {e}"));
    }

    // copy_to writes the averages (and the copied buffers) into another model.
    let other = SpectralNorm::new(Linear::new(3, 5, &mut rng), &mut rng);
    ema.copy_to(&other);
    for ((name, p), w) in other.named_parameters().iter().zip(&want) {
        check_close(&p.to_vec(), w, 1e-6, 1e-5).unwrap_or_else(|e| panic!("copied {name}: {e}"));
    }
    for ((name, b), (_, source)) in other.named_buffers().iter().zip(model.named_buffers()) {
        assert_eq!(b.to_vec(), source.to_vec(), "copied buffer {name}");
    }
}

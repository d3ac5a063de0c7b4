//! Autograd semantics: accumulation, no_grad, detach, shared inputs, higher
//! order, and a gradient-penalty check.
mod common;
use common::*;
use ganforge::gradcheck::gradcheck;
use ganforge::{grad, no_grad, Tensor};

#[test]
fn backward_accumulates_until_zeroed() {
    let x = Tensor::from_vec(vec![1.0, -2.0, 3.0], &[3]).requires_grad_();
    // d/dx sum(3x) = 3, twice: 6.
    x.mul_scalar(3.0).sum_all().backward();
    x.mul_scalar(3.0).sum_all().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![6.0; 3]);
    x.zero_grad();
    assert!(x.grad().is_none());
    x.mul_scalar(3.0).sum_all().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![3.0; 3]);
}

#[test]
fn backward_for_fills_only_the_named_leaves() {
    let a = Tensor::from_vec(vec![2.0], &[1]).requires_grad_();
    let b = Tensor::from_vec(vec![5.0], &[1]).requires_grad_();
    a.mul(&b).sum_all().backward_for(&[&a]);
    assert_eq!(a.grad().unwrap().to_vec(), vec![5.0]);
    assert!(b.grad().is_none(), "b was not asked for");
}

#[test]
fn no_grad_records_nothing() {
    let x = Tensor::ones(&[2]).requires_grad_();
    let y = no_grad(|| x.mul_scalar(2.0));
    assert!(!y.tracks_grad());
    let z = x.mul_scalar(2.0);
    assert!(z.tracks_grad());
}

#[test]
fn detach_stops_gradients() {
    let x = Tensor::from_vec(vec![2.0], &[1]).requires_grad_();
    // y = x * detach(x): dy/dx = detach(x) = 2, not 2x = 4.
    x.mul(&x.detach()).sum_all().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![2.0]);
}

#[test]
fn a_tensor_used_twice_gets_both_contributions() {
    let x = Tensor::from_vec(vec![3.0], &[1]).requires_grad_();
    // y = x*x + x: dy/dx = 2x + 1 = 7.
    let y = x.mul(&x).add(&x);
    y.sum_all().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![7.0]);
}

#[test]
fn second_derivative_of_cube_is_six_x() {
    let x = Tensor::from_vec(vec![-1.5, 0.5, 2.0], &[3]).requires_grad_();
    let y = x.powf(3.0).sum_all();
    let dy = grad(&[&y], &[&x], true).remove(0); // 3x^2
    assert_close(&dy.to_vec(), &[6.75, 0.75, 12.0], 1e-5, 1e-6);
    let d2y = grad(&[&dy.sum_all()], &[&x], false).remove(0); // 6x
    assert_close(&d2y.to_vec(), &[-9.0, 3.0, 12.0], 1e-5, 1e-6);
}

#[test]
fn grad_leaves_dot_grad_alone_and_zero_fills_unused_inputs() {
    let x = Tensor::from_vec(vec![1.0, 2.0], &[2]).requires_grad_();
    let unused = Tensor::ones(&[3]).requires_grad_();
    let g = grad(&[&x.mul(&x).sum_all()], &[&x, &unused], false);
    assert_eq!(g[0].to_vec(), vec![2.0, 4.0]);
    assert_eq!(g[1].to_vec(), vec![0.0; 3]);
    assert!(x.grad().is_none());
}

/// A two-layer MLP critic: D(x) = w2 . leaky_relu(W1 x + b1) + b2, per row of x.
fn critic(x: &Tensor, w1: &Tensor, b1: &Tensor, w2: &Tensor, b2: &Tensor) -> Tensor {
    x.matmul(w1).add(b1).leaky_relu(0.2).matmul(w2).add(b2)
}

/// The WGAN-GP penalty mean((||dD/dx||_2 - 1)^2) over the rows of x.
fn gradient_penalty(x: &Tensor, w1: &Tensor, b1: &Tensor, w2: &Tensor, b2: &Tensor) -> Tensor {
    let x = x.detach().requires_grad_();
    let d = critic(&x, w1, b1, w2, b2);
    let dx = grad(&[&d.sum_all()], &[&x], true).remove(0);
    let norm = dx.mul(&dx).sum(&[1], false).sqrt();
    norm.sub_scalar(1.0).powf(2.0).mean_all()
}

#[test]
fn gradient_penalty_gradient_matches_finite_differences() {
    // Finite differences are only valid where leaky_relu is smooth, so take the
    // first seed whose hidden pre-activations all sit clear of its kink.
    let (x, params) = (0..100)
        .map(|seed| {
            let x = tensor(&[4, 3], -1.0, 1.0, seed);
            let w1 = tensor(&[3, 5], -1.0, 1.0, seed + 1000);
            let b1 = tensor(&[5], -0.5, 0.5, seed + 2000);
            let w2 = tensor(&[5, 1], -1.0, 1.0, seed + 3000);
            let b2 = tensor(&[1], -0.5, 0.5, seed + 4000);
            (x, vec![w1, b1, w2, b2])
        })
        .find(|(x, p)| x.matmul(&p[0]).add(&p[1]).to_vec().iter().all(|v| v.abs() > 0.05))
        .expect("some seed keeps every unit off the kink");
    let penalty = |p: &[Tensor]| gradient_penalty(&x, &p[0], &p[1], &p[2], &p[3]);
    if let Err(e) = gradcheck(penalty, &params) {
        panic!("gradient penalty: {e}");
    }
}

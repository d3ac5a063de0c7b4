//! Dropout (`ops/dropout.rs`): the seeded mask, the 1 / (1 - p) scale, eval
//! mode, and the gradient.
mod common;
use common::*;
use ganforge::gradcheck::gradcheck;
use ganforge::Tensor;

#[test]
fn dropout_uses_the_seeded_uniform_samples_as_its_mask() {
    // Element i is dropped when the i-th sample of Tensor::rand(shape, seed)
    // is below p; survivors are scaled by 1 / (1 - p).
    let (shape, p, seed) = ([7usize, 33], 0.3f32, 42u64);
    let x = tensor(&shape, -1.0, 1.0, 1);
    let u = Tensor::rand(&shape, seed).to_vec();
    let want: Vec<f64> = x
        .to_vec()
        .iter()
        .zip(&u)
        .map(|(&v, &u)| if u < p { 0.0 } else { f64::from(v) / (1.0 - f64::from(p)) })
        .collect();
    assert_close(&x.dropout(p, seed, true).to_vec(), &want, 1e-6, 1e-6);
    assert_eq!(x.dropout(p, seed, true).to_vec(), x.dropout(p, seed, true).to_vec(), "same seed, same mask");
    assert_ne!(x.dropout(p, seed, true).to_vec(), x.dropout(p, seed + 1, true).to_vec(), "another seed, another mask");
}

#[test]
fn dropout_drops_about_p_of_the_elements() {
    let n = 10_000;
    let dropped = Tensor::ones(&[n]).dropout(0.3, 7, true).to_vec().iter().filter(|&&v| v == 0.0).count();
    let fraction = dropped as f64 / n as f64;
    assert!((fraction - 0.3).abs() < 0.02, "dropped {fraction} of the elements, expected about 0.3");
}

#[test]
fn dropout_is_the_identity_in_eval_mode_or_at_p_zero_and_zero_at_p_one() {
    let x = tensor(&[3, 5], -1.0, 1.0, 2);
    assert_eq!(x.dropout(0.5, 1, false).to_vec(), x.to_vec());
    assert_eq!(x.dropout(0.0, 1, true).to_vec(), x.to_vec());
    assert_eq!(x.dropout(1.0, 1, true).to_vec(), vec![0.0; 15]);
}

#[test]
fn dropout_gradient_is_the_mask() {
    gradcheck(|x| x[0].dropout(0.5, 3, true), &[tensor(&[3, 5], -1.0, 1.0, 3)]).unwrap();
}

#[test]
#[should_panic(expected = "probability 1.5 is not in [0, 1]")]
fn dropout_refuses_a_probability_above_one() {
    drop(Tensor::ones(&[2]).dropout(1.5, 0, true));
}

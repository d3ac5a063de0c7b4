//! Normalizing-flow layers (`nn/flow/`) and the AlignFlow family: every
//! layer and a composed flow invert to float tolerance; each layer's
//! log |det J|, and a tiny composed flow's, match the log-determinant of a
//! finite-difference Jacobian (a dense LU in plain Rust); the likelihood's
//! and the inverse's gradients with respect to the parameters pass
//! finite-difference checks; actnorm's data-dependent start standardises its
//! batch; a coupling's scale stays within (1/e, 1) however far its net
//! is pushed, so its inverse stays finite; and a two-step command-line run
//! on the committed emoji.

mod common;

use common::{assert_resumed_run_repeats, fresh_temp_dir, ganforge, tensor, tiny_run};
use ganforge::gan::families::alignflow::FlowPair;
use ganforge::gradcheck::{gradcheck_with, Tolerance};
use ganforge::nn::flow::{
    nll_nats, standard_normal_log_density, ActNorm, AffineCoupling, ChannelPermutation, Flow, FlowLayer, Squeeze,
};
use ganforge::nn::{init, with_substitutes, Module};
use ganforge::Tensor;
use rand::{rngs::StdRng, SeedableRng};

/// Sets every parameter of `module` to seeded values in [-0.5, 0.5), so that
/// couplings (whose last convolution starts at zero) and actnorms (which
/// start as the identity) compute something non-trivial.
fn perturb(module: &dyn Module, seed: u64) {
    let rng = &mut StdRng::seed_from_u64(seed);
    for parameter in module.parameters() {
        init::uniform_(&parameter, -0.5, 0.5, rng);
    }
}

/// The largest |x - y| over every value.
fn max_abs_diff(x: &Tensor, y: &Tensor) -> f32 {
    x.sub(y).abs().max_all().item()
}

/// log |det M| of a dense n x n matrix (row-major), by LU with partial pivoting.
fn log_abs_det(mut m: Vec<f64>, n: usize) -> f64 {
    let mut total = 0.0;
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| m[i * n + col].abs().total_cmp(&m[j * n + col].abs())).unwrap();
        for k in 0..n {
            m.swap(col * n + k, pivot * n + k);
        }
        let diagonal = m[col * n + col];
        assert!(diagonal != 0.0, "singular Jacobian at column {col}");
        total += diagonal.abs().ln();
        for row in col + 1..n {
            let factor = m[row * n + col] / diagonal;
            for k in col..n {
                m[row * n + k] -= factor * m[col * n + k];
            }
        }
    }
    total
}

#[test]
fn lu_log_det_of_a_known_matrix() {
    // det [[0, 2, 0], [3, 0, 0], [0, 0, -0.5]] = 3 (a pivot is needed at the first column).
    let m = vec![0.0, 2.0, 0.0, 3.0, 0.0, 0.0, 0.0, 0.0, -0.5];
    assert!((log_abs_det(m, 3) - 3f64.ln()).abs() < 1e-12);
}

/// log |det J| of `f` at one example x [1, C, H, W], the Jacobian taken by
/// central differences: all 2D perturbed copies of x go through `f` as one batch.
fn finite_difference_log_det(f: impl Fn(&Tensor) -> Tensor, x: &Tensor) -> f64 {
    const STEP: f32 = 1e-2;
    let values = x.to_vec();
    let dims = values.len();
    let mut batch = Vec::with_capacity(2 * dims * dims);
    for sign in [1.0, -1.0] {
        for j in 0..dims {
            let mut moved = values.clone();
            moved[j] += sign * STEP;
            batch.extend(moved);
        }
    }
    let mut shape = x.shape().to_vec();
    shape[0] = 2 * dims;
    let y = f(&Tensor::from_vec(batch, &shape)).to_vec();
    assert_eq!(y.len(), 2 * dims * dims, "the layer must keep the number of values");
    // Column j of J: (f(x + h e_j) - f(x - h e_j)) / 2h; entry (i, j) goes to row i.
    let mut jacobian = vec![0.0f64; dims * dims];
    for j in 0..dims {
        for i in 0..dims {
            let (plus, minus) = (y[j * dims + i], y[(dims + j) * dims + i]);
            jacobian[i * dims + j] = f64::from(plus - minus) / f64::from(2.0 * STEP);
        }
    }
    log_abs_det(jacobian, dims)
}

/// Checks a layer's log |det J| at x [1, C, H, W] against the finite-difference one.
fn check_log_det(name: &str, layer: &dyn FlowLayer, x: &Tensor) {
    let analytic = f64::from(layer.forward(x).1.item());
    let numeric = finite_difference_log_det(|batch| layer.forward(batch).0, x);
    assert!(
        (analytic - numeric).abs() < 5e-3 + 1e-3 * numeric.abs(),
        "{name}: log |det J| is {analytic}, the finite-difference Jacobian's {numeric}"
    );
}

/// The layers of the tests, on `channels` channels, with non-trivial parameters.
fn layers(channels: usize) -> Vec<(&'static str, Box<dyn FlowLayer>)> {
    let rng = &mut StdRng::seed_from_u64(1);
    let actnorm = ActNorm::new(channels);
    perturb(&actnorm, 2);
    let coupling = AffineCoupling::new(channels, 3, rng);
    perturb(&coupling, 3);
    vec![
        ("squeeze", Box::new(Squeeze)),
        ("actnorm", Box::new(actnorm)),
        ("permutation", Box::new(ChannelPermutation::new(channels, rng))),
        ("coupling", Box::new(coupling)),
    ]
}

/// A perturbed flow on pictures `picture`.
fn tiny_flow(picture: [usize; 3], scales: usize, couplings: usize, hidden: usize) -> Flow {
    let flow = Flow::new(picture, scales, couplings, hidden, &mut StdRng::seed_from_u64(4)).unwrap();
    perturb(&flow, 5);
    flow
}

#[test]
fn every_layer_and_a_composed_flow_invert_to_float_tolerance() {
    // Awkward shapes: an odd number of channels (the coupling keeps 2 of 5), a non-square picture.
    let x = tensor(&[2, 5, 4, 6], -1.0, 1.0, 6);
    for (name, layer) in layers(5) {
        let (y, log_det) = layer.forward(&x);
        assert_eq!(log_det.shape(), [2], "{name}: one log-determinant per example");
        let error = max_abs_diff(&layer.inverse(&y), &x);
        assert!(error < 1e-5, "{name}: x -> z -> x is off by {error}");
        if name != "squeeze" {
            assert!(max_abs_diff(&y, &x) > 0.05, "{name}: the test layer should change its input");
        }
    }
    let flow = tiny_flow([3, 8, 4], 2, 2, 4);
    assert_eq!(flow.latent_shape(), [48, 2, 1]);
    let x = tensor(&[3, 3, 8, 4], -1.0, 1.0, 7);
    let (z, _) = flow.forward(&x);
    assert_eq!(z.shape(), [3, 48, 2, 1]);
    let error = max_abs_diff(&flow.inverse(&z), &x);
    assert!(error < 1e-4, "the composed flow's x -> z -> x is off by {error}");
}

#[test]
fn squeeze_moves_each_2x2_block_into_four_channels() {
    let [n, c, h, w] = [2, 3, 4, 6];
    let x = tensor(&[n, c, h, w], -1.0, 1.0, 8);
    let (values, y) = (x.to_vec(), Squeeze.forward(&x).0.to_vec());
    for (index, &got) in y.iter().enumerate() {
        // y[n][4c + 2i + j][r][s] = x[n][c][2r + i][2s + j]
        let (s, r) = (index % (w / 2), index / (w / 2) % (h / 2));
        let channel = index / (w / 2 * h / 2) % (4 * c);
        let example = index / (w / 2 * h / 2 * 4 * c);
        let (source, i, j) = (channel / 4, channel / 2 % 2, channel % 2);
        let want = values[((example * c + source) * h + 2 * r + i) * w + 2 * s + j];
        assert_eq!(got, want, "output value {index}");
    }
}

#[test]
fn log_det_of_each_layer_and_a_tiny_flow_matches_a_finite_difference_jacobian() {
    let x = tensor(&[1, 2, 2, 2], -1.0, 1.0, 9);
    for (name, layer) in layers(2) {
        check_log_det(name, layer.as_ref(), &x);
    }
    let odd = AffineCoupling::new(3, 3, &mut StdRng::seed_from_u64(10));
    perturb(&odd, 11);
    check_log_det("coupling on 3 channels", &odd, &tensor(&[1, 3, 2, 2], -1.0, 1.0, 12));

    let flow = tiny_flow([2, 2, 2], 1, 2, 3);
    let analytic = f64::from(flow.forward(&x).1.item());
    let numeric = finite_difference_log_det(|batch| flow.forward(batch).0, &x);
    assert!(analytic.abs() > 0.5, "the tiny flow should change volume, log |det J| = {analytic}");
    assert!((analytic - numeric).abs() < 1e-2, "the flow's log |det J| is {analytic}, the Jacobian's {numeric}");
}

#[test]
fn standard_normal_log_density_at_known_points() {
    let z = Tensor::from_vec(vec![0.0, 0.0, 1.0, -2.0], &[2, 2]);
    let got = standard_normal_log_density(&z).to_vec();
    let constant = -(2.0 * std::f32::consts::PI).ln();
    assert!((got[0] - constant).abs() < 1e-5 && (got[1] - (constant - 2.5)).abs() < 1e-5, "{got:?}");
}

#[test]
fn likelihood_and_inverse_gradients_match_finite_differences() {
    let flow = tiny_flow([2, 4, 4], 1, 1, 2);
    let parameters = flow.parameters();
    let x = tensor(&[2, 2, 4, 4], -1.0, 1.0, 13);
    let z = tensor(&[2, 8, 2, 2], -1.0, 1.0, 14);
    let tolerance = Tolerance { step: 1e-2, atol: 5e-3, rtol: 2e-2 };
    let likelihood = |values: &[Tensor]| {
        with_substitutes(&parameters, values, || {
            let (z, log_det) = flow.forward(&x);
            nll_nats(&z, &log_det)
        })
    };
    gradcheck_with(likelihood, &parameters, tolerance).unwrap_or_else(|e| panic!("NLL: {e}"));
    let inverse = |values: &[Tensor]| with_substitutes(&parameters, values, || flow.inverse(&z));
    gradcheck_with(inverse, &parameters, tolerance).unwrap_or_else(|e| panic!("inverse: {e}"));
}

#[test]
fn actnorm_starts_by_standardising_its_first_batch() {
    let actnorm = ActNorm::new(3);
    let x = tensor(&[4, 3, 2, 3], -1.0, 1.0, 15).mul_scalar(3.0).add_scalar(2.0);
    actnorm.initialize(&x);
    let y = actnorm.forward(&x).0;
    let (mean, var) = (y.mean(&[0, 2, 3], false).to_vec(), y.var(&[0, 2, 3], false).to_vec());
    for c in 0..3 {
        assert!(mean[c].abs() < 1e-4 && (var[c] - 1.0).abs() < 1e-3, "channel {c}: mean {}, var {}", mean[c], var[c]);
    }
}

#[test]
fn cli_trains_two_steps_and_the_translations_are_cycle_consistent() {
    let dir = fresh_temp_dir("alignflow-cli");
    let dataset = "unpaired:data/emoji32/unpaired";
    let (folder, checkpoint) = tiny_run(&dir, "run", "alignflow", &["--dataset", dataset, "--features", "2"]);
    let picture = image::open(format!("{folder}/samples/step_000002.png")).unwrap();
    // 8 A and 8 B examples of three pictures, two a row, then two rows of 6 prior samples: 10 rows of 6.
    let (width, height) = (picture.width(), picture.height());
    assert!(height * 6 > width * 9 && height * 6 < width * 11, "{width}x{height}");
    let log = std::fs::read_to_string(format!("{folder}/log.csv")).unwrap();
    assert!(log.starts_with("step,d_a,d_b,g_gan,bpd_a,bpd_b"), "{log}");
    let (ok, text) = ganforge(&["eval", "--checkpoint", &checkpoint]);
    assert!(ok && text.contains("|G(a) - b| to the true counterpart (test, 27 pairs)"), "{text}");
    let score = |start: &str| -> f32 {
        let line = text.lines().find(|l| l.starts_with(start)).unwrap_or_else(|| panic!("no {start:?} in {text}"));
        line.rsplit(": ").next().unwrap().parse().unwrap()
    };
    for cycle in ["cycle L1 |F(G(a)) - a|", "cycle L1 |G(F(b)) - b|"] {
        assert!(score(cycle) < 1e-4, "{cycle} should be float rounding: {text}");
    }
    let bits = score("bits per dimension of the 27 testA pictures");
    assert!(bits.is_finite() && bits > 0.0 && bits < 16.0, "{text}");

    let (ok, text) = ganforge(&["train", "--model", "alignflow", "--dataset", "ring", "--steps", "1"]);
    assert!(!ok && text.contains("alignflow learns from two unpaired sets"), "{text}");
    let (ok, text) = ganforge(&["train", "--model", "cyclegan", "--shared-start", "--steps", "1"]);
    assert!(!ok && text.contains("--model alignflow"), "{text}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn resumed_run_repeats_the_uninterrupted_one_without_restarting_actnorm() {
    let mut args = vec!["train", "--model", "alignflow", "--dataset", "unpaired:data/emoji32/unpaired"];
    args.extend(["--batch", "4", "--features", "2", "--patch", "16", "--log-every", "1", "--eval-every", "0"]);
    assert_resumed_run_repeats("alignflow-resume", &args, 2, 3);
}

#[test]
fn flows_with_a_shared_start_translate_as_the_identity_and_independent_ones_do_not() {
    let a = tensor(&[2, 3, 8, 8], -1.0, 1.0, 16);
    let shared = FlowPair::new([3, 8, 8], 4, 3, true).unwrap();
    perturb(&shared.a, 17);
    perturb(&shared.b, 17);
    let error = max_abs_diff(&shared.a_to_b(&a), &a);
    assert!(error < 1e-4, "the same flow there and back is off by {error}");
    let independent = FlowPair::new([3, 8, 8], 4, 3, false).unwrap();
    assert!(max_abs_diff(&independent.a_to_b(&a), &a) > 0.1, "two random flows should scramble");
}

#[test]
fn a_coupling_scale_stays_within_its_bounds_so_the_inverse_stays_finite() {
    // Every parameter at -1000: the net's output h (and the shift t) is
    // -1000 wherever the last convolution's bias dominates, far beyond where
    // an unbounded scale would reach 0 (and its inverse 1/s infinity).
    let coupling = AffineCoupling::new(2, 3, &mut StdRng::seed_from_u64(3));
    for parameter in coupling.parameters() {
        init::constant_(&parameter, 0.0);
    }
    let last_bias = coupling.named_parameters().into_iter().last().expect("the net has parameters").1;
    init::constant_(&last_bias, -1000.0);
    let y = Tensor::ones(&[1, 2, 2, 2]);
    let x = coupling.inverse(&y);
    let values = x.to_vec();
    assert!(values.iter().all(|v| v.is_finite()), "the inverse overflowed: {values:?}");
    // x2 = y2 / s - t with log s at its floor, -1, and t = -1000.
    let expected = std::f32::consts::E + 1000.0;
    let x2 = x.narrow(1, 1, 2).to_vec();
    assert!(x2.iter().all(|v| (v - expected).abs() < 1e-3), "x2 = {x2:?}, expected {expected} everywhere");
    let (_, log_det) = coupling.forward(&x);
    assert!((log_det.item() + 4.0).abs() < 1e-4, "log |det J| = {}, expected 4 values at log s = -1", log_det.item());
}

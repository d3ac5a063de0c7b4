//! Looking inside generators: inversion, and the linear probe of an encoder.

mod common;

use common::{fresh_temp_dir, ganforge, tiny_run};
use ganforge::explore::inversion::{invert, InversionSettings};
use ganforge::explore::probe::{linear_probe, Labelled, ProbeSettings};
use ganforge::gan::models::{self, CriticNorm};
use ganforge::gan::trainer::sample_eval;
use ganforge::Tensor;

fn mlp_image_generator() -> Box<dyn models::GanModel> {
    models::build("mlp", &[1, 28, 28], None, CriticNorm::Batch, 1, 3).unwrap()
}

#[test]
fn inversion_finds_a_latent_whose_image_matches_a_generated_target() {
    // A target the generator can draw exactly: G(z*). From z = 0 the search
    // must bring the pixel error down by more than ten times.
    let generator = mlp_image_generator();
    let latent = generator.latent_dim();
    let targets = sample_eval(generator.as_ref(), &Tensor::randn(&[3, latent], 5), None);
    let start = Tensor::zeros(&[3, latent]);
    let before =
        invert(generator.as_ref(), &targets, &start, None, &InversionSettings { steps: 0, ..Default::default() });
    let settings = InversionSettings { steps: 150, lr: 0.05, feature_weight: 0.0 };
    let after = invert(generator.as_ref(), &targets, &start, None, &settings);
    for (b, a) in before.pixel_errors.iter().zip(&after.pixel_errors) {
        assert!(*a < b / 10.0, "pixel MSE went from {b} to {a}");
    }
    // The reconstructions are G's images of the latents it reports.
    let again = sample_eval(generator.as_ref(), &after.latents, None).to_vec();
    assert_eq!(after.reconstructions.to_vec(), again);
}

#[test]
fn the_feature_term_steers_the_search_only_when_weighted() {
    let generator = mlp_image_generator();
    let latent = generator.latent_dim();
    let targets = Tensor::rand(&[2, 1, 28, 28], 7).mul_scalar(2.0).sub_scalar(1.0);
    let start = Tensor::zeros(&[2, latent]);
    // A feature map that stresses the top rows of the picture.
    let top_rows = |x: &Tensor| x.narrow(2, 0, 5).flatten(1).mul_scalar(3.0);
    let run = |features: Option<&dyn Fn(&Tensor) -> Tensor>, weight: f32| {
        let settings = InversionSettings { steps: 5, lr: 0.05, feature_weight: weight };
        invert(generator.as_ref(), &targets, &start, features, &settings).latents.to_vec()
    };
    let pixels_only = run(None, 0.0);
    assert_eq!(run(Some(&top_rows), 0.0), pixels_only, "a zero weight leaves the search unchanged");
    assert_ne!(run(Some(&top_rows), 1.0), pixels_only, "a weighted feature term changes it");
}

/// Features [N, 16] of N items with labels 0..4 in turn: noise, plus (when
/// `signal` is nonzero) `signal` added to the feature numbered by the label.
fn labelled_features(n: usize, signal: f32, seed: u64) -> (Tensor, Vec<usize>) {
    let labels: Vec<usize> = (0..n).map(|i| i % 4).collect();
    let mut values = common::values(n * 16, -1.0, 1.0, seed);
    for (row, &label) in labels.iter().enumerate() {
        values[row * 16 + label] += signal;
    }
    (Tensor::from_vec(values, &[n, 16]), labels)
}

#[test]
fn the_linear_probe_reads_a_planted_class_and_not_noise() {
    let probe = |signal: f32| {
        let (train, train_labels) = labelled_features(40, signal, 1);
        let (test, test_labels) = labelled_features(200, signal, 2);
        let settings = ProbeSettings { steps: 200, lr: 0.05 };
        let train = Labelled { features: &train, labels: &train_labels };
        linear_probe(&train, &Labelled { features: &test, labels: &test_labels }, 4, &settings)
    };
    // A class written into one feature each: linearly separable, every test item right.
    assert_eq!(probe(3.0), 1.0);
    // Pure noise: chance is 1/4 (binomial sd 0.03 on 200 items).
    let chance = probe(0.0);
    assert!(chance < 0.4, "a probe on noise scored {chance}");
}

#[test]
fn invert_writes_pairs_the_worst_and_the_errors_and_refuses_what_it_cannot_search() {
    let dir = fresh_temp_dir("invert");
    let (_, checkpoint) = tiny_run(&dir, "run", "mlp", &[]);
    let out = dir.join("inversion");
    let (ok, text) =
        ganforge(&["invert", "--checkpoint", &checkpoint, "--n", "12", "--steps", "2", "--out", out.to_str().unwrap()]);
    assert!(ok, "{text}");
    assert!(text.contains("inverted 12 pictures"), "{text}");
    for file in ["pairs.png", "worst.png"] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
    let csv = std::fs::read_to_string(out.join("errors.csv")).unwrap();
    assert_eq!(csv.lines().count(), 13, "a header and a line per picture:\n{csv}");
    // The held-out digits come one class after another: 0, 1, ..., 9, 0, 1.
    assert!(
        csv.lines().nth(2).unwrap().contains("(label 1)") && csv.lines().nth(11).unwrap().contains("(label 0)"),
        "{csv}"
    );

    assert!(!text.contains("starting from the model's encoder"), "the mlp has no encoder: {text}");

    // A model with an encoder starts each search at E(x), unless told not to.
    let (bigan, bigan_checkpoint) = tiny_run(&dir, "bigan", "bigan", &[]);
    let invert_bigan = |extra: &[&str]| {
        let mut args = vec!["invert", "--checkpoint", &bigan_checkpoint, "--n", "3", "--steps", "1", "--out", &bigan];
        args.extend_from_slice(extra);
        ganforge(&args)
    };
    let (ok, text) = invert_bigan(&[]);
    assert!(ok && text.contains("starting from the model's encoder"), "{text}");
    let (ok, text) = invert_bigan(&["--from-zero"]);
    assert!(ok && !text.contains("starting from the model's encoder"), "{text}");
    // No search at all: the encoder's own reconstructions G(E(x)).
    let (ok, text) =
        ganforge(&["invert", "--checkpoint", &bigan_checkpoint, "--n", "3", "--steps", "0", "--out", &bigan]);
    assert!(ok && text.contains("inverted 3 pictures"), "{text}");

    // The probe: a row per feature set, a column per label budget.
    let (ok, text) = ganforge(&["probe", "--checkpoint", &bigan_checkpoint, "--labels", "1,2", "--steps", "3"]);
    assert!(ok, "{text}");
    for row in ["E(x), trained", "E(x), untrained", "raw pixels"] {
        let line = text.lines().find(|l| l.starts_with(row)).unwrap_or_else(|| panic!("no {row} row:\n{text}"));
        assert_eq!(line.matches('%').count(), 2, "{line}");
    }
    let (ok, text) = ganforge(&["probe", "--checkpoint", &checkpoint]);
    assert!(!ok && text.contains("has no encoder"), "{text}");
    let (ok, text) = ganforge(&["probe", "--checkpoint", &bigan_checkpoint, "--labels", "0"]);
    assert!(!ok && text.contains("--labels between 1 and 400"), "{text}");

    let (ok, text) = ganforge(&["invert", "--checkpoint", &checkpoint, "--n", "0"]);
    assert!(!ok && text.contains("--n must be at least 1"), "{text}");
    let (ok, text) = ganforge(&["invert", "--checkpoint", &checkpoint, "--steps", "0"]);
    assert!(!ok && text.contains("z = 0 without an encoder"), "{text}");
    let (_, ring_checkpoint) = tiny_run(&dir, "ring", "mlp", &["--dataset", "ring"]);
    let (ok, text) = ganforge(&["invert", "--checkpoint", &ring_checkpoint]);
    assert!(!ok && text.contains("not images"), "{text}");
}

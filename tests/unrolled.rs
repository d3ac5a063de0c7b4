//! Unrolled GAN: evaluating a module with substituted parameters, the
//! optimisers' differentiable update rules, the look-ahead generator loss and
//! its gradient, and `train --unroll` end to end.

mod common;

use common::{assert_close, check_close, fresh_temp_dir, tensor};
use ganforge::checkpoint::Stateful;
use ganforge::data::dataset;
use ganforge::gan::families::unrolled::{self, Lookahead};
use ganforge::gan::family::{DataStream, StepContext};
use ganforge::gan::models::{self, CriticNorm, GanModel};
use ganforge::gan::trainer::ResumeChanges;
use ganforge::gan::{Objective, TrainConfig, Trainer};
use ganforge::gradcheck::{gradcheck_with, Tolerance};
use ganforge::nn::{
    with_substitutes, BatchNorm2d, Conv2d, Flatten, Layer, LayerNorm, LeakyRelu, Linear, Module, Sequential, Tanh,
};
use ganforge::optim::{Adam, Optimizer, RmsProp, Sgd};
use ganforge::{grad, Tensor};
use rand::{rngs::StdRng, SeedableRng};
use rand_chacha::ChaCha12Rng;
use std::process::Command;

/// The values of `t` as f64, for `assert_close`.
fn wide(t: &Tensor) -> Vec<f64> {
    t.to_vec().into_iter().map(f64::from).collect()
}

/// A small critic with every kind of layer the dcgan and mlp critics use:
/// [N, 1, 4, 4] -> [N, 1].
fn small_critic(seed: u64) -> Sequential {
    let rng = &mut StdRng::seed_from_u64(seed);
    Sequential::new()
        .push(Conv2d::new(1, 2, 3, 1, 1, rng))
        .push(BatchNorm2d::new(2))
        .push(LeakyRelu(0.2))
        .push(LayerNorm::new(&[2, 4, 4]))
        .push(Flatten)
        .push(Linear::new(32, 1, rng))
}

#[test]
fn a_module_under_substitution_equals_the_module_with_those_values_written_in() {
    let critic = small_critic(1);
    let x = tensor(&[3, 1, 4, 4], -1.0, 1.0, 2);
    let originals = critic.parameters();
    let substitutes: Vec<Tensor> = originals
        .iter()
        .enumerate()
        .map(|(i, p)| tensor(p.shape(), -0.5, 0.5, 10 + i as u64).add_scalar(0.1).requires_grad_())
        .collect();

    let substituted = with_substitutes(&originals, &substitutes, || critic.forward(&x));
    substituted.sum_all().backward();
    for (original, substitute) in originals.iter().zip(&substitutes) {
        assert!(original.grad().is_none(), "a gradient reached the original parameter {:?}", original.shape());
        assert!(substitute.grad().is_some(), "no gradient reached the substitute {:?}", substitute.shape());
    }

    for (original, substitute) in originals.iter().zip(&substitutes) {
        original.assign_(substitute);
    }
    let written = critic.forward(&x);
    assert_close(&substituted.to_vec(), &wide(&written), 1e-5, 1e-5);
    written.sum_all().backward();
    for (original, substitute) in originals.iter().zip(&substitutes) {
        assert_close(&substitute.grad().unwrap().to_vec(), &wide(&original.grad().unwrap()), 1e-5, 1e-4);
    }
}

#[test]
#[should_panic(expected = "no layer read the substitute")]
fn a_substitute_no_layer_reads_is_an_error() {
    let parameter = Tensor::zeros(&[2]).requires_grad_();
    with_substitutes(std::slice::from_ref(&parameter), &[Tensor::ones(&[2])], || parameter.add_scalar(1.0));
}

/// Builds an optimiser over some parameters.
type Build = fn(Vec<Tensor>) -> Box<dyn Optimizer>;

/// Every optimiser, each with its state and weight decay in use, and a
/// learning rate large enough for a look-ahead step to matter.
fn optimisers() -> [(&'static str, Build); 3] {
    [
        ("adam", |p| Box::new(Adam::new(p, 0.1).betas(0.5, 0.9).weight_decay(0.1))),
        ("sgd", |p| Box::new(Sgd::new(p, 0.5).momentum(0.5).weight_decay(0.1))),
        ("rmsprop", |p| Box::new(RmsProp::new(p, 0.05).weight_decay(0.1))),
    ]
}

/// Makes `gradient` the `.grad()` of `parameter`, by differentiating
/// sum(parameter * gradient).
fn set_gradient(parameter: &Tensor, gradient: &Tensor) {
    parameter.zero_grad();
    parameter.mul(gradient).sum_all().backward();
}

#[test]
fn unrolled_update_rules_equal_the_fused_kernels() {
    for (name, build) in optimisers() {
        let parameter = tensor(&[5], -1.0, 1.0, 3).requires_grad_();
        let mut optimizer = build(vec![parameter.clone()]);
        // Two fused steps give the optimiser a state to start the unrolled rule from.
        for seed in [4, 5] {
            set_gradient(&parameter, &tensor(&[5], -1.0, 1.0, seed));
            optimizer.step();
        }
        let gradients = [tensor(&[5], -1.0, 1.0, 6), tensor(&[5], -1.0, 1.0, 7)];
        let unrolled: Vec<Vec<f32>> = {
            let mut rule = optimizer.unrolled();
            let mut theta = vec![parameter.clone()];
            gradients
                .iter()
                .map(|g| {
                    theta = rule.step(&theta, std::slice::from_ref(g));
                    theta[0].to_vec()
                })
                .collect()
        };
        for (g, want) in gradients.iter().zip(&unrolled) {
            set_gradient(&parameter, g);
            optimizer.step();
            if let Err(e) = check_close(want, &wide(&parameter), 1e-6, 1e-5) {
                panic!("unrolled {name}: {e}");
            }
        }
    }
}

/// The mlp family's networks for 2D points, with D's Adam given a state by two real steps.
fn mlp_pair() -> (Box<dyn GanModel>, Adam) {
    let model = models::build("mlp", &[2], None, CriticNorm::Batch, 1, 3).unwrap();
    let mut opt_d = Adam::new(model.discriminator().parameters(), 1e-2).betas(0.5, 0.999);
    for seed in [20, 21] {
        let (real, fake) = (tensor(&[8, 2], -1.0, 1.0, seed), tensor(&[8, 2], -1.0, 1.0, seed + 100));
        opt_d.zero_grad();
        Objective::NonSaturating.d_loss(&model.discriminate(&real, None), &model.discriminate(&fake, None)).backward();
        opt_d.step();
    }
    (model, opt_d)
}

/// G's loss on a fixed batch and its gradient with respect to G's
/// parameters: with `look_ahead` steps of the look-ahead, or (None) the
/// ordinary loss written without it.
fn generator_loss_and_gradient(
    model: &dyn GanModel,
    opt_d: &dyn Optimizer,
    look_ahead: Option<usize>,
) -> (f32, Vec<Vec<f32>>) {
    let real = tensor(&[8, 2], -1.0, 1.0, 31);
    let fake = model.generate(&tensor(&[8, 2], -1.0, 1.0, 30), None);
    let critic = |x: &Tensor| model.discriminate(x, None);
    let objective = Objective::NonSaturating;
    let loss = match look_ahead {
        None => objective.g_loss(&critic(&fake)),
        Some(steps) => {
            let lookahead = Lookahead { critic: &critic, optimizer: opt_d, objective, real_label: 1.0, clip: None };
            lookahead.generator_loss(steps, &real, &fake)
        }
    };
    let parameters = model.generator().parameters();
    let gradients = grad(&[&loss], &parameters.iter().collect::<Vec<_>>(), false);
    (loss.item(), gradients.iter().map(Tensor::to_vec).collect())
}

/// The largest elementwise difference between two lists of gradients.
fn max_difference(a: &[Vec<f32>], b: &[Vec<f32>]) -> f32 {
    a.iter().flatten().zip(b.iter().flatten()).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

#[test]
fn without_look_ahead_steps_the_unrolled_loss_is_the_ordinary_one() {
    let (model, mut opt_d) = mlp_pair();
    let (ordinary_loss, ordinary_gradient) = generator_loss_and_gradient(model.as_ref(), &opt_d, None);
    let (zero_loss, zero_gradient) = generator_loss_and_gradient(model.as_ref(), &opt_d, Some(0));
    assert_eq!(zero_loss, ordinary_loss);
    assert!(max_difference(&zero_gradient, &ordinary_gradient) == 0.0);

    // One look-ahead step moves D and changes G's loss and gradient, unless its step is 0.
    let (one_loss, one_gradient) = generator_loss_and_gradient(model.as_ref(), &opt_d, Some(1));
    assert!((one_loss - ordinary_loss).abs() > 1e-4, "{one_loss} vs {ordinary_loss}");
    assert!(max_difference(&one_gradient, &ordinary_gradient) > 1e-4);
    opt_d.set_learning_rate(0.0);
    let (still_loss, still_gradient) = generator_loss_and_gradient(model.as_ref(), &opt_d, Some(1));
    assert!((still_loss - ordinary_loss).abs() <= 1e-6, "{still_loss} vs {ordinary_loss}");
    assert!(max_difference(&still_gradient, &ordinary_gradient) <= 1e-5);
}

/// A smooth critic (no kinks for finite differences to straddle): 2 -> 3 -> tanh -> 1.
fn smooth_critic() -> Sequential {
    let rng = &mut StdRng::seed_from_u64(40);
    Sequential::new().push(Linear::new(2, 3, rng)).push(Tanh).push(Linear::new(3, 1, rng))
}

#[test]
fn the_unrolled_gradient_matches_finite_differences() {
    let critic = smooth_critic();
    let discriminate = |x: &Tensor| critic.forward(x).flatten(0);
    let real = tensor(&[4, 2], -1.0, 1.0, 41);
    let fake = tensor(&[4, 2], -1.0, 1.0, 42);
    for (name, build) in optimisers() {
        let mut optimizer = build(critic.parameters());
        // Real steps first, so the rule starts from a state of its own.
        for seed in [43, 44] {
            optimizer.zero_grad();
            let noise = tensor(&[4, 2], -1.0, 1.0, seed);
            Objective::NonSaturating.d_loss(&discriminate(&real), &discriminate(&fake.add(&noise))).backward();
            optimizer.step();
        }
        optimizer.zero_grad();
        let lookahead = Lookahead {
            critic: &discriminate,
            optimizer: optimizer.as_ref(),
            objective: Objective::NonSaturating,
            real_label: 1.0,
            clip: None,
        };
        let unrolled = |xs: &[Tensor]| lookahead.generator_loss(2, &real, &xs[0]);
        let tolerance = Tolerance { step: 1e-2, atol: 1e-3, rtol: 2e-2 };
        if let Err(e) = gradcheck_with(unrolled, std::slice::from_ref(&fake), tolerance) {
            panic!("unrolled {name}: {e}");
        }

        // The part that flows through the updates is not negligible: the
        // gradient with theta_K held fixed differs.
        let x = fake.detach().requires_grad_();
        let full = grad(&[&lookahead.generator_loss(2, &real, &x)], &[&x], false).remove(0);
        let theta: Vec<Tensor> = lookahead.parameters(2, &real, &x).iter().map(Tensor::detach).collect();
        let held =
            with_substitutes(&optimizer.parameters(), &theta, || Objective::NonSaturating.g_loss(&discriminate(&x)));
        let held = grad(&[&held], &[&x], false).remove(0);
        let gap = full.to_vec().iter().zip(held.to_vec()).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(gap > 1e-2, "unrolled {name}: the gradient through the look-ahead updates is only {gap}");
    }
}

#[test]
fn the_look_ahead_leaves_the_discriminator_and_its_optimiser_as_they_were() {
    let (model, opt_d) = mlp_pair();
    let snapshot = || -> Vec<Vec<f32>> {
        let parameters = model.discriminator().parameters().into_iter();
        parameters.chain(opt_d.state_tensors().into_iter().map(|(_, t)| t)).map(|t| t.to_vec()).collect()
    };
    let before = snapshot();
    generator_loss_and_gradient(model.as_ref(), &opt_d, Some(2));
    assert_eq!(before, snapshot());
}

#[test]
fn the_look_ahead_puts_back_what_it_wrote_into_a_batch_norm_critic() {
    let config = TrainConfig { model: "dcgan".into(), batch: 2, unroll: 1, ..TrainConfig::default() };
    let model = models::build("dcgan", &[1, 28, 28], None, CriticNorm::Batch, 1, 5).unwrap();
    let opt_d = Adam::new(model.discriminator().parameters(), 2e-4).betas(0.5, 0.999);
    let mut data = DataStream::new(dataset::open("mnist5k", 28, 1, 0).unwrap());
    let mut rng = ChaCha12Rng::seed_from_u64(0);
    let mut ctx = StepContext { step: 0, total_steps: 1, data: &mut data, rng: &mut rng };
    let buffers = || model.discriminator().buffers().iter().map(Tensor::to_vec).collect::<Vec<_>>();
    let before = buffers();
    let z = Tensor::randn(&[2, model.latent_dim()], 6);
    let loss = unrolled::generator_loss(model.as_ref(), Objective::NonSaturating, &opt_d, &config, &z, 0.0, &mut ctx);
    assert_eq!(before, buffers(), "the look-ahead changed the running statistics");
    // G's gradient runs back through conv and batch norm's backward passes.
    let parameters = model.generator().parameters();
    let gradients: Vec<f32> =
        grad(&[&loss], &parameters.iter().collect::<Vec<_>>(), false).iter().flat_map(Tensor::to_vec).collect();
    assert!(gradients.iter().all(|g| g.is_finite()) && gradients.iter().any(|&g| g != 0.0));
}

/// `ganforge train` on the ring for 20 steps with `extra` flags; returns the
/// run folder, after asserting the run succeeded.
fn train_ring(label: &str, extra: &[&str]) -> std::path::PathBuf {
    let out = fresh_temp_dir(label);
    let out_arg = out.display().to_string();
    let mut args = vec!["train", "--model", "mlp", "--dataset", "ring", "--steps", "20", "--batch", "32"];
    args.extend(["--lr", "1e-3", "--log-every", "10", "--sample-every", "20", "--out", &out_arg, "--overwrite"]);
    args.extend(extra);
    let output = Command::new(env!("CARGO_BIN_EXE_ganforge")).args(&args).output().expect("the ganforge binary runs");
    assert!(output.status.success(), "{args:?} failed:\n{}", String::from_utf8_lossy(&output.stderr));
    out
}

/// The last logged generator loss of a run folder.
fn last_g_loss(run: &std::path::Path) -> f32 {
    let log = std::fs::read_to_string(run.join("log.csv")).unwrap();
    let mut lines = log.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = header.iter().position(|c| *c == "g_loss").expect("a g_loss column");
    lines.last().unwrap().split(',').nth(column).unwrap().parse().unwrap()
}

#[test]
fn train_with_unroll_runs_and_its_config_round_trips() {
    let unrolled = train_ring("unroll-2", &["--unroll", "2"]);
    let text = std::fs::read_to_string(unrolled.join("config.txt")).unwrap();
    assert!(text.lines().any(|l| l == "unroll = 2"), "config.txt lacks the unroll setting:\n{text}");
    let config = TrainConfig::from_text(&text).unwrap();
    assert_eq!(config.unroll, 2);
    assert_eq!(TrainConfig::from_text(&config.to_text()).unwrap(), config);

    let g_loss = last_g_loss(&unrolled);
    assert!(g_loss.is_finite(), "the unrolled run's G loss is {g_loss}");
    let plain = train_ring("unroll-0", &[]);
    assert_ne!(g_loss, last_g_loss(&plain), "--unroll 2 trained exactly as without it");
}

#[test]
fn a_resumed_unrolled_run_ends_with_the_weights_of_an_uninterrupted_one() {
    let config = |label: &str, steps: usize| TrainConfig {
        model: "mlp".into(),
        dataset: "ring".into(),
        steps,
        batch: 16,
        unroll: 2,
        log_every: 2,
        sample_every: 4,
        checkpoint_every: 2,
        out: fresh_temp_dir(label),
        ..TrainConfig::default()
    };
    let mut straight = Trainer::new(config("unroll-straight", 4)).unwrap();
    straight.run(|_| {}).unwrap();
    let interrupted = config("unroll-interrupted", 2);
    Trainer::new(interrupted.clone()).unwrap().run(|_| {}).unwrap();
    let changes = ResumeChanges { steps: Some(4), ..ResumeChanges::default() };
    let (mut resumed, _) = Trainer::resume(&interrupted.out.join("checkpoint.safetensors"), &changes).unwrap();
    resumed.run(|_| {}).unwrap();
    // G's weights after step 4 depend on every draw and every D update before it.
    let weights = |trainer: &Trainer| -> Vec<Vec<f32>> {
        trainer.sampling_model().generator().parameters().iter().map(Tensor::to_vec).collect()
    };
    assert_eq!(weights(&straight), weights(&resumed));
}

#[test]
fn unroll_settings_that_make_no_sense_are_refused() {
    let config = |loss: &str, unroll: usize| TrainConfig { loss: loss.into(), unroll, ..TrainConfig::default() };
    assert!(config("ns", 5).validate().is_ok());
    assert!(config("wgan", 5).validate().is_ok());
    for (bad, needle) in [
        (config("ns", 101), "at most 100"),
        (config("wgan-gp", 5), "gradient penalty"),
        (TrainConfig { r1_gamma: 1.0, ..config("ns", 5) }, "gradient penalty"),
        (TrainConfig { feature_matching: true, ..config("ns", 5) }, "feature matching"),
    ] {
        let error = bad.validate().unwrap_err();
        assert!(error.contains(needle) && !error.contains('\n'), "{error}");
    }
    // The command line says so in one line before it creates anything.
    let out = fresh_temp_dir("unroll-refused").join("run");
    let args = ["train", "--model", "mlp", "--dataset", "ring", "--loss", "wgan-gp", "--unroll", "3", "--out"];
    let output = Command::new(env!("CARGO_BIN_EXE_ganforge")).args(args).arg(&out).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(errors.len() == 1 && errors[0].contains("gradient penalty"), "{stderr}");
    assert!(!out.exists(), "a refused run created its folder");
}

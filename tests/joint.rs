//! The joint families, BiGAN/ALI and VEEGAN: their shared nets (encoder,
//! joint discriminator) on tiny inputs, the stochastic encoder's
//! reparameterisation, VEEGAN's autoencoder term at a known point, and
//! short runs through the trainer: their log columns, their checkpoint
//! parts, and exact resume.
mod common;
use common::{assert_close, fresh_temp_dir, ganforge};
use ganforge::gan::families::bigan::Bigan;
use ganforge::gan::families::veegan::{reconstruction_loss, Veegan};
use ganforge::gan::families::DataShape;
use ganforge::gan::family::Family;
use ganforge::gan::nets::encoder::{reparameterise, Encoder, EncoderKind};
use ganforge::gan::nets::joint::JointCritic;
use ganforge::gan::trainer::{load_sampler, sample_eval, GeneratorWeights, ResumeChanges};
use ganforge::gan::{TrainConfig, Trainer};
use ganforge::Tensor;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::path::Path;

fn points(values: &[f32]) -> Tensor {
    Tensor::from_slice(values, &[values.len() / 2, 2])
}

#[test]
fn the_encoder_maps_samples_to_codes_of_the_latent_size() {
    let rng = &mut StdRng::seed_from_u64(1);
    let x = points(&[0.5, -1.0, 2.0, 0.0, 1.0, 1.0]);
    let deterministic = Encoder::new(&[2], 3, 8, EncoderKind::Deterministic, rng);
    assert_eq!(deterministic.encode(&x).shape(), &[3, 3]);
    assert_eq!(
        deterministic.sample(&x, rng).to_vec(),
        deterministic.encode(&x).to_vec(),
        "no noise without a variance"
    );
    let stochastic = Encoder::new(&[2], 3, 8, EncoderKind::Stochastic, rng);
    let (mean, log_variance) = stochastic.moments(&x);
    assert_eq!(
        (mean.shape(), log_variance.expect("a stochastic encoder has a variance head").shape()),
        (&[3, 3][..], &[3, 3][..])
    );
    let images = Tensor::zeros(&[2, 1, 28, 28]);
    assert_eq!(Encoder::new(&[1, 28, 28], 4, 8, EncoderKind::Deterministic, rng).encode(&images).shape(), &[2, 4]);
}

#[test]
fn the_joint_critic_scores_each_pair_and_reads_both_halves() {
    let rng = &mut StdRng::seed_from_u64(2);
    let critic = JointCritic::new(&[1, 28, 28], 3, 8, rng);
    let x = Tensor::randn(&[2, 1, 28, 28], 3);
    let z = Tensor::randn(&[2, 3], 4);
    let logits = critic.logits(&x, &z).to_vec();
    assert_eq!(logits.len(), 2, "one logit per pair");
    let other_z = critic.logits(&x, &z.mul_scalar(-1.0)).to_vec();
    let other_x = critic.logits(&x.mul_scalar(-1.0), &z).to_vec();
    assert!(logits != other_z, "D(x, z) ignores z");
    assert!(logits != other_x, "D(x, z) ignores x");
}

/// z = mu + exp(v / 2) eps, so dz/dmu = 1 and dz/dv = exp(v / 2) eps / 2.
#[test]
fn the_reparameterised_draw_passes_gradients_to_the_mean_and_the_log_variance() {
    let mean = Tensor::from_slice(&[0.5, -1.0, 2.0], &[1, 3]).requires_grad_();
    let log_variance = Tensor::from_slice(&[0.0, 1.0, -2.0], &[1, 3]).requires_grad_();
    let noise = Tensor::from_slice(&[1.5, -0.5, 2.0], &[1, 3]);
    let z = reparameterise(&mean, &log_variance, &noise);
    let sigma = [1.0f64, 0.5f64.exp(), (-1.0f64).exp()];
    let eps = [1.5, -0.5, 2.0];
    let want: Vec<f64> = (0..3).map(|i| [0.5, -1.0, 2.0][i] + sigma[i] * eps[i]).collect();
    assert_close(&z.to_vec(), &want, 1e-5, 1e-5);
    z.sum_all().backward();
    assert_close(&mean.grad().unwrap().to_vec(), &[1.0; 3], 1e-6, 0.0);
    let want: Vec<f64> = (0..3).map(|i| sigma[i] * eps[i] / 2.0).collect();
    assert_close(&log_variance.grad().unwrap().to_vec(), &want, 1e-5, 1e-5);
}

#[test]
fn with_a_vanishing_variance_the_draw_is_the_mean() {
    let mean = Tensor::from_slice(&[0.5, -1.0, 2.0], &[1, 3]);
    let z = reparameterise(&mean, &Tensor::full(&[1, 3], -60.0), &Tensor::randn(&[1, 3], 5));
    assert_close(&z.to_vec(), &[0.5, -1.0, 2.0], 1e-6, 0.0);
}

/// One point encoded 4,000 times: the draws' mean and variance are the
/// encoder's mean and exp(log-variance) (4 standard errors of tolerance:
/// sigma/sqrt(n) for the mean, sqrt(2/n) relative for the variance).
#[test]
fn a_stochastic_encoder_draws_from_its_gaussian() {
    let rng = &mut StdRng::seed_from_u64(6);
    let encoder = Encoder::new(&[2], 2, 8, EncoderKind::Stochastic, rng);
    let x = points(&[0.7, -0.3]);
    let (mean, log_variance) = encoder.moments(&x);
    let (mean, variance): (Vec<f32>, Vec<f32>) =
        (mean.to_vec(), log_variance.unwrap().to_vec().iter().map(|v| v.exp()).collect());
    let n = 4000;
    let draws = encoder.sample(&Tensor::from_vec(x.to_vec().repeat(n), &[n, 2]), rng).to_vec();
    for d in 0..2 {
        let column: Vec<f64> = draws.iter().skip(d).step_by(2).map(|&v| f64::from(v)).collect();
        let m = column.iter().sum::<f64>() / n as f64;
        let v = column.iter().map(|c| (c - m).powi(2)).sum::<f64>() / (n - 1) as f64;
        let sd = f64::from(variance[d]).sqrt();
        assert!((m - f64::from(mean[d])).abs() < 4.0 * sd / (n as f64).sqrt(), "dim {d}: mean {m}, want {}", mean[d]);
        let relative = (v / f64::from(variance[d]) - 1.0).abs();
        assert!(relative < 4.0 * (2.0 / n as f64).sqrt(), "dim {d}: variance {v}, want {}", variance[d]);
    }
}

/// Rows (1, 2) - (0, 0) and (0, -1) - (0, 1): squared norms 5 and 4, mean 4.5.
#[test]
fn the_veegan_autoencoder_term_is_the_mean_squared_distance_of_codes() {
    let z = points(&[1.0, 2.0, 0.0, -1.0]);
    let rebuilt = points(&[0.0, 0.0, 0.0, 1.0]);
    assert_close(&reconstruction_loss(&z, &rebuilt).to_vec(), &[4.5], 1e-6, 0.0);
}

#[test]
fn the_families_encode_samples_to_their_generators_latent_size() {
    let shape = DataShape { item_shape: vec![2], classes: None };
    let config = TrainConfig { model: "bigan".into(), encoder: "stochastic".into(), ..TrainConfig::default() };
    let x = points(&[0.5, -1.0, 2.0, 0.0]);
    let bigan = Bigan::new(&config, &shape).unwrap();
    assert_eq!(bigan.encode(&x).unwrap().shape(), &[2, 2]);
    assert_eq!(
        bigan.encode(&x).unwrap().to_vec(),
        bigan.encode(&x).unwrap().to_vec(),
        "encode is the mean, not a draw"
    );
    let veegan = Veegan::new(&TrainConfig { model: "veegan".into(), ..TrainConfig::default() }, &shape).unwrap();
    assert_eq!(veegan.encode(&x).unwrap().shape(), &[2, 2]);
}

fn ring_config(model: &str, encoder: &str, label: &str, steps: usize) -> TrainConfig {
    TrainConfig {
        model: model.into(),
        encoder: encoder.into(),
        dataset: "ring".into(),
        steps,
        batch: 16,
        lr_d: 1e-3,
        lr_g: 1e-3,
        log_every: 2,
        sample_every: steps,
        checkpoint_every: 4,
        out: fresh_temp_dir(label),
        ..TrainConfig::default()
    }
}

/// Tensor names in a checkpoint.
fn checkpoint_names(path: &Path) -> Vec<String> {
    let bytes = std::fs::read(path).unwrap();
    safetensors::SafeTensors::deserialize(&bytes).unwrap().names().into_iter().map(String::from).collect()
}

/// A 20-step run: the log's columns, the mode report, every part in the
/// checkpoint, and a sampler loaded from it that is the trained generator.
fn smoke(model: &str, columns: &str, encoder_part: &str) {
    let config = ring_config(model, "deterministic", &format!("{model}-smoke"), 20);
    let out = config.out.clone();
    let mut trainer = Trainer::new(config).unwrap();
    trainer.run(|_| {}).unwrap();
    let header = std::fs::read_to_string(out.join("log.csv")).unwrap().lines().next().unwrap().to_string();
    assert_eq!(header, format!("step,{columns},modes,high_quality"));
    let last = trainer.history.last().unwrap();
    assert!(last.losses.iter().all(|(_, v)| v.is_finite()), "{:?}", last.losses);
    assert!(last.modes.is_some(), "a 2D run reports the modes of its generator");
    let names = checkpoint_names(&out.join("checkpoint.safetensors"));
    for part in ["generator.", encoder_part, "discriminator.", "opt_g.", "opt_d."] {
        assert!(names.iter().any(|n| n.starts_with(part)), "the checkpoint has no {part} tensors: {names:?}");
    }
    let (loaded, _) = load_sampler(&out.join("checkpoint.safetensors"), GeneratorWeights::Trained).unwrap();
    let z = Tensor::randn(&[5, loaded.latent_dim()], 7);
    let trained = trainer.family().sampler();
    assert_eq!(sample_eval(loaded.as_ref(), &z, None).to_vec(), sample_eval(trained, &z, None).to_vec());
}

#[test]
fn bigan_trains_on_the_ring_and_logs_its_losses() {
    smoke("bigan", "d_loss,ge_loss", "encoder.");
}

#[test]
fn veegan_trains_on_the_ring_and_logs_its_losses() {
    smoke("veegan", "d_loss,g_loss,reconstruction", "reconstructor.");
}

/// 8 steps straight, or 4 then a resume to 8: the same losses at every
/// logged step after the checkpoint, and the same final checkpoint.
fn resume_is_exact(model: &str, encoder: &str) {
    let straight = ring_config(model, encoder, &format!("{model}-straight"), 8);
    let mut trainer = Trainer::new(straight.clone()).unwrap();
    trainer.run(|_| {}).unwrap();
    let want = trainer.history.clone();

    let first = ring_config(model, encoder, &format!("{model}-interrupted"), 4);
    let out = first.out.clone();
    Trainer::new(first).unwrap().run(|_| {}).unwrap();
    let changes = ResumeChanges { steps: Some(8), ..ResumeChanges::default() };
    let (mut resumed, _) = Trainer::resume(&out.join("checkpoint.safetensors"), &changes).unwrap();
    assert_eq!(resumed.step, 4);
    resumed.run(|_| {}).unwrap();
    let after: Vec<_> = resumed.history.iter().filter(|r| r.step > 4).map(|r| (r.step, r.losses.clone())).collect();
    let wanted: Vec<_> = want.iter().filter(|r| r.step > 4).map(|r| (r.step, r.losses.clone())).collect();
    assert_eq!(after.len(), 2, "steps 6 and 8 are logged after the resume");
    assert_eq!(after, wanted, "the resumed run's losses differ from the straight run's");
    let bytes = |dir: &Path| std::fs::read(dir.join("checkpoint.safetensors")).unwrap();
    let (a, b) = (bytes(&straight.out), bytes(&out));
    let (a, b) =
        (safetensors::SafeTensors::deserialize(&a).unwrap(), safetensors::SafeTensors::deserialize(&b).unwrap());
    for name in a.names() {
        assert_eq!(a.tensor(name).unwrap().data(), b.tensor(name).unwrap().data(), "{name} differs after resuming");
    }
}

#[test]
fn resuming_a_stochastic_bigan_gives_the_losses_of_an_uninterrupted_run() {
    resume_is_exact("bigan", "stochastic");
}

#[test]
fn resuming_veegan_gives_the_losses_of_an_uninterrupted_run() {
    resume_is_exact("veegan", "deterministic");
}

#[test]
fn the_encoder_choice_round_trips_and_is_checked() {
    let config = TrainConfig { model: "bigan".into(), encoder: "stochastic".into(), ..TrainConfig::default() };
    assert_eq!(TrainConfig::from_text(&config.to_text()).unwrap(), config);
    config.validate().unwrap();
    let odd = TrainConfig { encoder: "sideways".into(), ..config.clone() };
    assert!(odd.validate().unwrap_err().contains("deterministic or stochastic"));
    let veegan = TrainConfig { model: "veegan".into(), ..config };
    assert!(veegan.validate().unwrap_err().contains("--model bigan"));
}

#[test]
fn the_command_line_trains_a_stochastic_bigan_and_refuses_the_flag_elsewhere() {
    let out = fresh_temp_dir("cli-bigan");
    let out_arg = out.to_str().unwrap();
    let args = ["train", "--model", "bigan", "--encoder", "stochastic", "--dataset", "ring", "--steps", "2"];
    let (ok, stderr) = ganforge(&[&args[..], &["--batch", "8", "--out", out_arg]].concat());
    assert!(ok, "{stderr}");
    assert!(std::fs::read_to_string(out.join("config.txt")).unwrap().contains("encoder = stochastic"));
    let (ok, stderr) =
        ganforge(&["train", "--model", "veegan", "--encoder", "stochastic", "--dataset", "ring", "--out", out_arg]);
    assert!(!ok && stderr.trim().lines().count() == 1 && stderr.contains("--model bigan"), "{stderr}");
}

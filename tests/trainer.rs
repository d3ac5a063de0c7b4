//! The training loop end to end on small problems: losses move, files are
//! written, a resumed run continues, divergence stops with the last good
//! checkpoint, and the reference models have gradients everywhere.
mod common;
use common::fresh_temp_dir;
use ganforge::gan::models::{self, GanModel};
use ganforge::gan::trainer::TrainError;
use ganforge::gan::{TrainConfig, Trainer};
use ganforge::nn::Module;
use ganforge::Tensor;

fn ring_config(label: &str, steps: usize) -> TrainConfig {
    TrainConfig {
        model: "mlp".into(),
        loss: "ns".into(),
        dataset: "ring".into(),
        steps,
        batch: 32,
        lr_d: 1e-3,
        lr_g: 1e-3,
        log_every: 5,
        sample_every: steps,
        checkpoint_every: 10,
        out: fresh_temp_dir(label),
        ..TrainConfig::default()
    }
}

#[test]
fn a_short_run_writes_its_files_and_scores_the_modes() {
    let config = ring_config("short-run", 20);
    let out = config.out.clone();
    let mut trainer = Trainer::new(config).unwrap();
    trainer.run(|_| {}).unwrap();
    assert_eq!(trainer.step, 20);
    for file in ["config.txt", "log.csv", "losses.png", "checkpoint.safetensors", "samples/step_000020.png"] {
        assert!(out.join(file).exists(), "{file} was not written");
    }
    let rows = &trainer.history;
    assert_eq!(rows.iter().map(|r| r.step).collect::<Vec<_>>(), vec![5, 10, 15, 20]);
    let report = rows.last().unwrap().modes.as_ref().expect("2D runs are scored");
    assert!(report.modes_covered <= 8);
}

/// Mean distance of generated points from the unit circle the ring lies on.
fn distance_from_ring(trainer: &Trainer) -> f32 {
    let model = trainer.model();
    let z = Tensor::randn(&[500, model.latent_dim()], 3);
    let points = ganforge::gan::trainer::sample_eval(model, &z, None).to_vec();
    points.chunks(2).map(|p| ((p[0] * p[0] + p[1] * p[1]).sqrt() - 1.0).abs()).sum::<f32>() / 500.0
}

#[test]
fn training_pulls_the_generator_toward_the_ring() {
    let mut config = ring_config("learns", 100);
    config.log_every = 50;
    let mut trainer = Trainer::new(config).unwrap();
    let before = distance_from_ring(&trainer);
    trainer.run(|_| {}).unwrap();
    let after = distance_from_ring(&trainer);
    assert!(after < 0.75 * before, "generated points did not approach the ring: {before} -> {after}");
}

#[test]
fn a_resumed_run_continues_the_same_log() {
    let config = ring_config("resume", 10);
    let out = config.out.clone();
    Trainer::new(config).unwrap().run(|_| {}).unwrap();
    // A run that went on past its checkpoint (and then crashed) logged step 12 too.
    let mut log = std::fs::read_to_string(out.join("log.csv")).unwrap();
    log.push_str("12,1.0,1.0,,\n");
    std::fs::write(out.join("log.csv"), log).unwrap();
    let mut resumed = Trainer::resume(&out.join("checkpoint.safetensors"), Some(15)).unwrap();
    assert_eq!(resumed.step, 10, "the step comes from the checkpoint");
    resumed.run(|_| {}).unwrap();
    let log = std::fs::read_to_string(out.join("log.csv")).unwrap();
    let steps: Vec<usize> = log.lines().skip(1).map(|l| l.split(',').next().unwrap().parse().unwrap()).collect();
    assert_eq!(steps, vec![5, 10, 15]);
}

#[test]
fn divergence_stops_the_run_and_names_the_last_good_checkpoint() {
    let mut config = ring_config("diverge", 4);
    config.log_every = 1;
    config.checkpoint_every = 2;
    let mut trainer = Trainer::new(config).unwrap();
    trainer.run(|_| {}).unwrap();
    // Adam moves every weight by about lr per step: 1e30 overflows at once.
    trainer.set_learning_rates(1e30, 1e30);
    trainer.config.steps = 50;
    match trainer.run(|_| {}) {
        Err(TrainError::Diverged { step, last_checkpoint: Some(path), .. }) => {
            assert!(step <= 6, "caught at step {step}");
            // The checkpoint kept is the one from step 4, before the blow-up.
            let resumed = Trainer::resume(&path, None).unwrap();
            assert_eq!(resumed.step, 4);
        }
        other => panic!("expected a divergence with a checkpoint, got {other:?}"),
    }
}

#[test]
fn bad_configs_are_refused_with_the_choices() {
    let mut config = ring_config("bad", 1);
    config.loss = "wasserstein-ish".into();
    let message = Trainer::new(config).err().expect("unknown loss").to_string();
    assert!(message.contains("wasserstein-ish") && message.contains("wgan-gp"), "{message}");
    let mut config = ring_config("bad-model", 1);
    config.model = "stylegan9".into();
    let message = Trainer::new(config).err().expect("unknown model").to_string();
    assert!(message.contains("stylegan9") && message.contains("dcgan"), "{message}");
}

#[test]
fn config_text_round_trips() {
    let config = ring_config("config", 7);
    assert_eq!(TrainConfig::from_text(&config.to_text()).unwrap(), config);
    assert!(TrainConfig::from_text("steps = many").unwrap_err().contains("steps"));
}

/// Every parameter of G and D gets a finite, not-all-zero gradient.
fn assert_full_gradients(model: &dyn GanModel, labels: Option<&[usize]>) {
    let z = Tensor::randn(&[8, model.latent_dim()], 1);
    let fake = model.generate(&z, labels);
    assert_eq!(fake.shape(), &[8, 1, 28, 28]);
    let logits = model.discriminate(&fake, labels);
    assert_eq!(logits.shape(), &[8]);
    logits.mean_all().backward();
    for (who, module) in [("G", model.generator()), ("D", model.discriminator())] {
        for (name, p) in module.named_parameters() {
            let g = p.grad().unwrap_or_else(|| panic!("{who} {name} has no gradient")).to_vec();
            assert!(g.iter().all(|v| v.is_finite()), "{who} {name}: non-finite gradient");
            assert!(g.iter().any(|&v| v != 0.0), "{who} {name}: all-zero gradient");
        }
    }
}

#[test]
fn dcgan28_and_cgan_have_gradients_for_every_parameter() {
    let dcgan = models::build("dcgan", &[1, 28, 28], None, 1).unwrap();
    assert_full_gradients(dcgan.as_ref(), None);
    let cgan = models::build("cgan", &[1, 28, 28], Some(10), 1).unwrap();
    assert_full_gradients(cgan.as_ref(), Some(&[0, 1, 2, 3, 4, 5, 6, 7]));
}

#[test]
fn the_64x64_dcgan_maps_latents_to_rgb_images_and_back_to_logits() {
    let model = models::build("dcgan", &[3, 64, 64], None, 1).unwrap();
    let z = Tensor::randn(&[2, model.latent_dim()], 1);
    let images = ganforge::no_grad(|| model.generate(&z, None));
    assert_eq!(images.shape(), &[2, 3, 64, 64]);
    assert!(images.to_vec().iter().all(|v| (-1.0..=1.0).contains(v)), "tanh output");
    assert_eq!(ganforge::no_grad(|| model.discriminate(&images, None)).shape(), &[2]);
}

#[test]
fn dcgan28_has_the_reference_parameter_count() {
    // G: 100*6272 + 6272 + 2*128 + 128*64*16 + 64 + 2*64 + 64*16 + 1;
    // D: 64*16 + 64 + 64*128*16 + 128 + 2*128 + 6272 + 1.
    let model = models::build("dcgan", &[1, 28, 28], None, 1).unwrap();
    let count = |m: &dyn Module| m.parameters().iter().map(Tensor::numel).sum::<usize>();
    assert_eq!(count(model.generator()), 627_200 + 6272 + 256 + 131_072 + 64 + 128 + 1024 + 1);
    assert_eq!(count(model.discriminator()), 1024 + 64 + 131_072 + 128 + 256 + 6272 + 1);
}

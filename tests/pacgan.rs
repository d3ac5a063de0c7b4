//! PacGAN (Lin et al., 2018): packing samples for the discriminator.

mod common;

use common::fresh_temp_dir;
use ganforge::checkpoint::Loader;
use ganforge::gan::models::{self, CriticNorm};
use ganforge::gan::pack::pack;
use ganforge::gan::{TrainConfig, Trainer};
use ganforge::{grad, Tensor};

#[test]
fn packing_puts_consecutive_samples_side_by_side() {
    // Three 2D points per pack: pack 0 is samples 0, 1, 2; pack 1 is 3, 4, 5.
    let points = Tensor::from_vec((0..12).map(|v| v as f32).collect(), &[6, 2]);
    let packed = pack(&points, 3);
    assert_eq!(packed.shape(), &[2, 6]);
    assert_eq!(packed.to_vec(), (0..12).map(|v| v as f32).collect::<Vec<_>>());
    // Images stack along channels: pack 0's channel 1 is sample 1's channel 0.
    let images = Tensor::from_vec((0..16).map(|v| v as f32).collect(), &[4, 1, 2, 2]);
    let packed = pack(&images, 2);
    assert_eq!(packed.shape(), &[2, 2, 2, 2]);
    assert_eq!(packed.narrow(0, 0, 1).narrow(1, 1, 2).to_vec(), vec![4.0, 5.0, 6.0, 7.0]);
}

#[test]
fn a_packed_critic_judges_exactly_the_samples_of_its_pack() {
    // The critic's score of pack 1 must depend on samples 2 and 3 (m = 2)
    // and on no other sample of the batch: its input gradient says which
    // samples it read. Layer norm keeps the batch's packs independent.
    for (name, item) in [("mlp", vec![2]), ("dcgan", vec![1, 28, 28])] {
        let model = models::build(name, &item, None, CriticNorm::Layer, 2, 1).unwrap();
        let mut shape = vec![6];
        shape.extend_from_slice(&item);
        let x = Tensor::randn(&shape, 3).requires_grad_();
        let scores = model.discriminate(&pack(&x, 2), None);
        assert_eq!(scores.shape(), &[3], "{name}: one score per pack");
        let dx = grad(&[&scores.narrow(0, 1, 2).sum_all()], &[&x], false).remove(0);
        let per_sample: Vec<f32> =
            dx.mul(&dx).flatten(1).sum(&[1], false).to_vec().into_iter().map(f32::sqrt).collect();
        for (sample, norm) in per_sample.iter().enumerate() {
            assert_eq!(*norm > 0.0, sample == 2 || sample == 3, "{name}: sample {sample} has gradient {norm}");
        }
    }
}

#[test]
fn a_packed_mlp_critic_takes_m_points_and_the_generator_is_unchanged() {
    let plain = models::build("mlp", &[2], None, CriticNorm::Batch, 1, 7).unwrap();
    let packed = models::build("mlp", &[2], None, CriticNorm::Batch, 4, 7).unwrap();
    let first_layer = |m: &dyn ganforge::nn::Module| m.parameters()[0].shape().to_vec();
    assert_eq!(first_layer(plain.discriminator()), vec![128, 2]);
    assert_eq!(first_layer(packed.discriminator()), vec![128, 8]);
    let z = Tensor::randn(&[5, 2], 1);
    assert_eq!(plain.generate(&z, None).to_vec(), packed.generate(&z, None).to_vec());
}

#[test]
fn a_pacgan_run_draws_m_samples_per_example_and_has_no_per_point_critic() {
    let out = fresh_temp_dir("pacgan");
    let config = TrainConfig {
        model: "mlp".into(),
        dataset: "ring".into(),
        steps: 6,
        batch: 16,
        pack: 3,
        log_every: 3,
        sample_every: 6,
        checkpoint_every: 6,
        out: out.clone(),
        ..TrainConfig::default()
    };
    let mut trainer = Trainer::new(config.clone()).unwrap();
    trainer.run(|_| {}).unwrap();
    assert!(trainer.family().critic_on(&Tensor::randn(&[4, 2], 1)).is_none());
    assert!(trainer.history.last().unwrap().modes.is_some(), "the ring's mode report");
    // One D step and one G step per step, each of 16 packs of 3 points.
    let meta = Loader::new().load(out.join("checkpoint.safetensors")).unwrap();
    assert_eq!(meta["batches_drawn"], "48x6");
    assert_eq!(TrainConfig::from_text(&config.to_text()).unwrap().pack, 3);
}

#[test]
fn packing_is_refused_where_it_has_no_meaning() {
    let base = TrainConfig { out: fresh_temp_dir("pack-refused"), ..TrainConfig::default() };
    let zero = TrainConfig { pack: 0, ..base.clone() };
    assert!(Trainer::new(zero).err().unwrap().to_string().contains("pack = 0"));
    let cgan = TrainConfig { model: "cgan".into(), pack: 2, ..base };
    let error = Trainer::new(cgan).err().unwrap().to_string();
    assert!(error.contains("cgan cannot pack"), "{error}");
}

#[test]
fn an_unrolled_pacgan_looks_ahead_on_packs() {
    let config = TrainConfig {
        model: "mlp".into(),
        dataset: "ring".into(),
        steps: 2,
        batch: 8,
        pack: 2,
        unroll: 2,
        sample_every: 2,
        checkpoint_every: 2,
        out: fresh_temp_dir("unrolled-pacgan"),
        ..TrainConfig::default()
    };
    let mut trainer = Trainer::new(config).unwrap();
    trainer.run(|_| {}).unwrap();
    assert!(trainer.history.last().unwrap().loss("g_loss").unwrap().is_finite());
}

#[test]
fn the_joint_families_refuse_the_pair_familys_knobs() {
    let base = TrainConfig { model: "veegan".into(), dataset: "ring".into(), ..TrainConfig::default() };
    assert!(base.validate().is_ok());
    for (config, flag) in [
        (TrainConfig { pack: 2, ..base.clone() }, "--pack"),
        (TrainConfig { loss: "lsgan".into(), model: "bigan".into(), ..base.clone() }, "--loss"),
        (TrainConfig { d_steps: 5, ..base.clone() }, "--k"),
    ] {
        let error = config.validate().unwrap_err();
        assert!(error.starts_with(flag) && error.contains("own objective"), "{error}");
    }
}

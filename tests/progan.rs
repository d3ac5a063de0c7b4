//! ProGAN: the grouped minibatch standard deviation, the growing nets at
//! every level, the fade-in's ends, gradients through a fade, the growth
//! schedule, padded MNIST, `--model progan` trained, checkpointed mid-fade
//! and resumed, and trained on a folder of colour pictures.

mod common;

use common::{fresh_temp_dir, tensor};
use ganforge::data::dataset;
use ganforge::gan::families::DataShape;
use ganforge::gan::growth::GrowthSchedule;
use ganforge::gan::nets::progressive::{fade, real_at, ProgressiveDiscriminator, ProgressiveGenerator, Stage};
use ganforge::gan::trainer::ResumeChanges;
use ganforge::gan::{families, TrainConfig, Trainer};
use ganforge::gradcheck::{gradcheck, gradcheck_with, gradgradcheck, Tolerance};
use ganforge::Tensor;
use rand::{rngs::StdRng, SeedableRng};

/// Nets up to 8x8 (levels 0 and 1) with 4 feature maps and one channel.
fn tiny_nets() -> (ProgressiveGenerator, ProgressiveDiscriminator) {
    let rng = &mut StdRng::seed_from_u64(3);
    (ProgressiveGenerator::new(8, 1, 4, rng), ProgressiveDiscriminator::new(8, 1, 4, rng))
}

fn stage(level: usize, alpha: f32) -> Stage {
    Stage { level, alpha }
}

#[test]
fn grouped_minibatch_stddev_pools_samples_that_share_their_index_modulo_the_groups() {
    // 8 samples in groups of 4: samples 0, 2, 4, 6 form one group, 1, 3, 5, 7 the other.
    let (n, c, h, w) = (8, 2, 1, 2);
    let x = tensor(&[n, c, h, w], -1.0, 1.0, 5);
    let values = x.to_vec();
    let item = c * h * w;
    let expected: Vec<f32> = (0..2)
        .map(|m| {
            let members: Vec<usize> = (0..4).map(|g| g * 2 + m).collect();
            let stds = (0..item).map(|j| {
                let column: Vec<f32> = members.iter().map(|&s| values[s * item + j]).collect();
                let mean = column.iter().sum::<f32>() / 4.0;
                (column.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / 4.0 + 1e-8).sqrt()
            });
            stds.sum::<f32>() / item as f32
        })
        .collect();
    let y = x.minibatch_stddev_groups(4).to_vec();
    for s in 0..n {
        for p in 0..h * w {
            let got = y[s * (c + 1) * h * w + c * h * w + p];
            assert!((got - expected[s % 2]).abs() < 1e-5, "sample {s}: {got} against {}", expected[s % 2]);
        }
    }
    // One group of the whole batch is the plain layer.
    assert_eq!(x.minibatch_stddev_groups(n).to_vec(), x.minibatch_stddev().to_vec());
}

#[test]
fn the_nets_work_at_every_level_and_alpha() {
    let rng = &mut StdRng::seed_from_u64(1);
    let (g, d) = (ProgressiveGenerator::new(16, 3, 8, rng), ProgressiveDiscriminator::new(16, 3, 8, rng));
    assert_eq!(g.top_level(), 2);
    let z = Tensor::randn(&[2, 8], 2);
    for (level, size) in [(0, 4), (1, 8), (2, 16)] {
        for alpha in [0.0, 0.5, 1.0] {
            let images = g.forward(&z, stage(level, alpha));
            assert_eq!(images.shape(), [2, 3, size, size], "G at level {level}, alpha {alpha}");
            assert_eq!(d.forward(&images, stage(level, alpha)).shape(), [2], "D at level {level}, alpha {alpha}");
        }
    }
}

#[test]
fn the_blend_is_exactly_the_old_path_at_alpha_0_and_the_new_at_1() {
    let (old, new) = (tensor(&[2, 3, 4, 4], -3.0, 3.0, 1), tensor(&[2, 3, 4, 4], -3.0, 3.0, 2));
    assert_eq!(fade(&old, &new, 0.0).to_vec(), old.to_vec());
    assert_eq!(fade(&old, &new, 1.0).to_vec(), new.to_vec());
    let half: Vec<f32> = old.to_vec().iter().zip(new.to_vec()).map(|(a, b)| 0.5 * a + 0.5 * b).collect();
    assert_eq!(fade(&old, &new, 0.5).to_vec(), half);
}

#[test]
fn a_fade_at_alpha_0_is_the_previous_level_and_the_stable_phase_the_new_path() {
    let (g, d) = tiny_nets();
    let z = Tensor::randn(&[4, 4], 7);
    // G: the 4x4 image upsampled (nearest) exactly, then the new block's image.
    let previous = g.forward(&z, stage(0, 1.0)).upsample_nearest2d(2);
    assert_eq!(g.forward(&z, stage(1, 0.0)).to_vec(), previous.to_vec());
    let new = g.forward(&z, stage(1, 1.0));
    let nearly_new = g.forward(&z, stage(1, 0.999));
    assert_ne!(new.to_vec(), previous.to_vec());
    let gap = new.sub(&nearly_new).abs().max_all().to_vec()[0];
    assert!(gap < 1e-2, "G at alpha 0.999 is {gap} from the new path");
    // D: its score of the 8x8 images is the 4x4 D's score of their average pool.
    let x = tensor(&[4, 1, 8, 8], -1.0, 1.0, 9);
    let pooled = d.forward(&x.avg_pool2d(2, 2, 0), stage(0, 1.0));
    assert_eq!(d.forward(&x, stage(1, 0.0)).to_vec(), pooled.to_vec());
    assert_ne!(d.forward(&x, stage(1, 1.0)).to_vec(), pooled.to_vec());
    // The real images are blended the same way: alpha 0 shows the coarser level.
    let full = tensor(&[2, 1, 16, 16], -1.0, 1.0, 4);
    let at_8 = full.avg_pool2d(2, 2, 0);
    assert_eq!(real_at(&full, stage(1, 1.0)).to_vec(), at_8.to_vec());
    let coarser = at_8.avg_pool2d(2, 2, 0).upsample_nearest2d(2);
    assert_eq!(real_at(&full, stage(1, 0.0)).to_vec(), coarser.to_vec());
}

#[test]
fn gradients_through_a_fade_match_finite_differences() {
    let (g, d) = tiny_nets();
    let fading = stage(1, 0.3);
    // A smaller step than the default: the pixel-normed latent curves
    // sharply, and leaky ReLU's kinks are fewer to straddle.
    let fine = Tolerance { step: 1e-3, atol: 5e-3, rtol: 2e-2 };
    let checked = |name: &str, result: Result<(), String>| {
        if let Err(e) = result {
            panic!("{name}: {e}");
        }
    };
    let z = tensor(&[2, 4], -1.0, 1.0, 11);
    checked("G at a fade", gradcheck_with(|x| g.forward(&x[0], fading), &[z], fine));
    let x = tensor(&[4, 1, 8, 8], -1.0, 1.0, 12);
    checked("D at a fade", gradcheck_with(|x| d.forward(&x[0], fading), &[x], fine));
    // The gradient penalty differentiates D's input gradient again: every op
    // of D has its second order checked on its own (a whole net's leaky ReLU
    // kinks make finite differences of its gradient jump); here the new one.
    let x = tensor(&[4, 2, 2, 2], -1.0, 1.0, 13);
    checked("grouped stddev", gradcheck(|x| x[0].minibatch_stddev_groups(2), std::slice::from_ref(&x)));
    checked("grouped stddev, second order", gradgradcheck(|x| x[0].minibatch_stddev_groups(2), &[x]));
}

#[test]
fn the_schedule_fades_each_level_in_linearly_then_holds_it() {
    // Phases of 8 images: 4 steps at batch 2 (level 0), 2 at batch 4 (levels 1 and 2).
    let schedule = GrowthSchedule { start: 0, top: 2, phase_images: 8, batches: vec![2, 4, 4] };
    let stages: Vec<Stage> = (0..13).map(|step| schedule.at(step)).collect();
    let expected = [
        (0, 1.0),
        (0, 1.0),
        (0, 1.0),
        (0, 1.0),
        (1, 0.0),
        (1, 0.5),
        (1, 1.0),
        (1, 1.0),
        (2, 0.0),
        (2, 0.5),
        (2, 1.0),
        (2, 1.0),
        (2, 1.0),
    ];
    assert_eq!(stages, expected.map(|(level, alpha)| stage(level, alpha)));
    assert_eq!(schedule.at(1_000_000), stage(2, 1.0));
    let longer = GrowthSchedule { phase_images: 40, ..schedule };
    let alphas: Vec<f32> = (20..30).map(|step| longer.at(step).alpha).collect();
    assert_eq!(alphas, (0..10).map(|i| i as f32 / 10.0).collect::<Vec<_>>());
}

#[test]
fn mnist_padded_to_32_keeps_the_digits_inside_a_background_frame() {
    let padded = dataset::mnist5k(0).unwrap().padded(2);
    let plain = dataset::mnist5k(0).unwrap();
    assert_eq!(padded.len(), plain.len());
    let (big, small) = (&padded.values()[..32 * 32], &plain.values()[..28 * 28]);
    for row in 0..32 {
        for col in 0..32 {
            let inside = (2..30).contains(&row) && (2..30).contains(&col);
            let want = if inside { small[(row - 2) * 28 + col - 2] } else { -1.0 };
            assert_eq!(big[row * 32 + col], want, "pixel ({row}, {col})");
        }
    }
    let opened = dataset::open("mnist5k-32", 0, 0, 0).unwrap();
    assert_eq!(opened.item_shape(), [1, 32, 32]);
}

/// A run of `steps` steps of ProGAN on MNIST padded to 32x32: phases of 8
/// images at batch 4 (2 steps), so step 2 starts the 8x8 fade.
fn run_config(label: &str, steps: usize) -> TrainConfig {
    TrainConfig {
        model: "progan".into(),
        loss: "wgan-gp".into(),
        dataset: "mnist5k-32".into(),
        steps,
        batch: 4,
        phase_images: 8,
        features: 4,
        ..TrainConfig::for_model("progan", "wgan-gp", "mnist5k-32")
    }
    .with_run(label)
}

trait RunFolder {
    fn with_run(self, label: &str) -> Self;
}

impl RunFolder for TrainConfig {
    /// Logs and checkpoints every step, in a fresh folder.
    fn with_run(self, label: &str) -> TrainConfig {
        TrainConfig { log_every: 1, sample_every: 3, checkpoint_every: 3, out: fresh_temp_dir(label), ..self }
    }
}

#[test]
fn a_run_resumed_mid_fade_continues_at_the_same_alpha_with_the_same_losses() {
    let mut straight = Trainer::new(run_config("progan-straight", 6)).unwrap();
    straight.run(|_| {}).unwrap();
    let logged = |trainer: &Trainer, name: &str| -> Vec<f32> {
        trainer.history.iter().map(|row| row.loss(name).unwrap()).collect()
    };
    assert_eq!(logged(&straight, "level"), [0.0, 0.0, 1.0, 1.0, 1.0, 1.0]);
    assert_eq!(logged(&straight, "alpha"), [1.0, 1.0, 0.0, 0.5, 1.0, 1.0]);
    assert!(straight.config.out.join("samples/step_000003.png").exists());

    let interrupted = run_config("progan-interrupted", 3);
    Trainer::new(interrupted.clone()).unwrap().run(|_| {}).unwrap();
    let changes = ResumeChanges { steps: Some(6), ..ResumeChanges::default() };
    let (mut resumed, _) = Trainer::resume(&interrupted.out.join("checkpoint.safetensors"), &changes).unwrap();
    resumed.run(|_| {}).unwrap();
    for name in ["d_loss", "g_loss", "level", "alpha"] {
        assert_eq!(logged(&resumed, name), logged(&straight, name), "{name}");
    }
    // Samples come at full size whatever the level.
    let z = Tensor::randn(&[2, 4], 1);
    assert_eq!(resumed.sampling_model().generate(&z, None).shape(), [2, 1, 32, 32]);
}

#[test]
fn bad_progan_settings_are_refused_with_the_way_out() {
    let refusal = |config: TrainConfig| match Trainer::new(config) {
        Ok(_) => panic!("the config was accepted"),
        Err(e) => e.to_string(),
    };
    let unpadded = refusal(TrainConfig { dataset: "mnist5k".into(), ..run_config("progan-28", 2) });
    assert!(unpadded.contains("28x28") && unpadded.contains("mnist5k-32"), "{unpadded}");
    let loss = refusal(TrainConfig { loss: "ns".into(), ..run_config("progan-ns", 2) });
    assert!(loss.contains("--loss"), "{loss}");
    let batches = refusal(TrainConfig { level_batches: "8,8".into(), ..run_config("progan-batches", 2) });
    assert!(batches.contains("4 of them"), "{batches}");
    let shape = DataShape { item_shape: vec![2], classes: None };
    let points = families::build(&run_config("progan-points", 2), &shape).err().unwrap();
    assert!(points.contains("image"), "{points}");
}

#[test]
fn progan_trains_on_a_folder_of_colour_pictures_at_32x32() {
    // A folder is read at the size the family asks for: 32x32 colour for the
    // grown generators (the committed avatars are 32x32 already).
    let config = TrainConfig { dataset: "folder:data/avatars32/train".into(), ..run_config("progan-folder", 3) };
    let mut trainer = Trainer::new(config).unwrap();
    trainer.run(|_| {}).unwrap();
    assert!(trainer.history.iter().all(|row| row.loss("d_loss").unwrap().is_finite()));
    let z = Tensor::randn(&[2, 4], 1);
    assert_eq!(trainer.sampling_model().generate(&z, None).shape(), [2, 3, 32, 32]);
}

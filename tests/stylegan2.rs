//! StyleGAN2: the skip generator's image as the running sum of its smoothly
//! upsampled toRGB pictures, the styles' initial spread (the official affine
//! gain), one noise strength per layer, the residual block against the
//! official layout written out, the path-length penalty's gradient by finite
//! differences and its moving target, the second derivatives of the
//! generator's ops, lazy regularisation (R1 and the path length measured only
//! on their steps, each player's Adam slowed by its interval), a resumed run
//! keeping the path-length target, the droplet statistics, and
//! `--model stylegan2` from the command line (at 32x32 and at `--image-size`).

mod common;

use common::{check, check2, fresh_temp_dir, ganforge, tensor, tiny_run};
use ganforge::explore::droplets::{feature_magnitudes, peakedness};
use ganforge::explore::style::fixed_noise;
use ganforge::gan::families::stylegan2::Stylegan2Generator;
use ganforge::gan::families::{lazy_optimizer, minimise};
use ganforge::gan::family::Player;
use ganforge::gan::nets::modulated::modulated_conv2d;
use ganforge::gan::nets::residual::ResidualBlock;
use ganforge::gan::nets::style::{repeated, StyleShape};
use ganforge::gan::penalties::{path_lengths, PathLengthTarget, PATH_LENGTH_DECAY};
use ganforge::gan::trainer::{checkpoint_shape, ResumeChanges};
use ganforge::gan::{TrainConfig, Trainer};
use ganforge::gradcheck::{gradcheck_with, Tolerance};
use ganforge::nn::{with_substitutes, Module, NoiseInjection};
use ganforge::ops::conv::{conv2d, Conv2dOptions};
use ganforge::{no_grad, Tensor};
use rand::{rngs::StdRng, SeedableRng};

/// A StyleGAN2 generator of `size` x `size` images with 2 colours, 4 maps, w of 6 values.
fn tiny_generator(size: usize, features: usize) -> Stylegan2Generator {
    let shape = StyleShape { image_size: size, channels: 2, features, width: 6, mapping_layers: 1 };
    Stylegan2Generator::new(shape, 3)
}

// ANCHOR: skip_test
#[test]
fn the_skip_generators_image_is_the_running_sum_of_its_smoothly_upsampled_torgb_pictures() {
    let generator = tiny_generator(16, 4);
    assert_eq!(generator.layer_count(), 6, "two style layers at each of 4x4, 8x8, 16x16");
    let (n, c) = (2, 2);
    let ws = repeated(&generator.map(&Tensor::randn(&[n, 6], 1)), 6);
    let noise = fixed_noise(&generator, n, 2);
    let drawn = no_grad(|| generator.synthesis().draw(&ws, Some(&noise), true));
    let sides: Vec<usize> = drawn.pictures.iter().map(|p| p.shape()[2]).collect();
    assert_eq!(sides, [4, 8, 16]);
    assert_eq!(drawn.image.shape(), [n, c, 16, 16]);
    // The image at each doubling: the sum so far through the [1, 3, 3, 1]
    // filter (tests/resample.rs checks it against plain Rust), plus this
    // resolution's picture. Nearest upsampling would fail this.
    let want = drawn.pictures[1..]
        .iter()
        .fold(drawn.pictures[0].clone(), |sum, picture| no_grad(|| sum.upsample_smooth2d().add(picture)));
    let want: Vec<f64> = want.to_vec().into_iter().map(f64::from).collect();
    common::assert_close(&drawn.image.to_vec(), &want, 1e-5, 1e-5);
    // Every resolution contributes: none of the pictures is zero.
    assert!(drawn.pictures.iter().all(|p| p.to_vec().iter().any(|v| v.abs() > 1e-4)));
    // The generator's forward pass is that image.
    let image = no_grad(|| generator.synthesize(&ws, Some(&noise)));
    common::assert_close(&image.to_vec(), &want, 1e-5, 1e-5);
}
// ANCHOR_END: skip_test

#[test]
fn styles_start_spread_by_one_around_one_as_the_official_affine_layers() {
    // 16 styles of w with 64 values: the first layer's affine map has 1,024
    // weights, enough for the spread to be measured within a few percent.
    let shape = StyleShape { image_size: 4, channels: 1, features: 16, width: 64, mapping_layers: 1 };
    let generator = Stylegan2Generator::new(shape, 3);
    let w = Tensor::randn(&[256, 64], 4); // unit second moment, like w
    let styles = no_grad(|| generator.synthesis().layers()[0].style(&w)).to_vec();
    let mean = styles.iter().map(|&s| f64::from(s)).sum::<f64>() / styles.len() as f64;
    let spread = styles.iter().map(|&s| (f64::from(s) - 1.0).powi(2)).sum::<f64>() / styles.len() as f64;
    assert!((mean - 1.0).abs() < 0.1, "styles start around 1 (the affine bias 1), got mean {mean}");
    // Gain 1 / sqrt(fan_in): E[(s - 1)^2] = E[w^2] = 1; He's sqrt(2 / fan_in) would give 2.
    assert!((0.8..1.25).contains(&spread), "E[(s - 1)^2] should be about 1, got {spread}");
}

#[test]
fn every_stylegan2_layer_has_one_noise_strength_that_scales_all_its_channels() {
    let generator = tiny_generator(8, 4);
    let strengths: Vec<Vec<usize>> =
        generator.synthesis().layers().iter().map(|l| l.noise_scale().shape().to_vec()).collect();
    assert_eq!(strengths, vec![vec![1]; 4], "the official network has one noise strength per layer");
    // The layer on its own: x + strength * noise on every channel, and the
    // strength's gradient by finite differences.
    let layer = NoiseInjection::per_layer(7);
    let (x, noise) = (tensor(&[2, 3, 2, 3], -1.0, 1.0, 8), tensor(&[2, 1, 2, 3], -1.0, 1.0, 9));
    layer.weight().write_(&[0.4]);
    let (xv, nv) = (x.to_vec(), noise.to_vec());
    let want: Vec<f64> = (0..xv.len()).map(|i| f64::from(xv[i]) + 0.4 * f64::from(nv[(i / 18) * 6 + i % 6])).collect();
    common::assert_close(&no_grad(|| layer.forward_with_noise(&x, &noise)).to_vec(), &want, 1e-6, 1e-6);
    let weight = layer.weight().clone();
    let injected = |t: &[Tensor]| {
        with_substitutes(std::slice::from_ref(&weight), &t[1..], || layer.forward_with_noise(&t[0], &noise).powf(2.0))
    };
    check("per-layer noise injection", injected, &[x, weight.detach()]);
}

/// The [1, 3, 3, 1] / 8 filter on each axis over `x` [N, C, H, W] zero-padded by
/// `padding`, moved by `stride`: the 4x4 outer product as a depthwise convolution.
fn filtered(x: &Tensor, padding: usize, stride: usize) -> Tensor {
    let channels = x.shape()[1];
    let taps = [1.0, 3.0, 3.0, 1.0];
    let kernel: Vec<f32> = (0..channels).flat_map(|_| (0..16).map(move |k| taps[k / 4] * taps[k % 4] / 64.0)).collect();
    let options =
        Conv2dOptions { stride: (stride, stride), padding: (padding, padding), groups: channels, ..Default::default() };
    conv2d(x, &Tensor::from_vec(kernel, &[channels, 1, 4, 4]), None, options)
}

#[test]
fn a_residual_block_is_the_official_one_filtered_before_each_halving() {
    let block = ResidualBlock::new(3, 5, &mut StdRng::seed_from_u64(1));
    for (i, bias) in block.parameters().iter().filter(|p| p.rank() == 1).enumerate() {
        bias.write_(&common::values(bias.numel(), -0.5, 0.5, 10 + i as u64));
    }
    let parameters = block.named_parameters();
    let names: Vec<&str> = parameters.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["first.weight", "first.bias", "second.weight", "second.bias", "skip.weight"]);
    let take = |name: &str| parameters.iter().find(|(n, _)| n == name).expect(name).1.clone();
    // He's gain sqrt(2 / fan_in) before a leaky ReLU; the linear skip 1 / sqrt(fan_in), no bias.
    let conv = |x: &Tensor, layer: &str, stride: usize, padding: usize| {
        let weight = take(&format!("{layer}.weight"));
        let fan_in = weight.shape()[1..].iter().product::<usize>() as f32;
        let (gain, bias) = if layer == "skip" { (1.0, None) } else { (2.0, Some(take(&format!("{layer}.bias")))) };
        let options = Conv2dOptions { stride: (stride, stride), padding: (padding, padding), ..Default::default() };
        conv2d(x, &weight.mul_scalar((gain / fan_in).sqrt()), bias.as_ref(), options)
    };
    let x = tensor(&[2, 3, 6, 4], -1.0, 1.0, 2);
    let want = no_grad(|| {
        let first = conv(&x, "first", 1, 1).leaky_relu(0.2);
        let main = conv(&filtered(&first, 2, 1), "second", 2, 0).leaky_relu(0.2);
        let skip = conv(&filtered(&x, 1, 2), "skip", 1, 0);
        main.add(&skip).mul_scalar(std::f32::consts::FRAC_1_SQRT_2)
    });
    let got = no_grad(|| block.forward(&x));
    assert_eq!(got.shape(), [2, 5, 3, 2]);
    let want: Vec<f64> = want.to_vec().into_iter().map(f64::from).collect();
    common::assert_close(&got.to_vec(), &want, 1e-5, 1e-5);
}

// ANCHOR: path_length_gradcheck
#[test]
fn the_path_length_penalty_has_the_gradient_of_finite_differences() {
    // A 2-map 8x8 generator; the penalty (|J^T y| - a)^2 with a fixed a and
    // the same y at every evaluation, differentiated with respect to w and
    // to a modulated convolution's weight: second order through G.
    let generator = tiny_generator(8, 2);
    let noise = fixed_noise(&generator, 2, 4);
    let weight = generator.named_parameters().into_iter().find(|(n, _)| n == "synthesis.layer2.conv.weight").unwrap().1;
    let penalty = |t: &[Tensor]| {
        with_substitutes(std::slice::from_ref(&weight), &t[1..], || {
            let synthesize = |w: &Tensor| generator.synthesize(&repeated(w, 4), Some(&noise));
            let lengths = path_lengths(synthesize, &t[0], &mut StdRng::seed_from_u64(5));
            lengths.sub_scalar(0.3).powf(2.0).mean_all()
        })
    };
    let w = tensor(&[2, 6], -1.0, 1.0, 6);
    // A small step: J^T y jumps where an activation crosses leaky ReLU's kink,
    // and at a step of 1e-2 some of the 2 x 2 x 8 x 8 activations do (8% off).
    let tolerance = Tolerance { step: 1e-3, atol: 5e-3, rtol: 2e-2 };
    gradcheck_with(penalty, &[w, weight.detach()], tolerance).unwrap();
}
// ANCHOR_END: path_length_gradcheck

#[test]
fn the_path_length_target_is_a_moving_average_of_the_lengths() {
    let target = PathLengthTarget::new();
    let first = Tensor::from_vec(vec![1.0, 3.0], &[2]);
    let penalty = target.penalty(&first).item();
    let a = 2.0 * PATH_LENGTH_DECAY;
    assert!((target.mean().item() - a).abs() < 1e-6);
    assert!((penalty - ((1.0 - a).powi(2) + (3.0 - a).powi(2)) / 2.0).abs() < 1e-5, "{penalty}");
    target.penalty(&Tensor::from_vec(vec![5.0, 5.0], &[2]));
    assert!((target.mean().item() - (a + PATH_LENGTH_DECAY * (5.0 - a))).abs() < 1e-6);
}

#[test]
fn the_generators_ops_have_second_derivatives() {
    // Modulated convolution (conv2d, matmul, sqrt and division inside), noise
    // injection and pixel norm: the ops of G not already checked to second
    // order on their own (upsampling, leaky ReLU, linear and conv2d are).
    let x = tensor(&[2, 2, 3, 3], -1.0, 1.0, 1);
    let s = tensor(&[2, 2], 0.5, 1.5, 2);
    let w = tensor(&[2, 2, 3, 3], -1.0, 1.0, 3);
    for demodulate in [false, true] {
        let f = |t: &[Tensor]| modulated_conv2d(&t[0], &t[1], &t[2], demodulate).powf(2.0);
        check2("modulated_conv2d", f, &[x.clone(), s.clone(), w.clone()]);
    }
    let noise = tensor(&[2, 1, 3, 3], -1.0, 1.0, 4);
    let scale = tensor(&[2], -1.0, 1.0, 5);
    check2("noise_injection", |t| t[0].noise_injection(&t[1], &noise).powf(2.0), &[x.clone(), scale]);
    check2("pixel_norm", |t| t[0].pixel_norm(), &[tensor(&[3, 4], 0.5, 1.5, 6)]);
}

#[test]
fn peakedness_measures_a_spike_against_its_maps_mean() {
    // Two maps of four pixels: a flat one (ratio 1) and one spike (4 / 1 = 4).
    let maps = Tensor::from_vec(vec![1.0, -1.0, 1.0, -1.0, 0.0, 0.0, 0.0, 4.0], &[1, 2, 2, 2]);
    let stats = peakedness(&maps);
    assert_eq!((stats.mean_abs, stats.peak_to_mean, stats.worst), (1.0, 2.5, 4.0));
    let rows = feature_magnitudes(&tiny_generator(8, 4), 1);
    assert_eq!(rows.iter().map(|r| r.side).collect::<Vec<_>>(), [4, 4, 8, 8]);
    assert!(rows.iter().all(|r| r.groups.len() == 2 && r.groups.iter().all(|p| p.worst >= p.peak_to_mean)));
}

fn run_config(label: &str, steps: usize) -> TrainConfig {
    TrainConfig {
        dataset: "mnist5k-32".into(),
        steps,
        batch: 2,
        features: 4,
        mapping_width: 8,
        mapping_layers: 1,
        log_every: 1,
        sample_every: 100,
        checkpoint_every: 1,
        out: fresh_temp_dir(label),
        ..TrainConfig::for_model("stylegan2", "ns", "mnist5k-32")
    }
}

/// A logged column of a trainer, a value per step.
fn column(trainer: &Trainer, name: &str) -> Vec<f32> {
    trainer.history.iter().map(|row| row.loss(name).unwrap()).collect()
}

#[test]
fn lazy_regularisation_slows_each_players_adam_by_its_interval() {
    // The official rates: lr * 16/17 for D (R1 every 16 steps), lr * 4/5 for G
    // (the path length every 4); a schedule scales these, not the config's
    // rate (a linear decay from step 0 over 2 steps runs step 1 at half).
    let config = TrainConfig { lr_schedule: "linear-decay:0".into(), ..run_config("stylegan2-rates", 2) };
    let mut trainer = Trainer::new(config).unwrap();
    for factor in [1.0, 0.5] {
        trainer.step();
        let rates = trainer.learning_rates();
        assert_eq!(rates.len(), 2);
        for (player, rate) in rates {
            let c = if player == Player::Discriminator { 16.0 / 17.0 } else { 4.0 / 5.0 };
            let want = 2e-3 * c * factor;
            assert!((rate - want).abs() < 1e-9, "{player:?}: learning rate {rate}, want {want}");
        }
    }
    // The betas to the power c: interval 1 (c = 1/2), betas (0.5, 0.9), two
    // updates of one parameter, against the f64 Adam with betas 0.5^(1/2) and
    // 0.9^(1/2) and rate 0.1 / 2.
    let config = TrainConfig { beta1: 0.5, beta2: 0.9, ..TrainConfig::for_model("stylegan2", "ns", "mnist5k-32") };
    let p = Tensor::from_vec(vec![0.0], &[1]).requires_grad_();
    let mut adam = lazy_optimizer(&config, vec![p.clone()], 0.1, 1);
    let mut reference = common::AdamReference::new(0.05, 0.5f32.sqrt(), 0.9f32.sqrt(), 0.0, 1);
    let mut want = [0.0];
    for (t, g) in [(1, 1.0f64), (2, -3.0)] {
        minimise(adam.as_mut(), &p.mul_scalar(g as f32).sum_all());
        reference.update(&mut want, &[g], t);
    }
    common::assert_close(&p.to_vec(), &want, 1e-6, 1e-5);
}

// ANCHOR: lazy_test
#[test]
fn lazy_regularisation_measures_r1_and_the_path_length_only_on_their_steps_and_resume_keeps_the_target() {
    let mut straight = Trainer::new(run_config("stylegan2-straight", 5)).unwrap();
    straight.run(|_| {}).unwrap();
    // R1 every 16 D steps: measured at step 0 only, so the logged value never
    // changes (the real batches differ every step, so a penalty measured
    // again would). The path length every 4 G steps: at steps 0 and 4.
    let r1 = column(&straight, "r1");
    assert!(r1[0] > 0.0 && r1.iter().all(|&v| v == r1[0]), "{r1:?}");
    let lengths = column(&straight, "path_length");
    assert!(
        lengths[0] > 0.0 && lengths[1..4].iter().all(|&v| v == lengths[0]) && lengths[4] != lengths[0],
        "{lengths:?}"
    );
    let target = column(&straight, "path_length_target");
    assert!((target[0] - PATH_LENGTH_DECAY * lengths[0]).abs() < 1e-6 * lengths[0], "{target:?}");
    assert!(target[1..4].iter().all(|&v| v == target[0]) && target[4] != target[0], "{target:?}");

    // Stopped after 4 steps and resumed: step 4 moves the saved target as the straight run's did.
    let interrupted = run_config("stylegan2-interrupted", 4);
    Trainer::new(interrupted.clone()).unwrap().run(|_| {}).unwrap();
    let changes = ResumeChanges { steps: Some(5), ..ResumeChanges::default() };
    let (mut resumed, _) = Trainer::resume(&interrupted.out.join("checkpoint.safetensors"), &changes).unwrap();
    resumed.run(|_| {}).unwrap();
    assert_eq!(column(&resumed, "path_length_target").last(), target.last());
    assert_eq!(column(&resumed, "g_loss").last(), column(&straight, "g_loss").last());
}
// ANCHOR_END: lazy_test

#[test]
fn the_command_line_trains_stylegan2_and_draws_its_pictures_and_droplet_table() {
    let dir = fresh_temp_dir("stylegan2-cli");
    let small = ["--dataset", "mnist5k-32", "--features", "4", "--mapping-width", "8", "--mapping-layers", "1"];
    let (folder, checkpoint) = tiny_run(&dir, "run", "stylegan2", &small);
    let style = std::path::Path::new(&folder).join("style");
    for name in ["style_mixing.png", "truncation.png", "noise.png", "interpolation_z_w.png", "feature_magnitudes.csv"] {
        assert!(style.join(name).exists(), "no {name}");
    }
    let table = std::fs::read_to_string(style.join("feature_magnitudes.csv")).unwrap();
    assert_eq!(table.lines().count(), 1 + 8, "a header and a row per style layer:\n{table}");
    let out = dir.join("truncated.png").to_string_lossy().into_owned();
    let (ok, text) =
        ganforge(&["sample", "--checkpoint", &checkpoint, "--n", "4", "--truncation", "0.5", "--out", &out]);
    assert!(ok && text.contains("psi 0.5"), "{text}");
    let (ok, text) = ganforge(&["sample", "--checkpoint", &checkpoint, "--feature-magnitudes"]);
    assert!(ok && text.contains("without demodulation") && text.lines().count() == 2 + 8, "{text}");

    let (ok, text) = ganforge(&["train", "--model", "dcgan", "--path-length-weight", "1", "--out", &folder]);
    assert!(!ok && text.contains("--path-length-weight is an option of the stylegan2 model"), "{text}");
    let (ok, text) = ganforge(&["train", "--model", "stylegan2", "--path-length-weight", "-1", "--out", &folder]);
    assert!(!ok && text.contains("path_length_weight = -1"), "{text}");
}

#[test]
fn stylegan2_trains_on_a_folder_of_colour_pictures_at_32x32() {
    let dir = fresh_temp_dir("stylegan2-folder");
    // The committed avatars are 64x32 label|picture pairs: the loader scales
    // and centre-crops them to 32x32 colour pictures, which is all this needs.
    let small = ["--dataset", "folder:data/avatars32/train", "--features", "4", "--mapping-width", "8"];
    let (folder, _) = tiny_run(&dir, "run", "stylegan2", &[&small[..], &["--mapping-layers", "1"]].concat());
    let mixing = image::open(std::path::Path::new(&folder).join("style/style_mixing.png")).unwrap().to_rgb8();
    assert!(
        mixing.pixels().any(|p| p[0] != p[1] || p[1] != p[2]),
        "the style-mixing figure is grey: no colour reached it"
    );
}

#[test]
fn stylegan2_builds_its_nets_at_the_folder_image_size_asked_for() {
    let dir = fresh_temp_dir("stylegan2-image-size");
    let small = ["--features", "4", "--mapping-width", "8", "--mapping-layers", "1"];
    let folder = ["--dataset", "folder:data/avatars32/train"];
    let (_, checkpoint) = tiny_run(&dir, "run", "stylegan2", &[&small[..], &folder, &["--image-size", "8"]].concat());
    let (_, shape) = checkpoint_shape(std::path::Path::new(&checkpoint)).unwrap();
    assert_eq!(shape.item_shape, [3, 8, 8], "--image-size 8 should read the pictures at 8x8");

    let out = dir.join("refused").to_string_lossy().into_owned();
    let (ok, text) = ganforge(&["train", "--model", "stylegan2", "--image-size", "12", "--out", &out]);
    assert!(!ok && text.contains("image_size = 12") && text.contains("folder:<dir>"), "{text}");
    let (ok, text) =
        ganforge(&[&["train", "--model", "stylegan2", "--image-size", "12", "--out", &out][..], &folder].concat());
    assert!(!ok && text.contains("the data's are 12x12") && text.contains("--image-size"), "{text}");
}

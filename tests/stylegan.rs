//! StyleGAN: the mapping and synthesis networks' shapes, style mixing's
//! per-layer routing (by gradients), the truncation trick's ends, the
//! tracked mean of w, the noise scale's gradient, `--model stylegan` trained
//! and resumed with its w average, the pictures from the command line, and
//! StyleGAN2's modulated convolution against per-sample weights.

mod common;

use common::{fresh_temp_dir, ganforge, tensor, tiny_run};
use ganforge::explore::style::{bands, fixed_noise};
use ganforge::gan::family::Sampler;
use ganforge::gan::nets::mapping::MappingNetwork;
use ganforge::gan::nets::modulated::modulated_conv2d;
use ganforge::gan::nets::style::{mixed, repeated, StyleGenerator, StyleShape, W_AVG_DECAY};
use ganforge::gan::trainer::ResumeChanges;
use ganforge::gan::{TrainConfig, Trainer};
use ganforge::nn::Module;
use ganforge::{grad, no_grad, Tensor};
use rand::{rngs::StdRng, SeedableRng};

/// An 8x8 generator: 4 style layers (4x4, 4x4, 8x8, 8x8), 4 maps, w of 6 values.
fn tiny_generator() -> StyleGenerator {
    StyleGenerator::new(StyleShape { image_size: 8, channels: 1, features: 4, width: 6, mapping_layers: 2 }, 3)
}

/// Gives every noise scale a value, so the noise reaches the images.
fn with_noise_scales(generator: &StyleGenerator) {
    for layer in generator.synthesis().layers() {
        let c = layer.noise_scale().numel();
        layer.noise_scale().write_(&vec![0.3; c]);
    }
}

fn max_abs(values: &[f32]) -> f32 {
    values.iter().fold(0.0, |m, v| m.max(v.abs()))
}

#[test]
fn the_mapping_and_synthesis_networks_give_the_shapes_of_w_and_of_images() {
    let mapping = MappingNetwork::new(6, 3, &mut StdRng::seed_from_u64(1));
    assert_eq!(mapping.forward(&Tensor::randn(&[5, 6], 2)).shape(), [5, 6]);
    assert_eq!(mapping.parameters().len(), 6, "three layers of weight and bias");
    let generator = tiny_generator();
    assert_eq!(generator.layer_count(), 4);
    let z = Tensor::randn(&[3, 6], 4);
    assert_eq!(generator.map(&z).shape(), [3, 6]);
    assert_eq!(generator.generate(&z, None).shape(), [3, 1, 8, 8]);
    let large = StyleShape { image_size: 32, channels: 3, features: 8, width: 4, mapping_layers: 1 };
    let large: StyleGenerator = StyleGenerator::new(large, 1);
    assert_eq!(large.layer_count(), 8);
    assert_eq!(large.generate(&Tensor::randn(&[2, 4], 1), None).shape(), [2, 3, 32, 32]);
    let names: Vec<(&str, Vec<usize>)> =
        bands(8).iter().map(|(name, range)| (*name, range.clone().collect())).collect();
    assert_eq!(names, [("coarse", vec![0, 1, 2, 3]), ("middle", vec![4, 5]), ("fine", vec![6, 7])]);
}

// ANCHOR: mixing_test
#[test]
fn with_style_mixing_the_layers_from_the_crossover_on_see_only_the_second_w() {
    // Give each layer a leaf of its own (u_i, valued w1 before the crossover
    // and w2 from it): the gradient of the mixed images with respect to w1
    // must be the sum of the coarse layers' gradients alone, and w2's the sum
    // of the fine layers', while every layer's own gradient is nonzero.
    let generator = tiny_generator();
    with_noise_scales(&generator);
    let (w1, w2) = (Tensor::randn(&[2, 6], 5).requires_grad_(), Tensor::randn(&[2, 6], 6).requires_grad_());
    let noise = fixed_noise(&generator, 2, 7);
    let weights = Tensor::randn(&[2, 1, 8, 8], 8); // a fixed random readout of the images
    let readout = |ws: &[Tensor]| generator.synthesize(ws, Some(&noise)).mul(&weights).sum_all();
    let crossover = 2;
    let mixed_grads = grad(&[&readout(&mixed(&w1, &w2, crossover, 4))], &[&w1, &w2], false);
    let leaves: Vec<Tensor> =
        (0..4).map(|i| if i < crossover { &w1 } else { &w2 }).map(|w| w.detach().copy().requires_grad_()).collect();
    let per_layer = grad(&[&readout(&leaves)], &leaves.iter().collect::<Vec<_>>(), false);
    for (i, g) in per_layer.iter().enumerate() {
        assert!(max_abs(&g.to_vec()) > 1e-4, "layer {i}'s style has no effect");
    }
    let sum = |range: std::ops::Range<usize>| {
        let mut total = vec![0.0f32; 12];
        for g in &per_layer[range] {
            total.iter_mut().zip(g.to_vec()).for_each(|(t, v)| *t += v);
        }
        total
    };
    for (got, want) in [(&mixed_grads[0], sum(0..crossover)), (&mixed_grads[1], sum(crossover..4))] {
        for (g, w) in got.to_vec().iter().zip(&want) {
            assert!((g - w).abs() <= 1e-5 + 1e-4 * w.abs(), "{g} against {w}");
        }
    }
}
// ANCHOR_END: mixing_test

#[test]
fn truncation_at_psi_0_gives_the_mean_w_for_every_z_and_at_psi_1_gives_w() {
    let generator = tiny_generator();
    // w_avg moves (1 - 0.995) of the way to the batch mean of w per update.
    let first = Tensor::randn(&[4, 6], 1);
    generator.track_average(&first);
    let mean: Vec<f32> = (0..6).map(|j| (0..4).map(|i| first.to_vec()[i * 6 + j]).sum::<f32>() / 4.0).collect();
    for (got, m) in generator.w_avg().to_vec().iter().zip(&mean) {
        assert!((got - (1.0 - W_AVG_DECAY) * m).abs() < 1e-6, "{got} against {}", (1.0 - W_AVG_DECAY) * m);
    }
    generator.track_average(&Tensor::randn(&[4, 6], 2));
    let w_avg = generator.w_avg().to_vec();
    assert!(max_abs(&w_avg) > 1e-4);
    let w = generator.map(&Tensor::randn(&[3, 6], 3));
    for row in generator.truncate(&w, 0.0).to_vec().chunks(6) {
        for (got, want) in row.iter().zip(&w_avg) {
            assert!((got - want).abs() < 1e-6, "{got} against {want}");
        }
    }
    for (got, want) in generator.truncate(&w, 1.0).to_vec().iter().zip(w.to_vec()) {
        assert!((got - want).abs() < 1e-6, "{got} against {want}");
    }
    // With the noise held fixed, every z draws the same image at psi 0.
    let images = no_grad(|| {
        let ws = repeated(&generator.truncate(&w, 0.0), 4);
        generator.synthesize(&ws, Some(&fixed_noise(&generator, 3, 4))).to_vec()
    });
    let (first, rest) = images.split_at(64);
    for image in rest.chunks(64) {
        assert_eq!(image, first);
    }
}

#[test]
fn the_noise_scale_gets_the_gradient_finite_differences_give_even_at_its_initial_zero() {
    let generator = tiny_generator();
    let z = Tensor::randn(&[2, 6], 1);
    let noise = fixed_noise(&generator, 2, 2);
    let readout_weights = Tensor::randn(&[2, 1, 8, 8], 3);
    let readout = || {
        let ws = repeated(&generator.map(&z), 4);
        generator.synthesize(&ws, Some(&noise)).mul(&readout_weights).sum_all()
    };
    let scale = generator.synthesis().layers()[2].noise_scale();
    assert_eq!(scale.to_vec(), [0.0; 4], "the noise scales start at zero");
    let analytic = grad(&[&readout()], &[scale], false).remove(0).to_vec();
    assert!(max_abs(&analytic) > 1e-3, "no gradient reaches the noise scale: {analytic:?}");
    let h = 1e-3;
    for channel in 0..4 {
        let at = |value: f32| {
            let mut values = vec![0.0; 4];
            values[channel] = value;
            scale.write_(&values);
            no_grad(readout).item()
        };
        let numeric = (at(h) - at(-h)) / (2.0 * h);
        scale.write_(&[0.0; 4]);
        let want = analytic[channel];
        assert!((numeric - want).abs() <= 2e-2 * want.abs().max(1.0), "channel {channel}: {numeric} against {want}");
    }
}

fn run_config(label: &str, steps: usize) -> TrainConfig {
    let out = fresh_temp_dir(label);
    TrainConfig {
        dataset: "mnist5k-32".into(),
        steps,
        batch: 4,
        features: 8,
        mapping_width: 8,
        mapping_layers: 2,
        style_mixing: 0.5,
        log_every: 1,
        sample_every: 100,
        checkpoint_every: 1,
        out,
        ..TrainConfig::for_model("stylegan", "ns", "mnist5k-32")
    }
}

/// The tracked mean of w of a trainer's generator (and of its EMA copy, which carries it).
fn w_avg_of(trainer: &Trainer) -> Vec<f32> {
    let buffers = trainer.family().sampler().generator().named_buffers();
    buffers.into_iter().find(|(name, _)| name == "w_avg").expect("a w_avg buffer").1.to_vec()
}

#[test]
fn a_resumed_run_keeps_its_w_average_and_continues_as_the_straight_run() {
    let mut straight = Trainer::new(run_config("stylegan-straight", 3)).unwrap();
    straight.run(|_| {}).unwrap();
    let interrupted = run_config("stylegan-interrupted", 2);
    let mut first = Trainer::new(interrupted.clone()).unwrap();
    first.run(|_| {}).unwrap();
    let saved = w_avg_of(&first);
    assert!(max_abs(&saved) > 0.0, "the w average never moved");
    let changes = ResumeChanges { steps: Some(3), ..ResumeChanges::default() };
    let (mut resumed, _) = Trainer::resume(&interrupted.out.join("checkpoint.safetensors"), &changes).unwrap();
    assert_eq!(w_avg_of(&resumed), saved);
    resumed.run(|_| {}).unwrap();
    assert_eq!(w_avg_of(&resumed), w_avg_of(&straight));
    let logged = |t: &Trainer| -> Vec<f32> { t.history.iter().map(|r| r.loss("g_loss").unwrap()).collect() };
    assert_eq!(logged(&resumed), logged(&straight));
    assert!(straight.history.iter().all(|r| r.loss("r1").unwrap() >= 0.0));
}

#[test]
fn the_command_line_trains_stylegan_and_draws_its_pictures() {
    let dir = fresh_temp_dir("stylegan-cli");
    let small = ["--dataset", "mnist5k-32", "--features", "8", "--mapping-width", "8", "--mapping-layers", "2"];
    let (folder, checkpoint) = tiny_run(&dir, "run", "stylegan", &small);
    for name in ["style_mixing.png", "truncation.png", "noise.png", "interpolation_z_w.png"] {
        assert!(std::path::Path::new(&folder).join("style").join(name).exists(), "no {name}");
    }
    let out = dir.join("truncated.png").to_string_lossy().into_owned();
    let pictures = dir.join("pictures").to_string_lossy().into_owned();
    let args =
        ["sample", "--checkpoint", &checkpoint, "--n", "4", "--truncation", "0.5", "--out", &out, "--style-pictures"];
    let (ok, text) = ganforge(&[&args[..], &[pictures.as_str()]].concat());
    assert!(ok && text.contains("psi 0.5"), "{text}");
    assert!(dir.join("truncated.png").exists() && dir.join("pictures/noise.png").exists());
    let (ok, text) = ganforge(&["sample", "--checkpoint", &checkpoint, "--feature-magnitudes"]);
    assert!(ok && text.contains("before AdaIN") && text.lines().count() == 2 + 8, "{text}");

    let (ok, text) = ganforge(&["train", "--model", "dcgan", "--style-mixing", "0.5", "--out", &folder]);
    assert!(!ok && text.contains("--style-mixing is an option of the stylegan model"), "{text}");
    let (ok, text) = ganforge(&["sample", "--checkpoint", &checkpoint, "--truncation", "nan"]);
    assert!(!ok && text.contains("finite psi"), "{text}");
    let (ok, text) = ganforge(&["train", "--model", "stylegan", "--dataset", "mnist5k", "--out", &folder]);
    assert!(!ok && text.contains("mnist5k-32"), "{text}");
}

/// StyleGAN2's modulated convolution by the paper's definition: per-sample
/// weights w[o, c, k] s[n, c], each output channel's scaled to unit norm
/// when demodulating, then a plain "same" convolution of each sample.
fn modulated_reference(x: &[f32], s: &[f32], w: &[f32], dims: [usize; 6], demodulate: bool) -> Vec<f64> {
    let [n, c, h, width, o, k] = dims;
    let pad = k as isize / 2;
    let mut out = vec![0.0f64; n * o * h * width];
    for sample in 0..n {
        for out_c in 0..o {
            let tap = |in_c: usize, ky: usize, kx: usize| {
                f64::from(w[((out_c * c + in_c) * k + ky) * k + kx]) * f64::from(s[sample * c + in_c])
            };
            let mut norm = 0.0;
            for in_c in 0..c {
                for ky in 0..k {
                    for kx in 0..k {
                        norm += tap(in_c, ky, kx).powi(2);
                    }
                }
            }
            let scale = if demodulate { 1.0 / (norm + 1e-8).sqrt() } else { 1.0 };
            for y in 0..h {
                for xx in 0..width {
                    let mut sum = 0.0;
                    for in_c in 0..c {
                        for ky in 0..k {
                            for kx in 0..k {
                                let (iy, ix) = (y as isize + ky as isize - pad, xx as isize + kx as isize - pad);
                                if iy < 0 || ix < 0 || iy >= h as isize || ix >= width as isize {
                                    continue;
                                }
                                let value = x[((sample * c + in_c) * h + iy as usize) * width + ix as usize];
                                sum += tap(in_c, ky, kx) * scale * f64::from(value);
                            }
                        }
                    }
                    out[((sample * o + out_c) * h + y) * width + xx] = sum;
                }
            }
        }
    }
    out
}

#[test]
fn modulated_convolution_matches_explicit_per_sample_weights_and_demodulates_to_unit_norm() {
    // Awkward shapes: 2 samples, 3 -> 5 channels, a 5x4 image, 3x3 and 1x1 kernels.
    for (k, seed) in [(3, 1), (1, 2)] {
        let dims = [2, 3, 5, 4, 5, k];
        let x = tensor(&[2, 3, 5, 4], -1.0, 1.0, seed);
        let s = tensor(&[2, 3], 0.2, 2.0, seed + 10);
        let w = tensor(&[5, 3, k, k], -1.0, 1.0, seed + 20);
        for demodulate in [false, true] {
            let got = modulated_conv2d(&x, &s, &w, demodulate).to_vec();
            let want = modulated_reference(&x.to_vec(), &s.to_vec(), &w.to_vec(), dims, demodulate);
            common::assert_close(&got, &want, 1e-4, 1e-4);
        }
    }
    // Demodulated, a 1x1 convolution of a one-hot input picks a weight column of
    // unit norm: with input channel j lit, sum over o of y^2 over all j equals O.
    let (c, o) = (3, 4);
    let w = tensor(&[o, c, 1, 1], -1.0, 1.0, 5);
    let s = tensor(&[1, c], 0.5, 1.5, 6);
    let mut total = 0.0;
    for j in 0..c {
        let mut one_hot = vec![0.0; c];
        one_hot[j] = 1.0;
        let y = modulated_conv2d(&Tensor::from_vec(one_hot, &[1, c, 1, 1]), &s, &w, true).to_vec();
        total += y.iter().map(|v| v * v).sum::<f32>();
    }
    assert!((total - o as f32).abs() < 1e-4, "each output channel's demodulated weights have norm 1: {total}");
}

#[test]
fn modulated_convolution_passes_gradcheck() {
    let x = tensor(&[2, 2, 3, 4], -1.0, 1.0, 1);
    let s = tensor(&[2, 2], 0.5, 1.5, 2);
    let w = tensor(&[3, 2, 3, 3], -1.0, 1.0, 3);
    for demodulate in [false, true] {
        common::check(
            "modulated_conv2d",
            |t| modulated_conv2d(&t[0], &t[1], &t[2], demodulate),
            &[x.clone(), s.clone(), w.clone()],
        );
    }
}

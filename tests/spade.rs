//! SPADE: the layer against a hand composition of the same ops, the label map
//! acting only through gamma and beta, its gradients, the nearest resize and
//! the palette one-hot against plain-Rust references, the generator's and the
//! two-scale discriminator's shapes, `ganforge data dicebear` on a tiny
//! fixture, and two-step command-line runs.

mod common;

use common::{assert_close, fresh_temp_dir, ganforge, tiny_run};
use ganforge::data::avatars::{nearest_class, one_hot, CLASSES, MATCH_DISTANCE, PARTS};
use ganforge::data::byte_to_signed_unit;
use ganforge::gan::nets::multiscale::MultiscaleDiscriminator;
use ganforge::gan::nets::spade_generator::{SpadeGenerator, LATENT};
use ganforge::gradcheck::gradcheck;
use ganforge::nn::{nearest_downsample, with_substitutes, BatchNorm, Layer, Module, Spade};
use ganforge::ops::conv::{conv2d, Conv2dOptions};
use ganforge::Tensor;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::path::Path;

/// The parameter of `module` named `name`.
fn parameter(module: &dyn Module, name: &str) -> Tensor {
    let found = module.named_parameters().into_iter().find(|(n, _)| n == name);
    found.unwrap_or_else(|| panic!("no parameter {name}")).1
}

/// Nearest downsampling in plain Rust: output (i, j) = input (f i, g j).
fn reference_downsample(values: &[f32], [n, k, h, w]: [usize; 4], [height, width]: [usize; 2]) -> Vec<f64> {
    let (f, g) = (h / height, w / width);
    let mut out = Vec::new();
    for plane in 0..n * k {
        for i in 0..height {
            for j in 0..width {
                out.push(f64::from(values[plane * h * w + f * i * w + g * j]));
            }
        }
    }
    out
}

#[test]
fn nearest_downsample_keeps_the_top_left_pixel_of_each_block() {
    // 6x9 to 3x3: blocks of 2 rows and 3 columns.
    let maps = common::tensor(&[2, 3, 6, 9], -1.0, 1.0, 1);
    let got = nearest_downsample(&maps, [3, 3]);
    assert_eq!(got.shape(), &[2, 3, 3, 3]);
    assert_close(&got.to_vec(), &reference_downsample(&maps.to_vec(), [2, 3, 6, 9], [3, 3]), 0.0, 0.0);
}

#[test]
fn spade_layer_is_normalisation_times_one_plus_gamma_plus_beta() {
    let spade = Spade::new(3, 4, 5, &mut StdRng::seed_from_u64(1));
    let x = common::tensor(&[2, 3, 4, 4], -2.0, 3.0, 2);
    let labels = common::tensor(&[2, 4, 8, 8], 0.0, 1.0, 3);
    let got = spade.forward(&x, &labels).to_vec();

    // The same computation written out: batch norm without affine, the label
    // map resized (plain Rust), a 3x3 convolution and ReLU, two 3x3 convolutions.
    let (normalized, _) = x.batch_norm_train(None, None, 1e-5);
    let resized = Tensor::from_vec(
        reference_downsample(&labels.to_vec(), [2, 4, 8, 8], [4, 4]).into_iter().map(|v| v as f32).collect(),
        &[2, 4, 4, 4],
    );
    let same = Conv2dOptions { padding: (1, 1), ..Conv2dOptions::default() };
    let conv = |input: &Tensor, name: &str| {
        let (w, b) = (parameter(&spade, &format!("{name}.weight")), parameter(&spade, &format!("{name}.bias")));
        conv2d(input, &w, Some(&b), same)
    };
    let hidden = conv(&resized, "mlp_shared").relu();
    let (gamma, beta) = (conv(&hidden, "mlp_gamma"), conv(&hidden, "mlp_beta"));
    let want = normalized.mul(&gamma.add_scalar(1.0)).add(&beta).to_vec();
    assert_close(&got, &want.iter().map(|&v| f64::from(v)).collect::<Vec<_>>(), 1e-5, 1e-4);
}

#[test]
fn the_label_map_acts_only_through_gamma_and_beta() {
    let spade = Spade::new(3, 4, 5, &mut StdRng::seed_from_u64(4));
    let x = common::tensor(&[2, 3, 4, 4], -2.0, 3.0, 5);
    let (one_map, other_map) = (common::tensor(&[2, 4, 4, 4], 0.0, 1.0, 6), common::tensor(&[2, 4, 4, 4], 0.0, 1.0, 7));
    // With its convolutions as initialised, the label map changes the output...
    let (a, b) = (spade.forward(&x, &one_map).to_vec(), spade.forward(&x, &other_map).to_vec());
    assert!(a.iter().zip(&b).any(|(a, b)| (a - b).abs() > 1e-3), "two label maps gave one output");
    // ...and with gamma's and beta's convolutions zeroed it is plain normalisation, whatever the map.
    for name in ["mlp_gamma.weight", "mlp_gamma.bias", "mlp_beta.weight", "mlp_beta.bias"] {
        let p = parameter(&spade, name);
        p.assign_(&p.zeros_like());
    }
    let plain: Vec<f64> = BatchNorm::without_affine(3).forward(&x).to_vec().into_iter().map(f64::from).collect();
    assert_close(&spade.forward(&x, &one_map).to_vec(), &plain, 1e-6, 0.0);
    assert_close(&spade.forward(&x, &other_map).to_vec(), &plain, 1e-6, 0.0);
}

#[test]
fn spade_gradients_match_finite_differences() {
    // In x and the three convolutions' weights (read through substitutes),
    // with a label map twice the input's size. The label map is data (one-hot
    // in training, no gradient wanted), and finite differences in it would
    // step across the ReLU's kink too often. For the same reason the shared
    // convolution's bias is set to 3, which keeps every unit of its ReLU on
    // (its weights are at most 0.2, the labels in [0, 1), 27 of them a unit).
    let spade = Spade::new(2, 3, 4, &mut StdRng::seed_from_u64(8));
    let shared_bias = parameter(&spade, "mlp_shared.bias");
    shared_bias.assign_(&shared_bias.ones_like().mul_scalar(3.0));
    let names = ["mlp_shared.weight", "mlp_gamma.weight", "mlp_beta.weight"];
    let weights: Vec<Tensor> = names.iter().map(|n| parameter(&spade, n)).collect();
    let labels = common::tensor(&[2, 3, 6, 6], 0.0, 1.0, 10);
    let mut inputs = vec![common::tensor(&[2, 2, 3, 3], -2.0, 2.0, 9)];
    inputs.extend(weights.iter().map(|w| w.detach()));
    let result = gradcheck(|t| with_substitutes(&weights, &t[1..], || spade.forward(&t[0], &labels)), &inputs);
    if let Err(e) = result {
        panic!("SPADE: {e}");
    }
}

#[test]
fn one_hot_gives_each_palette_colour_its_class_and_other_colours_none() {
    // The palette's colours lie far enough apart that MATCH_DISTANCE picks one at most.
    for (i, (_, a)) in PARTS.iter().enumerate() {
        for (_, b) in &PARTS[i + 1..] {
            let distance: f32 =
                a.iter().zip(b).map(|(&a, &b)| (byte_to_signed_unit(a) - byte_to_signed_unit(b)).abs()).sum();
            assert!(distance > 2.0 * MATCH_DISTANCE, "{a:?} and {b:?} lie {distance} apart");
        }
    }
    // Pixels: every palette colour, then one colour in none (mid grey-green).
    let mut colours: Vec<[u8; 3]> = PARTS.iter().map(|(_, rgb)| *rgb).collect();
    colours.push([0x20, 0xc0, 0x60]);
    let pixels = colours.len();
    let values: Vec<f32> = (0..3).flat_map(|c| colours.iter().map(move |rgb| byte_to_signed_unit(rgb[c]))).collect();
    let got = one_hot(&Tensor::from_vec(values, &[1, 3, 1, pixels])).to_vec(); // [1, CLASSES, 1, pixels]
    for pixel in 0..pixels {
        let hot: Vec<usize> = (0..CLASSES).filter(|&k| got[k * pixels + pixel] == 1.0).collect();
        let want: Vec<usize> = if pixel < CLASSES { vec![pixel] } else { vec![] };
        assert_eq!(hot, want, "pixel {pixel} of colour {:?}", colours[pixel]);
        assert!((0..CLASSES).all(|k| [0.0, 1.0].contains(&got[k * pixels + pixel])));
    }
    assert_eq!(nearest_class([0xfe, 0x8d, 0x01]), 1, "a colour next to the face's is the face");
}

#[test]
fn the_generator_makes_pictures_of_the_label_maps_size_and_refuses_other_sides() {
    let generator = SpadeGenerator::new(32, 2, &mut StdRng::seed_from_u64(11)).unwrap();
    let z = Tensor::randn(&[2, LATENT], 12);
    let labels = one_hot(&common::tensor(&[2, 3, 32, 32], -1.0, 1.0, 13));
    let output = generator.forward(&z, &labels);
    assert_eq!(output.shape(), &[2, 3, 32, 32]);
    assert!(output.to_vec().iter().all(|v| v.abs() <= 1.0), "tanh output leaves [-1, 1]");
    for side in [16, 48] {
        let Err(message) = SpadeGenerator::new(side, 2, &mut StdRng::seed_from_u64(11)) else {
            panic!("a {side}x{side} generator was built")
        };
        assert!(message.contains("power of two") && message.contains(&format!("{side}x{side}")), "{message}");
    }
}

#[test]
fn the_discriminator_judges_the_full_and_the_half_size_and_returns_every_layer() {
    let discriminator = MultiscaleDiscriminator::new(13, 2, 2, &mut StdRng::seed_from_u64(14));
    let outputs = discriminator.forward(&common::tensor(&[1, 13, 32, 32], -1.0, 1.0, 15));
    let shapes: Vec<Vec<Vec<usize>>> =
        outputs.iter().map(|layers| layers.iter().map(|t| t.shape().to_vec()).collect()).collect();
    // Kernel 4: strides 2, 2 (padding 1) halve the side, strides 1 shrink it by one.
    let full = vec![vec![1, 2, 16, 16], vec![1, 4, 8, 8], vec![1, 8, 7, 7], vec![1, 1, 6, 6]];
    let half = vec![vec![1, 2, 8, 8], vec![1, 4, 4, 4], vec![1, 8, 3, 3], vec![1, 1, 2, 2]];
    assert_eq!(shapes, vec![full, half]);
}

/// A tiny avatar pair: the image a red square on white at (x, y), 4 of 16
/// cells wide; the label map the same square in the face's colour and a
/// 2-cell hair strip above it.
fn write_fixture(dir: &Path, name: &str, x: usize, y: usize) {
    let svg = |body: String| {
        format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16" shape-rendering="crispEdges">{body}</svg>"#
        )
    };
    let image = svg(format!(r##"<rect x="{x}" y="{y}" width="4" height="4" fill="#c03020"/>"##));
    let labels = svg(format!(
        r##"<rect x="{x}" y="{y}" width="4" height="4" fill="#ff8c00"/><rect x="{x}" y="{}" width="4" height="2" fill="#8b4513"/>"##,
        y - 2
    ));
    std::fs::write(dir.join(format!("{name}.image.svg")), image).unwrap();
    std::fs::write(dir.join(format!("{name}.labels.svg")), labels).unwrap();
}

#[test]
fn data_dicebear_renders_label_and_image_side_by_side_in_the_palette() {
    let dir = fresh_temp_dir("spade-data");
    let svgs = dir.join("svgs");
    std::fs::create_dir_all(&svgs).unwrap();
    for (i, (x, y)) in [(2, 4), (6, 8), (10, 10), (4, 2), (8, 6)].into_iter().enumerate() {
        write_fixture(&svgs, &format!("avatar-{i:05}"), x, y);
    }
    let out = dir.join("out");
    let (ok, text) =
        ganforge(&["data", "dicebear", svgs.to_str().unwrap(), "--size", "16", "--out", out.to_str().unwrap()]);
    assert!(ok, "{text}");
    let pictures: Vec<_> = ["train", "test"]
        .iter()
        .flat_map(|split| std::fs::read_dir(out.join(split)).into_iter().flatten())
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(pictures.len(), 5, "{text}");
    // avatar-00000: square at cells (2, 4), 1 pixel a cell at size 16.
    let path = pictures.iter().find(|p| p.ends_with("avatar-00000.png")).expect("avatar-00000 written");
    let pair = image::open(path).unwrap().to_rgb8();
    assert_eq!(pair.dimensions(), (32, 16));
    let class_at = |x: u32, y: u32| nearest_class(pair.get_pixel(x, y).0);
    assert!(pair.pixels().take(16).all(|p| PARTS.iter().any(|(_, rgb)| *rgb == p.0)), "left half off the palette");
    assert_eq!((class_at(3, 5), class_at(3, 2), class_at(12, 12)), (1, 8, 0), "face, hair, background");
    assert_eq!(pair.get_pixel(16 + 3, 5).0, [0xc0, 0x30, 0x20], "the image half");

    let (ok, text) =
        ganforge(&["data", "dicebear", svgs.to_str().unwrap(), "--size", "16", "--out", out.to_str().unwrap()]);
    assert!(!ok && text.contains("already holds files"), "{text}");
    std::fs::remove_file(svgs.join("avatar-00001.labels.svg")).unwrap();
    let fresh = dir.join("fresh").to_string_lossy().into_owned();
    let (ok, text) = ganforge(&["data", "dicebear", svgs.to_str().unwrap(), "--size", "16", "--out", &fresh]);
    assert!(!ok && text.contains("avatar-00001.labels.svg"), "{text}");
    assert!(!Path::new(&fresh).exists(), "a refused render wrote pictures");
    let (ok, text) = ganforge(&["data", "dicebear", dir.join("out").to_str().unwrap(), "--out", &fresh]);
    assert!(!ok && text.contains("make_avatars.mjs"), "{text}");
}

#[test]
fn two_steps_train_on_the_committed_avatars_and_report_the_held_out_scores() {
    let dir = fresh_temp_dir("spade-run");
    let extra = ["--dataset", "pairs:data/avatars32", "--sample-every", "2", "--features", "4"];
    let (folder, checkpoint) = tiny_run(&dir, "spade", "spade", &extra);
    let log = std::fs::read_to_string(format!("{folder}/log.csv")).unwrap();
    let header = log.lines().next().unwrap();
    for column in ["d_loss", "g_hinge", "feature_matching"] {
        assert!(header.contains(column), "log header {header:?} lacks {column}");
    }
    assert!(Path::new(&checkpoint).exists());
    let samples = std::fs::read_dir(format!("{folder}/samples")).unwrap().count();
    assert!(samples > 0, "no picture written");
    // The sampler translates palette label maps (the committed test pairs).
    let out = dir.join("translated.png").to_string_lossy().into_owned();
    let (ok, text) =
        ganforge(&["sample", "--checkpoint", &checkpoint, "--input", "data/avatars32/test", "--n", "4", "--out", &out]);
    assert!(ok && Path::new(&out).exists(), "{text}");
    let (ok, text) = ganforge(&["eval", "--checkpoint", &checkpoint]);
    for score in ["background kept white", "part colour gap", "spread of part colours", "change when z is redrawn"] {
        assert!(ok && text.contains(score), "no {score:?} in:\n{text}");
    }
}

#[test]
fn spade_refuses_pairs_whose_left_halves_are_not_label_maps() {
    let dir = fresh_temp_dir("spade-refuse");
    let out = dir.join("run").to_string_lossy().into_owned();
    let args = ["train", "--model", "spade", "--steps", "1", "--batch", "2", "--out", &out];
    let (ok, text) = ganforge(&[&args[..], &["--dataset", "pairs:data/emoji32/pairs"]].concat());
    assert!(!ok && text.contains("label palette"), "{text}");
    let (ok, text) = ganforge(&[&args[..], &["--dataset", "mnist5k"]].concat());
    assert!(!ok && text.contains("pairs:<dir>"), "{text}");
    let (ok, text) = ganforge(&["train", "--model", "dcgan", "--fm-weight", "3", "--out", &out]);
    assert!(!ok && text.contains("--fm-weight is a spade option"), "{text}");
}

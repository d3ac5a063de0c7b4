//! pix2pix: the U-Net's shapes and test-time noise, the PatchGAN's receptive
//! field checked against gradients, the paired and unpaired loaders on
//! synthetic layouts (and their errors), and a two-step command-line run.

mod common;

use common::{fresh_temp_dir, ganforge, tiny_run};
use ganforge::data::byte_to_signed_unit;
use ganforge::data::dataset::open;
use ganforge::gan::family::Sampler;
use ganforge::gan::nets::patchgan::{PatchGan, RECEPTIVE_FIELDS};
use ganforge::gan::nets::resnet::ResnetGenerator;
use ganforge::gan::nets::unet::{depth, UNet};
use ganforge::gan::nets::Translator;
use ganforge::nn::Module;
use image::RgbImage;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::path::Path;

/// The byte of channel `c` at (x, y) of synthetic picture `index`: distinct
/// across pictures, channels and columns, so a value says where it came from.
fn byte(index: usize, c: usize, x: usize, y: usize) -> u8 {
    (index * 60 + c * 20 + x * 2 + y) as u8
}

/// Writes `count` synthetic pictures of width x height into `dir`.
fn write_pictures(dir: &Path, count: usize, width: usize, height: usize) {
    std::fs::create_dir_all(dir).unwrap();
    for index in 0..count {
        let picture = RgbImage::from_fn(width as u32, height as u32, |x, y| {
            image::Rgb(std::array::from_fn(|c| byte(index, c, x as usize, y as usize)))
        });
        picture.save(dir.join(format!("{index:03}.png"))).unwrap();
    }
}

fn open_error(spec: &str) -> String {
    match open(spec, 28, 1, 0) {
        Ok(_) => panic!("{spec} opened, but it should have been refused"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn unet_skips_join_maps_of_equal_size_and_the_output_has_the_input_shape() {
    let net = UNet::new([3, 8, 8], 4, 0, &mut StdRng::seed_from_u64(1)).unwrap();
    let x = common::tensor(&[2, 3, 8, 8], -1.0, 1.0, 2);
    let maps: Vec<Vec<usize>> = net.encode(&x).iter().map(|m| m.shape().to_vec()).collect();
    // 8 -> 4 -> 2 -> 1 with widths base, 2 base, 4 base.
    assert_eq!(maps, vec![vec![2, 4, 4, 4], vec![2, 8, 2, 2], vec![2, 16, 1, 1]]);
    let y = net.forward(&x);
    assert_eq!(y.shape(), &[2, 3, 8, 8]);
    assert!(y.to_vec().iter().all(|v| v.abs() <= 1.0), "tanh output leaves [-1, 1]");
}

#[test]
fn unet_refuses_sizes_that_do_not_halve_down_to_one_pixel() {
    for (height, width) in [(6, 6), (12, 12), (8, 4), (2, 2)] {
        let message = depth(height, width).unwrap_err();
        assert!(message.contains("power of two") && message.contains(&format!("{height}x{width}")), "{message}");
    }
    assert_eq!(depth(32, 32), Ok(5));
    let Err(message) = UNet::new([3, 12, 12], 4, 0, &mut StdRng::seed_from_u64(1)) else {
        panic!("a 12x12 U-Net was built")
    };
    assert!(message.contains("12x12"), "{message}");
}

#[test]
fn resnet_generator_keeps_the_shape_and_refuses_sides_it_cannot_halve_twice() {
    let net = ResnetGenerator::new([3, 8, 8], 2, &mut StdRng::seed_from_u64(1)).unwrap();
    let x = common::tensor(&[2, 3, 8, 8], -1.0, 1.0, 2);
    assert_eq!(net.forward(&x).shape(), &[2, 3, 8, 8]);
    let message = ResnetGenerator::new([3, 10, 10], 2, &mut StdRng::seed_from_u64(1)).err().unwrap();
    assert!(message.contains("multiple of 4") && message.contains("10x10"), "{message}");
}

#[test]
fn unet_keeps_dropout_at_test_time() {
    let net = UNet::new([3, 8, 8], 4, 0, &mut StdRng::seed_from_u64(1)).unwrap();
    net.eval();
    let x = common::tensor(&[1, 3, 8, 8], -1.0, 1.0, 3);
    let (a, b, c) = (net.translate(&x, 7).to_vec(), net.translate(&x, 7).to_vec(), net.translate(&x, 8).to_vec());
    assert_eq!(a, b, "one noise seed must give one output");
    assert_ne!(a, c, "in evaluation mode other dropout masks must still change the output");
    assert_eq!(net.image_input(), Some([3, 8, 8]));
}

#[test]
fn patchgan_receptive_fields_from_the_layer_lists() {
    for field in RECEPTIVE_FIELDS {
        let d = PatchGan::new(6, field, 4, &mut StdRng::seed_from_u64(0)).unwrap();
        assert_eq!(d.receptive_field(), field);
    }
    let message = PatchGan::new(6, 20, 4, &mut StdRng::seed_from_u64(0)).err().unwrap();
    assert!(message.contains("1, 16, 34 or 70"), "{message}");
}

/// d logit(o, o) / d input is nonzero exactly on the field x field square the
/// layer list says that logit sees (D in evaluation mode: batch norm with
/// running statistics, which does not mix pixels).
fn check_field_by_gradient(field: usize, side: usize) {
    let d = PatchGan::new(6, field, 4, &mut StdRng::seed_from_u64(5)).unwrap();
    d.eval();
    let out_side = d.output_side(side).unwrap();
    let o = out_side / 2;
    let x = common::tensor(&[1, 6, side, side], -1.0, 1.0, 6).requires_grad_();
    let logits = d.forward(&x);
    assert_eq!(logits.shape(), &[1, 1, out_side, out_side]);
    logits.narrow(2, o, o + 1).narrow(3, o, o + 1).sum_all().backward();
    let grad = x.grad().unwrap().to_vec();
    let first = d.first_input(o);
    let inside = |p: usize| (first..first + field as isize).contains(&(p as isize));
    let mut seen = 0;
    for row in 0..side {
        for col in 0..side {
            let moved = (0..6).any(|c| grad[(c * side + row) * side + col] != 0.0);
            assert_eq!(moved, inside(row) && inside(col), "{field}x{field} PatchGAN, input pixel ({row}, {col})");
            seen += usize::from(moved);
        }
    }
    assert_eq!(seen, field * field, "the window should lie inside the picture");
}

#[test]
fn pixelgan_logit_sees_one_pixel() {
    check_field_by_gradient(1, 5);
}

#[test]
fn patchgan16_logit_sees_16x16_pixels() {
    check_field_by_gradient(16, 24);
}

#[test]
fn pairs_put_a_then_b_in_the_channels_and_flip_both_halves_together() {
    let dir = fresh_temp_dir("pairs");
    // Pictures 8 wide, 4 high: A is columns 0..4, B columns 4..8.
    write_pictures(&dir.join("train"), 2, 8, 4);
    let mut data = open(&format!("pairs:{}", dir.display()), 28, 1, 0).unwrap();
    assert_eq!(data.item_shape(), &[6, 4, 4]);
    let value = |index, c, x, y| byte_to_signed_unit(byte(index, c, x, y));
    let (mut flipped, mut kept) = (0, 0);
    for _ in 0..10 {
        let batch = data.next_batch(2).x.to_vec();
        for item in batch.chunks(6 * 16) {
            let at = |channel: usize, x: usize, y: usize| item[(channel * 4 + y) * 4 + x];
            // Which picture, and whether A was mirrored, from A's red top-left value.
            let index = (0..2).find(|&i| [value(i, 0, 0, 0), value(i, 0, 3, 0)].contains(&at(0, 0, 0))).unwrap();
            let mirrored = at(0, 0, 0) == value(index, 0, 3, 0);
            let column = |x: usize| if mirrored { 3 - x } else { x };
            for (channel, x, y) in (0..3).flat_map(|c| (0..4).flat_map(move |x| (0..4).map(move |y| (c, x, y)))) {
                assert_eq!(at(channel, x, y), value(index, channel, column(x), y), "A, channel {channel}");
                assert_eq!(at(3 + channel, x, y), value(index, channel, 4 + column(x), y), "B, channel {channel}");
            }
            if mirrored {
                flipped += 1
            } else {
                kept += 1
            }
        }
    }
    assert!(flipped > 0 && kept > 0, "{flipped} mirrored and {kept} kept of 20: flips are not random");
}

#[test]
fn pairs_read_a_folder_without_splits_and_refuse_bad_layouts() {
    let dir = fresh_temp_dir("pairs-errors");
    write_pictures(&dir.join("flat"), 2, 8, 4);
    assert_eq!(open(&format!("pairs:{}", dir.join("flat").display()), 28, 1, 0).unwrap().item_shape(), &[6, 4, 4]);
    assert!(open_error(&format!("pairs:{}", dir.join("absent").display())).contains("does not exist"));
    write_pictures(&dir.join("odd"), 1, 7, 3);
    assert!(open_error(&format!("pairs:{}", dir.join("odd").display())).contains("odd width"));
    write_pictures(&dir.join("wide"), 1, 12, 4);
    assert!(open_error(&format!("pairs:{}", dir.join("wide").display())).contains("twice its height"));
    write_pictures(&dir.join("mixed"), 1, 8, 4);
    RgbImage::new(16, 8).save(dir.join("mixed/zzz.png")).unwrap();
    let message = open_error(&format!("pairs:{}", dir.join("mixed").display()));
    assert!(message.contains("one size") && message.contains("zzz.png"), "{message}");
}

/// Writes pictures of one grey level each, `first`, `first + 40`, ..., into `dir`.
fn write_flat_pictures(dir: &Path, levels: &[u8], width: u32, height: u32) {
    std::fs::create_dir_all(dir).unwrap();
    for (index, &level) in levels.iter().enumerate() {
        RgbImage::from_pixel(width, height, image::Rgb([level; 3])).save(dir.join(format!("{index:03}.png"))).unwrap();
    }
}

#[test]
fn unpaired_sets_are_drawn_independently_and_joined_along_channels() {
    let dir = fresh_temp_dir("unpaired");
    let (a_levels, b_levels) = ([0, 40], [100, 140, 180]);
    write_flat_pictures(&dir.join("trainA"), &a_levels, 4, 4);
    write_flat_pictures(&dir.join("trainB"), &b_levels, 4, 4);
    let mut data = open(&format!("unpaired:{}", dir.display()), 28, 1, 0).unwrap();
    assert_eq!(data.item_shape(), &[6, 4, 4]);
    assert_eq!(data.example_count(), Some(2));
    let level = |value: f32| ((value + 1.0) * 127.5).round() as u8;
    let mut pairings = std::collections::BTreeSet::new();
    for _ in 0..12 {
        let batch = data.next_batch(2).x.to_vec();
        for item in batch.chunks(6 * 16) {
            let (a, b) = (level(item[0]), level(item[5 * 16]));
            assert!(item[..3 * 16].iter().all(|&v| level(v) == a) && a_levels.contains(&a), "A's channels: {a}");
            assert!(item[3 * 16..].iter().all(|&v| level(v) == b) && b_levels.contains(&b), "B's channels: {b}");
            pairings.insert((a, b));
        }
    }
    assert!(pairings.len() >= 4, "A and B are not shuffled independently: only pairings {pairings:?}");
    write_flat_pictures(&dir.join("other/trainA"), &a_levels, 4, 4);
    write_flat_pictures(&dir.join("other/trainB"), &b_levels, 8, 4);
    assert!(open_error(&format!("unpaired:{}", dir.join("other").display())).contains("both sets must have one size"));
}

#[test]
fn cli_trains_two_steps_writes_the_picture_and_translates_a_folder() {
    let dir = fresh_temp_dir("pix2pix-cli");
    let data = dir.join("pairs");
    write_pictures(&data.join("train"), 8, 16, 8);
    write_pictures(&data.join("test"), 3, 16, 8);
    let dataset = format!("pairs:{}", data.display());
    let (folder, checkpoint) =
        tiny_run(&dir, "run", "pix2pix", &["--dataset", &dataset, "--patch", "16", "--features", "4"]);
    let picture = image::open(format!("{folder}/samples/step_000002.png")).unwrap();
    assert!(picture.width() > 2 * picture.height(), "two rows of two pairs (one of one), input | output | target each");

    let out = dir.join("translated.png");
    let input = data.join("test").display().to_string();
    let (ok, text) =
        ganforge(&["sample", "--checkpoint", &checkpoint, "--input", &input, "--out", &out.display().to_string()]);
    assert!(ok && out.exists(), "{text}");
    let (ok, text) = ganforge(&["eval", "--checkpoint", &checkpoint]);
    assert!(ok && text.contains("L1 on the 3 test pairs"), "{text}");

    let resnet = ["--dataset", &dataset, "--patch", "1", "--features", "2", "--generator", "resnet"];
    let (resnet_folder, _) = tiny_run(&dir, "resnet", "pix2pix", &resnet);
    assert!(Path::new(&format!("{resnet_folder}/samples/step_000002.png")).exists());

    let (ok, text) = ganforge(&["sample", "--checkpoint", &checkpoint]);
    assert!(!ok && text.contains("--input"), "{text}");
    let (ok, text) = ganforge(&["invert", "--checkpoint", &checkpoint]);
    assert!(!ok && text.contains("translates pictures"), "{text}");
    let (ok, text) = ganforge(&["train", "--model", "pix2pix", "--dataset", &dataset, "--steps", "1", "--batch", "8"]);
    assert!(!ok && text.contains("--patch 70"), "{text}");
    let (ok, text) = ganforge(&["train", "--model", "pix2pix", "--steps", "1"]);
    assert!(!ok && text.contains("pairs:<dir>"), "{text}");
}

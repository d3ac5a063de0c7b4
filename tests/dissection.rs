//! GAN dissection: the concept masks, IoU, cutting a generator in two, a
//! planted unit that dissection must find, and `ganforge dissect`.

mod common;

use common::{fresh_temp_dir, ganforge, tiny_run};
use ganforge::explore::concepts::{self, holes, lower_ink, stroke, upper_ink, PIXELS, SIDE};
use ganforge::explore::dissection::{self, dissect, iou, set_units, upsample, Cut};
use ganforge::gan::family::Sampler;
use ganforge::gan::models::{self, CriticNorm};
use ganforge::gan::trainer::sample_eval;
use ganforge::nn::{Conv2d, Layer, Module, Reshape, Sequential, Tanh};
use ganforge::Tensor;
use rand::{rngs::StdRng, Rng, SeedableRng};

/// A 28x28 image in [-1, 1]: ink (+1) where `inked(row, col)`, background (-1) elsewhere.
fn drawn(inked: impl Fn(i32, i32) -> bool) -> Vec<f32> {
    (0..PIXELS as i32).map(|at| if inked(at / SIDE as i32, at % SIDE as i32) { 1.0 } else { -1.0 }).collect()
}

/// A ring of radius 5 to 8 around (row, col): a 0, with a hole.
fn ring(row: i32, col: i32) -> Vec<f32> {
    drawn(|r, c| (25..=64).contains(&((r - row).pow(2) + (c - col).pow(2))))
}

/// A vertical bar three pixels wide in rows 4 to 23: a 1, without a hole.
fn bar(col: i32) -> Vec<f32> {
    drawn(|r, c| (4..24).contains(&r) && (col..col + 3).contains(&c))
}

fn count(mask: &[bool]) -> usize {
    mask.iter().filter(|&&m| m).count()
}

#[test]
fn the_stroke_is_the_ink_and_only_a_closed_loop_has_a_hole() {
    let image = ring(14, 14);
    assert_eq!(stroke(&image), image.iter().map(|&x| x > 0.0).collect::<Vec<_>>());
    let hole = holes(&image);
    // Inside radius 5: the points with r^2 + c^2 < 25 (69 of them).
    assert_eq!(count(&hole), 69);
    assert!(hole[14 * SIDE + 14] && !hole[0], "the centre is a hole, a corner is not");
    assert_eq!(count(&holes(&bar(12))), 0, "a bar encloses nothing");
    // A ring cut open by a gap of one column no longer holds anything.
    let open = drawn(|r, c| (25..=64).contains(&((r - 14).pow(2) + (c - 14).pow(2))) && c != 14);
    assert_eq!(count(&holes(&open)), 0);
    // A loop closed only at a corner (a diagonal step) still holds its inside.
    let diamond = drawn(|r, c| (r - 14).abs() + (c - 14).abs() == 4);
    assert_eq!(count(&holes(&diamond)), 25, "the 5x5 diamond inside |r| + |c| < 4");
    // The bar's ink splits at its mean row 13.5: rows 4..=13 above, 14..=23 below.
    assert_eq!((count(&upper_ink(&bar(5))), count(&lower_ink(&bar(5)))), (30, 30));
}

#[test]
fn class_concepts_are_the_ink_of_the_images_of_that_class() {
    let images: Vec<f32> = [ring(14, 14), bar(3)].concat();
    let found = concepts::mnist_concepts(&images, &[0, 1], 3);
    let names: Vec<&str> = found.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["stroke", "hole", "upper ink", "lower ink", "class 0", "class 1", "class 2"]);
    let ink = &found[0].mask;
    assert_eq!(found[4].mask[..PIXELS], ink[..PIXELS], "class 0 is the ring's ink");
    assert_eq!(count(&found[4].mask[PIXELS..]), 0, "and nothing of the bar");
    assert_eq!(found[5].mask[PIXELS..], ink[PIXELS..], "class 1 is the bar's ink");
    assert_eq!(count(&found[6].mask), 0, "no image is a 2");
}

#[test]
fn iou_is_one_for_equal_masks_zero_for_disjoint_ones_and_the_share_in_between() {
    let a = [true, true, true, false, false, false];
    let b = [false, true, true, true, false, false];
    assert_eq!(iou(&a, &a), 1.0);
    assert_eq!(iou(&a, &[false, false, false, true, true, true]), 0.0);
    // Two pixels in both, four in either.
    assert_eq!(iou(&a, &b), 0.5);
    assert_eq!(iou(&[false; 3], &[false; 3]), 0.0, "two empty masks do not agree on anything");
}

#[test]
fn bilinear_upsampling_keeps_a_ramp_a_ramp() {
    // Bilinear interpolation reproduces a linear function: a map whose value
    // is its column reads, at output column x, the source column
    // (x + 0.5) * 7 / 28 - 0.5, clamped to [0, 6].
    let map: Vec<f32> = (0..49).map(|at| (at % 7) as f32).collect();
    let up = upsample(&map, 7, 7);
    for y in [0, 13, 27] {
        for x in 0..SIDE {
            let want = ((x as f32 + 0.5) * 0.25 - 0.5).clamp(0.0, 6.0);
            assert!((up[y * SIDE + x] - want).abs() < 1e-5, "({y}, {x}): {} against {want}", up[y * SIDE + x]);
        }
    }
}

#[test]
fn dcgan28_lists_its_layers_and_cuts_into_a_head_and_a_tail_that_make_the_generator() {
    let model = models::build("dcgan", &[1, 28, 28], None, CriticNorm::Batch, 1, 4).unwrap();
    let layers = dissection::layers(model.as_ref()).expect("dcgan's generator is a chain");
    let listed: Vec<String> = layers.iter().map(|l| l.describe()).collect();
    assert_eq!(listed[0], "0 Linear [6272]");
    assert_eq!(listed[3], "3 Relu [128, 7, 7]");
    assert_eq!(listed[6], "6 Relu [64, 14, 14]");
    assert_eq!(listed[8], "8 Tanh [1, 28, 28]");
    let cuttable: Vec<usize> = dissection::cuttable(&layers).iter().map(|l| l.index).collect();
    assert_eq!(cuttable, [1, 2, 3, 4, 5, 6, 7], "maps, and not the output");

    let z = Tensor::randn(&[3, model.latent_dim()], 9);
    let cut = Cut::new(model.as_ref(), 3).unwrap();
    let maps = cut.head(&z);
    assert_eq!(maps.shape(), [3, 128, 7, 7]);
    let whole = sample_eval(model.as_ref(), &z, None).to_vec();
    let halves = cut.tail(&maps).to_vec();
    assert!(whole.iter().zip(&halves).all(|(a, b)| (a - b).abs() < 1e-5), "tail(head(z)) is G(z)");

    for wrong in [0, 8, 20] {
        let error = Cut::new(model.as_ref(), wrong).err().expect("refused");
        assert!(
            error.contains(&format!("layer {wrong} cannot be cut")) && error.contains("3 Relu [128, 7, 7]"),
            "{error}"
        );
    }
    let mlp = models::build("mlp", &[1, 28, 28], None, CriticNorm::Batch, 1, 4).unwrap();
    assert!(mlp.chain().is_none() && Cut::new(mlp.as_ref(), 1).is_err(), "an mlp is not cut");
}

/// A generator whose "latent" is its layer-0 maps [3, 28, 28] themselves:
/// unit 0 carries noise, unit 1 a constant, unit 2 the picture, which a 1x1
/// convolution with weights (0, 0, 1) copies to the output before tanh. So
/// the image's ink is exactly where unit 2 is positive.
struct Planted {
    net: Sequential,
}

impl Planted {
    fn new() -> Planted {
        let copy = Conv2d::new(3, 1, 1, 1, 0, &mut StdRng::seed_from_u64(0));
        for (name, parameter) in copy.named_parameters() {
            parameter.write_(if name == "weight" { &[0.0, 0.0, 1.0] } else { &[0.0] });
        }
        Planted { net: Sequential::new().push(Reshape::new(&[3, SIDE, SIDE])).push(copy).push(Tanh) }
    }
}

impl Sampler for Planted {
    fn generator(&self) -> &dyn Module {
        &self.net
    }

    fn latent_dim(&self) -> usize {
        3 * PIXELS
    }

    fn generate(&self, z: &Tensor, _labels: Option<&[usize]>) -> Tensor {
        self.net.forward(z)
    }

    fn chain(&self) -> Option<&Sequential> {
        Some(&self.net)
    }
}

#[test]
fn dissection_finds_a_planted_stroke_unit_and_ablating_it_removes_the_ink() {
    let rng = &mut StdRng::seed_from_u64(1);
    let pictures = [ring(14, 14), ring(10, 17), bar(5), bar(20), ring(17, 11), bar(12)];
    let n = pictures.len();
    // Unit 2: the picture, its ink at distinct heights in [0.5, 1) so no two
    // ink pixels tie at the threshold.
    let mut latents = Vec::new();
    for picture in &pictures {
        latents.extend((0..PIXELS).map(|_| rng.random_range(-1.0..1.0f32)));
        latents.extend([0.5; PIXELS]);
        latents.extend(picture.iter().map(|&x| if x > 0.0 { rng.random_range(0.5..1.0) } else { -1.0 }));
    }
    let generator = Planted::new();
    let cut = Cut::new(&generator, 0).unwrap();
    let maps = cut.head(&Tensor::from_vec(latents, &[n, 3 * PIXELS]));
    let images = cut.tail(&maps).to_vec();
    let found = concepts::mnist_concepts(&images, &vec![0; n], 0);
    // With the threshold at the ink's share of all pixels, unit 2 fires on the ink.
    let ink_share = count(&found[0].mask) as f32 / (n * PIXELS) as f32;
    let dissection = dissect(&maps.to_vec(), [n, 3, SIDE, SIDE], &found, 1.0 - ink_share);
    let stroke_iou: Vec<f32> = dissection.iou.iter().map(|row| row[0]).collect();
    assert_eq!(dissection.ranked(0)[0], 2, "IoU with stroke by unit: {stroke_iou:?}");
    assert!(stroke_iou[2] > 0.95, "{stroke_iou:?}");
    assert!(stroke_iou[0] < 0.3 && stroke_iou[1] < 0.3, "{stroke_iou:?}");
    assert_eq!(dissection.best_concept(2), 0, "unit 2 is a stroke unit");

    let ink_after = |unit: usize| {
        let edited = cut.tail(&set_units(&maps, &[unit], &[0.0])).to_vec();
        count(&edited.chunks(PIXELS).flat_map(stroke).collect::<Vec<_>>())
    };
    assert_eq!(ink_after(2), 0, "ablating the stroke unit removes every stroke");
    assert_eq!(ink_after(0), count(&found[0].mask), "ablating the noise unit leaves the ink");
    // Inserting unit 2 at its firing value inks the whole picture.
    let inserted = cut.tail(&set_units(&maps, &[2], &[dissection.firing_values[2]])).to_vec();
    assert!(inserted.iter().all(|&x| x > 0.0), "insertion draws ink everywhere");
}

#[test]
fn dissect_writes_its_tables_and_pictures_and_refuses_what_it_cannot_cut() {
    let dir = fresh_temp_dir("dissect");
    let (_, checkpoint) = tiny_run(&dir, "run", "dcgan", &[]);
    let out = dir.join("dissection");
    let dissect = |extra: &[&str]| {
        let mut args = vec!["dissect", "--checkpoint", &checkpoint, "--samples", "12", "--units", "2"];
        args.extend_from_slice(extra);
        ganforge(&args)
    };
    let (ok, text) = dissect(&["--layer", "3", "--out", out.to_str().unwrap()]);
    assert!(ok, "{text}");
    println!("{text}");
    assert!(text.contains("dissected layer 3 Relu [128, 7, 7] on 12 samples"), "{text}");
    assert!(text.contains("stroke") && text.contains("ablate random"), "{text}");
    for file in ["top-units.png", "ablation.png"] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
    let units = std::fs::read_to_string(out.join("units.csv")).unwrap();
    assert_eq!(units.lines().count(), 129, "a header and a line per unit");
    assert!(units.starts_with("unit,threshold,best_concept,stroke,hole,upper ink,lower ink,class 0,"), "{units}");
    let interventions = std::fs::read_to_string(out.join("interventions.csv")).unwrap();
    assert_eq!(interventions.lines().count(), 1 + 14 * 3, "three edits of each of 14 concepts");
    assert!(interventions.lines().nth(2).unwrap().starts_with("stroke,ablate random,"), "{interventions}");

    let (ok, text) = dissect(&["--layer", "8"]);
    assert!(!ok && text.contains("layer 8 cannot be cut") && text.contains("6 Relu [64, 14, 14]"), "{text}");
    let (ok, text) = ganforge(&["dissect", "--checkpoint", &checkpoint, "--layer", "3", "--units", "200"]);
    assert!(!ok && text.contains("layer 3 has 128 units"), "{text}");
    let (ok, text) = dissect(&["--quantile", "1"]);
    assert!(!ok && text.contains("--quantile between 0 and 1"), "{text}");

    let (_, cgan_checkpoint) = tiny_run(&dir, "cgan", "cgan", &[]);
    let (ok, text) = ganforge(&["dissect", "--checkpoint", &cgan_checkpoint]);
    assert!(!ok && text.contains("conditional"), "{text}");
}

//! GAN steering: the image edits, their measurements, the learned walk and `ganforge steer`.

mod common;

use common::{fresh_temp_dir, ganforge, tiny_run};
use ganforge::explore::steering::{learn_direction, strip_alphas, take_walk, Edit, SteeringSettings};
use ganforge::gan::family::Sampler;
use ganforge::nn::Module;
use ganforge::Tensor;

const INK: f32 = 1.0;
const PAPER: f32 = -1.0;

/// A `height` x `width` plane of background with ink in the given columns.
fn vertical_bar(height: usize, width: usize, columns: &[usize]) -> Vec<f32> {
    (0..height * width).map(|i| if columns.contains(&(i % width)) { INK } else { PAPER }).collect()
}

/// The columns of a plane's first row that hold full ink.
fn inked_columns(plane: &[f32], width: usize) -> Vec<usize> {
    (0..width).filter(|&x| plane[x] == INK).collect()
}

#[test]
fn a_shift_moves_a_bar_by_whole_and_half_pixels_and_fills_with_background() {
    let bar = vertical_bar(4, 8, &[1]);
    let right = Edit::Shift.apply_plane(&bar, 4, 8, 2.0);
    assert_eq!(right, vertical_bar(4, 8, &[3]), "two columns to the right, background behind it");
    let gone = Edit::Shift.apply_plane(&bar, 4, 8, -2.0);
    assert!(gone.iter().all(|&v| v == PAPER), "shifted out of the picture: {gone:?}");
    // Half a pixel: the ink is shared between two columns.
    let half = Edit::Shift.apply_plane(&bar, 4, 8, 0.5);
    assert_eq!(&half[..4], &[PAPER, 0.0, 0.0, PAPER]);
    assert_eq!(Edit::Shift.apply_plane(&bar, 4, 8, 0.0), bar);
}

#[test]
fn a_zoom_by_two_doubles_a_centred_square_and_zero_is_the_identity() {
    // A 2 x 2 square at the centre of 8 x 8 (rows and columns 3 and 4).
    let square: Vec<f32> =
        (0..64).map(|i| if (3..5).contains(&(i / 8)) && (3..5).contains(&(i % 8)) { INK } else { PAPER }).collect();
    assert_eq!(Edit::Zoom.apply_plane(&square, 8, 8, 0.0), square);
    let zoomed = Edit::Zoom.apply_plane(&square, 8, 8, 1.0);
    // Column 3 from the top: pixel y samples row 3.5 + (y - 3.5) / 2.
    let column: Vec<f32> = (0..8).map(|y| zoomed[y * 8 + 3]).collect();
    assert_eq!(column, [PAPER, -0.5, 0.5, INK, INK, 0.5, -0.5, PAPER]);
    // Zooming out leaves the corners as background.
    let smaller = Edit::Zoom.apply_plane(&square, 8, 8, -1.0);
    assert_eq!(smaller[0], PAPER);
    assert!(smaller.iter().map(|v| v + 1.0).sum::<f32>() < square.iter().map(|v| v + 1.0).sum::<f32>());
}

#[test]
fn brightness_scales_the_ink_and_clips_and_zero_is_the_identity() {
    let pixels = [-1.0, -0.5, 0.0, 0.5, 1.0];
    assert_eq!(Edit::Brightness.apply_plane(&pixels, 1, 5, 0.0), pixels);
    assert_eq!(Edit::Brightness.apply_plane(&pixels, 1, 5, -1.0), [-1.0, -0.75, -0.5, -0.25, 0.0], "half the ink");
    assert_eq!(Edit::Brightness.apply_plane(&pixels, 1, 5, 1.0), [-1.0, 0.0, 1.0, 1.0, 1.0], "twice, clipped");
}

#[test]
fn thickness_one_widens_a_one_pixel_bar_to_three_and_minus_one_thins_it_back() {
    let bar = vertical_bar(6, 9, &[4]);
    let thick = Edit::Thickness.apply_plane(&bar, 6, 9, 1.0);
    assert_eq!(thick, vertical_bar(6, 9, &[3, 4, 5]));
    // Erosion thins it back; the picture's edge counts as background, so the
    // top and bottom rows erode too.
    let thin = Edit::Thickness.apply_plane(&thick, 6, 9, -1.0);
    let mut want = vertical_bar(6, 9, &[4]);
    want[4] = PAPER;
    want[5 * 9 + 4] = PAPER;
    assert_eq!(thin, want);
    assert_eq!(inked_columns(&Edit::Thickness.apply_plane(&bar, 6, 9, 2.0), 9), [2, 3, 4, 5, 6]);
    // Half a pixel: the neighbours get half the ink.
    let half = Edit::Thickness.apply_plane(&bar, 6, 9, 0.5);
    assert_eq!(&half[9..18], &[PAPER, PAPER, PAPER, 0.0, INK, 0.0, PAPER, PAPER, PAPER]);
    assert_eq!(Edit::Thickness.apply_plane(&bar, 6, 9, 0.0), bar);
}

#[test]
fn apply_edits_each_picture_by_its_own_alpha_and_every_channel_alike() {
    let bar = vertical_bar(3, 6, &[1]);
    let picture: Vec<f32> = [bar.clone(), bar.clone()].concat(); // two channels
    let images = Tensor::from_vec([picture.clone(), picture].concat(), &[2, 2, 3, 6]);
    let edited = Edit::Shift.apply(&images, &[1.0, 3.0]).to_vec();
    let (one, three) = (vertical_bar(3, 6, &[2]), vertical_bar(3, 6, &[4]));
    assert_eq!(edited, [one.clone(), one, three.clone(), three].concat());
}

#[test]
fn unknown_edits_are_refused_naming_the_valid_ones() {
    assert_eq!(Edit::parse("zoom"), Ok(Edit::Zoom));
    let error = Edit::parse("spin").unwrap_err();
    assert!(error.contains("shift, zoom, brightness, thickness") && !error.contains('\n'), "{error}");
}

#[test]
fn strip_alphas_put_zero_in_the_middle_column() {
    assert_eq!(strip_alphas((-6.0, 6.0), 9), [-6.0, -4.5, -3.0, -1.5, 0.0, 1.5, 3.0, 4.5, 6.0]);
    assert_eq!(strip_alphas((-1.0, 2.0), 5), [-1.0, -0.5, 0.0, 1.0, 2.0]);
}

/// A soft blob (a Gaussian of std `sigma`) centred at (cy, cx) in a 28 x 28 picture.
fn blob(cy: f32, cx: f32, sigma: f32) -> Vec<f32> {
    (0..28 * 28)
        .map(|i| {
            let (y, x) = ((i / 28) as f32, (i % 28) as f32);
            2.0 * (-((y - cy).powi(2) + (x - cx).powi(2)) / (2.0 * sigma * sigma)).exp() - 1.0
        })
        .collect()
}

/// A soft ring of radius `radius` and stroke width about `width`, centred in 28 x 28.
fn ring(radius: f32, width: f32) -> Vec<f32> {
    (0..28 * 28)
        .map(|i| {
            let (y, x) = ((i / 28) as f32 - 13.5, (i % 28) as f32 - 13.5);
            let from_stroke = ((y * y + x * x).sqrt() - radius).abs();
            2.0 * (width / 2.0 + 0.5 - from_stroke).clamp(0.0, 1.0) - 1.0
        })
        .collect()
}

#[test]
fn each_measurement_reads_back_the_amount_its_edit_was_asked_for() {
    let spot = blob(13.0, 11.0, 2.0);
    let circle = ring(8.0, 2.0);
    let cases = [
        (Edit::Shift, &spot, 2.5, 0.01),
        (Edit::Shift, &spot, -4.0, 0.01),
        (Edit::Zoom, &spot, 0.5, 0.03),
        (Edit::Zoom, &spot, -0.5, 0.03),
        (Edit::Brightness, &spot, -1.0, 0.001),
        (Edit::Brightness, &spot, -0.5, 0.001),
        (Edit::Thickness, &circle, 1.0, 0.15),
        (Edit::Thickness, &circle, 2.0, 0.15),
        (Edit::Thickness, &ring(8.0, 4.0), -1.0, 0.15),
    ];
    // Tolerances are relative to the asked amount (or 1). Thickness reads
    // about 10% short: the pixel grid's disc of radius 1 is the 4-neighbour
    // cross, which grows a slanted outline by less than a pixel.
    for (edit, picture, alpha, tolerance) in cases {
        let edited = edit.apply_plane(picture, 28, 28, alpha);
        let achieved = edit.achieved(picture, &edited, 28, 28);
        let asked = edit.asked(alpha);
        assert!(
            (achieved - asked).abs() <= tolerance * asked.abs().max(1.0),
            "{edit:?} by {alpha}: asked {asked}, measured {achieved}"
        );
    }
    // A brightening the picture's range cannot hold reads back less than asked.
    let clipped = Edit::Brightness.apply_plane(&spot, 28, 28, 1.0);
    assert!(Edit::Brightness.achieved(&spot, &clipped, 28, 28) < 1.9);
}

/// A generator whose answer is known: a Gaussian blob at column 7.5 + 1.5 z0,
/// row 7.5 + 1.5 z1, of std 1.6 + 0.4 tanh(z2), in a 16 x 16 picture. Moving
/// it right by alpha pixels is z0 += alpha / 1.5: w = (1 / 1.5, 0, 0).
struct BlobGenerator;

const PIXELS_PER_UNIT: f32 = 1.5;

impl Module for BlobGenerator {}

impl Sampler for BlobGenerator {
    fn generator(&self) -> &dyn Module {
        self
    }
    fn latent_dim(&self) -> usize {
        3
    }
    fn generate(&self, z: &Tensor, _labels: Option<&[usize]>) -> Tensor {
        let n = z.shape()[0];
        let columns = Tensor::from_vec((0..256).map(|i| (i % 16) as f32).collect(), &[1, 1, 16, 16]);
        let rows = Tensor::from_vec((0..256).map(|i| (i / 16) as f32).collect(), &[1, 1, 16, 16]);
        let coordinate = |k: usize| z.narrow(1, k, k + 1).reshape(&[n, 1, 1, 1]);
        let x = coordinate(0).mul_scalar(PIXELS_PER_UNIT).add_scalar(7.5);
        let y = coordinate(1).mul_scalar(PIXELS_PER_UNIT).add_scalar(7.5);
        let sigma = coordinate(2).tanh().mul_scalar(0.4).add_scalar(1.6);
        let (dx, dy) = (columns.sub(&x), rows.sub(&y));
        let squared = dx.mul(&dx).add(&dy.mul(&dy));
        squared.div(&sigma.mul(&sigma).mul_scalar(-2.0)).exp().mul_scalar(2.0).sub_scalar(1.0)
    }
}

#[test]
fn the_learned_shift_direction_of_a_blob_generator_is_the_planted_one() {
    let settings = SteeringSettings {
        steps: 150,
        batch: 16,
        lr: 0.05,
        range: (-3.0, 3.0),
        ..SteeringSettings::for_edit(Edit::Shift)
    };
    let direction = learn_direction(&BlobGenerator, Edit::Shift, &settings, |_, _| {});
    let w = direction.w.to_vec();
    let planted = 1.0 / PIXELS_PER_UNIT;
    assert!(
        (w[0] - planted).abs() < 0.02 && w[1].abs() < 0.02 && w[2].abs() < 0.02,
        "w = {w:?}, planted ({planted}, 0, 0)"
    );
    let first = direction.losses[..10].iter().sum::<f32>();
    let last = direction.losses[direction.losses.len() - 10..].iter().sum::<f32>();
    assert!(last < first / 5.0, "the loss went from {first} to {last} (sums of ten steps)");

    // On fresh latents, the walk matches the edit far better than w = 0 does,
    // and the measured shift follows the asked one.
    let z = Tensor::randn(&[12, 3], 99).mul_scalar(0.5);
    let alphas = strip_alphas((-3.0, 3.0), 5);
    let walk = take_walk(&BlobGenerator, Edit::Shift, &direction.w, &z, &alphas);
    assert!(
        walk.loss() < walk.loss_without_direction() / 100.0,
        "{} against {}",
        walk.loss(),
        walk.loss_without_direction()
    );
    assert_eq!(walk.walked[2].to_vec(), walk.originals.to_vec(), "the middle column is G(z)");
    for row in walk.measure() {
        assert!((row.achieved_mean - row.asked).abs() < 0.1, "{row:?}");
        assert!((row.target_achieved - row.asked).abs() < 0.1, "{row:?}");
    }
}

#[test]
fn steer_writes_the_strips_and_the_table_and_refuses_what_it_cannot_steer() {
    let dir = fresh_temp_dir("steer");
    let (_, checkpoint) = tiny_run(&dir, "run", "mlp", &[]);
    let steer = |extra: &[&str]| {
        let mut args =
            vec!["steer", "--checkpoint", &checkpoint, "--steps", "2", "--batch", "4", "--n", "2", "--samples", "3"];
        args.extend_from_slice(extra);
        ganforge(&args)
    };
    let out = dir.join("zoom");
    let (ok, text) = steer(&["--edit", "zoom", "--out", out.to_str().unwrap()]);
    assert!(ok, "{text}");
    assert!(text.contains("achieved"), "the table is printed: {text}");
    for file in ["strip.png", "targets.png"] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
    let csv = std::fs::read_to_string(out.join("steering.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "alpha,asked,achieved_mean,achieved_std,target_achieved");
    assert_eq!(lines.len(), 10, "a header and a line per alpha:\n{csv}");
    assert!(lines[5].starts_with("0,1,"), "the middle alpha is 0, asking a zoom of 1: {}", lines[5]);
    // The default folder is beside the checkpoint.
    let (ok, text) = steer(&["--edit", "shift"]);
    assert!(ok && dir.join("run/steering-shift/steering.csv").is_file(), "{text}");

    let (ok, text) = steer(&["--edit", "spin"]);
    assert!(!ok && text.contains("shift, zoom, brightness, thickness") && text.trim().lines().count() == 1, "{text}");
    let (ok, text) = ganforge(&["steer", "--checkpoint", &checkpoint, "--edit", "shift", "--steps", "0"]);
    assert!(!ok && text.contains("at least 1"), "{text}");

    let (_, cgan_checkpoint) = tiny_run(&dir, "cgan", "cgan", &[]);
    let (ok, text) = ganforge(&["steer", "--checkpoint", &cgan_checkpoint, "--edit", "shift"]);
    assert!(!ok && text.contains("conditional"), "{text}");
    let (_, ring_checkpoint) = tiny_run(&dir, "ring", "mlp", &["--dataset", "ring"]);
    let (ok, text) = ganforge(&["steer", "--checkpoint", &ring_checkpoint, "--edit", "shift"]);
    assert!(!ok && text.contains("not images"), "{text}");
}

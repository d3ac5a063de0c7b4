//! Tests of the mode metrics, the image grid and the plots.

mod common;

use common::fresh_temp_dir;
use ganforge::data::mixtures::Mixture;
use ganforge::data::DataError;
use ganforge::metrics::modes::evaluate_modes;
use ganforge::viz::grid::{grid_to_rgb, save_grid, PADDING};
use ganforge::viz::plot::{
    render_loss_curves, render_scatter_with_contour, save_loss_curves, save_scatter_with_contour, Bounds,
    LOSS_PLOT_SIZE, SCATTER_PLOT_SIZE,
};
use image::{Rgb, RgbImage};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::collections::HashSet;

fn distinct_colours(picture: &RgbImage) -> usize {
    picture.pixels().map(|pixel| pixel.0).collect::<HashSet<_>>().len()
}

#[test]
fn all_points_on_one_mean_cover_one_mode() {
    let ring = Mixture::ring();
    let points = vec![ring.means[3]; 50];
    let report = evaluate_modes(&points, &ring);
    assert_eq!(report.modes_covered, 1);
    assert_eq!(report.high_quality_fraction, 1.0);
    assert_eq!(report.high_quality_per_mode[3], 50);
    // Everything on one of 8 modes: KL = ln 8, the largest possible.
    let kl = report.kl_to_uniform.unwrap();
    assert!((kl - 8f32.ln()).abs() < 1e-5, "kl = {kl}");
}

#[test]
fn points_spread_evenly_over_all_modes_have_zero_kl() {
    let grid = Mixture::grid();
    let points: Vec<[f32; 2]> = grid.means.iter().flat_map(|&mean| [mean; 4]).collect();
    let report = evaluate_modes(&points, &grid);
    assert_eq!(report.modes_covered, 25);
    assert_eq!(report.high_quality_fraction, 1.0);
    assert!(report.kl_to_uniform.unwrap().abs() < 1e-6);
}

#[test]
fn high_quality_means_within_three_standard_deviations() {
    let ring = Mixture::ring();
    let [x, y] = ring.means[0];
    let inside = [x + 2.9 * ring.std, y];
    let outside = [x + 3.1 * ring.std, y];
    let report = evaluate_modes(&[inside, outside], &ring);
    assert_eq!(report.high_quality_per_mode[0], 1);
    assert_eq!(report.high_quality_fraction, 0.5);
}

#[test]
fn far_away_points_are_not_high_quality() {
    let ring = Mixture::ring();
    let report = evaluate_modes(&[[0.0, 0.0], [5.0, 5.0], [0.5, 0.5]], &ring);
    assert_eq!(report.modes_covered, 0);
    assert_eq!(report.high_quality_fraction, 0.0);
    assert_eq!(report.kl_to_uniform, None);
}

#[test]
fn samples_of_the_mixture_itself_cover_every_mode() {
    let grid = Mixture::grid();
    let points = grid.sample(5000, &mut StdRng::seed_from_u64(3));
    let report = evaluate_modes(&points, &grid);
    assert_eq!(report.modes_covered, 25);
    // 3 std in 2D holds 1 - exp(-4.5) ≈ 98.9% of a Gaussian.
    assert!(report.high_quality_fraction > 0.97);
    assert!(report.kl_to_uniform.unwrap() < 0.01);
}

#[test]
fn grid_has_padding_and_maps_minus_one_to_black_and_one_to_white() {
    // Three 1-channel 2x3 images, 2 per row: -1, +1, then 0.
    let (height, width) = (2usize, 3usize);
    let plane = height * width;
    let images: Vec<f32> = [-1.0, 1.0, 0.0].iter().flat_map(|&value| vec![value; plane]).collect();
    let picture = grid_to_rgb(&images, 3, 1, height, width, 2).unwrap();
    let pad = PADDING;
    let (cell_w, cell_h) = (width as u32 + pad, height as u32 + pad);
    assert_eq!(picture.dimensions(), (2 * cell_w + pad, 2 * cell_h + pad));

    let at = |x: u32, y: u32| *picture.get_pixel(x, y);
    assert_eq!(at(pad, pad), Rgb([0, 0, 0]));
    assert_eq!(at(pad + cell_w, pad), Rgb([255, 255, 255]));
    assert_eq!(at(pad + cell_w + 2, pad + 1), Rgb([255, 255, 255]));
    assert_eq!(at(pad, pad + cell_h), Rgb([128, 128, 128]));
    // Padding between the first two images, and the empty fourth cell.
    assert_eq!(at(pad + width as u32, pad), Rgb([0, 0, 0]));
    assert_eq!(at(pad + cell_w, pad + cell_h), Rgb([0, 0, 0]));
}

#[test]
fn grid_keeps_colour_channels_apart() {
    // One 3-channel 1x1 image: red -1, green 1, blue 0.
    let picture = grid_to_rgb(&[-1.0, 1.0, 0.0], 1, 3, 1, 1, 8).unwrap();
    assert_eq!(picture.dimensions(), (1 + 2 * PADDING, 1 + 2 * PADDING));
    assert_eq!(*picture.get_pixel(PADDING, PADDING), Rgb([0, 255, 128]));
}

#[test]
fn saved_grid_is_a_png_with_the_expected_size() {
    let dir = fresh_temp_dir("grid");
    let path = dir.join("nested/folder/samples.png");
    let images = vec![1.0; 5 * 4 * 4];
    save_grid(&images, 5, 1, 4, 4, 5, &path).unwrap();
    let saved = image::open(&path).unwrap().to_rgb8();
    assert_eq!(saved.dimensions(), (5 * 6 + 2, 6 + 2));
    assert_eq!(*saved.get_pixel(2, 2), Rgb([255, 255, 255]));
    assert_eq!(*saved.get_pixel(0, 0), Rgb([0, 0, 0]));
}

#[test]
fn grid_errors_are_clear() {
    let error = grid_to_rgb(&[0.0; 10], 3, 1, 2, 2, 2).unwrap_err();
    assert!(matches!(error, DataError::InvalidArgument(_)));
    assert!(error.to_string().contains("10 values"));

    // Writing over a file used as a folder fails and names the path.
    let dir = fresh_temp_dir("grid-error");
    std::fs::write(dir.join("blocker"), "a file").unwrap();
    let path = dir.join("blocker/out.png");
    let error = save_grid(&[0.0; 4], 1, 1, 2, 2, 1, &path).unwrap_err();
    assert!(error.to_string().contains("out.png"), "{error}");
}

#[test]
fn loss_curves_fill_the_requested_size() {
    let d_loss: Vec<f32> = (0..200).map(|i| 1.4 - (i as f32 * 0.05).sin() * 0.3).collect();
    let mut g_loss: Vec<f32> = (0..200).map(|i| 0.7 + i as f32 * 0.01).collect();
    g_loss[50] = f32::NAN;
    g_loss[51] = f32::INFINITY;
    let series = [("d loss", d_loss.as_slice()), ("g loss", g_loss.as_slice())];

    let picture = render_loss_curves(&series, 300, 200);
    assert_eq!(picture.dimensions(), (300, 200));
    assert!(picture.pixels().any(|p| p.0 == [31, 119, 180]), "first series drawn");
    assert!(picture.pixels().any(|p| p.0 == [255, 127, 14]), "second series drawn");

    let path = fresh_temp_dir("loss").join("loss.png");
    save_loss_curves(&series, &path).unwrap();
    let saved = image::open(&path).unwrap().to_rgb8();
    assert_eq!(saved.dimensions(), LOSS_PLOT_SIZE);
    assert!(distinct_colours(&saved) > 2);
}

#[test]
fn loss_curves_survive_empty_and_flat_series() {
    let flat = [2.0f32; 3];
    let nothing: [f32; 0] = [];
    let picture = render_loss_curves(&[("flat", &flat), ("none", &nothing)], 120, 80);
    assert_eq!(picture.dimensions(), (120, 80));
    assert!(distinct_colours(&picture) > 1);
}

#[test]
fn scatter_shades_the_field_and_plots_both_point_sets() {
    let ring = Mixture::ring();
    let real = ring.sample(200, &mut StdRng::seed_from_u64(5));
    let fake = vec![[0.0f32, 0.0]; 10];
    // A field that is 1 near the ring and 0 inside it.
    let field = |x: f32, y: f32| if x.hypot(y) > 0.5 { 1.0 } else { 0.0 };
    let picture = render_scatter_with_contour(&real, &fake, Some(&field), Bounds::square(1.5), 200);
    assert_eq!(picture.dimensions(), (200, 200));
    // Pixel (100, 100) is the origin, covered by the fake points' colour.
    assert_eq!(picture.get_pixel(100, 100).0, [230, 90, 0]);
    assert!(picture.pixels().any(|p| p.0 == [20, 60, 200]), "real points drawn");
    assert!(picture.pixels().any(|p| p.0 == [0, 0, 0]), "0.5 iso-line or frame drawn");
    // Inside the ring (field 0) is reddish, outside the ring (field 1) bluish.
    let inside = picture.get_pixel(100, 85).0;
    let outside = picture.get_pixel(190, 150).0;
    assert!(inside[0] > inside[2], "{inside:?}");
    assert!(outside[2] > outside[0], "{outside:?}");

    let path = fresh_temp_dir("scatter").join("scatter.png");
    let density = |x: f32, y: f32| ring.density(x, y) / ring.density(1.0, 0.0);
    save_scatter_with_contour(&real, &fake, Some(&density), Bounds::square(1.5), &path).unwrap();
    let saved = image::open(&path).unwrap().to_rgb8();
    assert_eq!(saved.dimensions(), (SCATTER_PLOT_SIZE, SCATTER_PLOT_SIZE));
    assert!(distinct_colours(&saved) > 3);
}

#[test]
fn scatter_without_field_is_white_with_points() {
    let picture = render_scatter_with_contour(&[[1.0, -1.0]], &[], None, Bounds::square(2.0), 64);
    assert_eq!(picture.dimensions(), (64, 64));
    // x = -2..2 spans columns 0..63 and y = 2..-2 rows 0..63, so (1, -1) lands
    // at column 0.75 * 63 = 47.25 and row 0.75 * 63 = 47.25: pixel (47, 47),
    // below the legend in the top rows.
    assert_eq!(picture.get_pixel(47, 47).0, [20, 60, 200], "the real point's colour");
    // Away from the point, the axes through the origin, the frame and the legend: background.
    assert_eq!(picture.get_pixel(15, 52).0, [255, 255, 255], "white background");
}

#[test]
fn a_montage_puts_each_row_beside_its_label() {
    use ganforge::viz::montage::labelled_rows;
    let solid = |w, h, c| RgbImage::from_pixel(w, h, Rgb([c, 0, 0]));
    let rows = vec![
        ("GAN".to_string(), vec![solid(10, 20, 200), solid(30, 10, 100)]),
        ("PACGAN2".to_string(), vec![solid(5, 5, 50)]),
    ];
    let picture = labelled_rows(&rows);
    // Label column: the longest label (7 glyphs of 4 dots at scale 3, less the
    // last space) plus 8 pixels each side; each row as tall as its tallest
    // picture; gaps of 8 between and around everything.
    let label_width = (7 * 4 - 1) * 3 + 16;
    assert_eq!(picture.dimensions(), (label_width + 10 + 8 + 30 + 8, 8 + 20 + 8 + 15 + 8));
    assert_eq!(picture.get_pixel(label_width, 8)[0], 200, "first picture at the row's top left");
    assert_eq!(picture.get_pixel(label_width + 18, 8)[0], 100, "second picture after a gap");
    assert_eq!(picture.get_pixel(label_width, 36)[0], 50, "second row below the first's tallest picture");
    let inked =
        |top: u32, bottom: u32| (top..bottom).any(|y| (0..label_width).any(|x| picture.get_pixel(x, y)[0] == 0));
    assert!(inked(8, 28) && inked(36, 51), "each row has its label");
}

//! Small hand-drawn plots: loss curves, and 2D points over a shaded field.
//!
//! - [`save_loss_curves`]: one polyline per series (e.g. the discriminator's
//!   and the generator's loss per step), y-range fitted to the data.
//! - [`save_scatter_with_contour`]: real and generated 2D points over the
//!   discriminator's output D(x, y), shaded and with iso-lines, in the spirit
//!   of Figure 1 of Goodfellow et al. (2014).
//!
//! Each `save_*` function has a `render_*` twin that returns the picture at
//! any size, for composing or testing.

use super::canvas::{draw_frame, draw_line, fill_disc, fill_rect, put};
use super::font::{draw_text, text_height, text_width};
use super::save_picture;
use crate::data::DataError;
use image::{Rgb, RgbImage};
use std::path::Path;

/// Size of the picture written by [`save_loss_curves`].
pub const LOSS_PLOT_SIZE: (u32, u32) = (640, 400);
/// Side of the square picture written by [`save_scatter_with_contour`].
pub const SCATTER_PLOT_SIZE: u32 = 512;

/// Series colours, cycled (matplotlib's "tab10" palette).
const PALETTE: [Rgb<u8>; 10] = [
    Rgb([31, 119, 180]),
    Rgb([255, 127, 14]),
    Rgb([44, 160, 44]),
    Rgb([214, 39, 40]),
    Rgb([148, 103, 189]),
    Rgb([140, 86, 75]),
    Rgb([227, 119, 194]),
    Rgb([127, 127, 127]),
    Rgb([188, 189, 34]),
    Rgb([23, 190, 207]),
];
const WHITE: Rgb<u8> = Rgb([255, 255, 255]);
const BLACK: Rgb<u8> = Rgb([0, 0, 0]);
const GRID_GREY: Rgb<u8> = Rgb([225, 225, 225]);
const LABEL_GREY: Rgb<u8> = Rgb([90, 90, 90]);
const REAL_COLOUR: Rgb<u8> = Rgb([20, 60, 200]);
const FAKE_COLOUR: Rgb<u8> = Rgb([230, 90, 0]);
/// Background where the field is 0 (fake-looking) and 1 (real-looking).
const FIELD_LOW_COLOUR: Rgb<u8> = Rgb([250, 205, 200]);
const FIELD_HIGH_COLOUR: Rgb<u8> = Rgb([200, 215, 250]);

/// Pixels per font dot for labels.
const TEXT_SCALE: i32 = 2;
/// Blank space around the plotting area and between labels.
const GAP: i32 = 8;
/// Number of horizontal grid lines (and y labels) on a loss plot.
const Y_TICKS: usize = 5;
/// Field values where the scatter plot draws iso-lines; 0.5 is drawn black.
pub const ISO_LEVELS: [f32; 5] = [0.1, 0.25, 0.5, 0.75, 0.9];
/// The field is evaluated on this many points per side and interpolated in
/// between, so an expensive field (a network) is called ~16k times, not once
/// per pixel.
const FIELD_SAMPLES_PER_SIDE: usize = 128;

/// A rectangle of the data plane: what a plot shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub x_min: f32,
    pub x_max: f32,
    pub y_min: f32,
    pub y_max: f32,
}

impl Bounds {
    /// The square [-half_width, half_width]², e.g. 1.5 for the ring mixture
    /// and 6 for the grid mixture.
    pub fn square(half_width: f32) -> Self {
        Bounds { x_min: -half_width, x_max: half_width, y_min: -half_width, y_max: half_width }
    }
}

/// Draws the series as coloured lines against their step index and saves a
/// [`LOSS_PLOT_SIZE`] PNG. Non-finite values leave a gap in the line.
pub fn save_loss_curves(series: &[(&str, &[f32])], path: impl AsRef<Path>) -> Result<(), DataError> {
    let (width, height) = LOSS_PLOT_SIZE;
    save_picture(&render_loss_curves(series, width, height), path.as_ref())
}

/// The picture of [`save_loss_curves`], at any size.
pub fn render_loss_curves(series: &[(&str, &[f32])], width: u32, height: u32) -> RgbImage {
    let mut picture = RgbImage::from_pixel(width, height, WHITE);
    let (y_min, y_max) = fitted_range(series.iter().flat_map(|(_, values)| values.iter()));
    let steps = series.iter().map(|(_, values)| values.len()).max().unwrap_or(0);
    let last_step = steps.saturating_sub(1).max(1) as f32;
    let tick_values: Vec<f32> =
        (0..Y_TICKS).map(|tick| y_min + (y_max - y_min) * tick as f32 / (Y_TICKS - 1) as f32).collect();
    let decimals = decimals_for_step((y_max - y_min) / (Y_TICKS - 1) as f32);
    let tick_labels: Vec<String> = tick_values.iter().map(|v| format!("{v:.decimals$}")).collect();
    let label_width = tick_labels.iter().map(|label| text_width(label, TEXT_SCALE)).max();

    // Room on the left for the y labels and below for the step labels.
    let left = GAP + label_width.unwrap_or(0) + GAP;
    let area = Viewport {
        bounds: Bounds { x_min: 0.0, x_max: last_step, y_min, y_max },
        left,
        top: GAP,
        width: (width as i32 - left - GAP).max(1),
        height: (height as i32 - 3 * GAP - text_height(TEXT_SCALE)).max(1),
    };

    for (value, label) in tick_values.iter().zip(&tick_labels) {
        let (_, y) = area.to_pixel(0.0, *value);
        draw_line(&mut picture, (area.left, y), (area.right(), y), 1, GRID_GREY);
        let label_corner = (left - GAP - text_width(label, TEXT_SCALE), y - text_height(TEXT_SCALE) / 2);
        draw_text(&mut picture, label_corner, label, TEXT_SCALE, LABEL_GREY);
    }
    let step_label_y = area.bottom() + GAP;
    draw_text(&mut picture, (area.left, step_label_y), "0", TEXT_SCALE, LABEL_GREY);
    let last_label = steps.saturating_sub(1).to_string();
    let last_label_x = area.right() - text_width(&last_label, TEXT_SCALE);
    draw_text(&mut picture, (last_label_x, step_label_y), &last_label, TEXT_SCALE, LABEL_GREY);

    for ((_, values), &colour) in series.iter().zip(PALETTE.iter().cycle()) {
        draw_polyline(&mut picture, &area, values, colour);
    }
    draw_frame(&mut picture, (area.left, area.top), (area.width, area.height), BLACK);
    let names = series.iter().map(|(name, _)| *name);
    draw_legend(&mut picture, &area, names.zip(PALETTE.iter().cycle().copied()));
    picture
}

/// Plots `real` and `fake` points over an optional `field` with values in
/// [0, 1] (typically the discriminator's probability that (x, y) is real),
/// and saves a [`SCATTER_PLOT_SIZE`] square PNG.
///
/// The background goes from red (field 0) through white (0.5) to blue
/// (field 1); iso-lines are drawn at [`ISO_LEVELS`], the 0.5 line in black.
/// To show a mixture's true density instead, pass a field such as
/// `|x, y| mixture.density(x, y) / peak` with `peak` the density at a mean.
pub fn save_scatter_with_contour(
    real: &[[f32; 2]],
    fake: &[[f32; 2]],
    field: Option<&dyn Fn(f32, f32) -> f32>,
    bounds: Bounds,
    path: impl AsRef<Path>,
) -> Result<(), DataError> {
    let picture = render_scatter_with_contour(real, fake, field, bounds, SCATTER_PLOT_SIZE);
    save_picture(&picture, path.as_ref())
}

/// The picture of [`save_scatter_with_contour`], `size x size` pixels.
pub fn render_scatter_with_contour(
    real: &[[f32; 2]],
    fake: &[[f32; 2]],
    field: Option<&dyn Fn(f32, f32) -> f32>,
    bounds: Bounds,
    size: u32,
) -> RgbImage {
    let mut picture = RgbImage::from_pixel(size, size, WHITE);
    let side = size as i32;
    let area = Viewport { bounds, left: 0, top: 0, width: side.max(1), height: side.max(1) };
    if let Some(field) = field {
        shade_field(&mut picture, &area, &SampledField::new(field, bounds));
    } else {
        // Without a field, light axes through the origin help orientation.
        let (origin_x, origin_y) = area.to_pixel(0.0, 0.0);
        draw_line(&mut picture, (0, origin_y), (side - 1, origin_y), 1, GRID_GREY);
        draw_line(&mut picture, (origin_x, 0), (origin_x, side - 1), 1, GRID_GREY);
    }
    for (points, colour) in [(real, REAL_COLOUR), (fake, FAKE_COLOUR)] {
        for &[x, y] in points {
            if x.is_finite() && y.is_finite() {
                fill_disc(&mut picture, area.to_pixel(x, y), 2, colour);
            }
        }
    }
    draw_frame(&mut picture, (0, 0), (side, side), BLACK);
    draw_legend(&mut picture, &area, [("real", REAL_COLOUR), ("fake", FAKE_COLOUR)]);
    picture
}

/// The rectangle of pixels where the data plane is drawn, and the mapping
/// between the two (y grows upwards in data, downwards in pixels).
struct Viewport {
    bounds: Bounds,
    left: i32,
    top: i32,
    width: i32,
    height: i32,
}

impl Viewport {
    fn right(&self) -> i32 {
        self.left + self.width - 1
    }

    fn bottom(&self) -> i32 {
        self.top + self.height - 1
    }

    fn to_pixel(&self, x: f32, y: f32) -> (i32, i32) {
        let b = &self.bounds;
        let along_x = (x - b.x_min) / (b.x_max - b.x_min);
        let along_y = (b.y_max - y) / (b.y_max - b.y_min);
        let column = self.left as f32 + along_x * (self.width - 1) as f32;
        let row = self.top as f32 + along_y * (self.height - 1) as f32;
        (column.round() as i32, row.round() as i32)
    }

    /// Data coordinates of the centre of pixel (column, row).
    fn to_data(&self, column: i32, row: i32) -> (f32, f32) {
        let b = &self.bounds;
        let along_x = (column - self.left) as f32 / (self.width - 1).max(1) as f32;
        let along_y = (row - self.top) as f32 / (self.height - 1).max(1) as f32;
        (b.x_min + along_x * (b.x_max - b.x_min), b.y_max - along_y * (b.y_max - b.y_min))
    }
}

/// The lowest and highest finite value, widened by 5% so lines do not touch
/// the frame. A flat or empty series gets a range of 1 around its value.
fn fitted_range<'a>(values: impl Iterator<Item = &'a f32>) -> (f32, f32) {
    let finite = values.copied().filter(|v| v.is_finite());
    let (low, high) = finite.fold((f32::INFINITY, f32::NEG_INFINITY), |(low, high), v| (low.min(v), high.max(v)));
    if low > high {
        (0.0, 1.0)
    } else if high - low <= f32::EPSILON * high.abs().max(1.0) {
        (low - 0.5, high + 0.5)
    } else {
        let margin = 0.05 * (high - low);
        (low - margin, high + margin)
    }
}

/// Enough decimals to tell apart labels `step` apart (e.g. 0.25 -> 2).
fn decimals_for_step(step: f32) -> usize {
    (1.0 - step.log10().floor()).clamp(0.0, 6.0) as usize
}

/// Joins consecutive finite values with lines; a lone finite value between
/// gaps is drawn as a dot.
fn draw_polyline(picture: &mut RgbImage, area: &Viewport, values: &[f32], colour: Rgb<u8>) {
    let mut previous: Option<(i32, i32)> = None;
    for (step, &value) in values.iter().enumerate() {
        if !value.is_finite() {
            previous = None;
            continue;
        }
        let point = area.to_pixel(step as f32, value);
        draw_line(picture, previous.unwrap_or(point), point, 2, colour);
        previous = Some(point);
    }
}

/// A colour swatch and a name per entry, stacked in the top-left corner.
fn draw_legend<'a>(picture: &mut RgbImage, area: &Viewport, entries: impl IntoIterator<Item = (&'a str, Rgb<u8>)>) {
    let line_height = text_height(TEXT_SCALE) + GAP / 2;
    let swatch = text_height(TEXT_SCALE);
    for (index, (name, colour)) in entries.into_iter().enumerate() {
        let x = area.left + GAP;
        let y = area.top + GAP + index as i32 * line_height;
        fill_rect(picture, (x, y), (swatch, swatch), colour);
        draw_text(picture, (x + swatch + GAP / 2, y), name, TEXT_SCALE, BLACK);
    }
}

/// A field evaluated once on a regular lattice over the bounds, read back
/// anywhere by bilinear interpolation between the four nearest samples.
struct SampledField {
    bounds: Bounds,
    /// Row-major samples, row 0 at `y_min`, column 0 at `x_min`.
    samples: Vec<f32>,
}

impl SampledField {
    fn new(field: &dyn Fn(f32, f32) -> f32, bounds: Bounds) -> Self {
        let last = (FIELD_SAMPLES_PER_SIDE - 1) as f32;
        let mut samples = Vec::with_capacity(FIELD_SAMPLES_PER_SIDE * FIELD_SAMPLES_PER_SIDE);
        for row in 0..FIELD_SAMPLES_PER_SIDE {
            let y = bounds.y_min + (bounds.y_max - bounds.y_min) * row as f32 / last;
            for column in 0..FIELD_SAMPLES_PER_SIDE {
                let x = bounds.x_min + (bounds.x_max - bounds.x_min) * column as f32 / last;
                samples.push(field(x, y));
            }
        }
        SampledField { bounds, samples }
    }

    fn at(&self, x: f32, y: f32) -> f32 {
        let b = &self.bounds;
        let last = FIELD_SAMPLES_PER_SIDE - 1;
        let lattice_x = ((x - b.x_min) / (b.x_max - b.x_min) * last as f32).clamp(0.0, last as f32);
        let lattice_y = ((y - b.y_min) / (b.y_max - b.y_min) * last as f32).clamp(0.0, last as f32);
        // The lattice cell holding (x, y), and where in it (0..1) we are.
        let column = (lattice_x as usize).min(last - 1);
        let row = (lattice_y as usize).min(last - 1);
        let (tx, ty) = (lattice_x - column as f32, lattice_y - row as f32);
        let sample = |r: usize, c: usize| self.samples[r * FIELD_SAMPLES_PER_SIDE + c];
        let bottom = sample(row, column) * (1.0 - tx) + sample(row, column + 1) * tx;
        let top = sample(row + 1, column) * (1.0 - tx) + sample(row + 1, column + 1) * tx;
        bottom * (1.0 - ty) + top * ty
    }
}

/// Colours every pixel by the field's value and draws the iso-lines: a pixel
/// is on the line of level L when the field crosses L between it and its
/// right or lower neighbour.
fn shade_field(picture: &mut RgbImage, area: &Viewport, field: &SampledField) {
    let (width, height) = (area.width, area.height);
    let values: Vec<f32> = (0..height)
        .flat_map(|row| (0..width).map(move |column| (column, row)))
        .map(|(column, row)| {
            let (x, y) = area.to_data(area.left + column, area.top + row);
            field.at(x, y).clamp(0.0, 1.0)
        })
        .collect();
    let value_at = |column: i32, row: i32| values[(row * width + column) as usize];
    for row in 0..height {
        for column in 0..width {
            let value = value_at(column, row);
            let mut colour = field_colour(value);
            for level in ISO_LEVELS {
                let above = value >= level;
                let crosses = (column + 1 < width && (value_at(column + 1, row) >= level) != above)
                    || (row + 1 < height && (value_at(column, row + 1) >= level) != above);
                if crosses {
                    colour = if level == 0.5 { BLACK } else { LABEL_GREY };
                }
            }
            put(picture, area.left + column, area.top + row, colour);
        }
    }
}

/// Red at 0, white at 0.5, blue at 1.
fn field_colour(value: f32) -> Rgb<u8> {
    let (end, weight) =
        if value < 0.5 { (FIELD_LOW_COLOUR, 1.0 - 2.0 * value) } else { (FIELD_HIGH_COLOUR, 2.0 * value - 1.0) };
    Rgb(std::array::from_fn(|channel| {
        let white = 255.0;
        (white + (f32::from(end.0[channel]) - white) * weight).round() as u8
    }))
}

//! Rows of pictures, each row named by a label on its left: the comparison
//! figures where one row is one method (the scatter plots of each method's
//! run through training, for instance).

use super::canvas::fill_rect;
use super::font::{draw_text, text_height, text_width};
use image::{imageops, Rgb, RgbImage};

/// Pixels per font dot of the row labels.
const LABEL_SCALE: i32 = 3;
/// White space around the labels and between pictures.
const GAP: u32 = 8;

/// One picture: each row's label in a left column, then its pictures side by
/// side. Every row is as tall as its tallest picture.
pub fn labelled_rows(rows: &[(String, Vec<RgbImage>)]) -> RgbImage {
    let label_width = rows.iter().map(|(label, _)| text_width(label, LABEL_SCALE) as u32).max().unwrap_or(0) + 2 * GAP;
    let row_width = |pictures: &[RgbImage]| pictures.iter().map(|p| p.width() + GAP).sum::<u32>();
    let row_height = |pictures: &[RgbImage]| {
        pictures.iter().map(RgbImage::height).max().unwrap_or(0).max(text_height(LABEL_SCALE) as u32) + GAP
    };
    let width = label_width + rows.iter().map(|(_, p)| row_width(p)).max().unwrap_or(0);
    let height = GAP + rows.iter().map(|(_, p)| row_height(p)).sum::<u32>();
    let mut picture = RgbImage::new(width.max(1), height);
    fill_rect(&mut picture, (0, 0), (width as i32, height as i32), Rgb([255, 255, 255]));
    let mut top = GAP;
    for (label, pictures) in rows {
        let tall = row_height(pictures) - GAP;
        let label_top = top + (tall - text_height(LABEL_SCALE) as u32) / 2;
        draw_text(&mut picture, (GAP as i32, label_top as i32), label, LABEL_SCALE, Rgb([0, 0, 0]));
        let mut left = label_width;
        for item in pictures {
            imageops::replace(&mut picture, item, left as i64, top as i64);
            left += item.width() + GAP;
        }
        top += tall + GAP;
    }
    picture
}

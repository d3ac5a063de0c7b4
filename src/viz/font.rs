//! A tiny 3x5 pixel font for plot labels: digits, letters and a little
//! punctuation, so plots can be read without a text-rendering library.
//!
//! Each glyph is 5 rows of 3 bits; a 1 bit is an inked pixel. Reading the
//! binary numbers top to bottom shows the shape. Lowercase letters are drawn
//! as uppercase; characters without a glyph are drawn as `?`.

use super::canvas::fill_rect;
use image::{Rgb, RgbImage};

const GLYPH_WIDTH: i32 = 3;
const GLYPH_HEIGHT: i32 = 5;
/// Blank columns between two characters.
const LETTER_SPACING: i32 = 1;

/// Width in pixels of `text` drawn at `scale` (pixels per font dot).
pub(super) fn text_width(text: &str, scale: i32) -> i32 {
    let characters = text.chars().count() as i32;
    (characters * (GLYPH_WIDTH + LETTER_SPACING) - LETTER_SPACING).max(0) * scale
}

/// Height in pixels of one line of text drawn at `scale`.
pub(super) fn text_height(scale: i32) -> i32 {
    GLYPH_HEIGHT * scale
}

/// Draws `text` with its top-left corner at (x, y), each font dot being a
/// `scale x scale` square.
pub(super) fn draw_text(picture: &mut RgbImage, (x, y): (i32, i32), text: &str, scale: i32, colour: Rgb<u8>) {
    for (index, character) in text.chars().enumerate() {
        let left = x + index as i32 * (GLYPH_WIDTH + LETTER_SPACING) * scale;
        for (row, bits) in (0..).zip(glyph(character)) {
            for column in 0..GLYPH_WIDTH {
                if bits & (0b100 >> column) != 0 {
                    let corner = (left + column * scale, y + row * scale);
                    fill_rect(picture, corner, (scale, scale), colour);
                }
            }
        }
    }
}

fn glyph(character: char) -> [u8; 5] {
    match character.to_ascii_uppercase() {
        ' ' => [0b000, 0b000, 0b000, 0b000, 0b000],
        '0' => [0b111, 0b101, 0b101, 0b101, 0b111],
        '1' => [0b010, 0b110, 0b010, 0b010, 0b111],
        '2' => [0b111, 0b001, 0b111, 0b100, 0b111],
        '3' => [0b111, 0b001, 0b111, 0b001, 0b111],
        '4' => [0b101, 0b101, 0b111, 0b001, 0b001],
        '5' => [0b111, 0b100, 0b111, 0b001, 0b111],
        '6' => [0b111, 0b100, 0b111, 0b101, 0b111],
        '7' => [0b111, 0b001, 0b001, 0b010, 0b010],
        '8' => [0b111, 0b101, 0b111, 0b101, 0b111],
        '9' => [0b111, 0b101, 0b111, 0b001, 0b111],
        'A' => [0b010, 0b101, 0b111, 0b101, 0b101],
        'B' => [0b110, 0b101, 0b110, 0b101, 0b110],
        'C' => [0b011, 0b100, 0b100, 0b100, 0b011],
        'D' => [0b110, 0b101, 0b101, 0b101, 0b110],
        'E' => [0b111, 0b100, 0b110, 0b100, 0b111],
        'F' => [0b111, 0b100, 0b110, 0b100, 0b100],
        'G' => [0b011, 0b100, 0b101, 0b101, 0b011],
        'H' => [0b101, 0b101, 0b111, 0b101, 0b101],
        'I' => [0b111, 0b010, 0b010, 0b010, 0b111],
        'J' => [0b001, 0b001, 0b001, 0b101, 0b010],
        'K' => [0b101, 0b101, 0b110, 0b101, 0b101],
        'L' => [0b100, 0b100, 0b100, 0b100, 0b111],
        'M' => [0b101, 0b111, 0b111, 0b101, 0b101],
        'N' => [0b110, 0b101, 0b101, 0b101, 0b101],
        'O' => [0b010, 0b101, 0b101, 0b101, 0b010],
        'P' => [0b110, 0b101, 0b110, 0b100, 0b100],
        'Q' => [0b010, 0b101, 0b101, 0b110, 0b011],
        'R' => [0b110, 0b101, 0b110, 0b101, 0b101],
        'S' => [0b011, 0b100, 0b010, 0b001, 0b110],
        'T' => [0b111, 0b010, 0b010, 0b010, 0b010],
        'U' => [0b101, 0b101, 0b101, 0b101, 0b111],
        'V' => [0b101, 0b101, 0b101, 0b101, 0b010],
        'W' => [0b101, 0b101, 0b111, 0b111, 0b101],
        'X' => [0b101, 0b101, 0b010, 0b101, 0b101],
        'Y' => [0b101, 0b101, 0b010, 0b010, 0b010],
        'Z' => [0b111, 0b001, 0b010, 0b100, 0b111],
        '.' => [0b000, 0b000, 0b000, 0b000, 0b010],
        ',' => [0b000, 0b000, 0b000, 0b010, 0b100],
        ':' => [0b000, 0b010, 0b000, 0b010, 0b000],
        '-' => [0b000, 0b000, 0b111, 0b000, 0b000],
        '+' => [0b000, 0b010, 0b111, 0b010, 0b000],
        '_' => [0b000, 0b000, 0b000, 0b000, 0b111],
        '=' => [0b000, 0b111, 0b000, 0b111, 0b000],
        '/' => [0b001, 0b001, 0b010, 0b100, 0b100],
        '(' => [0b001, 0b010, 0b010, 0b010, 0b001],
        ')' => [0b100, 0b010, 0b010, 0b010, 0b100],
        _ => [0b111, 0b001, 0b010, 0b000, 0b010],
    }
}

//! The few drawing primitives the plots need, on an `RgbImage`.
//!
//! Coordinates are signed pixels with (0, 0) at the top-left corner. Anything
//! that falls outside the picture is silently clipped, so callers never have
//! to check bounds.

use image::{Rgb, RgbImage};

/// Sets one pixel, ignoring coordinates outside the picture.
pub(super) fn put(picture: &mut RgbImage, x: i32, y: i32, colour: Rgb<u8>) {
    if let (Ok(x), Ok(y)) = (u32::try_from(x), u32::try_from(y)) {
        if x < picture.width() && y < picture.height() {
            picture.put_pixel(x, y, colour);
        }
    }
}

/// Fills the rectangle whose top-left corner is (x, y).
pub(super) fn fill_rect(picture: &mut RgbImage, (x, y): (i32, i32), (width, height): (i32, i32), colour: Rgb<u8>) {
    for row in y..y + height {
        for column in x..x + width {
            put(picture, column, row, colour);
        }
    }
}

/// Draws a straight line `thickness` pixels wide with Bresenham's algorithm:
/// step along the line one pixel at a time, keeping track of the error
/// between the true line and the pixel drawn.
pub(super) fn draw_line(picture: &mut RgbImage, from: (i32, i32), to: (i32, i32), thickness: i32, colour: Rgb<u8>) {
    let (mut x, mut y) = from;
    let dx = (to.0 - x).abs();
    let dy = -(to.1 - y).abs();
    let step_x = if x < to.0 { 1 } else { -1 };
    let step_y = if y < to.1 { 1 } else { -1 };
    let mut error = dx + dy;
    let offset = thickness / 2;
    loop {
        fill_rect(picture, (x - offset, y - offset), (thickness, thickness), colour);
        if (x, y) == to {
            break;
        }
        let doubled = 2 * error;
        if doubled >= dy {
            error += dy;
            x += step_x;
        }
        if doubled <= dx {
            error += dx;
            y += step_y;
        }
    }
}

/// Draws the outline of a rectangle whose top-left corner is (x, y).
pub(super) fn draw_frame(picture: &mut RgbImage, (x, y): (i32, i32), (width, height): (i32, i32), colour: Rgb<u8>) {
    let (right, bottom) = (x + width - 1, y + height - 1);
    draw_line(picture, (x, y), (right, y), 1, colour);
    draw_line(picture, (x, bottom), (right, bottom), 1, colour);
    draw_line(picture, (x, y), (x, bottom), 1, colour);
    draw_line(picture, (right, y), (right, bottom), 1, colour);
}

/// Fills a disc of the given radius centred on (x, y).
pub(super) fn fill_disc(picture: &mut RgbImage, (x, y): (i32, i32), radius: i32, colour: Rgb<u8>) {
    for dy in -radius..=radius {
        for dx in -radius..=radius {
            if dx * dx + dy * dy <= radius * radius {
                put(picture, x + dx, y + dy, colour);
            }
        }
    }
}

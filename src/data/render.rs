//! SVG to pixels: one vector drawing rendered as a square RGB picture on white.
//!
//! The emoji packages (`emoji`) ship their art as SVG. The `resvg` crate
//! parses and rasterises it in pure Rust (no system libraries), with
//! antialiasing: a pixel that a shape's edge cuts gets the shape's colour in
//! proportion to the area it covers (measured to a quarter pixel). The canvas
//! starts white and the drawing is painted over it, which is the same as
//! compositing a transparent rendering on white, so every pixel comes out
//! opaque. resvg is built without text and embedded-image support
//! (Cargo.toml): a `<text>` element would not be drawn, and no emoji of the
//! two packages has one.

use image::RgbImage;
use resvg::tiny_skia::{Color, Pixmap, Transform};
use resvg::usvg::{Options, Tree};

/// The smallest and largest side `render_svg` accepts: below 8 pixels an
/// emoji is a blur, above 1024 one picture alone takes megabytes.
pub const SIZES: std::ops::RangeInclusive<u32> = 8..=1024;

/// Checks a requested side length against [`SIZES`], with a message that says
/// what to pass instead.
pub fn check_size(size: u32) -> Result<(), String> {
    if SIZES.contains(&size) {
        Ok(())
    } else {
        Err(format!(
            "--size {size} is not a picture size; pass a side in pixels from {} to {} (e.g. 32 or 64)",
            SIZES.start(),
            SIZES.end()
        ))
    }
}

/// Renders SVG source as a `size` x `size` RGB picture: the drawing's canvas
/// (its viewBox, e.g. OpenMoji's 72x72) is stretched over the whole square
/// and painted on white. The error is the parser's reason when the bytes are
/// not an SVG it can read.
pub fn render_svg(svg: &[u8], size: u32) -> Result<RgbImage, String> {
    check_size(size)?;
    let tree = Tree::from_data(svg, &Options::default()).map_err(|e| e.to_string())?;
    let mut pixmap = Pixmap::new(size, size).ok_or_else(|| format!("cannot allocate a {size}x{size} canvas"))?;
    pixmap.fill(Color::WHITE);
    let canvas = tree.size();
    let scale = Transform::from_scale(size as f32 / canvas.width(), size as f32 / canvas.height());
    resvg::render(&tree, scale, &mut pixmap.as_mut());
    // Every pixel is opaque (the canvas started white), so the premultiplied
    // RGB bytes are the plain colour: drop alpha.
    let rgb = pixmap.data().chunks_exact(4).flat_map(|rgba| [rgba[0], rgba[1], rgba[2]]).collect();
    Ok(RgbImage::from_raw(size, size, rgb).expect("size * size * 3 bytes make a size x size RGB picture"))
}

//! Emoji sets for image-to-image translation, rendered from the npm packages
//! of OpenMoji 17 and Twemoji 15 into the reference implementations' layouts.
//!
//! **Paired (pix2pix).** OpenMoji draws every emoji twice on the same 72x72
//! canvas: line art (`black/svg/X.svg`) and colour (`color/svg/X.svg`). Each
//! pair becomes one `2*size x size` picture, outline on the left (A), colour on
//! the right (B), written as `DIR/{train,val,test}/X.png` with OpenMoji's
//! file name X (upper-case code points joined by `-`).
//!
//! **Unpaired (CycleGAN).** OpenMoji colour is side A, Twemoji colour side B,
//! written as `DIR/{trainA,trainB,testA,testB}/K.png`, `size x size`, where K
//! is the emoji's [`code_point_key`], the same on both sides. Test: the emoji
//! both packages draw, so a translation can be scored against the true
//! counterpart, under the same name in testA and testB. Train: the other
//! emoji that both draw go half to trainA only, half to trainB only, and the
//! emoji only one package draws go to that side; no emoji is in both train
//! folders, so the train sets hold no pairs at all (like horses and zebras).
//!
//! **Splits.** An emoji's split is fixed by its [`percentile`], a hash of its
//! code points: the same on every machine, independent of the order of the
//! files, and stable when a package adds emoji. Pairs: percentiles 0..90
//! train, 90..95 val, 95..100 test. Unpaired, emoji in both packages:
//! 0..45 trainA, 45..90 trainB, 90..100 test; emoji in one package: its train.
//!
//! Skin-tone variants (a code point from U+1F3FB to U+1F3FF in the name) are
//! left out: they repeat a drawing with another fill and would only inflate
//! the sets. An SVG that does not parse is skipped and counted. Country flags
//! stay, although their line art is a blank rectangle (the book's chapter on
//! image-to-image data says why).

use super::npm_tarball::{read_svg_folders, Svgs, OPENMOJI, TWEMOJI};
use super::render::{check_size, render_svg};
use super::DataError;
use crate::checkpoint::fnv1a64;
use crate::viz::save_picture;
use image::RgbImage;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// OpenMoji's line-art folder inside its tarball.
const OPENMOJI_LINE_ART: &str = "package/black/svg";
/// OpenMoji's colour folder inside its tarball.
const OPENMOJI_COLOUR: &str = "package/color/svg";
/// Twemoji's SVG folder inside its tarball (the files lie in its root).
const TWEMOJI_COLOUR: &str = "package";

/// The Fitzpatrick skin-tone modifiers U+1F3FB..=U+1F3FF.
const SKIN_TONES: std::ops::RangeInclusive<u32> = 0x1F3FB..=0x1F3FF;
/// U+FE0F, the variation selector asking for emoji presentation: OpenMoji
/// writes it in file names, Twemoji mostly leaves it out.
const EMOJI_PRESENTATION: u32 = 0xFE0F;

/// How the sets are rendered: the side of one emoji in pixels, and the share
/// of emoji kept.
#[derive(Debug, Clone, Copy)]
pub struct RenderOptions {
    /// Side of one rendered emoji (a pair picture is twice as wide).
    pub size: u32,
    /// Keep one emoji in this many (1: all), chosen by a part of the hash
    /// that the split does not use, so each split shrinks by the same factor.
    pub keep_one_in: u64,
}

/// What a render wrote and what it left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Pictures written per output folder, in the layout's order.
    pub written: Vec<(&'static str, usize)>,
    /// Skin-tone variants left out.
    pub skin_tones: usize,
    /// Emoji left out for want of a counterpart (pairs: line art without
    /// colour or colour without line art).
    pub unmatched: usize,
    /// Emoji left out because one of their SVGs did not parse, by name.
    pub unparsable: Vec<String>,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let written: Vec<String> = self.written.iter().map(|(folder, count)| format!("{folder} {count}")).collect();
        write!(
            f,
            "{}; left out: {} skin-tone variants, {} without a counterpart, {} unparsable",
            written.join(", "),
            self.skin_tones,
            self.unmatched,
            self.unparsable.len()
        )
    }
}

/// The code points in an emoji file name (`1F469-200D-1F4BB`, `23-20e3`), or
/// `None` for a name that is not hex joined by `-`.
fn code_points(name: &str) -> Option<Vec<u32>> {
    name.split('-').map(|part| u32::from_str_radix(part, 16).ok()).collect()
}

/// The name under which both packages' files of one emoji match: the code
/// points in lower-case hex without leading zeros, joined by `-`, with U+FE0F
/// dropped (OpenMoji's `0023-FE0F-20E3` and Twemoji's `23-20e3` are both
/// `23-20e3`). A name that is not code points is only lower-cased.
pub fn code_point_key(name: &str) -> String {
    match code_points(name) {
        Some(points) => {
            let kept: Vec<String> =
                points.into_iter().filter(|&p| p != EMOJI_PRESENTATION).map(|p| format!("{p:x}")).collect();
            kept.join("-")
        }
        None => name.to_lowercase(),
    }
}

/// Whether the name holds a skin-tone modifier.
pub fn is_skin_tone_variant(name: &str) -> bool {
    code_points(name).is_some_and(|points| points.iter().any(|p| SKIN_TONES.contains(p)))
}

/// The emoji's place 0..100 in the splits: FNV-1a of its [`code_point_key`]
/// modulo 100, so both packages' files of one emoji get the same percentile.
pub fn percentile(name: &str) -> u64 {
    fnv1a64(code_point_key(name).as_bytes()) % 100
}

/// Whether `--keep-one-in` keeps the emoji: the hash's digits above the
/// percentile, modulo `keep_one_in`, are zero.
fn kept(name: &str, keep_one_in: u64) -> bool {
    (fnv1a64(code_point_key(name).as_bytes()) / 100).is_multiple_of(keep_one_in)
}

/// The pictures of one emoji, written all or none: its file name, and per
/// output folder the SVGs drawn side by side in that folder's picture.
struct Emoji<'a> {
    name: String,
    pictures: Vec<(&'static str, Vec<&'a [u8]>)>,
}

impl<'a> Emoji<'a> {
    /// An emoji with one picture, in `folder`.
    fn one(name: &str, folder: &'static str, panels: Vec<&'a [u8]>) -> Self {
        Emoji { name: name.to_string(), pictures: vec![(folder, panels)] }
    }
}

/// Renders OpenMoji's line-art and colour pairs into pix2pix's layout (see
/// the module doc), reporting `(done, total)` after each emoji.
pub fn write_pairs(
    openmoji: &Path,
    out: &Path,
    options: RenderOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Summary, DataError> {
    check_options(options, out)?;
    let [line_art, colour]: [Svgs; 2] = read_svg_folders(openmoji, OPENMOJI, &[OPENMOJI_LINE_ART, OPENMOJI_COLOUR])?
        .try_into()
        .expect("one map per folder asked for");
    let mut summary = Summary::new(&["train", "val", "test"]);
    let mut emoji = Vec::new();
    for name in line_art.keys().chain(colour.keys().filter(|name| !line_art.contains_key(*name))) {
        if is_skin_tone_variant(name) {
            summary.skin_tones += 1;
            continue;
        }
        let (Some(outline), Some(filled)) = (line_art.get(name), colour.get(name)) else {
            summary.unmatched += 1;
            continue;
        };
        if !kept(name, options.keep_one_in) {
            continue;
        }
        let folder = match percentile(name) {
            0..90 => "train",
            90..95 => "val",
            _ => "test",
        };
        emoji.push(Emoji::one(name, folder, vec![outline, filled]));
    }
    render_emoji(&emoji, out, options.size, &mut summary, progress)?;
    Ok(summary)
}

/// Renders OpenMoji colour (A) and Twemoji colour (B) into CycleGAN's layout
/// (see the module doc), reporting `(done, total)` after each emoji.
pub fn write_unpaired(
    openmoji: &Path,
    twemoji: &Path,
    out: &Path,
    options: RenderOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Summary, DataError> {
    check_options(options, out)?;
    let [openmoji_colour]: [Svgs; 1] =
        read_svg_folders(openmoji, OPENMOJI, &[OPENMOJI_COLOUR])?.try_into().expect("one map per folder asked for");
    let [twemoji_colour]: [Svgs; 1] =
        read_svg_folders(twemoji, TWEMOJI, &[TWEMOJI_COLOUR])?.try_into().expect("one map per folder asked for");
    let mut summary = Summary::new(&["trainA", "trainB", "testA", "testB"]);
    let side_a = by_key(openmoji_colour, &mut summary);
    let side_b = by_key(twemoji_colour, &mut summary);
    let mut emoji = Vec::new();
    for (key, svg_a) in side_a.iter().filter(|(key, _)| kept(key, options.keep_one_in)) {
        emoji.push(match (side_b.get(key), percentile(key)) {
            (Some(svg_b), 90..) => {
                Emoji { name: key.clone(), pictures: vec![("testA", vec![svg_a]), ("testB", vec![svg_b])] }
            }
            (Some(svg_b), 45..) => Emoji::one(key, "trainB", vec![svg_b]),
            _ => Emoji::one(key, "trainA", vec![svg_a]),
        });
    }
    for (key, svg_b) in side_b.iter().filter(|(key, _)| !side_a.contains_key(*key) && kept(key, options.keep_one_in)) {
        emoji.push(Emoji::one(key, "trainB", vec![svg_b]));
    }
    render_emoji(&emoji, out, options.size, &mut summary, progress)?;
    Ok(summary)
}

/// One package's SVGs by [`code_point_key`], skin-tone variants counted and
/// left out.
fn by_key(svgs: Svgs, summary: &mut Summary) -> BTreeMap<String, Vec<u8>> {
    let (skin_tones, others): (Vec<_>, Vec<_>) = svgs.into_iter().partition(|(name, _)| is_skin_tone_variant(name));
    summary.skin_tones += skin_tones.len();
    others.into_iter().map(|(name, svg)| (code_point_key(&name), svg)).collect()
}

/// Refuses a nonsense size or share, and an output folder that already holds
/// files (a second render into it would mix two sets).
pub(super) fn check_options(options: RenderOptions, out: &Path) -> Result<(), DataError> {
    check_size(options.size).map_err(DataError::InvalidArgument)?;
    if options.keep_one_in == 0 {
        return Err(DataError::InvalidArgument(
            "--keep-one-in 0 keeps nothing; pass 1 to keep every emoji, or N to keep one in N".into(),
        ));
    }
    if std::fs::read_dir(out).is_ok_and(|mut entries| entries.next().is_some()) {
        return Err(DataError::InvalidArgument(format!(
            "output folder {} already holds files; pass a new or empty --out folder",
            out.display()
        )));
    }
    Ok(())
}

/// Creates every folder of the layout (so an empty split is still there),
/// then renders each emoji's pictures into `out/folder/name.png`, counting
/// them in `summary`; an emoji with an SVG that does not parse is listed
/// there and none of its pictures is written (a test pair stays a pair).
/// Fails only on a write error, or when emoji were asked for and none rendered.
fn render_emoji(
    emoji: &[Emoji],
    out: &Path,
    size: u32,
    summary: &mut Summary,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<(), DataError> {
    for (folder, _) in &summary.written {
        let path = out.join(folder);
        std::fs::create_dir_all(&path)
            .map_err(|error| DataError::WriteImage { path, reason: format!("could not create the folder: {error}") })?;
    }
    let mut first_failure = None;
    for (done, one) in emoji.iter().enumerate() {
        let rendered: Result<Vec<RgbImage>, String> =
            one.pictures.iter().map(|(_, panels)| render_side_by_side(panels, size)).collect();
        match rendered {
            Ok(rendered) => {
                for ((folder, _), picture) in one.pictures.iter().zip(&rendered) {
                    save_picture(picture, &out.join(folder).join(format!("{}.png", one.name)))?;
                    summary.count(folder);
                }
            }
            Err(reason) => {
                first_failure.get_or_insert_with(|| format!("{}: {reason}", one.name));
                summary.unparsable.push(one.name.clone());
            }
        }
        progress(done + 1, emoji.len());
    }
    match first_failure {
        Some(failure) if summary.written.iter().all(|(_, count)| *count == 0) => Err(DataError::InvalidArgument(
            format!("none of the {} emoji rendered (first failure: {failure}); check the package", emoji.len()),
        )),
        _ => Ok(()),
    }
}

/// The panels rendered at `size x size` and set side by side, left to right.
fn render_side_by_side(panels: &[&[u8]], size: u32) -> Result<RgbImage, String> {
    let mut picture = RgbImage::new(size * panels.len() as u32, size);
    for (index, svg) in panels.iter().enumerate() {
        image::imageops::replace(&mut picture, &render_svg(svg, size)?, i64::from(size) * index as i64, 0);
    }
    Ok(picture)
}

impl Summary {
    /// Nothing written yet to any of `folders`.
    fn new(folders: &[&'static str]) -> Self {
        Summary {
            written: folders.iter().map(|&folder| (folder, 0)).collect(),
            skin_tones: 0,
            unmatched: 0,
            unparsable: vec![],
        }
    }

    /// One more picture written to `folder`.
    fn count(&mut self, folder: &str) {
        if let Some((_, count)) = self.written.iter_mut().find(|(name, _)| *name == folder) {
            *count += 1;
        }
    }
}

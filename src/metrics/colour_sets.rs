//! The labelled colour 32x32 sets that the feature nets of image-to-image
//! translation learn from: the classifier of `classifier.rs` with three
//! input channels, whose 64 features score translations by FID
//! (`translation.rs`) as the digit classifier's score generated digits.
//!
//! - **emoji**: colour emoji of both styles (OpenMoji, and Twemoji under the
//!   same code points), labelled by OpenMoji's group of the emoji (smileys,
//!   people, animals, food, travel, activities, objects, symbols, flags, ...):
//!   the `group` column of `package/data/openmoji.csv` in the OpenMoji npm
//!   tarball, keyed by the code points that name both styles' files. Trained
//!   on the rendered sets' training pictures (`pairs/train/`'s colour halves
//!   and `unpaired/trainB/`'s Twemoji), held out: `unpaired/testA/` and
//!   `testB/`, emoji no training folder holds. Twemoji drawings of emoji
//!   OpenMoji does not draw have no group and are left out.
//! - **avatars**: the DiceBear avatars of SPADE, labelled by which of the
//!   four optional parts (accessories, glasses, beard, hat) their label map
//!   shows: 16 classes, a bit per part. Trained on `train/`, held out `test/`.
//!
//! Both sets are drawn on white, so a training shift fills with white.

use super::digits::{Digits, Split};
use super::EvalError;
use crate::data::avatars::{nearest_class, PARTS};
use crate::data::emoji::code_point_key;
use crate::data::npm_tarball::{read_file, OPENMOJI};
use crate::data::{folder, pairs};
use crate::Tensor;
use std::collections::BTreeMap;
use std::path::Path;

/// OpenMoji's groups, in the order of its data file: the emoji classes.
pub const EMOJI_GROUPS: [&str; 12] = [
    "smileys-emotion",
    "people-body",
    "component",
    "animals-nature",
    "food-drink",
    "travel-places",
    "activities",
    "objects",
    "symbols",
    "flags",
    "extras-openmoji",
    "extras-unicode",
];

/// The avatar parts whose presence makes an avatar's class, a bit each.
pub const OPTIONAL_PARTS: [&str; 4] = ["accessories", "glasses", "beard", "hat"];

/// OpenMoji's data file inside its tarball.
const OPENMOJI_DATA: &str = "package/data/openmoji.csv";

/// The split of the feature net named `dataset` (emoji or avatars) from the
/// rendered set in `dir`; emoji also need the OpenMoji tarball for their groups.
pub fn colour_split(dataset: &str, dir: &Path, openmoji: Option<&Path>) -> Result<Split, EvalError> {
    match (dataset, openmoji) {
        ("emoji", Some(tarball)) => emoji_split(dir, &emoji_groups(tarball)?),
        ("emoji", None) => Err(EvalError::InvalidInput(
            "the emoji feature net's labels are OpenMoji's groups: give --openmoji openmoji-17.0.0.tgz \
             (`npm pack openmoji@17.0.0`)"
                .into(),
        )),
        ("avatars", _) => avatar_split(dir),
        (other, _) => Err(EvalError::InvalidInput(format!("no colour set {other:?}: use emoji or avatars"))),
    }
}

/// The group index of every emoji of OpenMoji's data file, by `code_point_key`.
pub fn emoji_groups(tarball: &Path) -> Result<BTreeMap<String, usize>, EvalError> {
    let bytes = read_file(tarball, OPENMOJI, OPENMOJI_DATA)?;
    let text = String::from_utf8_lossy(&bytes);
    // Columns: emoji,hexcode,group,...; the first three never hold a comma.
    Ok(text
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut columns = line.split(',').skip(1);
            let (hexcode, group) = (columns.next()?, columns.next()?);
            Some((code_point_key(hexcode), EMOJI_GROUPS.iter().position(|&g| g == group)?))
        })
        .collect())
}

/// The emoji split of a rendered folder with `pairs/` and `unpaired/` (see the header).
pub fn emoji_split(dir: &Path, groups: &BTreeMap<String, usize>) -> Result<Split, EvalError> {
    let colour_halves = |pairs: Tensor| pairs.narrow(1, pairs.shape()[1] / 2, pairs.shape()[1]);
    let openmoji_train = pairs::load_pair_tensor(&dir.join("pairs/train"))?;
    let train = [
        labelled_emoji(&dir.join("pairs/train"), colour_halves(openmoji_train), groups)?,
        labelled_emoji(&dir.join("unpaired/trainB"), pairs::load_pictures(&dir.join("unpaired/trainB"))?, groups)?,
    ];
    let held_out = ["unpaired/testA", "unpaired/testB"]
        .map(|set| labelled_emoji(&dir.join(set), pairs::load_pictures(&dir.join(set))?, groups));
    let [test_a, test_b] = held_out;
    Ok(Split { train: joined(&train), held_out: joined(&[test_a?, test_b?]) })
}

/// The avatar split of a rendered folder with `train/` and `test/` (see the header).
pub fn avatar_split(dir: &Path) -> Result<Split, EvalError> {
    let part = |name: &str| -> Result<Digits, EvalError> {
        let pairs = pairs::load_pair_tensor(&dir.join(name))?; // [N, 6, H, W]: label map, then avatar
        let [_, channels, height, width] = pairs.shape()[..] else { unreachable!("pairs are [N, 6, H, W]") };
        let plane = height * width;
        let labels = pairs.narrow(1, 0, channels / 2).to_vec();
        let bit_of = |class: usize| OPTIONAL_PARTS.iter().position(|&p| p == PARTS[class].0);
        let classes: Vec<usize> = labels
            .chunks(3 * plane)
            .map(|map| {
                let to_byte = |v: f32| ((v + 1.0) * 127.5).round().clamp(0.0, 255.0) as u8;
                (0..plane)
                    .filter_map(|p| bit_of(nearest_class([0, 1, 2].map(|c| to_byte(map[c * plane + p])))))
                    .fold(0, |class, bit| class | (1 << bit))
            })
            .collect();
        let avatars = pairs.narrow(1, channels / 2, channels).to_vec();
        Ok(Digits { pixels: avatars, labels: classes, shape: [channels / 2, height, width], background: 1.0 })
    };
    Ok(Split { train: part("train")?, held_out: part("test")? })
}

/// The pictures [N, 3, H, W] of `dir`'s files (in file-name order) whose
/// emoji has a group, labelled by it.
fn labelled_emoji(dir: &Path, pictures: Tensor, groups: &BTreeMap<String, usize>) -> Result<Digits, EvalError> {
    let files = folder::list_images(dir)?;
    let [_, channels, height, width] = pictures.shape()[..] else { unreachable!("pictures are [N, C, H, W]") };
    let len = channels * height * width;
    let values = pictures.to_vec();
    let (mut pixels, mut labels) = (Vec::new(), Vec::new());
    for (i, file) in files.iter().enumerate() {
        let name = file.file_stem().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if let Some(&group) = groups.get(&code_point_key(&name)) {
            pixels.extend_from_slice(&values[i * len..(i + 1) * len]);
            labels.push(group);
        }
    }
    Ok(Digits { pixels, labels, shape: [channels, height, width], background: 1.0 })
}

/// Labelled sets of one shape, one after the other.
fn joined(parts: &[Digits]) -> Digits {
    Digits {
        pixels: parts.iter().flat_map(|p| p.pixels.iter().copied()).collect(),
        labels: parts.iter().flat_map(|p| p.labels.iter().copied()).collect(),
        shape: parts[0].shape,
        background: parts[0].background,
    }
}

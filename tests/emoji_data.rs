//! Tests of the emoji data: SVG rendering, the npm tarball reader, pairing,
//! splits and layouts of `ganforge data`, its errors, and the committed
//! `data/emoji32/` subset. All on the CPU, on tiny tarballs built here.

mod common;

use common::{fresh_temp_dir, ganforge, write_tgz};
use ganforge::data::emoji::{
    code_point_key, is_skin_tone_variant, percentile, write_pairs, write_unpaired, RenderOptions, Summary,
};
use ganforge::data::render::render_svg;
use ganforge::data::DataError;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// A 10x10 canvas with one filled square from (2, 2) to (7.5, 7.5).
fn square_svg(colour: &str) -> Vec<u8> {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect x="2" y="2" width="5.5" height="5.5" fill="{colour}"/></svg>"#
    )
    .into_bytes()
}

/// Every file under `root`, as paths relative to it, e.g. `train/1F600.png`.
fn files_under(root: &Path) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for folder in std::fs::read_dir(root).unwrap() {
        let folder = folder.unwrap().path();
        for file in std::fs::read_dir(&folder).unwrap() {
            let name = file.unwrap().file_name().into_string().unwrap();
            found.insert(format!("{}/{name}", folder.file_name().unwrap().to_str().unwrap()));
        }
    }
    found
}

/// The sub-folders of `root`, by name.
fn folders_under(root: &Path) -> BTreeSet<String> {
    std::fs::read_dir(root).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect()
}

/// The pix2pix folder the documented rule puts an emoji in.
fn pair_split(name: &str) -> &'static str {
    match percentile(name) {
        0..90 => "train",
        90..95 => "val",
        _ => "test",
    }
}

const ALL: RenderOptions = RenderOptions { size: 12, keep_one_in: 1 };

fn no_progress(_: usize, _: usize) {}

#[test]
fn a_square_renders_red_inside_white_outside_and_blended_on_its_edge() {
    // Size 13 stretches the 10-unit canvas by 1.3: the square covers pixels
    // 2.6 to 9.75, so column 2 is 40% red and column 9 75% red. The
    // rasteriser measures coverage in quarter pixels: allow a quarter's error.
    let picture = render_svg(&square_svg("#ff0000"), 13).unwrap();
    assert_eq!(picture.dimensions(), (13, 13));
    assert_eq!(picture.get_pixel(5, 5).0, [255, 0, 0], "inside");
    for (x, y) in [(0, 0), (12, 12), (1, 5), (5, 1), (10, 5)] {
        assert_eq!(picture.get_pixel(x, y).0, [255, 255, 255], "outside at ({x}, {y})");
    }
    for (column, coverage) in [(2, 0.4), (9, 0.75)] {
        let [red, green, blue] = picture.get_pixel(column, 5).0;
        let expected = 255.0 * (1.0 - coverage);
        assert_eq!(red, 255, "column {column}: red over white keeps red full");
        assert!(0 < green && green < 255, "column {column}: an edge pixel is a blend, got green {green}");
        assert!((f64::from(green) - expected).abs() <= 64.0, "column {column}: green {green}, expected ~{expected}");
        assert_eq!(green, blue, "column {column}");
    }
}

#[test]
fn a_render_refuses_a_nonsense_size_and_a_broken_svg() {
    assert!(render_svg(&square_svg("red"), 0).unwrap_err().contains("--size 0"));
    assert!(render_svg(b"<svg><rect", 16).is_err());
}

#[test]
fn code_points_match_across_the_two_naming_styles() {
    assert_eq!(code_point_key("0023-FE0F-20E3"), "23-20e3");
    assert_eq!(code_point_key("23-20e3"), "23-20e3");
    assert_eq!(code_point_key("1F468-200D-1F469-200D-1F467"), "1f468-200d-1f469-200d-1f467");
    assert_eq!(code_point_key("2764-FE0F"), code_point_key("2764"));
    assert!(is_skin_tone_variant("1F44D-1F3FB"));
    assert!(is_skin_tone_variant("1f3c3-1f3ff-200d-2640-fe0f"));
    assert!(!is_skin_tone_variant("1F3FA"));
    assert!(!is_skin_tone_variant("1F600"));
    // The hash fixes the committed subset: a change here changes data/emoji32.
    assert_eq!(percentile("1F600"), percentile("1f600"));
    let fixed = ["1F600", "0023-FE0F-20E3", "1F4A9"].map(percentile);
    assert_eq!(fixed, [44, 95, 68], "one percentile in each unpaired split");
}

/// An OpenMoji-like tarball: two pairs (one named with FE0F), a skin-tone
/// pair, a line art without colour; line art is a black square, colour a blue one.
fn tiny_openmoji(dir: &Path) -> PathBuf {
    let (black, blue) = (square_svg("#000000"), square_svg("#0000ff"));
    let path = dir.join("openmoji.tgz");
    write_tgz(
        &path,
        &[
            ("package/package.json", b"{}"),
            ("package/black/svg/1F600.svg", &black),
            ("package/color/svg/1F600.svg", &blue),
            ("package/black/svg/0023-FE0F-20E3.svg", &black),
            ("package/color/svg/0023-FE0F-20E3.svg", &blue),
            ("package/black/svg/1F44D-1F3FB.svg", &black),
            ("package/color/svg/1F44D-1F3FB.svg", &blue),
            ("package/black/svg/E000.svg", &black),
        ],
    );
    path
}

#[test]
fn pairs_of_a_tiny_tarball_land_in_the_documented_layout() {
    let dir = fresh_temp_dir("emoji-pairs");
    let out = dir.join("pairs");
    let mut reports = Vec::new();
    let summary = write_pairs(&tiny_openmoji(&dir), &out, ALL, &mut |done, total| reports.push((done, total))).unwrap();
    assert_eq!(
        summary,
        Summary {
            written: vec![
                ("train", ["1F600", "0023-FE0F-20E3"].iter().filter(|n| pair_split(n) == "train").count()),
                ("val", ["1F600", "0023-FE0F-20E3"].iter().filter(|n| pair_split(n) == "val").count()),
                ("test", ["1F600", "0023-FE0F-20E3"].iter().filter(|n| pair_split(n) == "test").count()),
            ],
            skin_tones: 1,
            unmatched: 1,
            unparsable: vec![],
        }
    );
    assert_eq!(reports, [(1, 2), (2, 2)]);
    assert_eq!(folders_under(&out), BTreeSet::from(["test".into(), "train".into(), "val".into()]));
    let expected: BTreeSet<String> =
        ["1F600", "0023-FE0F-20E3"].iter().map(|name| format!("{}/{name}.png", pair_split(name))).collect();
    assert_eq!(files_under(&out), expected);
    let pair = image::open(out.join(pair_split("1F600")).join("1F600.png")).unwrap().into_rgb8();
    assert_eq!(pair.dimensions(), (24, 12), "A|B: twice as wide as high");
    assert_eq!(pair.get_pixel(6, 6).0, [0, 0, 0], "A, the line art, on the left");
    assert_eq!(pair.get_pixel(12 + 6, 6).0, [0, 0, 255], "B, the colour, on the right");
    assert_eq!(pair.get_pixel(12, 0).0, [255, 255, 255], "on white");
}

#[test]
fn unpaired_sets_put_true_counterparts_in_test_and_no_emoji_in_both_train_folders() {
    let dir = fresh_temp_dir("emoji-unpaired");
    let twemoji = dir.join("twemoji.tgz");
    let red = square_svg("#ff0000");
    let twemoji_names = ["1f600", "23-20e3", "1f4a9", "1f680", "1f44d-1f3fb"].map(|n| format!("package/{n}.svg"));
    write_tgz(&twemoji, &twemoji_names.iter().map(|n| (n.as_str(), red.as_slice())).collect::<Vec<_>>());
    let openmoji = dir.join("openmoji.tgz");
    let blue = square_svg("#0000ff");
    let openmoji_names =
        ["1F600", "0023-FE0F-20E3", "1F4A9", "E000", "1F44D-1F3FB"].map(|n| format!("package/color/svg/{n}.svg"));
    write_tgz(&openmoji, &openmoji_names.iter().map(|n| (n.as_str(), blue.as_slice())).collect::<Vec<_>>());
    let out = dir.join("unpaired");
    let summary = write_unpaired(&openmoji, &twemoji, &out, ALL, &mut no_progress).unwrap();
    assert_eq!(summary.skin_tones, 2);
    // Of the emoji both draw, by percentile (checked above): 1f600 (44) goes
    // to trainA, 1f4a9 (68) to trainB, 23-20e3 (95) to test, under the same
    // name on both sides; e000 and 1f680 are drawn by one package only.
    let expected = ["testA/23-20e3", "testB/23-20e3", "trainA/1f600", "trainB/1f4a9", "trainA/e000", "trainB/1f680"];
    assert_eq!(files_under(&out), expected.iter().map(|f| format!("{f}.png")).collect());
    let a = image::open(out.join("testA/23-20e3.png")).unwrap().into_rgb8();
    let b = image::open(out.join("testB/23-20e3.png")).unwrap().into_rgb8();
    assert_eq!((a.dimensions(), b.dimensions()), ((12, 12), (12, 12)));
    assert_eq!((a.get_pixel(6, 6).0, b.get_pixel(6, 6).0), ([0, 0, 255], [255, 0, 0]), "A is OpenMoji, B Twemoji");
}

#[test]
fn keep_one_in_keeps_a_strict_nonempty_subset_of_the_full_render() {
    let dir = fresh_temp_dir("emoji-keep");
    let square = square_svg("#000000");
    let names: Vec<String> = (0x1F600..0x1F630).map(|point| format!("{point:X}")).collect();
    let files: Vec<(String, &[u8])> = names
        .iter()
        .flat_map(|name| {
            ["black", "color"].map(|folder| (format!("package/{folder}/svg/{name}.svg"), square.as_slice()))
        })
        .collect();
    let openmoji = dir.join("openmoji.tgz");
    write_tgz(&openmoji, &files.iter().map(|(path, svg)| (path.as_str(), *svg)).collect::<Vec<_>>());
    write_pairs(&openmoji, &dir.join("all"), ALL, &mut no_progress).unwrap();
    let subset = RenderOptions { keep_one_in: 3, ..ALL };
    write_pairs(&openmoji, &dir.join("some"), subset, &mut no_progress).unwrap();
    let (all, some) = (files_under(&dir.join("all")), files_under(&dir.join("some")));
    assert_eq!(all.len(), 48);
    assert!(some.is_subset(&all), "the same emoji in the same splits");
    assert!((4..=32).contains(&some.len()), "about a third of 48 kept, got {}", some.len());
}

#[test]
fn an_svg_that_does_not_parse_is_skipped_and_counted_unless_none_renders() {
    let dir = fresh_temp_dir("emoji-broken");
    let good = square_svg("#000000");
    let path = dir.join("openmoji.tgz");
    write_tgz(
        &path,
        &[
            ("package/black/svg/1F600.svg", &good),
            ("package/color/svg/1F600.svg", &good),
            ("package/black/svg/1F354.svg", &good),
            ("package/color/svg/1F354.svg", b"<svg><path d="),
        ],
    );
    let summary = write_pairs(&path, &dir.join("some"), ALL, &mut no_progress).unwrap();
    assert_eq!(summary.unparsable, ["1F354"]);
    assert_eq!(files_under(&dir.join("some")), BTreeSet::from([format!("{}/1F600.png", pair_split("1F600"))]));

    // A test emoji whose Twemoji SVG is broken leaves testA too: test pairs stay pairs.
    let (openmoji, twemoji, blue) = (dir.join("colour.tgz"), dir.join("twemoji.tgz"), square_svg("#0000ff"));
    write_tgz(&openmoji, &[("package/color/svg/0023-FE0F-20E3.svg", &blue), ("package/color/svg/1F600.svg", &blue)]);
    write_tgz(&twemoji, &[("package/23-20e3.svg", b"<svg"), ("package/1f600.svg", &blue)]);
    let summary = write_unpaired(&openmoji, &twemoji, &dir.join("unpaired"), ALL, &mut no_progress).unwrap();
    assert_eq!(summary.unparsable, ["23-20e3"]);
    assert_eq!(files_under(&dir.join("unpaired")), BTreeSet::from(["trainA/1f600.png".to_string()]));

    let broken = dir.join("broken.tgz");
    write_tgz(&broken, &[("package/black/svg/1F600.svg", b"no svg"), ("package/color/svg/1F600.svg", b"no svg")]);
    let error = write_pairs(&broken, &dir.join("none"), ALL, &mut no_progress).unwrap_err().to_string();
    assert!(error.contains("none of the 1 emoji rendered") && error.contains("1F600"), "{error}");
}

#[test]
fn bad_inputs_get_one_line_errors_that_say_what_to_do() {
    let dir = fresh_temp_dir("emoji-errors");
    let message = |result: Result<Summary, DataError>| result.unwrap_err().to_string();
    let out = dir.join("out");

    let missing = message(write_pairs(&dir.join("nope.tgz"), &out, ALL, &mut no_progress));
    assert!(missing.contains("nope.tgz") && missing.contains("check that the path is right"), "{missing}");

    let text = dir.join("notes.tgz");
    std::fs::write(&text, "not a tarball").unwrap();
    let not_gzip = message(write_pairs(&text, &out, ALL, &mut no_progress));
    assert!(not_gzip.contains("not a gzip file") && not_gzip.contains("npm pack openmoji@17.0.0"), "{not_gzip}");

    let truncated = dir.join("truncated.tgz");
    let whole = std::fs::read(tiny_openmoji(&dir)).unwrap();
    std::fs::write(&truncated, &whole[..whole.len() / 2]).unwrap();
    let corrupt = message(write_pairs(&truncated, &out, ALL, &mut no_progress));
    assert!(corrupt.contains("corrupt gzip or tar data"), "{corrupt}");

    let other = dir.join("other.tgz");
    write_tgz(&other, &[("package/readme.md", b"hello"), ("package/1f600.svg", &square_svg("red"))]);
    let wrong = message(write_pairs(&other, &out, ALL, &mut no_progress));
    assert!(wrong.contains("no .svg files in package/black/svg/") && wrong.contains("npm pack openmoji@17.0.0"));
    let swapped = message(write_unpaired(&tiny_openmoji(&dir), &tiny_openmoji(&dir), &out, ALL, &mut no_progress));
    assert!(swapped.contains("npm pack @twemoji/svg@15.0.0"), "{swapped}");

    let tiny = RenderOptions { size: 0, ..ALL };
    assert!(message(write_pairs(&tiny_openmoji(&dir), &out, tiny, &mut no_progress)).contains("--size 0"));
    let nothing = RenderOptions { keep_one_in: 0, ..ALL };
    assert!(message(write_pairs(&tiny_openmoji(&dir), &out, nothing, &mut no_progress)).contains("--keep-one-in 0"));

    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("old.png"), "").unwrap();
    let occupied = message(write_pairs(&tiny_openmoji(&dir), &out, ALL, &mut no_progress));
    assert!(occupied.contains("already holds files"), "{occupied}");

    for error in [missing, not_gzip, corrupt, wrong, swapped, occupied] {
        assert!(!error.contains('\n'), "one line: {error}");
    }
}

#[test]
fn the_command_line_renders_a_set_and_prints_its_summary() {
    let dir = fresh_temp_dir("emoji-cli");
    let openmoji = tiny_openmoji(&dir);
    let out = dir.join("pairs");
    let (ok, text) =
        ganforge(&["data", "openmoji", openmoji.to_str().unwrap(), "--size", "16", "--out", out.to_str().unwrap()]);
    assert!(ok, "{text}");
    assert!(text.contains("left out: 1 skin-tone variants, 1 without a counterpart, 0 unparsable"), "{text}");
    assert_eq!(files_under(&out).len(), 2);
    let elsewhere = dir.join("elsewhere");
    let (ok, text) = ganforge(&["data", "openmoji", "missing.tgz", "--out", elsewhere.to_str().unwrap()]);
    assert!(!ok && text.starts_with("error: ") && text.contains("missing.tgz"), "{text}");
}

/// The PNGs of `folder` (names without `.png`), checking each one's size.
fn committed_pictures(folder: &str, width: u32, height: u32) -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/emoji32").join(folder);
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())) {
        let file = entry.unwrap().path();
        let dimensions = image::image_dimensions(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(dimensions, (width, height), "{}", file.display());
        names.insert(file.file_stem().unwrap().to_str().unwrap().to_string());
    }
    names
}

#[test]
fn the_committed_subset_has_the_documented_layout_sizes_and_counts() {
    let pairs: Vec<BTreeSet<String>> =
        ["pairs/train", "pairs/val", "pairs/test"].iter().map(|f| committed_pictures(f, 64, 32)).collect();
    assert_eq!(pairs.iter().map(BTreeSet::len).collect::<Vec<_>>(), [384, 9, 26], "data/README.md's counts");
    for (names, split) in pairs.iter().zip(["train", "val", "test"]) {
        assert!(names.iter().all(|name| pair_split(name) == split && !is_skin_tone_variant(name)));
        assert!(names
            .iter()
            .all(|name| name.chars().all(|c| c == '-' || c.is_ascii_digit() || c.is_ascii_uppercase())));
    }
    let [train_a, train_b, test_a, test_b] = ["unpaired/trainA", "unpaired/trainB", "unpaired/testA", "unpaired/testB"]
        .map(|f| committed_pictures(f, 32, 32));
    assert_eq!(
        [train_a.len(), train_b.len(), test_a.len(), test_b.len()],
        [234, 161, 27, 27],
        "data/README.md's counts"
    );
    assert_eq!(test_a, test_b, "test pairs are true counterparts under one name");
    assert!(train_a.is_disjoint(&train_b), "no emoji in both train folders");
    assert!(test_a.iter().all(|key| percentile(key) >= 90 && *key == code_point_key(key)));
}

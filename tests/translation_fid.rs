//! FID of image-to-image translations (`metrics/translation.rs`): the
//! classifier as a 3-channel feature net at an awkward size against a
//! plain-Rust forward, its file rebuilding its shape, FID of a set against
//! itself and against a shifted set, the emoji labels read from OpenMoji's
//! data file under both naming styles, the classifier command's errors, and
//! `ganforge eval` of a tiny pix2pix checkpoint scoring FID with the
//! committed emoji feature net.

mod common;

use common::{fresh_temp_dir, ganforge, tiny_run, write_tgz};
use ganforge::metrics::classifier::{Classifier, FEATURES};
use ganforge::metrics::colour_sets::{emoji_groups, EMOJI_GROUPS};
use ganforge::metrics::translation::{FeatureNet, Translation};
use ganforge::nn::Module;
use ganforge::Tensor;
use std::collections::BTreeMap;

/// A k5 s2 p2 convolution of one image [ci, h, w] with weights [co, ci, 5, 5]
/// and ReLU: out[o][y][x] = relu(b[o] + sum_{c,i,j} w[o][c][i][j] in[c][2y+i-2][2x+j-2]).
fn conv_relu(input: &[f32], [ci, h, w]: [usize; 3], weight: &[f32], bias: &[f32]) -> (Vec<f32>, [usize; 3]) {
    let (co, oh, ow) = (bias.len(), h.div_ceil(2), w.div_ceil(2));
    let mut out = vec![0.0; co * oh * ow];
    for o in 0..co {
        for y in 0..oh {
            for x in 0..ow {
                let mut sum = bias[o] as f64;
                for c in 0..ci {
                    for i in 0..5 {
                        for j in 0..5 {
                            let (sy, sx) = ((2 * y + i) as i64 - 2, (2 * x + j) as i64 - 2);
                            if (0..h as i64).contains(&sy) && (0..w as i64).contains(&sx) {
                                let value = input[(c * h + sy as usize) * w + sx as usize] as f64;
                                sum += weight[((o * ci + c) * 5 + i) * 5 + j] as f64 * value;
                            }
                        }
                    }
                }
                out[(o * oh + y) * ow + x] = sum.max(0.0) as f32;
            }
        }
    }
    (out, [co, oh, ow])
}

/// y = W x + b for W [out, in].
fn linear(x: &[f32], weight: &[f32], bias: &[f32]) -> Vec<f32> {
    let inputs = x.len();
    (0..bias.len()).map(|o| bias[o] + (0..inputs).map(|i| weight[o * inputs + i] * x[i]).sum::<f32>()).collect()
}

#[test]
fn three_channel_feature_net_at_an_awkward_size_matches_a_plain_forward_and_reloads_its_shape() {
    // 13x11: both convolutions round up (13 -> 7 -> 4, 11 -> 6 -> 3), so the
    // feature layer takes 32 * 4 * 3 values; 5 classes.
    let net = Classifier::new([3, 13, 11], 5, 7);
    let images = common::tensor(&[2, 3, 13, 11], -1.0, 1.0, 3);
    let (features, logits) = net.forward(&images);
    assert_eq!((features.shape(), logits.shape()), (&[2, FEATURES][..], &[2, 5][..]));

    let p: Vec<Vec<f32>> = net.parameters().iter().map(Tensor::to_vec).collect();
    let pixels = images.to_vec();
    let (mut want_features, mut want_logits) = (Vec::new(), Vec::new());
    for image in pixels.chunks(3 * 13 * 11) {
        let (hidden, shape) = conv_relu(image, [3, 13, 11], &p[0], &p[1]);
        let (hidden, _) = conv_relu(&hidden, shape, &p[2], &p[3]);
        let f: Vec<f32> = linear(&hidden, &p[4], &p[5]).into_iter().map(|v| v.max(0.0)).collect();
        want_logits.extend(linear(&f, &p[6], &p[7]));
        want_features.extend(f);
    }
    let as_f64 = |v: Vec<f32>| v.into_iter().map(f64::from).collect::<Vec<_>>();
    common::assert_close(&features.to_vec(), &as_f64(want_features), 1e-4, 1e-3);
    common::assert_close(&logits.to_vec(), &as_f64(want_logits), 1e-4, 1e-3);

    // The file records the shape and the classes: loading rebuilds this net.
    let path = fresh_temp_dir("translation-fid-net").join("net.safetensors");
    net.save(&path, &BTreeMap::new()).unwrap();
    let (loaded, _) = Classifier::load(&path).unwrap();
    assert_eq!((loaded.input(), loaded.classes()), ([3, 13, 11], 5));
    assert_eq!(loaded.forward(&images).1.to_vec(), logits.to_vec());
    // Pictures of another channel count are refused with the shape it takes.
    let error = loaded.embed(&Tensor::zeros(&[2, 1, 13, 11])).err().unwrap().to_string();
    assert!(error.contains("[N, 3, 13, 11]"), "{error}");
}

#[test]
fn fid_of_a_set_to_itself_is_zero_and_to_a_shifted_set_is_not() {
    // An untrained net's features still tell a brighter set from the original.
    let net = FeatureNet::new(Classifier::new([3, 8, 8], 4, 1), "test");
    let set = common::tensor(&[24, 3, 8, 8], -1.0, 0.5, 5);
    let shifted = set.add_scalar(0.5);
    let translation = Translation {
        name: "identity".into(),
        inputs: shifted.clone(),
        outputs: set.clone(),
        held_out_targets: set.clone(),
        training_targets: set.clone(),
    };
    let scores = net.scores(&translation).unwrap();
    let [(model, fid_model), (best, fid_best), (nothing, fid_nothing)] = &scores[..] else {
        panic!("three scores: {scores:?}")
    };
    assert!(model.starts_with("FID identity (24 held-out targets, test feature net)"), "{model}");
    assert!(best.contains("24 training targets") && nothing.contains("do nothing"), "{best} / {nothing}");
    // An untrained net's features are small, so FIDs are too: the shifted
    // set's is about 0.015; the set's own is rounding noise, far below it.
    assert!(*fid_nothing > 1e-3, "the shifted inputs: {fid_nothing}");
    assert!(fid_model.abs() < 1e-3 * fid_nothing && fid_best.abs() < 1e-3 * fid_nothing, "{fid_model} {fid_best}");

    let too_few = Translation { outputs: set.narrow(0, 0, 1), ..translation };
    assert!(net.scores(&too_few).unwrap_err().contains("at least 2 pictures"));
}

#[test]
fn emoji_groups_come_from_openmoji_data_under_both_naming_styles_and_bad_input_is_refused() {
    let dir = fresh_temp_dir("translation-fid-groups");
    let tarball = dir.join("openmoji.tgz");
    // Columns as in openmoji.csv; a later column may hold quoted commas.
    let csv = "emoji,hexcode,group,subgroups,annotation\n\
               😀,1F600,smileys-emotion,face-smiling,\"grinning, face\"\n\
               #️⃣,0023-FE0F-20E3,symbols,keycap,keycap\n\
               🍔,1F354,food-drink,food-prepared,hamburger\n";
    write_tgz(&tarball, &[("package/data/openmoji.csv", csv.as_bytes())]);
    let groups = emoji_groups(&tarball).unwrap();
    let group = |key: &str| EMOJI_GROUPS[groups[key]];
    // Keys as Twemoji names its files: lower case, no FE0F.
    assert_eq!((group("1f600"), group("23-20e3"), group("1f354")), ("smileys-emotion", "symbols", "food-drink"));
    assert_eq!(groups.len(), 3);

    let no_data = dir.join("no-data.tgz");
    write_tgz(&no_data, &[("package/color/svg/1F600.svg", b"<svg/>")]);
    let error = emoji_groups(&no_data).unwrap_err().to_string();
    assert!(error.contains("package/data/openmoji.csv") && error.contains("npm pack openmoji@17.0.0"), "{error}");

    let folder = dir.display().to_string();
    for (args, expected) in [
        (vec!["classifier", "--dataset", "emoji"], "--data DIR"),
        (vec!["classifier", "--dataset", "emoji", "--data", &folder], "--openmoji"),
        (vec!["classifier", "--dataset", "avatars", "--data", &folder], "train"),
        (vec!["classifier", "--dataset", "digits", "--data", &folder], "use emoji or avatars"),
    ] {
        let (ok, text) = ganforge(&args);
        assert!(!ok && text.contains(expected) && text.trim().lines().count() == 1, "{args:?}: {text}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn eval_of_a_pix2pix_checkpoint_scores_fid_beside_its_floors() {
    let dir = fresh_temp_dir("translation-fid-cli");
    let dataset = "pairs:data/emoji32/pairs";
    let (_, checkpoint) = tiny_run(&dir, "run", "pix2pix", &["--dataset", dataset, "--patch", "16", "--features", "2"]);
    let (ok, text) = ganforge(&["eval", "--checkpoint", &checkpoint]);
    assert!(ok, "{text}");
    let value = |label: &str| -> f32 {
        let line = text.lines().find(|l| l.contains(label)).unwrap_or_else(|| panic!("no {label:?} in:\n{text}"));
        line.rsplit(": ").next().unwrap().trim().parse().unwrap_or_else(|_| panic!("{line}"))
    };
    let model = value("FID G(A) to the test targets B (26 held-out targets, emoji feature net)");
    let best = value("best achievable: held-out targets to the 384 training targets");
    let nothing = value("do nothing: the inputs to the held-out targets");
    // Line art is further from colour emoji than held-out colour emoji are
    // from the training ones, for a net trained on colour emoji.
    assert!(model.is_finite() && best > 0.0 && best < nothing, "{model} {best} {nothing}");
    std::fs::remove_dir_all(dir).unwrap();
}

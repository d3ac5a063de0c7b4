//! Checkpoints: a bit-exact round trip of a model, its optimiser and its EMA,
//! and refusals (missing tensor, wrong shape, damaged bytes, unexpected tensor)
//! that name the tensor and the file and leave the model untouched.
mod common;
use common::*;
use ganforge::checkpoint::{CheckpointError, Loader, Saver, Stateful};
use ganforge::nn::{Layer, LeakyRelu, Linear, Module, Sequential, SpectralNorm};
use ganforge::optim::{Adam, Ema, Optimizer};
use rand::{rngs::StdRng, SeedableRng};
use safetensors::SafeTensors;
use std::path::{Path, PathBuf};

/// A fresh, empty directory for one test.
fn scratch_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ganforge-checkpoint-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Linear(3, 5) -> LeakyReLU -> spectral-norm Linear(5, out): parameters and buffers.
fn model(out: usize, seed: u64) -> Sequential {
    let mut rng = StdRng::seed_from_u64(seed);
    Sequential::new()
        .push(Linear::new(3, 5, &mut rng))
        .push(LeakyRelu(0.2))
        .push(SpectralNorm::new(Linear::new(5, out, &mut rng), &mut rng))
}

/// Every state tensor's values, as bits (for exact comparisons).
fn snapshot(state: &dyn Stateful) -> Vec<(String, Vec<u32>)> {
    state
        .state_tensors()
        .into_iter()
        .map(|(name, t)| (name, t.to_vec().iter().map(|v| v.to_bits()).collect()))
        .collect()
}

/// One Adam step on a fixed batch.
fn train_step(model: &Sequential, adam: &mut Adam) {
    adam.zero_grad();
    model.forward(&tensor(&[4, 3], -1.0, 1.0, 99)).powf(2.0).mean_all().backward();
    adam.step();
}

#[test]
fn round_trip_is_bit_exact_and_training_resumes_identically() {
    let dir = scratch_dir("round-trip");
    let path = dir.join("run.safetensors");
    let trained = model(2, 1);
    let mut adam = Adam::new(trained.parameters(), 0.01).betas(0.5, 0.999);
    let ema = Ema::new(&trained, 0.9);
    for t in 0..3 {
        train_step(&trained, &mut adam);
        ema.update(&trained, t);
    }
    Saver::new()
        .part("g", &trained)
        .part("opt_g", &adam)
        .part("g_ema", &ema)
        .meta("step", 3)
        .meta("seed", 1)
        .save(&path)
        .unwrap();
    // The temporary file was renamed away.
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(files, ["run.safetensors"]);

    let mut restored = model(2, 2);
    let mut restored_adam = Adam::new(restored.parameters(), 0.01).betas(0.5, 0.999);
    let mut restored_ema = Ema::new(&restored, 0.9);
    assert_ne!(snapshot(&restored), snapshot(&trained));
    let metadata = Loader::new()
        .part("g", &mut restored)
        .part("opt_g", &mut restored_adam)
        .part("g_ema", &mut restored_ema)
        .load(&path)
        .unwrap();
    assert_eq!(metadata.get("step").map(String::as_str), Some("3"));
    assert_eq!(metadata.get("seed").map(String::as_str), Some("1"));
    assert_eq!(metadata.len(), 2, "checksums leaked into the metadata: {metadata:?}");
    assert_eq!(snapshot(&restored), snapshot(&trained));
    assert_eq!(snapshot(&restored_adam), snapshot(&adam));
    assert_eq!(restored_adam.state_counters(), adam.state_counters());
    assert_eq!(snapshot(&restored_ema), snapshot(&ema));

    // The optimiser still points at the model's parameters (loaded in place),
    // so one more step gives the same values on both sides.
    train_step(&trained, &mut adam);
    train_step(&restored, &mut restored_adam);
    assert_eq!(snapshot(&restored), snapshot(&trained));
    std::fs::remove_dir_all(dir).unwrap();
}

/// Saves `saved` as part "m", tries to load it into `target`, checks that the
/// error names `tensor` and the file, and that `target` kept every value.
fn refused_load(
    test: &str,
    saved: &dyn Stateful,
    target: &mut dyn Stateful,
    damage: impl Fn(&Path),
) -> CheckpointError {
    let dir = scratch_dir(test);
    let path = dir.join("m.safetensors");
    Saver::new().part("m", saved).save(&path).unwrap();
    damage(&path);
    let before = snapshot(target);
    let error = Loader::new().part("m", target).load(&path).expect_err("the load should be refused");
    assert_eq!(snapshot(target), before, "{test}: a refused load changed the model");
    let message = error.to_string();
    assert!(message.contains(&path.display().to_string()), "{test}: `{message}` does not name the file");
    std::fs::remove_dir_all(dir).unwrap();
    error
}

fn no_damage(_: &Path) {}

#[test]
fn a_missing_tensor_is_refused_by_name() {
    // The target has one more layer than the file; its first layer is valid in
    // the file, and must not be loaded on its own.
    let saved = Sequential::new().push(Linear::new(3, 5, &mut StdRng::seed_from_u64(1)));
    let mut rng = StdRng::seed_from_u64(2);
    let mut target = Sequential::new().push(Linear::new(3, 5, &mut rng)).push(Linear::new(5, 2, &mut rng));
    let error = refused_load("missing", &saved, &mut target, no_damage);
    assert!(matches!(&error, CheckpointError::Missing { tensor, .. } if tensor == "m.1.weight"), "{error}");
    assert!(error.to_string().contains("`m.1.weight`"), "{error}");
}

#[test]
fn a_wrong_shape_is_refused_by_name() {
    let mut target = model(4, 3);
    let error = refused_load("shape", &model(2, 4), &mut target, no_damage);
    match &error {
        CheckpointError::ShapeMismatch { tensor, expected, found, .. } => {
            assert_eq!(tensor, "m.2.weight");
            assert_eq!((expected.as_slice(), found.as_slice()), ([4, 5].as_slice(), [2, 5].as_slice()));
        }
        other => panic!("expected a shape mismatch, got {other}"),
    }
    assert!(error.to_string().contains("`m.2.weight`"), "{error}");
}

/// The byte range of tensor `name`'s data in a safetensors file.
fn data_range(path: &Path, name: &str) -> std::ops::Range<usize> {
    let bytes = std::fs::read(path).unwrap();
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let (_, metadata) = SafeTensors::read_metadata(&bytes).unwrap();
    let (start, end) = metadata.info(name).unwrap().data_offsets;
    8 + header_len + start..8 + header_len + end
}

#[test]
fn damaged_tensor_bytes_are_refused_by_name() {
    let mut target = model(2, 5);
    let flip_a_bit = |path: &Path| {
        let mut bytes = std::fs::read(path).unwrap();
        let range = data_range(path, "m.2.bias");
        bytes[range.start + 1] ^= 0x10;
        std::fs::write(path, bytes).unwrap();
    };
    let error = refused_load("corrupt", &model(2, 6), &mut target, flip_a_bit);
    assert!(matches!(&error, CheckpointError::Corrupt { tensor, .. } if tensor == "m.2.bias"), "{error}");
    assert!(error.to_string().contains("`m.2.bias`"), "{error}");
}

#[test]
fn a_truncated_file_is_refused() {
    let mut target = model(2, 7);
    let truncate = |path: &Path| {
        let bytes = std::fs::read(path).unwrap();
        std::fs::write(path, &bytes[..bytes.len() - 5]).unwrap();
    };
    let error = refused_load("truncated", &model(2, 8), &mut target, truncate);
    assert!(matches!(error, CheckpointError::Unreadable { .. }), "{error}");
}

#[test]
fn an_unexpected_tensor_is_refused_by_name() {
    let saved = model(2, 9);
    let mut rng = StdRng::seed_from_u64(10);
    // The same first layer, but no spectral-norm layer: the file has extra "m.2.*".
    let mut target = Sequential::new().push(Linear::new(3, 5, &mut rng));
    let error = refused_load("unexpected", &saved, &mut target, no_damage);
    assert!(matches!(&error, CheckpointError::Unexpected { tensor, .. } if tensor.starts_with("m.2.")), "{error}");
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let path = std::env::temp_dir().join("ganforge-no-such-checkpoint.safetensors");
    let error = Loader::new().part("m", &mut model(2, 11)).load(&path).unwrap_err();
    assert!(matches!(error, CheckpointError::Io { .. }), "{error}");
    assert!(error.to_string().contains("ganforge-no-such-checkpoint.safetensors"), "{error}");
}

#[test]
fn saving_replaces_an_existing_checkpoint() {
    let dir = scratch_dir("replace");
    let path = dir.join("latest.safetensors");
    let first = model(2, 12);
    let second = model(2, 13);
    Saver::new().part("m", &first).save(&path).unwrap();
    Saver::new().part("m", &second).save(&path).unwrap();
    let mut target = model(2, 14);
    Loader::new().part("m", &mut target).load(&path).unwrap();
    assert_eq!(snapshot(&target), snapshot(&second));
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(files, ["latest.safetensors"]);
    std::fs::remove_dir_all(dir).unwrap();
}

//! Helpers shared by the integration tests: seeded inputs, a closeness check,
//! running the `ganforge` binary, and tiny npm tarballs.
#![allow(dead_code)] // each test binary uses its own subset

use flate2::write::GzEncoder;
use flate2::Compression;
use ganforge::gradcheck::{gradcheck, gradgradcheck};
use ganforge::Tensor;
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

/// A fresh, empty folder under the system temp folder, unique to this test
/// run (process id + time), so parallel tests never share files.
pub fn fresh_temp_dir(label: &str) -> PathBuf {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock before 1970").as_nanos();
    let dir = std::env::temp_dir().join(format!("ganforge-test-{label}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// Seeded values in [lo, hi).
pub fn values(n: usize, lo: f32, hi: f32, seed: u64) -> Vec<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n).map(|_| rng.random_range(lo..hi)).collect()
}

/// Seeded values in [lo, hi) with magnitude at least `gap`: safe from the kinks
/// of relu, abs and friends when finite differences step by less than `gap`.
pub fn values_away_from_zero(n: usize, lo: f32, hi: f32, gap: f32, seed: u64) -> Vec<f32> {
    values(n, lo, hi, seed).into_iter().map(|v| if v.abs() < gap { v.signum() * gap + v } else { v }).collect()
}

/// A tensor of seeded values in [lo, hi).
pub fn tensor(shape: &[usize], lo: f32, hi: f32, seed: u64) -> Tensor {
    Tensor::from_vec(values(shape.iter().product(), lo, hi, seed), shape)
}

/// Checks |got - want| <= atol + rtol |want| elementwise, naming the first miss.
pub fn check_close(got: &[f32], want: &[f64], atol: f64, rtol: f64) -> Result<(), String> {
    if got.len() != want.len() {
        return Err(format!("length differs: got {}, want {}", got.len(), want.len()));
    }
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let ok = (f64::from(g) - w).abs() <= atol + rtol * w.abs() || (g.is_nan() && w.is_nan());
        if !ok {
            return Err(format!("element {i}: got {g}, want {w}"));
        }
    }
    Ok(())
}

/// `check_close` that panics on a miss.
pub fn assert_close(got: &[f32], want: &[f64], atol: f64, rtol: f64) {
    if let Err(e) = check_close(got, want, atol, rtol) {
        panic!("{e}");
    }
}

/// Row-major strides of a shape.
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        s[d] = s[d + 1] * shape[d + 1];
    }
    s
}

/// The multi-index of flat position `i` in `shape`.
pub fn unravel(mut i: usize, shape: &[usize]) -> Vec<usize> {
    let mut index = vec![0; shape.len()];
    for d in (0..shape.len()).rev() {
        index[d] = i % shape[d];
        i /= shape[d];
    }
    index
}

/// `gradcheck` that panics with the op's name and the first mismatch.
pub fn check(name: &str, f: impl Fn(&[Tensor]) -> Tensor, inputs: &[Tensor]) {
    if let Err(e) = gradcheck(f, inputs) {
        panic!("{name}: {e}");
    }
}

/// `gradgradcheck` that panics with the op's name and the first mismatch.
pub fn check2(name: &str, f: impl Fn(&[Tensor]) -> Tensor, inputs: &[Tensor]) {
    if let Err(e) = gradgradcheck(f, inputs) {
        panic!("{name}: {e}");
    }
}

/// Adam as Kingma & Ba's Algorithm 1 (with L2 weight decay), in f64: the
/// reference the optimiser tests hold the GPU's Adam to.
pub struct AdamReference {
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    pub m: Vec<f64>,
    pub v: Vec<f64>,
}

impl AdamReference {
    /// For `size` parameters.
    pub fn new(lr: f32, beta1: f32, beta2: f32, weight_decay: f32, size: usize) -> AdamReference {
        AdamReference {
            lr: lr.into(),
            beta1: beta1.into(),
            beta2: beta2.into(),
            eps: 1e-8,
            weight_decay: weight_decay.into(),
            m: vec![0.0; size],
            v: vec![0.0; size],
        }
    }

    /// Update number `t` (from 1) of the parameters `x` down the gradient `g`.
    pub fn update(&mut self, x: &mut [f64], g: &[f64], t: u64) {
        for i in 0..x.len() {
            let g = g[i] + self.weight_decay * x[i];
            self.m[i] = self.beta1 * self.m[i] + (1.0 - self.beta1) * g;
            self.v[i] = self.beta2 * self.v[i] + (1.0 - self.beta2) * g * g;
            let m_hat = self.m[i] / (1.0 - self.beta1.powi(t as i32));
            let v_hat = self.v[i] / (1.0 - self.beta2.powi(t as i32));
            x[i] -= self.lr * m_hat / (v_hat.sqrt() + self.eps);
        }
    }
}

/// Runs the `ganforge` binary with `args`: whether it succeeded, and its
/// standard output followed by its standard error.
pub fn ganforge(args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_ganforge"))
        .args(args)
        .env("XDG_RUNTIME_DIR", "/tmp")
        .output()
        .expect("the ganforge binary runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

/// A two-step run of `model` (batch 8, no scoring; `extra` adds flags such as
/// `--dataset ring`) in `dir/name`, for the command-line tests of the tools
/// that read a checkpoint. Returns the run folder and its checkpoint's path.
pub fn tiny_run(dir: &Path, name: &str, model: &str, extra: &[&str]) -> (String, String) {
    let folder = dir.join(name).to_string_lossy().into_owned();
    let mut args =
        vec!["train", "--model", model, "--steps", "2", "--batch", "8", "--eval-every", "0", "--out", &folder];
    args.extend_from_slice(extra);
    let (ok, text) = ganforge(&args);
    assert!(ok, "the {model} run failed:\n{text}");
    let checkpoint = format!("{folder}/checkpoint.safetensors");
    (folder, checkpoint)
}

/// Trains the command line `args` (`train ...` without --steps, --out and
/// --checkpoint-every) for `steps` steps straight, and again for `split`
/// steps then resumed from that run's checkpoint up to `steps`, and asserts
/// that the two logs are identical: a resumed run is exact.
pub fn assert_resumed_run_repeats(label: &str, args: &[&str], split: usize, steps: usize) {
    let dir = fresh_temp_dir(label);
    let run = |name: &str, steps: usize| {
        let out = dir.join(name).display().to_string();
        let (split, steps) = (split.to_string(), steps.to_string());
        let mut line = args.to_vec();
        line.extend(["--checkpoint-every", &split, "--steps", &steps, "--out", &out]);
        let (ok, text) = ganforge(&line);
        assert!(ok, "{text}");
        std::fs::read_to_string(format!("{out}/log.csv")).unwrap()
    };
    let whole = run("whole", steps);
    run("split", split);
    let checkpoint = dir.join("split/checkpoint.safetensors").display().to_string();
    let (ok, text) = ganforge(&["train", "--resume", &checkpoint, "--steps", &steps.to_string()]);
    assert!(ok, "{text}");
    let resumed = std::fs::read_to_string(dir.join("split/log.csv")).unwrap();
    assert_eq!(resumed, whole, "the resumed run's log differs from the uninterrupted one's");
    std::fs::remove_dir_all(dir).unwrap();
}

/// Writes a gzip-compressed tar archive holding `files` (path, bytes) at `path`.
pub fn write_tgz(path: &Path, files: &[(&str, &[u8])]) {
    let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::default()));
    for (name, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, name, *bytes).unwrap();
    }
    std::fs::write(path, builder.into_inner().unwrap().finish().unwrap()).unwrap();
}

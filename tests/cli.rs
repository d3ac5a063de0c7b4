//! The command line as a user meets it.
use std::process::Command;

fn ganforge(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ganforge"));
    command.args(args);
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("the ganforge binary runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into(),
        String::from_utf8_lossy(&output.stderr).into(),
    )
}

#[test]
fn info_names_the_adapter_and_its_limits() {
    let (ok, stdout, stderr) = ganforge(&["info"], &[]);
    assert!(ok, "ganforge info failed: {stderr}");
    for field in ["adapter:", "backend:", "device type:", "max_storage_buffer_binding_size"] {
        assert!(stdout.contains(field), "info output lacks {field:?}:\n{stdout}");
    }
}

#[test]
fn no_matching_adapter_is_an_error_that_says_how_to_fix_it() {
    let (ok, _, stderr) = ganforge(&["info"], &[("GANFORGE_ADAPTER", "no-such-gpu-anywhere")]);
    assert!(!ok, "info must fail without an adapter");
    assert!(stderr.contains("no-such-gpu-anywhere"), "{stderr}");
    assert!(stderr.contains("mesa-vulkan-drivers"), "the fix is not named: {stderr}");
}

/// Runs ganforge and asserts it failed the way a user should see: exit code 1,
/// one line on stderr starting "error:" that contains `expected`, no panic.
fn assert_refused(args: &[&str], env: &[(&str, &str)], expected: &str) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ganforge"));
    command.args(args).env("RUST_BACKTRACE", "1");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("the ganforge binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(output.status.code(), Some(1), "{args:?} should exit with 1:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{args:?} panicked:\n{stderr}");
    assert_eq!(errors.len(), 1, "{args:?} should print one error line:\n{stderr}");
    assert!(errors[0].contains(expected), "{args:?}: the error does not mention {expected:?}:\n{stderr}");
}

#[test]
fn bad_training_settings_are_one_line_errors_and_create_nothing() {
    let out = std::env::temp_dir().join(format!("ganforge-cli-bad-{}", std::process::id()));
    let out_arg = out.display().to_string();
    let empty = std::env::temp_dir().join(format!("ganforge-cli-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let empty_folder = format!("folder:{}", empty.display());
    let cases: &[(&[&str], &str)] = &[
        (&["--dataset", &empty_folder], "no images"),
        (&["--lr", "nan"], "lr_d"),
        (&["--lr=-1e-3"], "lr_d"),
        (&["--lr", "0"], "lr_d"),
        (&["--beta1", "1.5"], "beta1"),
        (&["--ema", "1.5"], "ema"),
        (&["--clip=-1"], "clip"),
        (&["--steps", "0"], "steps"),
        (&["--gp-lambda=-2"], "gp_lambda"),
        (&["--real-label", "5"], "real_label"),
        (&["--loss", "f:alpha=nan"], "alpha"),
        (&["--prior", "cauchy"], "prior"),
        (&["--batch", "6000"], "larger than the dataset"),
        // 600M points of 2 floats: 4.8 GB, past any binding (wgpu caps them at 4 GiB).
        (&["--dataset", "ring", "--batch", "600000000"], "storage binding"),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["train", "--out", &out_arg];
        args.extend_from_slice(extra);
        assert_refused(&args, &[], expected);
        assert!(!out.exists(), "{extra:?} created the run folder");
    }
    for (key, value) in [("GANFORGE_BACKEND", "bogus"), ("GANFORGE_ADAPTER", "nomatch")] {
        assert_refused(&["train", "--out", &out_arg], &[(key, value)], "mesa-vulkan-drivers");
        assert!(!out.exists(), "{key}={value} created the run folder");
    }
    std::fs::remove_dir(&empty).unwrap();
}

#[test]
fn runs_are_never_overwritten_by_accident_and_sampling_checks_its_input() {
    let out = std::env::temp_dir().join(format!("ganforge-cli-run-{}", std::process::id()));
    let out_arg = out.display().to_string();
    let train = ["train", "--model", "mlp", "--dataset", "ring", "--steps", "2", "--batch", "8", "--out", &out_arg];
    let (ok, _, stderr) = ganforge(&train, &[]);
    assert!(ok, "{stderr}");
    assert_refused(&train, &[], "--overwrite");
    let mut overwrite = train.to_vec();
    overwrite.push("--overwrite");
    assert!(ganforge(&overwrite, &[]).0, "--overwrite starts the run again");

    let checkpoint = out.join("checkpoint.safetensors").display().to_string();
    assert_refused(&["train", "--resume", &checkpoint, "--beta1", "0.1"], &[], "--beta1");
    let (ok, stdout, stderr) = ganforge(&["train", "--resume", &checkpoint, "--steps", "3", "--lr", "1e-4"], &[]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("lr_d: 0.0002 -> 0.0001"), "the change is not reported:\n{stdout}");

    let picture = out.join("samples.bmp").display().to_string();
    assert_refused(&["sample", "--checkpoint", &checkpoint, "--out", &picture], &[], ".png");
    assert_refused(&["sample", "--checkpoint", &checkpoint, "--label", "3"], &[], "not conditional");
    let jpeg = out.join("points.jpg");
    let sample = ["sample", "--checkpoint", &checkpoint, "--out", &jpeg.display().to_string()];
    assert_refused(&sample, &[("GANFORGE_BACKEND", "bogus")], "mesa-vulkan-drivers");
    assert!(ganforge(&sample, &[]).0, "sampling a 2D model draws its points");
    let bytes = std::fs::read(&jpeg).unwrap();
    assert_eq!(&bytes[..3], &[0xFF, 0xD8, 0xFF], "a .jpg holds JPEG bytes");

    // A conditional model refuses a class it does not have.
    let cgan = out.join("cgan").display().to_string();
    let train = ["train", "--model", "cgan", "--steps", "1", "--batch", "4", "--out", &cgan];
    let (ok, stdout, stderr) = ganforge(&train, &[]);
    assert!(ok, "{stderr}");
    // A digit generator's run ends with its scores beside the real floor; a
    // conditional one's include whether it draws the digits it is asked for.
    assert!(stdout.contains("FID") && out.join("cgan/eval.json").exists(), "no scores:\n{stdout}");
    assert!(stdout.contains("label accuracy"), "no label accuracy:\n{stdout}");
    let checkpoint = format!("{cgan}/checkpoint.safetensors");
    assert_refused(&["sample", "--checkpoint", &checkpoint, "--label", "99"], &[], "classes 0 to 9");
    std::fs::remove_dir_all(&out).unwrap();
}

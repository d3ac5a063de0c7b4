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

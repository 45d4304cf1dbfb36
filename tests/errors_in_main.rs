//! The tour's `fn main() -> anyhow::Result<()>`, as the examples use it: an error ends the
//! program with its sentence and its causes, not with its `Debug` form.

use std::path::PathBuf;
use std::process::Command;

/// An example binary, built by `cargo test` beside the test binaries (`target/<profile>/examples`).
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let profile = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps");
    profile.join("examples").join(name)
}

#[test]
fn a_failing_main_prints_the_error_sentence() {
    let missing = std::env::temp_dir().join("liandan-no-such-weights.safetensors");
    let out = Command::new(example("deploy"))
        .args(["expected", "/dev/null"])
        .arg(&missing)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the deploy example runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let want = format!(
        "Error: `{}`: cannot read the weight file: ",
        missing.display()
    );
    assert!(stderr.starts_with(&want), "{stderr}");
    assert!(stderr.contains("\n\nCaused by:\n"), "{stderr}");
    assert!(!stderr.contains("WeightsError"), "a Debug form: {stderr}");
}

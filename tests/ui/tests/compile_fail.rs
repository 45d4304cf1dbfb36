//! Compile-fail cases: one per error message of `network!`, plus shape errors in hand-written
//! chains, predictions and datasets. The `.stderr` snapshots are checked in; the toolchain is
//! pinned so they stay stable. Regenerate with `TRYBUILD=overwrite cargo test -p liandan-ui`.
//!
//! trybuild compiles the cases in a crate it generates, `tests/trybuild/liandan-ui/` under the
//! target directory, and a `weights:` path is relative to the crate being compiled: so the
//! `weights-*` cases name `weights/<file>`, and [`stage_weights`] first copies the files there
//! (those of `weights/`, made by `tools/make_ui_weights.py`, and the seed network's trained
//! weights from `ffi/weights/`), wherever the target directory is.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

#[test]
fn compile_errors() {
    stage_weights();
    let t = trybuild::TestCases::new();
    t.compile_fail("*.rs");
}

/// Copies every file the `weights-*` cases read into `weights/` of trybuild's crate.
fn stage_weights() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let staged = target_dir().join("tests/trybuild/liandan-ui/weights");
    fs::create_dir_all(&staged).expect("create trybuild's weights directory");
    let made = fs::read_dir(here.join("weights")).expect("read tests/ui/weights");
    let mut files: Vec<PathBuf> = made.map(|entry| entry.expect("list").path()).collect();
    files.push(here.join("../../ffi/weights/mnist.safetensors"));
    for file in files {
        let name = file.file_name().expect("a file name");
        fs::copy(&file, staged.join(name))
            .unwrap_or_else(|e| panic!("copy {}: {e}", file.display()));
    }
}

/// The target directory as trybuild finds it: `cargo metadata`'s `target_directory`.
fn target_dir() -> PathBuf {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["metadata", "--no-deps", "--format-version=1"])
        .output()
        .expect("run cargo metadata");
    assert!(output.status.success(), "cargo metadata failed");
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    let dir = metadata["target_directory"].as_str();
    PathBuf::from(dir.expect("cargo metadata names the target directory"))
}

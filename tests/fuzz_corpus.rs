//! Replays the committed fuzzing corpus (`fuzz/corpus/<target>/`) through the properties the
//! fuzz targets check, so every seed and every minimised crasher stays a test on stable Rust.
//!
//! Only files named with an extension are replayed: those are the committed ones; what
//! libFuzzer adds while fuzzing is named by content hash and stays out of git.
//! `UPDATE_SEEDS=1` first writes the seeds made by code (see `fuzz/src/seeds.rs`).

#[allow(dead_code)]
#[path = "../fuzz/src/lib.rs"]
mod properties;

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Once;

thread_local! {
    /// Whether this thread is running a property, whose panics `replay` collects and reports.
    static CHECKING: Cell<bool> = const { Cell::new(false) };
}

/// A panic hook that stays quiet for the properties' panics (`replay` reports them, one line
/// per file) and prints every other panic as the default hook does.
fn quiet_checks() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !CHECKING.get() {
                default(info);
            }
        }));
    });
}

/// The committed corpus files of `target`, in name order.
fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{}: no corpus files", dir.display());
    files
}

/// Runs `check` on every corpus file of `target`; fails naming each file that breaks a
/// property, with the property's message.
fn replay(target: &str, check: fn(&[u8])) {
    if std::env::var_os("UPDATE_SEEDS").is_some() {
        write_seeds(target);
    }
    quiet_checks();
    let mut failures = Vec::new();
    let files = corpus(target);
    for path in &files {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        CHECKING.set(true);
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| check(&bytes)));
        CHECKING.set(false);
        if let Err(panic) = outcome {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("a panic without a message");
            failures.push(format!("fuzz/corpus/{target}/{}: {message}", name(path)));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus files break a property:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

fn name(path: &Path) -> String {
    path.file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

/// Writes `target`'s seeds made by code into its corpus directory.
fn write_seeds(target: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    std::fs::create_dir_all(&dir).expect("the corpus directory");
    for seed in properties::seeds::all()
        .into_iter()
        .filter(|s| s.target == target)
    {
        std::fs::write(dir.join(seed.name), &seed.bytes).expect("a seed file");
    }
}

#[test]
fn idx() {
    replay("idx", properties::idx::check_plain);
}

#[test]
fn idx_gzip() {
    replay("idx_gzip", properties::idx::check_gzip);
}

#[test]
fn csv() {
    replay("csv", properties::csv::check);
}

#[test]
fn weights() {
    replay("weights", properties::weights::check);
}

#[test]
fn int8() {
    replay("int8", properties::int8::check);
}

#[test]
fn optimizer_state() {
    replay("optimizer_state", properties::optimizer::check);
}

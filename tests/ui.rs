//! Compile-fail cases: one per error message of `network!`, plus shape errors in hand-written
//! chains and predictions. The `.stderr` snapshots are checked in; the toolchain is pinned so
//! they stay stable. Regenerate with `TRYBUILD=overwrite cargo test --test ui`.
//!
//! The `weights-*` cases name files relative to the crate being compiled, which for trybuild is
//! its project directory `target/tests/trybuild/liandan/`: hence `../../../../tests/ui/weights/`.
//! Those files are made by `tools/make_ui_weights.py`.

#[test]
fn compile_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}

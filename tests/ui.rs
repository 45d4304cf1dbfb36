//! Compile-fail cases: one per error message of `network!`, plus shape errors in hand-written
//! chains and predictions. The `.stderr` snapshots are checked in; the toolchain is pinned so
//! they stay stable. Regenerate with `TRYBUILD=overwrite cargo test --test ui`.

#[test]
fn compile_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}

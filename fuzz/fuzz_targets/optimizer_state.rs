//! An optimizer state file through `load_optimizer_state`: see
//! `liandan_fuzz::optimizer::check`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| liandan_fuzz::optimizer::check(data));

//! A plain IDX file through every IDX reader: see `liandan_fuzz::idx::check_plain`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| liandan_fuzz::idx::check_plain(data));

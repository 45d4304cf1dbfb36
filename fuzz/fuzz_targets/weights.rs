//! A weight file through `load_weights` and `params_from_bytes`: see
//! `liandan_fuzz::weights::check`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| liandan_fuzz::weights::check(data));

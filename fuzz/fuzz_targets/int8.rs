//! An int8 file through `quant::file::from_bytes` and `load`: see `liandan_fuzz::int8::check`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| liandan_fuzz::int8::check(data));

//! A CSV file through `read_csv` and `Dataset::from_csv`: see `liandan_fuzz::csv::check`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| liandan_fuzz::csv::check(data));

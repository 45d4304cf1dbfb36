//! Little-endian values read from a file's bytes in `const`, for compiled-in int8 networks and
//! for loading one at run time from the same bytes.

/// The `f32` at `bytes[at..at + 4]`.
pub const fn f32_at(bytes: &[u8], at: usize) -> f32 {
    f32::from_bits(u32::from_le_bytes([
        bytes[at],
        bytes[at + 1],
        bytes[at + 2],
        bytes[at + 3],
    ]))
}

/// The `i32` at `bytes[at..at + 4]`.
pub const fn i32_at(bytes: &[u8], at: usize) -> i32 {
    i32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// The quantisation stored as a scale (`F32 [1]`) at `scale` and a zero point (`I32 [1]`) at
/// `zero_point`.
pub const fn quantization_at(bytes: &[u8], scale: usize, zero_point: usize) -> super::Quantization {
    super::Quantization {
        scale: f32_at(bytes, scale),
        zero_point: i32_at(bytes, zero_point),
    }
}

//! Compile-time messages for the size rules of layers whose output size is arithmetic of their
//! input ([`Flatten`](crate::layers::Flatten), convolutions, pooling).
//!
//! Stable Rust cannot compute a size in a type, so such a layer carries its output size as a
//! const parameter, which `network!` fills in; a wrong one written by hand fails a `const`
//! assertion that states the rule with the numbers, e.g.
//! `` `Flatten` of `[26, 26, 32]` gives 26 · 26 · 32 = 21632 features, not 21631 ``. The message is
//! built in a `const` by [`Text`], since `const` panics cannot format numbers themselves.

/// A short text built at compile time: appended to in `const fn`s, read as a `&str`.
#[derive(Clone, Copy, Debug)]
pub struct Text {
    bytes: [u8; 200],
    len: usize,
}

impl Text {
    /// The empty text.
    pub const fn new() -> Self {
        Text {
            bytes: [0; 200],
            len: 0,
        }
    }

    /// The text with `s` appended, cut at 200 bytes on a character boundary (a `·` that does
    /// not fit whole is left out, so the text stays UTF-8).
    pub const fn str(mut self, s: &str) -> Self {
        let s = s.as_bytes();
        let mut i = 0;
        while i < s.len() && self.len < self.bytes.len() {
            self.bytes[self.len] = s[i];
            self.len += 1;
            i += 1;
        }
        // Cut inside a character (the next byte continues it, `0b10xx_xxxx`): drop its start.
        while i > 0 && i < s.len() && s[i] & 0xC0 == 0x80 {
            i -= 1;
            self.len -= 1;
        }
        self
    }

    /// The text with `n` appended in decimal.
    pub const fn num(mut self, mut n: usize) -> Self {
        let (mut digits, mut k) = ([0u8; 20], 0);
        loop {
            digits[k] = b'0' + (n % 10) as u8;
            (n, k) = (n / 10, k + 1);
            if n == 0 {
                break;
            }
        }
        while k > 0 && self.len < self.bytes.len() {
            k -= 1;
            self.bytes[self.len] = digits[k];
            self.len += 1;
        }
        self
    }

    /// The text with `dims` appended as `[26, 26, 32]`.
    pub const fn dims(self, dims: &[usize]) -> Self {
        self.str("[").joined(dims, ", ").str("]")
    }

    /// The text with `values` appended, separated by `separator`.
    pub const fn joined(mut self, values: &[usize], separator: &str) -> Self {
        let mut i = 0;
        while i < values.len() {
            if i > 0 {
                self = self.str(separator);
            }
            self = self.num(values[i]);
            i += 1;
        }
        self
    }

    /// The text so far.
    pub const fn as_str(&self) -> &str {
        let (text, _) = self.bytes.split_at(self.len);
        match core::str::from_utf8(text) {
            Ok(text) => text,
            Err(_) => "",
        }
    }
}

impl Default for Text {
    fn default() -> Self {
        Text::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_rule_messages() {
        let t = Text::new()
            .str("`Flatten` of `")
            .dims(&[26, 26, 32])
            .str("` gives ");
        let t = t.joined(&[26, 26, 32], " · ").str(" = ").num(21632);
        assert_eq!(
            t.as_str(),
            "`Flatten` of `[26, 26, 32]` gives 26 · 26 · 32 = 21632"
        );
        assert_eq!(Text::new().num(0).num(10).as_str(), "010");
    }

    #[test]
    fn a_full_text_is_cut_between_characters() {
        let a = "a".repeat(199);
        let t = Text::new().str(&a).str(" · ");
        assert_eq!(t.as_str(), a + " ");
        let t = Text::new().str(&"b".repeat(198)).str("··");
        assert_eq!(t.as_str(), "b".repeat(198) + "·");
    }
}

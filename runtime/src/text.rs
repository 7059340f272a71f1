//! Text to token ids, the same bits on a host and on a device, for models whose first layer is an
//! Embedding ([`crate::Stepper::step_token`], [`crate::Model::window_tokens`]).
//!
//! **Standardization and splitting** are Keras' `TextVectorization` defaults
//! (`standardize="lower_and_strip_punctuation"`, `split="whitespace"`): ASCII letters are
//! lowercased (like `tf.strings.lower`, other characters are kept as they are), the ASCII
//! punctuation characters of [`PUNCTUATION`] are removed, and the rest is split at ASCII
//! whitespace. So `"Don't stop, U.S.A.!"` gives `dont`, `stop`, `usa`.
//!
//! **Ids.** Id 0 is padding. With a vocabulary (built on the host from the training texts, the
//! most frequent tokens first), id 1 is any token outside it (Keras' `[UNK]`) and the
//! vocabulary's tokens are 2, 3, .... With the **hashing trick** ([`hash_id`]) there is no
//! table: a token's id is `1 + fnv1a32(token) mod (bins - 1)`, in `1..bins`, where `fnv1a32` is
//! the 32-bit FNV-1a hash of the token's UTF-8 bytes (offset basis `0x811c9dc5`, prime
//! `0x01000193`). Keras' `Hashing` layer uses FarmHash instead, so its ids differ; the scheme is
//! the same (Keras' `Hashing(num_bins, mask_value="")`).
//!
//! No allocation: tokens are written into a caller's buffer one at a time.

/// The ASCII punctuation Keras' default standardization strips: `!"#$%&'()*+,-./:;<=>?@[\]^_`
/// backquote `{|}~`.
pub const PUNCTUATION: &[u8] = b"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/// Longest token kept, in bytes: [`hash_tokens`] and [`crate::Model::encode_text`] cut
/// longer ones, and so does the trainer.
pub const TOKEN_BYTES: usize = 64;

/// Id of padding.
pub const PAD: u16 = 0;

/// Id of a token outside the vocabulary.
pub const UNKNOWN: u16 = 1;

/// Calls `f` with every token of `text` in order (see the module docs), each written into `buf`
/// first; a token longer than `buf` is cut to its first `buf.len()` bytes. Returns the number of
/// tokens.
pub fn for_each_token(text: &str, buf: &mut [u8], mut f: impl FnMut(&[u8])) -> usize {
    let mut count = 0;
    let mut len = 0;
    let mut any = false;
    for &b in text.as_bytes() {
        if b.is_ascii_whitespace() {
            if any {
                f(&buf[..len]);
                count += 1;
            }
            len = 0;
            any = false;
            continue;
        }
        if PUNCTUATION.contains(&b) {
            continue;
        }
        any = true;
        if let Some(slot) = buf.get_mut(len) {
            *slot = b.to_ascii_lowercase();
            len += 1;
        }
    }
    if any {
        f(&buf[..len]);
        count += 1;
    }
    count
}

/// The 32-bit FNV-1a hash of `bytes`.
pub const fn fnv1a32(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u32;
        h = h.wrapping_mul(0x0100_0193);
        i += 1;
    }
    h
}

/// A token's id under the hashing trick with `bins` ids (`bins >= 2`; id 0 is padding): `1 +
/// fnv1a32(token) mod (bins - 1)`.
pub const fn hash_id(token: &[u8], bins: u16) -> u16 {
    let buckets = if bins > 2 { bins as u32 - 1 } else { 1 };
    1 + (fnv1a32(token) % buckets) as u16
}

/// The hashed ids of `text`'s tokens, written from the start of `ids`; returns how many tokens
/// the text has (more than `ids.len()` means the rest were not written). Tokens are cut to
/// [`TOKEN_BYTES`] bytes.
pub fn hash_tokens(text: &str, bins: u16, ids: &mut [u16]) -> usize {
    let mut buf = [0u8; TOKEN_BYTES];
    let mut n = 0;
    for_each_token(text, &mut buf, |t| {
        if let Some(slot) = ids.get_mut(n) {
            *slot = hash_id(t, bins);
        }
        n += 1;
    })
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::String;
    use std::vec::Vec;

    use super::*;

    fn tokens(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut buf = [0u8; 16];
        let n = for_each_token(text, &mut buf, |t| {
            out.push(String::from_utf8_lossy(t).into_owned())
        });
        assert_eq!(n, out.len());
        out
    }

    #[test]
    fn keras_standardization_and_split() {
        assert_eq!(tokens("Don't stop, U.S.A.!"), ["dont", "stop", "usa"]);
        assert_eq!(tokens("  Hello\tWORLD\n\n"), ["hello", "world"]);
        // Punctuation alone is no token; non-ASCII letters are kept as they are.
        assert_eq!(tokens("a -- b ... Ünïcode"), ["a", "b", "Ünïcode"]);
        assert_eq!(
            tokens("http://bit.ly/sqvQq #MAGA @user"),
            ["httpbitlysqvqq", "maga", "user"]
        );
        assert!(tokens("").is_empty() && tokens(" !? ").is_empty());
        // Cut to the buffer.
        assert_eq!(tokens("abcdefghijklmnopqrstuvwxyz"), ["abcdefghijklmnop"]);
    }

    #[test]
    fn fnv1a_reference_values() {
        // The FNV authors' test vectors.
        assert_eq!(fnv1a32(b""), 0x811c_9dc5);
        assert_eq!(fnv1a32(b"a"), 0xe40c_292c);
        assert_eq!(fnv1a32(b"foobar"), 0xbf9c_f968);
    }

    #[test]
    fn hashed_ids_are_in_range_and_skip_padding() {
        for bins in [2u16, 3, 100, 4096, u16::MAX] {
            for t in ["", "a", "maga", "badminton", "ünïcode"] {
                let id = hash_id(t.as_bytes(), bins);
                assert!(id >= 1 && (id < bins || bins == 2), "{t} {bins}: {id}");
            }
        }
        assert_eq!(hash_id(b"a", 4096), 1 + (0xe40c_292c_u32 % 4095) as u16);
        let mut ids = [0u16; 2];
        assert_eq!(hash_tokens("Make it. Make it!", 1000, &mut ids), 4);
        assert_eq!(ids, [hash_id(b"make", 1000), hash_id(b"it", 1000)]);
    }
}

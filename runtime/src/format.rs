//! The model blob: header, metadata and tensor arena.
//!
//! ```text
//! offset  size  field
//!      0     4  MAGIC = b"NCM\x1a"
//!      4     2  format version (u16 LE) = FORMAT_VERSION
//!      6     2  flags (u16 LE): bit 0 FLAG_VOCABULARY, the other bits must be 0
//!      8     4  total length of the blob in bytes (u32 LE)
//!     12     4  metadata length in bytes (u32 LE)
//!     16     4  CRC-32/ISO-HDLC over bytes 0..16 and 20..total (u32 LE)
//!     20     m  metadata: postcard encoding of ModelRepr<TensorRef>, then with
//!                   FLAG_VOCABULARY the vocabulary (a postcard string, see below), then for
//!                   an i8x16 blob the postcard encoding of IntModel
//!   20+m     p  zero padding up to the next multiple of ARENA_ALIGN
//!      a     n  tensor arena: raw little-endian tensors, each at a multiple of TENSOR_ALIGN
//! ```
//!
//! The metadata refers to tensors by [`TensorRef`] (element type, offset into the arena, element
//! count). Tensors are stored in the arena rather than inside the postcard stream so that they
//! are aligned and can be read in place from flash as `&[f32]`: a blob must therefore start at a
//! 4-byte aligned address (`include_model!` and, with the `alloc` feature, `AlignedBytes`
//! guarantee it).
//!
//! The format is append-only: new layer kinds, activations and element types are added at the
//! end of their enums (postcard encodes a variant by its index), so every released blob keeps
//! loading. A change that old runtimes would misread bumps [`FORMAT_VERSION`].
//!
//! **Vocabulary.** A text model (first layer Embedding) may carry its vocabulary, so that a
//! device can look tokens up ([`crate::Model::token_id`]): one string of lines `token\tid`
//! joined by `\n`, sorted by the tokens' bytes, ids from 2 (0 is padding, 1 unknown, see
//! [`crate::text`]) and below the Embedding's `input_dim`. A runtime that predates the flag
//! refuses such a blob (its flags must be 0); blobs without it are unchanged.
//!
//! Kernels are stored output-major (Keras' `(in, out)` transposed; see [`crate::layers`]); a
//! tensor's shape is implied by its layer's configuration and checked when the blob is loaded.

use heapless::Vec as HVec;
use serde::{Deserialize, Serialize};

use crate::error::LoadError;
use crate::layers::Layer;

/// First four bytes of every model blob.
pub const MAGIC: [u8; 4] = *b"NCM\x1a";
/// The format version this runtime writes and reads.
pub const FORMAT_VERSION: u16 = 1;
/// Header flag: the metadata holds a vocabulary after the layer list.
pub const FLAG_VOCABULARY: u16 = 1;

/// Length of the fixed header in bytes.
pub const HEADER_LEN: usize = 20;
/// The tensor arena starts at a multiple of this many bytes from the start of the blob.
pub const ARENA_ALIGN: usize = 16;
/// Every tensor starts at a multiple of this many bytes from the start of the arena.
pub const TENSOR_ALIGN: usize = 8;
/// Most layers a model can have.
pub const MAX_LAYERS: usize = 16;
/// Most input features (and most targets) a model can name.
pub const MAX_CHANNELS: usize = 64;

/// The blob's CRC-32, bit by bit on the microcontrollers (a table would be 1 KB of flash to
/// speed up a check that runs once per load) and by a 256-entry table on hosts, which check
/// many blobs; the same function either way.
#[cfg(target_os = "none")]
pub(crate) const CRC32: crc::Crc<u32, crc::NoTable> =
    crc::Crc::<u32, crc::NoTable>::new(&crc::CRC_32_ISO_HDLC);
#[cfg(not(target_os = "none"))]
pub(crate) const CRC32: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

/// Element type of a stored tensor.
///
/// Tags are part of the format: `F32` = 0, `I8` = 1 (int8 with one scale per output row),
/// `I16` = 2, `I32` = 3, `U8Blocked` = 4 (int8 kernels of the full-integer mode in the layout
/// its row kernels read, see [`crate::tensor`]). The loader rejects a tag its modes do not read
/// with [`Problem::UnsupportedDType`](crate::error::Problem::UnsupportedDType); a runtime
/// older than a tag rejects the blob with [`crate::LoadError::Metadata`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum DType {
    /// IEEE-754 binary32, little-endian.
    F32,
    /// Signed 8-bit integers (reserved for the quantized modes).
    I8,
    /// Signed 16-bit integers, little-endian (reserved for the quantized modes).
    I16,
    /// Signed 32-bit integers, little-endian (reserved for the quantized modes).
    I32,
    /// int8 kernel values plus 128, in blocks of
    /// [`BLOCK_ROWS`](crate::tensor::BLOCK_ROWS) rows (the layout is in [`crate::tensor`]): the
    /// kernels of Dense and recurrent layers in `i8x16` blobs, `rows · cols` bytes (`rows` the
    /// number of scales).
    U8Blocked,
}

impl DType {
    /// Bytes per element.
    pub const fn size(self) -> usize {
        match self {
            DType::F32 | DType::I32 => 4,
            DType::I16 => 2,
            DType::I8 | DType::U8Blocked => 1,
        }
    }
}

/// A tensor in the arena: element type, byte offset from the arena start, element count, and
/// for quantized element types the per-row scales.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TensorRef {
    /// Element type.
    pub dtype: DType,
    /// Byte offset from the start of the arena (a multiple of [`TENSOR_ALIGN`]).
    pub offset: u32,
    /// Number of elements.
    pub len: u32,
    /// `I8` and `U8Blocked` tensors: one scale per output row (per unit and gate, for Conv1D per
    /// filter, for an embedding per token); `I16` tensors: one scale, a
    /// power of two (mantissa 1; any other is rejected); `None` for `F32` tensors (a scale on an
    /// `F32` tensor is rejected).
    pub scales: Option<ScalesRef>,
}

/// A quantized tensor's scales: `len` little-endian `u16` mantissas `m` at `offset` bytes from
/// the arena start (a multiple of [`TENSOR_ALIGN`]), each standing for the scale `m · 2^-exp`.
/// Several tensors may point at the same scales.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScalesRef {
    /// Byte offset from the start of the arena.
    pub offset: u32,
    /// Number of scales.
    pub len: u32,
    /// The common exponent, at most [`MAX_SCALE_EXP`].
    pub exp: u8,
}

/// Largest scale exponent: `65535 · 2^-126` is still a normal `f32`, so every scale is exact.
pub const MAX_SCALE_EXP: u8 = 126;

/// Per-channel affine map between raw units and the model's normalized units.
///
/// Input: `x_norm = (x - mean) / std`. Output: `y = y_norm * std + mean`. `std` is positive
/// and finite (checked at load).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Standardize<T> {
    /// Per-channel mean, in raw units.
    pub mean: T,
    /// Per-channel standard deviation, in raw units.
    pub std: T,
}

/// The serialized model: metadata, normalization and layers, generic over how tensors are held
/// (`TensorRef` on the wire, `&[f32]` once loaded, `Vec<f32>` when building).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelRepr<'a, T> {
    /// Free-form model name.
    pub name: &'a str,
    /// Input channel names, in the order a sample's values are given.
    #[serde(borrow)]
    pub features: HVec<&'a str, MAX_CHANNELS>,
    /// Output names (forecast targets or class names), in output order.
    #[serde(borrow)]
    pub targets: HVec<&'a str, MAX_CHANNELS>,
    /// Nominal spacing of samples in milliseconds (0 if unknown).
    pub sample_period_ms: u64,
    /// Samples per training window (0 if the model is not tied to a window length).
    pub lookback: u32,
    /// How many samples ahead the forecast is.
    pub delay: u32,
    /// Every `step`-th sample of the window was used in training (1 = all).
    pub step: u32,
    /// Normalization applied to raw input values.
    pub input_norm: Option<Standardize<T>>,
    /// De-normalization applied to the last layer's output.
    pub output_norm: Option<Standardize<T>>,
    /// The layers, first to last.
    pub layers: HVec<Layer<T>, MAX_LAYERS>,
}

/// The exponents of an `i8x16` blob (see [`crate::layers::int`]), encoded after the layer
/// list: `f32` and `i8w` blobs end with the layers, `i8x16` blobs go on with this.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntModel {
    /// The quantized input is `x_norm · 2^input_exp` rounded and saturated to `i16`, computed
    /// as `round(x · g - mean · g)` with the gain `g = 2^input_exp / std` rounded to `f32` (at
    /// most `f32::MAX`): both products exact and truncated to Q16, their difference rounded
    /// half up (`quantize_input` in `model.rs`; integers only). Near a tie (within 2^-15) this
    /// can differ by one from rounding the exact `(x - mean) · g`.
    pub input_exp: u8,
    /// One entry per layer.
    pub layers: HVec<crate::layers::IntLayer, MAX_LAYERS>,
}

/// Largest activation exponent of an `i8x16` model (Q15).
pub const MAX_ACT_EXP: u8 = 15;

/// The sections of a blob whose header checked out.
pub(crate) struct Sections<'a> {
    pub meta: &'a [u8],
    pub arena: &'a [u8],
    pub flags: u16,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

#[cfg(feature = "alloc")]
pub(crate) const fn align_up(x: usize, to: usize) -> usize {
    x.div_ceil(to) * to
}

/// Checks the header, the lengths, the CRC and the padding; returns the sections.
pub(crate) fn split(bytes: &[u8]) -> Result<Sections<'_>, LoadError> {
    let found = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    if bytes.len() < HEADER_LEN {
        if bytes.len() >= 4 && bytes[..4] != MAGIC {
            return Err(LoadError::BadMagic);
        }
        return Err(LoadError::Truncated {
            needed: HEADER_LEN as u32,
            found,
        });
    }
    if bytes[..4] != MAGIC {
        return Err(LoadError::BadMagic);
    }
    let version = u16_at(bytes, 4);
    if version != FORMAT_VERSION {
        return Err(LoadError::UnsupportedVersion {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let total = u32_at(bytes, 8);
    if (found) < total {
        return Err(LoadError::Truncated {
            needed: total,
            found,
        });
    }
    if found > total {
        return Err(LoadError::TrailingBytes {
            expected: total,
            found,
        });
    }
    let stored = u32_at(bytes, 16);
    let mut digest = CRC32.digest();
    digest.update(&bytes[..16]);
    digest.update(&bytes[HEADER_LEN..]);
    let computed = digest.finalize();
    if stored != computed {
        return Err(LoadError::CrcMismatch { stored, computed });
    }
    let flags = u16_at(bytes, 6);
    if flags & !FLAG_VOCABULARY != 0 {
        return Err(LoadError::UnsupportedFlags { found: flags });
    }
    // Checked: on 32-bit targets a crafted length must not wrap around.
    let meta_end = HEADER_LEN
        .checked_add(u32_at(bytes, 12) as usize)
        .filter(|&end| end <= bytes.len())
        .ok_or(LoadError::BadHeader)?;
    let arena_start = meta_end
        .checked_next_multiple_of(ARENA_ALIGN)
        .filter(|&start| start <= bytes.len())
        .ok_or(LoadError::BadHeader)?;
    if bytes[meta_end..arena_start].iter().any(|&b| b != 0) {
        return Err(LoadError::BadPadding);
    }
    if bytes.as_ptr().align_offset(4) != 0 {
        return Err(LoadError::Misaligned);
    }
    Ok(Sections {
        meta: &bytes[HEADER_LEN..meta_end],
        arena: &bytes[arena_start..],
        flags,
    })
}

/// Assembles a blob from encoded metadata and an arena (the arena's tensors already aligned).
#[cfg(feature = "alloc")]
pub(crate) fn assemble(meta: &[u8], arena: &[u8], flags: u16) -> alloc::vec::Vec<u8> {
    let arena_start = align_up(HEADER_LEN + meta.len(), ARENA_ALIGN);
    let total = arena_start + arena.len();
    let mut out = alloc::vec::Vec::with_capacity(total);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&flags.to_le_bytes());
    out.extend_from_slice(&(total as u32).to_le_bytes());
    out.extend_from_slice(&(meta.len() as u32).to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(meta);
    out.resize(arena_start, 0);
    out.extend_from_slice(arena);
    let mut digest = CRC32.digest();
    digest.update(&out[..16]);
    digest.update(&out[HEADER_LEN..]);
    let crc = digest.finalize();
    out[16..20].copy_from_slice(&crc.to_le_bytes());
    out
}

/// Owned model bytes at a 16-byte aligned address, for loading blobs read from files on a host.
#[cfg(feature = "alloc")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlignedBytes {
    words: alloc::vec::Vec<u128>,
    len: usize,
}

#[cfg(feature = "alloc")]
impl AlignedBytes {
    /// Copies `bytes` into an aligned buffer.
    pub fn new(bytes: &[u8]) -> Self {
        let mut words = alloc::vec![0u128; bytes.len().div_ceil(16)];
        bytemuck::cast_slice_mut::<u128, u8>(&mut words)[..bytes.len()].copy_from_slice(bytes);
        AlignedBytes {
            words,
            len: bytes.len(),
        }
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &bytemuck::cast_slice::<u128, u8>(&self.words)[..self.len]
    }
}

/// Embeds a model file in the binary at a 16-byte aligned address, as a `&'static [u8]` ready
/// for [`Model::from_bytes`](crate::Model::from_bytes).
///
/// ```ignore
/// static MODEL: &[u8] = nowcast_runtime::include_model!("../model.ncm");
/// ```
#[macro_export]
macro_rules! include_model {
    ($path:expr) => {{
        #[repr(C, align(16))]
        struct Aligned<B: ?Sized>(B);
        static ALIGNED: &Aligned<[u8]> = &Aligned(*include_bytes!($path));
        &ALIGNED.0
    }};
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_bitwise_crc_of_the_microcontrollers_is_the_tables() {
        let bitwise = crc::Crc::<u32, crc::NoTable>::new(&crc::CRC_32_ISO_HDLC);
        let table = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);
        let mut x = 0x9e37_79b9u32;
        let bytes: heapless::Vec<u8, 1000> = (0..1000)
            .map(|_| crate::fixed::xorshift32(&mut x) as u8)
            .collect();
        for n in [0, 1, 3, 16, 999, 1000] {
            assert_eq!(bitwise.checksum(&bytes[..n]), table.checksum(&bytes[..n]));
            assert_eq!(
                super::CRC32.checksum(&bytes[..n]),
                table.checksum(&bytes[..n])
            );
        }
    }
}

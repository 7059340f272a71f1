//! Arbitrary bytes never panic `Model::from_bytes`, and whatever loads runs without panicking.
//! Two input shapes: raw bytes, and bytes behind a valid header and CRC (so the fuzzer reaches
//! the metadata decoder and the shape checks instead of stopping at the CRC).

#![no_main]

use libfuzzer_sys::fuzz_target;
use nowcast_runtime::{AlignedBytes, Model, Stepper};

fn exercise(bytes: &[u8]) {
    let blob = AlignedBytes::new(bytes);
    let Ok(model) = Model::from_bytes(blob.as_bytes()) else { return };
    if let Ok(len) = model.window_scratch_len(8) {
        let mut scratch = vec![0.0; len.min(1 << 20)];
        let _ = model.window(&vec![0.25; 8 * model.input_len()], &mut scratch);
    }
    let mut state = vec![0.0; model.state_len().min(1 << 20)];
    if let Ok(mut s) = Stepper::new(&model, &mut state) {
        for _ in 0..8 {
            let _ = s.step(&vec![0.25; model.input_len()]);
        }
    }
}

/// `meta` wrapped in a header with correct lengths and CRC (format v1, no tensors).
fn with_header(meta: &[u8]) -> Vec<u8> {
    let total = (20 + meta.len()).div_ceil(16) * 16;
    let mut b = Vec::with_capacity(total);
    b.extend_from_slice(&nowcast_runtime::format::MAGIC);
    b.extend_from_slice(&nowcast_runtime::format::FORMAT_VERSION.to_le_bytes());
    b.extend_from_slice(&[0, 0]);
    b.extend_from_slice(&(total as u32).to_le_bytes());
    b.extend_from_slice(&(meta.len() as u32).to_le_bytes());
    b.extend_from_slice(&[0; 4]);
    b.extend_from_slice(meta);
    b.resize(total, 0);
    let crc = crc32(&b);
    b[16..20].copy_from_slice(&crc.to_le_bytes());
    b
}

/// CRC-32/ISO-HDLC over bytes 0..16 and 20.. (the format's CRC), bit by bit.
fn crc32(b: &[u8]) -> u32 {
    let mut c = !0u32;
    for &byte in b[..16].iter().chain(&b[20..]) {
        c ^= u32::from(byte);
        for _ in 0..8 {
            c = if c & 1 != 0 { (c >> 1) ^ 0xEDB8_8320 } else { c >> 1 };
        }
    }
    !c
}

fuzz_target!(|data: &[u8]| {
    exercise(data);
    exercise(&with_header(data));
});

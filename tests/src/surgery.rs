//! Taking blobs apart and putting them back together (with a valid header and CRC), to test
//! what the loader makes of well-formed but wrong contents.

/// Recomputes the header's CRC-32 over the blob.
pub fn fix_crc(bytes: &mut [u8]) {
    let crc = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);
    let mut d = crc.digest();
    d.update(&bytes[..16]);
    d.update(&bytes[20..]);
    let v = d.finalize();
    bytes[16..20].copy_from_slice(&v.to_le_bytes());
}

/// The metadata and the arena of a blob.
pub fn split(bytes: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let meta_len = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]) as usize;
    let arena_start = (20 + meta_len).div_ceil(16) * 16;
    (
        bytes[20..20 + meta_len].to_vec(),
        bytes[arena_start..].to_vec(),
    )
}

/// A blob of `meta` and `arena` with `original`'s magic, version and flags, its lengths and
/// CRC made right.
pub fn join(original: &[u8], meta: &[u8], arena: &[u8]) -> Vec<u8> {
    let start = (20 + meta.len()).div_ceil(16) * 16;
    let mut out = original[..20].to_vec();
    out.extend_from_slice(meta);
    out.resize(start, 0);
    out.extend_from_slice(arena);
    let total = out.len() as u32;
    out[8..12].copy_from_slice(&total.to_le_bytes());
    out[12..16].copy_from_slice(&(meta.len() as u32).to_le_bytes());
    fix_crc(&mut out);
    out
}

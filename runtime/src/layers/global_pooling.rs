//! GlobalMaxPooling1D / GlobalAveragePooling1D: one vector from a whole sequence.
//!
//! Per channel, the max over all steps, or the sum in time order divided by the number of
//! steps. Window mode only (the result depends on where the window starts).

/// Reduces `seq` (`steps` rows of `out.len()` channels) into `out`.
pub(crate) fn reduce(seq: &[f32], out: &mut [f32], average: bool) {
    let c = out.len();
    let mut rows = seq.chunks_exact(c);
    if let Some(first) = rows.next() {
        out.copy_from_slice(first);
    }
    let mut steps = 1usize;
    for row in rows {
        steps += 1;
        for (o, &v) in out.iter_mut().zip(row) {
            *o = if average { *o + v } else { o.max(v) };
        }
    }
    if average {
        let n = steps as f32;
        out.iter_mut().for_each(|o| *o /= n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hand() {
        let seq = [1.0, -1.0, 3.0, -5.0, 2.0, 0.0];
        let mut out = [0.0; 2];
        reduce(&seq, &mut out, false);
        assert_eq!(out, [3.0, 0.0]);
        reduce(&seq, &mut out, true);
        assert_eq!(out, [2.0, -2.0]);
    }
}

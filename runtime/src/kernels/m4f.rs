//! The Cortex-M4F `f32` matrix-vector kernel in assembly, built only with the `asm` feature on
//! an `eabihf` Arm target. With the Thumb-2 `i8x16` dot product (`fixed/thumb.rs`), the
//! runtime's audited `unsafe` exception.
//!
//! Why: LLVM loads every weight with its own `VLDR`, so the Rust kernel needs about 2.5
//! instructions per multiply-add on the M4F. Here each block of four rows loads eight inputs
//! with one `VLDM` and eight weights of a row with another, then issues eight `VMLA`s.
//!
//! Same bits as the Rust kernel: `VMLA.F32` is the unfused multiply-accumulate (the product is
//! rounded, then the sum), exactly Rust's `acc += x * w`, and every output is still summed in
//! increasing input index from its initial value. The QEMU parity suite checks it bit for bit
//! against the host, which runs the Rust kernel.
//!
//! Audit: the assembly reads `rows · n` weights from `w`, `n` inputs from `x` (once per block of
//! rows), `rows` initial values from `init`, and writes `rows` outputs to `y`. The safe wrapper
//! below checks all four lengths before the block runs, and every pointer advances only by what
//! it loaded.

use core::arch::asm;

/// `y[j] = init[j] + Σ_i x[i] · w[j·n + i]` for `j < y.len()`, `n = x.len()`, where `y.len()` is
/// a nonzero multiple of 4 and `n` is nonzero; `init` is `None` to start from `y` itself.
///
/// # Panics
/// When `w` has fewer than `y.len() · n` values or `init` fewer than `y.len()` (the callers
/// check tensor sizes at load time, so this does not happen).
pub(crate) fn matvec4(y: &mut [f32], init: Option<&[f32]>, x: &[f32], w: &[f32]) {
    let (rows, n) = (y.len(), x.len());
    assert!(rows % 4 == 0 && rows > 0 && n > 0);
    let w = &w[..rows.checked_mul(n).expect("rows · n overflows")];
    let out = y.as_mut_ptr();
    let src = match init {
        Some(b) => b[..rows].as_ptr(),
        None => out.cast_const(),
    };
    let blocks = rows / 4;
    // SAFETY: see the module's audit. All pointers come from slices whose lengths were just
    // checked: `src` and `y` cover `rows` values, `w` covers `rows · n`, `x` covers `n`. The block
    // loads from `src` before it stores to the same place in `y`, so `init = None` is sound.
    #[allow(unsafe_code)]
    unsafe {
        asm!(
            // One block of four rows: s0-s3 are the accumulators.
            "2:",
            "vldmia {src}!, {{s0-s3}}",
            "add {w1}, {w0}, {n}, lsl #2",
            "add {w2}, {w1}, {n}, lsl #2",
            "add {w3}, {w2}, {n}, lsl #2",
            "lsrs {cnt}, {n}, #3",
            "beq 4f",
            // Eight inputs at a time: s4-s11 hold x, s16-s23 / s24-s31 a row's weights.
            "3:",
            "vldmia {x}!, {{s4-s11}}",
            "vldmia {w0}!, {{s16-s23}}",
            "vldmia {w1}!, {{s24-s31}}",
            "vmla.f32 s0, s4, s16",
            "vmla.f32 s1, s4, s24",
            "vmla.f32 s0, s5, s17",
            "vmla.f32 s1, s5, s25",
            "vmla.f32 s0, s6, s18",
            "vmla.f32 s1, s6, s26",
            "vmla.f32 s0, s7, s19",
            "vmla.f32 s1, s7, s27",
            "vmla.f32 s0, s8, s20",
            "vmla.f32 s1, s8, s28",
            "vmla.f32 s0, s9, s21",
            "vmla.f32 s1, s9, s29",
            "vmla.f32 s0, s10, s22",
            "vmla.f32 s1, s10, s30",
            "vmla.f32 s0, s11, s23",
            "vmla.f32 s1, s11, s31",
            "vldmia {w2}!, {{s16-s23}}",
            "vldmia {w3}!, {{s24-s31}}",
            "vmla.f32 s2, s4, s16",
            "vmla.f32 s3, s4, s24",
            "vmla.f32 s2, s5, s17",
            "vmla.f32 s3, s5, s25",
            "vmla.f32 s2, s6, s18",
            "vmla.f32 s3, s6, s26",
            "vmla.f32 s2, s7, s19",
            "vmla.f32 s3, s7, s27",
            "vmla.f32 s2, s8, s20",
            "vmla.f32 s3, s8, s28",
            "vmla.f32 s2, s9, s21",
            "vmla.f32 s3, s9, s29",
            "vmla.f32 s2, s10, s22",
            "vmla.f32 s3, s10, s30",
            "vmla.f32 s2, s11, s23",
            "vmla.f32 s3, s11, s31",
            "subs {cnt}, {cnt}, #1",
            "bne 3b",
            // Then 4, 2 and 1 remaining inputs, in that order (bits 2, 1, 0 of n).
            "4:",
            "tst {n}, #4",
            "beq 5f",
            "vldmia {x}!, {{s4-s7}}",
            "vldmia {w0}!, {{s16-s19}}",
            "vldmia {w1}!, {{s20-s23}}",
            "vldmia {w2}!, {{s24-s27}}",
            "vldmia {w3}!, {{s28-s31}}",
            "vmla.f32 s0, s4, s16",
            "vmla.f32 s1, s4, s20",
            "vmla.f32 s2, s4, s24",
            "vmla.f32 s3, s4, s28",
            "vmla.f32 s0, s5, s17",
            "vmla.f32 s1, s5, s21",
            "vmla.f32 s2, s5, s25",
            "vmla.f32 s3, s5, s29",
            "vmla.f32 s0, s6, s18",
            "vmla.f32 s1, s6, s22",
            "vmla.f32 s2, s6, s26",
            "vmla.f32 s3, s6, s30",
            "vmla.f32 s0, s7, s19",
            "vmla.f32 s1, s7, s23",
            "vmla.f32 s2, s7, s27",
            "vmla.f32 s3, s7, s31",
            "5:",
            "tst {n}, #2",
            "beq 6f",
            "vldmia {x}!, {{s4-s5}}",
            "vldmia {w0}!, {{s16-s17}}",
            "vldmia {w1}!, {{s18-s19}}",
            "vldmia {w2}!, {{s20-s21}}",
            "vldmia {w3}!, {{s22-s23}}",
            "vmla.f32 s0, s4, s16",
            "vmla.f32 s1, s4, s18",
            "vmla.f32 s2, s4, s20",
            "vmla.f32 s3, s4, s22",
            "vmla.f32 s0, s5, s17",
            "vmla.f32 s1, s5, s19",
            "vmla.f32 s2, s5, s21",
            "vmla.f32 s3, s5, s23",
            "6:",
            "tst {n}, #1",
            "beq 7f",
            "vldmia {x}!, {{s4}}",
            "vldmia {w0}!, {{s16}}",
            "vldmia {w1}!, {{s17}}",
            "vldmia {w2}!, {{s18}}",
            "vldmia {w3}!, {{s19}}",
            "vmla.f32 s0, s4, s16",
            "vmla.f32 s1, s4, s17",
            "vmla.f32 s2, s4, s18",
            "vmla.f32 s3, s4, s19",
            // Store the block, rewind x, and start the next block after row 3.
            "7:",
            "vstmia {y}!, {{s0-s3}}",
            "sub {x}, {x}, {n}, lsl #2",
            "mov {w0}, {w3}",
            "subs {blocks}, {blocks}, #1",
            "bne 2b",
            src = inout(reg) src => _,
            y = inout(reg) out => _,
            x = inout(reg) x.as_ptr() => _,
            w0 = inout(reg) w.as_ptr() => _,
            w1 = out(reg) _,
            w2 = out(reg) _,
            w3 = out(reg) _,
            n = in(reg) n,
            cnt = out(reg) _,
            blocks = inout(reg) blocks => _,
            out("s0") _, out("s1") _, out("s2") _, out("s3") _,
            out("s4") _, out("s5") _, out("s6") _, out("s7") _,
            out("s8") _, out("s9") _, out("s10") _, out("s11") _,
            out("s16") _, out("s17") _, out("s18") _, out("s19") _,
            out("s20") _, out("s21") _, out("s22") _, out("s23") _,
            out("s24") _, out("s25") _, out("s26") _, out("s27") _,
            out("s28") _, out("s29") _, out("s30") _, out("s31") _,
            options(nostack),
        );
    }
}

//! The `i8x16` four-row dot product in Thumb-2 assembly (Cortex-M3, M4, M7, M33; the `asm`
//! feature). With the M4F `f32` kernel, the runtime's audited `unsafe` exception.
//!
//! Why: LLVM keeps four row pointers, four accumulators and the input pointer live across the
//! loop and spills some of them to the stack (53 instructions per 16 multiply-adds on the M3).
//! The loop below keeps everything in registers: 38 per 16.
//!
//! Same results as [`super::dot4`]'s Rust loop: the sums are exact integers (the caller keeps
//! rows to [`super::I32_TERMS`] terms, so no `i32` overflows), and integer addition does not
//! depend on order. The QEMU parity suite checks the results bit for bit against the host.
//!
//! Audit: the assembly reads `n` values from `x` and from each of the four rows and nothing else;
//! [`dot4`] takes `n` as the shortest of the five slices, and each pointer advances by one
//! element per product.

use core::arch::asm;

/// `[Σ x·r0, Σ x·r1, Σ x·r2, Σ x·r3]` over the first `n` = the shortest length.
#[inline]
pub(crate) fn dot4(x: &[i16], r0: &[i8], r1: &[i8], r2: &[i8], r3: &[i8]) -> [i32; 4] {
    let n = x
        .len()
        .min(r0.len())
        .min(r1.len())
        .min(r2.len())
        .min(r3.len());
    let (mut a0, mut a1, mut a2, mut a3) = (0i32, 0i32, 0i32, 0i32);
    if n == 0 {
        return [0; 4];
    }
    // SAFETY: see the module's audit: `n` products, each pointer from a slice of at least `n`
    // elements, advanced by one element per product.
    #[allow(unsafe_code)]
    unsafe {
        asm!(
            // Four inputs per pass while at least four remain, then one at a time.
            "lsrs {cnt}, {n}, #2",
            "beq 3f",
            "2:",
            "ldrsh {t}, [{x}], #2",
            "ldrsb {w}, [{p0}], #1", "mla {a0}, {w}, {t}, {a0}",
            "ldrsb {w}, [{p1}], #1", "mla {a1}, {w}, {t}, {a1}",
            "ldrsb {w}, [{p2}], #1", "mla {a2}, {w}, {t}, {a2}",
            "ldrsb {w}, [{p3}], #1", "mla {a3}, {w}, {t}, {a3}",
            "ldrsh {t}, [{x}], #2",
            "ldrsb {w}, [{p0}], #1", "mla {a0}, {w}, {t}, {a0}",
            "ldrsb {w}, [{p1}], #1", "mla {a1}, {w}, {t}, {a1}",
            "ldrsb {w}, [{p2}], #1", "mla {a2}, {w}, {t}, {a2}",
            "ldrsb {w}, [{p3}], #1", "mla {a3}, {w}, {t}, {a3}",
            "ldrsh {t}, [{x}], #2",
            "ldrsb {w}, [{p0}], #1", "mla {a0}, {w}, {t}, {a0}",
            "ldrsb {w}, [{p1}], #1", "mla {a1}, {w}, {t}, {a1}",
            "ldrsb {w}, [{p2}], #1", "mla {a2}, {w}, {t}, {a2}",
            "ldrsb {w}, [{p3}], #1", "mla {a3}, {w}, {t}, {a3}",
            "ldrsh {t}, [{x}], #2",
            "ldrsb {w}, [{p0}], #1", "mla {a0}, {w}, {t}, {a0}",
            "ldrsb {w}, [{p1}], #1", "mla {a1}, {w}, {t}, {a1}",
            "ldrsb {w}, [{p2}], #1", "mla {a2}, {w}, {t}, {a2}",
            "ldrsb {w}, [{p3}], #1", "mla {a3}, {w}, {t}, {a3}",
            "subs {cnt}, {cnt}, #1",
            "bne 2b",
            "3:",
            "ands {cnt}, {n}, #3",
            "beq 5f",
            "4:",
            "ldrsh {t}, [{x}], #2",
            "ldrsb {w}, [{p0}], #1", "mla {a0}, {w}, {t}, {a0}",
            "ldrsb {w}, [{p1}], #1", "mla {a1}, {w}, {t}, {a1}",
            "ldrsb {w}, [{p2}], #1", "mla {a2}, {w}, {t}, {a2}",
            "ldrsb {w}, [{p3}], #1", "mla {a3}, {w}, {t}, {a3}",
            "subs {cnt}, {cnt}, #1",
            "bne 4b",
            "5:",
            n = in(reg) n,
            cnt = out(reg) _,
            x = inout(reg) x.as_ptr() => _,
            p0 = inout(reg) r0.as_ptr() => _,
            p1 = inout(reg) r1.as_ptr() => _,
            p2 = inout(reg) r2.as_ptr() => _,
            p3 = inout(reg) r3.as_ptr() => _,
            t = out(reg) _,
            w = out(reg) _,
            a0 = inout(reg) a0,
            a1 = inout(reg) a1,
            a2 = inout(reg) a2,
            a3 = inout(reg) a3,
            options(nostack, readonly),
        );
    }
    [a0, a1, a2, a3]
}

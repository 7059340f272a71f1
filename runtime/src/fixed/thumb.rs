//! The `i8x16` four-row dot product in assembly (the `asm` feature): Thumb-2 for the Cortex-M3,
//! M4, M7 and M33, Thumb-1 for the Cortex-M0 and M0+. With the M4F `f32` kernel, the runtime's
//! audited `unsafe` exception.
//!
//! Why: LLVM keeps four row pointers, four accumulators and the input pointer live across the
//! loop and spills some of them to the stack (53 instructions per 16 multiply-adds on the M3).
//! The Thumb-2 loop keeps everything in registers: 38 per 16. The Thumb-1 loop needs all eight low
//! registers (only they can address memory or multiply there): it saves `r6` and `r7`, which
//! Rust cannot hand to inline assembly, on the stack and restores them, keeps the four row
//! pointers, the column index, the input pointer, the input and the product low and the sums
//! high, and reads four columns per pass: 62 instructions per 16 multiply-adds (the
//! one-pointer loop it replaces took 80). Both take four consecutive rows of one kernel (a block of
//! `4n` values for an input of `n`).
//!
//! Same results as [`super::dot4`]'s Rust loop: the sums are exact integers (the callers keep
//! every sum, the starting one included, in the `i32` range: rows of at most
//! [`super::I32_TERMS`] terms from zero, or a bound checked per call), and integer addition
//! does not depend on order. The QEMU parity suite checks the results bit for bit against the host.
//!
//! Audit: the assembly reads the `n` values of `x` and the `4n` values of the block and nothing
//! else; [`dot4`] checks that the block holds `4n` values. Thumb-2: the four row pointers start
//! at `block + k·n` and advance by one element per product. Thumb-1: element `i < n` of row `k`
//! is read at `block + k·n + i`.

use core::arch::asm;

/// `acc + [Σ x·row_k]` for the four rows `row_k = block[k·n..(k+1)·n]`, `n = x.len()`
/// (Thumb-1). A block shorter than `4n` adds nothing.
#[cfg(nowcast_thumb1)]
#[inline]
pub(crate) fn dot4(acc: [i32; 4], x: &[i16], block: &[i8]) -> [i32; 4] {
    let n = x.len();
    if n == 0 || block.len() < 4 * n {
        return acc;
    }
    let (a0, a1, a2, a3): (i32, i32, i32, i32);
    let p = block.as_ptr();
    // SAFETY: see the module's audit: for i < n, `x[i]` is read at `x + 2i`, and row k's
    // element i at `block + k·n + i < block + 4n` (the length checked just above). Nothing is
    // written; r6 and r7 are saved on the stack and restored.
    #[allow(unsafe_code)]
    unsafe {
        asm!(
            // r0 = column i (from n - 1 down), r1 = &x[i], r2-r5 the four rows, r6 a product,
            // r7 x[i], the sums in r8-r11.
            "push {{r6, r7}}",
            "movs r6, #0",
            "mov r8, r6",
            "mov r9, r6",
            "mov r10, r6",
            "mov r11, r6",
            // One column at a time until a multiple of four remain.
            "2:",
            "adds r6, r0, #1",
            "lsls r6, r6, #30",
            "beq 3f",
            "ldrh r7, [r1, #0]",
            "sxth r7, r7",
            "ldrsb r6, [r2, r0]",
            "muls r6, r7, r6",
            "add r8, r6",
            "ldrsb r6, [r3, r0]",
            "muls r6, r7, r6",
            "add r9, r6",
            "ldrsb r6, [r4, r0]",
            "muls r6, r7, r6",
            "add r10, r6",
            "ldrsb r6, [r5, r0]",
            "muls r6, r7, r6",
            "add r11, r6",
            "subs r1, #2",
            "subs r0, #1",
            "b 2b",
            // Then four per pass, r1 at x[i - 3].
            "3:",
            "cmp r0, #0",
            "bmi 5f",
            "subs r1, #6",
            "4:",
            "ldrh r7, [r1, #6]",
            "sxth r7, r7",
            "ldrsb r6, [r2, r0]",
            "muls r6, r7, r6",
            "add r8, r6",
            "ldrsb r6, [r3, r0]",
            "muls r6, r7, r6",
            "add r9, r6",
            "ldrsb r6, [r4, r0]",
            "muls r6, r7, r6",
            "add r10, r6",
            "ldrsb r6, [r5, r0]",
            "muls r6, r7, r6",
            "add r11, r6",
            "subs r0, #1",
            "ldrh r7, [r1, #4]",
            "sxth r7, r7",
            "ldrsb r6, [r2, r0]",
            "muls r6, r7, r6",
            "add r8, r6",
            "ldrsb r6, [r3, r0]",
            "muls r6, r7, r6",
            "add r9, r6",
            "ldrsb r6, [r4, r0]",
            "muls r6, r7, r6",
            "add r10, r6",
            "ldrsb r6, [r5, r0]",
            "muls r6, r7, r6",
            "add r11, r6",
            "subs r0, #1",
            "ldrh r7, [r1, #2]",
            "sxth r7, r7",
            "ldrsb r6, [r2, r0]",
            "muls r6, r7, r6",
            "add r8, r6",
            "ldrsb r6, [r3, r0]",
            "muls r6, r7, r6",
            "add r9, r6",
            "ldrsb r6, [r4, r0]",
            "muls r6, r7, r6",
            "add r10, r6",
            "ldrsb r6, [r5, r0]",
            "muls r6, r7, r6",
            "add r11, r6",
            "subs r0, #1",
            "ldrh r7, [r1, #0]",
            "sxth r7, r7",
            "ldrsb r6, [r2, r0]",
            "muls r6, r7, r6",
            "add r8, r6",
            "ldrsb r6, [r3, r0]",
            "muls r6, r7, r6",
            "add r9, r6",
            "ldrsb r6, [r4, r0]",
            "muls r6, r7, r6",
            "add r10, r6",
            "ldrsb r6, [r5, r0]",
            "muls r6, r7, r6",
            "add r11, r6",
            "subs r1, #8",
            "subs r0, #1",
            "bpl 4b",
            "5:",
            "pop {{r6, r7}}",
            "mov r0, r8",
            "mov r1, r9",
            "mov r2, r10",
            "mov r3, r11",
            inout("r0") n - 1 => a0,
            inout("r1") x.as_ptr().wrapping_add(n - 1) => a1,
            inout("r2") p => a2,
            inout("r3") p.wrapping_add(n) => a3,
            inout("r4") p.wrapping_add(2 * n) => _,
            inout("r5") p.wrapping_add(3 * n) => _,
            out("r8") _,
            out("r9") _,
            out("r10") _,
            out("r11") _,
            options(readonly),
        );
    }
    // (High registers cannot carry operands in Thumb-1: the sums start from zero.)
    [
        acc[0].wrapping_add(a0),
        acc[1].wrapping_add(a1),
        acc[2].wrapping_add(a2),
        acc[3].wrapping_add(a3),
    ]
}

/// `acc + [Σ x·row_k]` for the four rows `row_k = block[k·n..(k+1)·n]`, `n = x.len()`
/// (Thumb-2). A block shorter than `4n` adds nothing.
#[cfg(nowcast_thumb2)]
#[inline]
pub(crate) fn dot4(acc: [i32; 4], x: &[i16], block: &[i8]) -> [i32; 4] {
    let n = x.len();
    if n == 0 || block.len() < 4 * n {
        return acc;
    }
    let [mut a0, mut a1, mut a2, mut a3] = acc;
    // SAFETY: see the module's audit: `n` products, row k's pointer starting at `block + k·n`
    // (inside the block of at least `4n`, checked above), advanced by one element per product.
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
            p0 = inout(reg) block.as_ptr() => _,
            p1 = inout(reg) block.as_ptr().wrapping_add(n) => _,
            p2 = inout(reg) block.as_ptr().wrapping_add(2 * n) => _,
            p3 = inout(reg) block.as_ptr().wrapping_add(3 * n) => _,
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

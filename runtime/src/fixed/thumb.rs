//! The `i8x16` four-row dot product in assembly (the `asm` feature): Thumb-2 for the Cortex-M3,
//! M4, M7 and M33, Thumb-1 for the Cortex-M0 and M0+; on Thumb-2 also a whole row-sum call
//! ([`rows4`]: every block of a kernel, both parts of a recurrent row). With the M4F `f32` kernel, the runtime's
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
//! `4n` values for an input of `n`). The epilogue of a row-sum call is assembly too
//! ([`rescale_rows`]: 16 instructions per row on Thumb-2 and 26 on Thumb-1, where LLVM's loops
//! took about 25 and 34).
//!
//! Same results as [`super::dot4`]'s Rust loop: the sums are exact integers (the callers keep
//! every sum, the starting one included, in the `i32` range: rows of at most
//! [`super::I32_TERMS`] terms from zero, or a bound checked per call), and integer addition
//! does not depend on order. The QEMU parity suite checks the results bit for bit against the host.
//!
//! Audit: the assembly reads the `n` values of `x` and the `4n` values of the block and nothing
//! else; [`dot4`] checks that the block holds `4n` values. Thumb-2: the four row pointers start
//! at `block + k·n` and advance by one element per product. Thumb-1: element `i < n` of row `k`
//! is read at `block + k·n + i`. [`rows4`] runs the Thumb-2 loop on block `j` of each part at
//! `rows + 4·len·j` for the `y.len() / 4` blocks it checks the rows hold, and writes
//! `y[0..4·blocks]` and its own frame only. [`rescale_rows`] reads and writes `y[0..n]` and
//! reads `n` mantissas and `n` values of each bias, every length checked first.

use core::arch::asm;

/// Thumb-1: column `r0` of the four rows `r2`-`r5` times `x` read at `r1 + off` (sign-extended
/// into `r7`), added to the sums `r8`-`r11` (`r6` the product).
#[cfg(nowcast_thumb1)]
macro_rules! t1_column {
    ($off:literal) => {
        concat!(
            "ldrh r7, [r1, #",
            $off,
            "]\n",
            "sxth r7, r7\n",
            "ldrsb r6, [r2, r0]\n",
            "muls r6, r7, r6\n",
            "add r8, r6\n",
            "ldrsb r6, [r3, r0]\n",
            "muls r6, r7, r6\n",
            "add r9, r6\n",
            "ldrsb r6, [r4, r0]\n",
            "muls r6, r7, r6\n",
            "add r10, r6\n",
            "ldrsb r6, [r5, r0]\n",
            "muls r6, r7, r6\n",
            "add r11, r6\n",
        )
    };
}

/// Thumb-2 ([`rows4`]): the next input (`r9`, into `r10`) times the next element of the four
/// rows `r4`, `r5`, `r6`, `r8` (into `r11`), added to the sums `r0`-`r3`.
#[cfg(nowcast_thumb2)]
macro_rules! t2_column {
    () => {
        concat!(
            "ldrsh r10, [r9], #2\n",
            "ldrsb r11, [r4], #1\n",
            "mla r0, r11, r10, r0\n",
            "ldrsb r11, [r5], #1\n",
            "mla r1, r11, r10, r1\n",
            "ldrsb r11, [r6], #1\n",
            "mla r2, r11, r10, r2\n",
            "ldrsb r11, [r8], #1\n",
            "mla r3, r11, r10, r3\n",
        )
    };
}

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
            t1_column!(0),
            "subs r1, #2",
            "subs r0, #1",
            "b 2b",
            // Then four per pass, r1 at x[i - 3].
            "3:",
            "cmp r0, #0",
            "bmi 5f",
            "subs r1, #6",
            "4:",
            t1_column!(6),
            "subs r0, #1",
            t1_column!(4),
            "subs r0, #1",
            t1_column!(2),
            "subs r0, #1",
            t1_column!(0),
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

/// [`super::rows4`] in one call (Thumb-2): the block loop, both parts, the shift and the
/// stores in assembly, with the loop state in a frame on the stack. Per block of four rows
/// this is about 40 instructions besides the products, where the Rust loop around [`dot4`]
/// took about 90 (spilling and reloading its own state).
#[cfg(nowcast_thumb2)]
#[inline]
pub(crate) fn rows4(y: &mut [i32], a: (&[i16], &[i8]), lsl: u32, b: (&[i16], &[i8])) {
    let blocks = y.len() / 4;
    let (n, k) = (a.0.len(), b.0.len());
    let fits = |rows: &[i8], len: usize| {
        len.checked_mul(4 * blocks)
            .is_some_and(|need| rows.len() >= need)
    };
    if blocks == 0 || n == 0 || !fits(a.1, n) || !fits(b.1, k) || lsl > 31 {
        return;
    }
    // Per part: the next block's first row, the input, its length (k = 0: no second part).
    // Then the shift, the next output and the blocks left. The assembly advances the rows,
    // the output and the count.
    let mut frame: [usize; 9] = [
        a.1.as_ptr() as usize,
        a.0.as_ptr() as usize,
        n,
        b.1.as_ptr() as usize,
        b.0.as_ptr() as usize,
        k,
        lsl as usize,
        y.as_mut_ptr() as usize,
        blocks,
    ];
    // SAFETY: see the module's audit. Block j of a part is read at `rows + 4·len·j` up to
    // `4·len` values (rows 0-3 of the block: pointers `rows + 4·len·j + r·len`, advanced one
    // element per product), inside the rows (the lengths checked above); the input `x[0..len]`;
    // the output `y[0..4·blocks]` is written with `stm` and the frame read and written; `r6` is
    // saved on the stack and restored.
    #[allow(unsafe_code)]
    unsafe {
        asm!(
            // The frame pointer and r6 on the stack; r0-r3 the sums, r4/r5/r6/r8 the rows,
            // r9 the input, r10 x[i], r11 a weight, r12 a count, lr the part.
            "push {{r0, r6}}",
            "1:",
            "ldr lr, [sp]",
            "movs r0, #0",
            "movs r1, #0",
            "movs r2, #0",
            "movs r3, #0",
            "2:",
            "ldm lr, {{r4, r9, r11}}",
            "cmp r11, #0",
            "beq 6f",
            "add r5, r4, r11",
            "add r6, r5, r11",
            "add r8, r6, r11",
            // One input at a time until a multiple of four remain, then four per pass.
            "ands r12, r11, #3",
            "beq 4f",
            "3:",
            t2_column!(),
            "subs r12, r12, #1",
            "bne 3b",
            "4:",
            "ldr r11, [lr, #8]",
            "lsrs r12, r11, #2",
            "beq 5f",
            "7:",
            t2_column!(),
            t2_column!(),
            t2_column!(),
            t2_column!(),
            "subs r12, r12, #1",
            "bne 7b",
            // Row 3's pointer ends where the part's next block starts.
            "5:",
            "str r8, [lr]",
            "6:",
            "ldr r11, [sp]",
            "cmp lr, r11",
            "bne 8f",
            // After the first part: its shift, then the second part.
            "ldr r12, [r11, #24]",
            "lsl r0, r0, r12",
            "lsl r1, r1, r12",
            "lsl r2, r2, r12",
            "lsl r3, r3, r12",
            "add lr, lr, #12",
            "b 2b",
            // The block's four sums out, the next block.
            "8:",
            "ldr r12, [r11, #28]",
            "stm r12!, {{r0, r1, r2, r3}}",
            "str r12, [r11, #28]",
            "ldr r12, [r11, #32]",
            "subs r12, r12, #1",
            "str r12, [r11, #32]",
            "bne 1b",
            "pop {{r0, r6}}",
            inout("r0") frame.as_mut_ptr() => _,
            out("r1") _,
            out("r2") _,
            out("r3") _,
            out("r4") _,
            out("r5") _,
            out("r8") _,
            out("r9") _,
            out("r10") _,
            out("r11") _,
            out("r12") _,
            out("lr") _,
        );
    }
}

/// [`super::rescale_rows`] (Thumb-2): one row per pass, 16 instructions, where LLVM's loop
/// spilled its nine constants and pointers and took about 25. With `m' = m << (32 - shift)`
/// (below 2^31: `shift ≥ 18`), `rescale(acc, m, shift)` is the high word of `acc · m' + 2^31`,
/// which is the high word of `acc · m'` plus the top bit of its low word; the two bias terms
/// are added to it.
#[cfg(nowcast_thumb2)]
#[inline]
pub(crate) fn rescale_rows(
    y: &mut [i32],
    m: &[u16],
    shift: u32,
    b0: super::BiasTerms,
    b1: super::BiasTerms,
) {
    let n = y.len();
    if n == 0 || !super::rescale_rows_fit(n, m, shift, b0, b1) {
        return;
    }
    let y = y.as_mut_ptr();
    // SAFETY: see the module's audit: `y[0..n]` is read and written through `r0`, `m[0..n]`
    // read through `r1`, the two biases' `values[0..n]` through `r2` and `r3` (every length
    // checked above, one element per pass, `n ≥ 1` passes, ending when `r0` reaches `y + n`);
    // `r6` is saved on the stack and restored.
    #[allow(unsafe_code)]
    unsafe {
        asm!(
            // r4 the end of y, r5 the mantissas' shift, r6/r8 the first bias's add and shift,
            // r9/r10 the second's, r11 the terms and the result, r12 and lr the product.
            "push {{r6}}",
            "mov r6, r11",
            "2:",
            "ldrsh r11, [r2], #2",
            "add r11, r6, r11, lsl #15",
            "asr r11, r11, r8",
            "ldrsh r12, [r3], #2",
            "add r12, r9, r12, lsl #15",
            "asr r12, r12, r10",
            "add r11, r11, r12",
            "ldrh r12, [r1], #2",
            "lsl r12, r12, r5",
            "ldr lr, [r0]",
            "smull r12, lr, lr, r12",
            "add r11, r11, lr",
            "add r11, r11, r12, lsr #31",
            "str r11, [r0], #4",
            "cmp r0, r4",
            "bne 2b",
            "pop {{r6}}",
            inout("r0") y => _,
            inout("r1") m.as_ptr() => _,
            inout("r2") b0.0.as_ptr() => _,
            inout("r3") b1.0.as_ptr() => _,
            in("r4") y.wrapping_add(n),
            in("r5") 32 - shift,
            in("r8") b0.2,
            in("r9") b1.1,
            in("r10") b1.2,
            inout("r11") b0.1 => _,
            out("r12") _,
            out("lr") _,
        );
    }
}

/// [`super::rescale_rows`] (Thumb-1): one row per pass, 26 instructions, where LLVM's loop
/// spilled its constants and took about 34. With `acc = hi · 2^16 + lo` (`lo` unsigned),
/// `rescale(acc, m, shift) = (hi · m + ((lo · m) >> 16) + 2^(shift-17)) >> (shift - 16)`: the
/// rounding term is a multiple of 2^16, so the low half's product only carries its top. The
/// sum fits: `|hi · m| ≤ 2^15 · (2^16 - 1)`, the other two are below 2^16 and at most 2^15
/// (`shift ≤ 32`), so it is in `[-(2^31 - 2^15), 2^31 - 1]`.
#[cfg(nowcast_thumb1)]
#[inline]
pub(crate) fn rescale_rows(
    y: &mut [i32],
    m: &[u16],
    shift: u32,
    b0: super::BiasTerms,
    b1: super::BiasTerms,
) {
    let n = y.len();
    if n == 0 || !super::rescale_rows_fit(n, m, shift, b0, b1) {
        return;
    }
    // The index runs from -2n up to 0 (the end of each two-byte array).
    let end = |p: *const u16| p.wrapping_add(n);
    // Inline assembly cannot hand high registers over in Thumb-1: the constants go through
    // memory.
    let frame: [usize; 7] = [
        1 << (shift - 17),
        (shift - 16) as usize,
        b0.1 as usize,
        b0.2 as usize,
        b1.1 as usize,
        b1.2 as usize,
        end(b1.0.as_ptr().cast()) as usize,
    ];
    // SAFETY: see the module's audit: `y[0..n]` is read and written through `r0` (advanced
    // one element per pass), the mantissas and both biases read at `end - 2n + 2j` for
    // `j < n` (the index `r3` from `-2n` to 0; every length checked above, `n ≥ 1` passes),
    // the frame read; `r6` and `r7` are saved on the stack and restored.
    #[allow(unsafe_code)]
    unsafe {
        asm!(
            // r0 the next sum, r1/r2/r7 the ends of the mantissas and biases, r3 the index,
            // r4-r6 temporaries; r8 the rounding term, r9 the shift, r10/r11 the first bias's
            // add and shift, r12/lr the second's.
            "push {{r6, r7}}",
            "ldm r4!, {{r5, r6, r7}}",
            "mov r8, r5",
            "mov r9, r6",
            "mov r10, r7",
            "ldm r4!, {{r5, r6, r7}}",
            "mov r11, r5",
            "mov r12, r6",
            "mov lr, r7",
            "ldr r7, [r4]",
            "2:",
            "ldrh r4, [r1, r3]",
            "ldr r5, [r0]",
            "uxth r6, r5",
            "asrs r5, r5, #16",
            "muls r6, r4, r6",
            "muls r5, r4, r5",
            "lsrs r6, r6, #16",
            "adds r5, r5, r6",
            "add r5, r8",
            "mov r6, r9",
            "asrs r5, r5, r6",
            "ldrsh r4, [r2, r3]",
            "lsls r4, r4, #15",
            "add r4, r10",
            "mov r6, r11",
            "asrs r4, r4, r6",
            "adds r5, r5, r4",
            "ldrsh r4, [r7, r3]",
            "lsls r4, r4, #15",
            "add r4, r12",
            "mov r6, lr",
            "asrs r4, r4, r6",
            "adds r5, r5, r4",
            "stm r0!, {{r5}}",
            "adds r3, #2",
            "bne 2b",
            "pop {{r6, r7}}",
            inout("r0") y.as_mut_ptr() => _,
            in("r1") end(m.as_ptr()),
            in("r2") end(b0.0.as_ptr().cast()),
            inout("r3") (2 * n).wrapping_neg() => _,
            inout("r4") frame.as_ptr() => _,
            out("r5") _,
            out("r8") _,
            out("r9") _,
            out("r10") _,
            out("r11") _,
            out("r12") _,
            out("lr") _,
        );
    }
}

//! The `i8x16` kernels in assembly (the `asm` feature): Thumb-2 for the Cortex-M3, M4, M7 and
//! M33, Thumb-1 for the Cortex-M0 and M0+. With the M4F `f32` kernel, the runtime's audited
//! `unsafe` exception. The kernels:
//!
//! - [`rows8`]: every whole block of a blocked kernel (eight rows, see [`crate::tensor`]) in one
//!   call, the eight sums in registers, four columns (32 consecutive bytes at fixed offsets) per
//!   pass: 70 instructions per 32 multiply-adds on Thumb-2, 108 on Thumb-1, 46 on ARMv7E-M
//!   (the Cortex-M4 and M7: the DSP extension's two-way multiply-add takes two columns of a row
//!   from one word of the layout).
//! - [`rescale_rows`]: the epilogue of a row-sum call (the rescale and both biases), 16
//!   instructions per row on Thumb-2 and 26 on Thumb-1 (12 and 20 with one bias), where LLVM's
//!   loops spilled their constants and took about 25 and 34.
//! - [`rescale_rows_exact`]: the same for biases already in the rows' exponent (what the
//!   encoder writes), 11 instructions per row on Thumb-2 and 18 on Thumb-1 (9 and 15 with one
//!   bias).
//! - [`dot_u8`]: one row of a blocked kernel after its blocks (a Dense layer's few rows), 3.5
//!   instructions per term on Thumb-2 and 6 on Thumb-1.
//! - [`gru_cell`]: the units of a `reset_after` GRU with sigmoid gates and a tanh candidate, 68
//!   instructions per unit on Thumb-2 and about 107 on Thumb-1, where LLVM's loops took about 98
//!   and 134.
//! - [`dot4`]: four consecutive rows of a plain int8 kernel (Conv1D's taps).
//!
//! Why: LLVM keeps the row pointers, the accumulators and the input pointer live across a loop
//! and spills some of them to the stack (53 instructions per 16 multiply-adds on the M3 for four
//! rows); the assembly keeps them in registers. Thumb-1 can address memory and multiply with
//! the eight low registers only: its loops save `r6` and `r7`, which Rust cannot hand to inline
//! assembly, on the stack and restore them, and keep some sums in high registers.
//!
//! Same results as the Rust definitions ([`super::dot4_rust`], [`super::rows8_rust`],
//! [`super::rescale_rows`]' and [`super::rescale_rows_exact`]'s loops, `dot_u8_rust`,
//! `gru_cell_rust`), which
//! [`super::check_kernels`] compares them with on the
//! device: the sums are exact integers (the callers keep every sum in the `i32` range, and the
//! blocked sums wrap as the definition does), and integer addition does not depend on order.
//! The QEMU parity suite checks whole models bit for bit against the host.
//!
//! Audit: [`dot4`] reads the `n` values of `x` and the `4n` values of the block it checks the
//! length of; Thumb-2: the four row pointers start at `block + k·n` and advance by one element
//! per product; Thumb-1: element `i < n` of row `k` is read at `block + k·n + i`. [`rows8`]
//! reads `y.len() / 8` blocks of `8n` bytes it checks `blocks` holds and the `n`
//! inputs, and writes `y[0..8 · blocks]` and its own frame only. [`rescale_rows`] reads and
//! writes `y[0..n]` and reads `n` mantissas and `n` values of each bias, every length checked
//! first; [`rescale_rows_exact`] the same with its one or two biases. [`dot_u8`] reads the `n` inputs and `n` bytes it checks the row holds. [`gru_cell`]
//! reads one element of each of its four pre-activation slices and reads and writes one of
//! `h` per unit, for the `h.len()` units the slices are checked to hold, and the tanh table at
//! entries below 379.

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

/// Thumb-2 ([`rescale_rows`], both loops): the first bias's term of the next row into `r11`.
#[cfg(nowcast_thumb2)]
macro_rules! t2_rescale_first {
    () => {
        concat!(
            "ldrsh r11, [r2], #2\n",
            "add r11, r6, r11, lsl #15\n",
            "asr r11, r11, r8\n",
        )
    };
}

/// Thumb-2 ([`rescale_rows`], both loops): the row's rescaled sum added to the terms in `r11`,
/// stored, the output advanced and compared with its end.
#[cfg(nowcast_thumb2)]
macro_rules! t2_rescale_rest {
    () => {
        concat!(
            "ldrh r12, [r1], #2\n",
            "lsl r12, r12, r5\n",
            "ldr lr, [r0]\n",
            "smull r12, lr, lr, r12\n",
            "add r11, r11, lr\n",
            "add r11, r11, r12, lsr #31\n",
            "str r11, [r0], #4\n",
            "cmp r0, r4\n",
        )
    };
}

/// Thumb-1 ([`rescale_rows`] and [`rescale_rows_exact`], every loop): the next row's sum
/// (at `r0`) times its mantissa (at `r1 + r3`), plus the rounding term `r8`, into `r5`; the
/// shift right by `r9` follows.
#[cfg(nowcast_thumb1)]
macro_rules! t1_rescale_product {
    () => {
        concat!(
            "ldrh r4, [r1, r3]\n",
            "ldr r5, [r0]\n",
            "uxth r6, r5\n",
            "asrs r5, r5, #16\n",
            "muls r6, r4, r6\n",
            "muls r5, r4, r5\n",
            "lsrs r6, r6, #16\n",
            "adds r5, r5, r6\n",
            "add r5, r8\n",
        )
    };
}

/// Thumb-1 ([`rescale_rows`], both loops): the next row's rescaled sum plus its first bias's
/// term, into `r5`.
#[cfg(nowcast_thumb1)]
macro_rules! t1_rescale_first {
    () => {
        concat!(
            t1_rescale_product!(),
            "mov r6, r9\n",
            "asrs r5, r5, r6\n",
            "ldrsh r4, [r2, r3]\n",
            "lsls r4, r4, #15\n",
            "add r4, r10\n",
            "mov r6, r11\n",
            "asrs r4, r4, r6\n",
            "adds r5, r5, r4\n",
        )
    };
}

/// [`super::rescale_rows`] (Thumb-2): one row per pass, 16 instructions (12 with one bias),
/// where LLVM's loop spilled its nine constants and pointers and took about 25. With `m' = m << (32 - shift)`
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
            // A second bias shifted by 31 is 0 for every row (the only such bias): one loop
            // without it.
            "cmp r10, #31",
            "beq 3f",
            "2:",
            t2_rescale_first!(),
            "ldrsh r12, [r3], #2",
            "add r12, r9, r12, lsl #15",
            "asr r12, r12, r10",
            "add r11, r11, r12",
            t2_rescale_rest!(),
            "bne 2b",
            "b 4f",
            "3:",
            t2_rescale_first!(),
            t2_rescale_rest!(),
            "bne 3b",
            "4:",
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

/// Thumb-2 ([`rescale_rows_exact`], both loops): the row's sum times `m'` added to the biases'
/// sum in `r11` (the high word, 2^31 the low one), stored, the output advanced and compared
/// with its end.
#[cfg(nowcast_thumb2)]
macro_rules! t2_rescale_exact_rest {
    () => {
        concat!(
            "ldrh r12, [r1], #2\n",
            "lsl r12, r12, r5\n",
            "ldr lr, [r0]\n",
            "mov r10, #0x80000000\n",
            "smlal r10, r11, lr, r12\n",
            "str r11, [r0], #4\n",
            "cmp r0, r4\n",
        )
    };
}

/// [`super::rescale_rows_exact`] (Thumb-2): one row per pass, 11 instructions (9 with one
/// bias) where [`rescale_rows`] takes 16 (12): the biases' sum is the high word `acc · m'` is
/// added to with `2^31` as the low word, one multiply-accumulate (`m' = m << (32 - shift)`, as
/// there).
#[cfg(nowcast_thumb2)]
#[inline]
pub(crate) fn rescale_rows_exact(
    y: &mut [i32],
    m: &[u16],
    shift: u32,
    b0: &[i16],
    b1: Option<&[i16]>,
) {
    let n = y.len();
    if n == 0 || !super::rescale_rows_exact_fit(n, m, shift, b0, b1) {
        return;
    }
    let y = y.as_mut_ptr();
    // SAFETY: see the module's audit: `y[0..n]` is read and written through `r0`, `m[0..n]`
    // read through `r1`, `b0[0..n]` through `r2` and, if given, `b1[0..n]` through `r3`
    // (every length checked above, one element per pass, `n ≥ 1` passes, ending when `r0`
    // reaches `y + n`).
    #[allow(unsafe_code)]
    unsafe {
        asm!(
            // r4 the end of y, r5 the mantissas' shift, r10/r11 the low and high words (the
            // biases, then the result), r12 and lr the mantissa and the sum.
            "cmp r3, #0",
            "beq 3f",
            "2:",
            "ldrsh r11, [r2], #2",
            "ldrsh r12, [r3], #2",
            "add r11, r11, r12",
            t2_rescale_exact_rest!(),
            "bne 2b",
            "b 4f",
            "3:",
            "ldrsh r11, [r2], #2",
            t2_rescale_exact_rest!(),
            "bne 3b",
            "4:",
            inout("r0") y => _,
            inout("r1") m.as_ptr() => _,
            inout("r2") b0.as_ptr() => _,
            inout("r3") b1.map_or(core::ptr::null(), <[i16]>::as_ptr) => _,
            in("r4") y.wrapping_add(n),
            in("r5") 32 - shift,
            out("r10") _,
            out("r11") _,
            out("r12") _,
            out("lr") _,
        );
    }
}

/// [`super::rescale_rows`] (Thumb-1): one row per pass, 26 instructions (20 with one bias),
/// where LLVM's loop spilled its constants and took about 34. With `acc = hi · 2^16 + lo` (`lo` unsigned),
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
            // A second bias shifted by 31 is 0 for every row (the only such bias): one loop
            // without it.
            "cmp r7, #31",
            "ldr r7, [r4]",
            "beq 3f",
            "2:",
            t1_rescale_first!(),
            "ldrsh r4, [r7, r3]",
            "lsls r4, r4, #15",
            "add r4, r12",
            "mov r6, lr",
            "asrs r4, r4, r6",
            "adds r5, r5, r4",
            "stm r0!, {{r5}}",
            "adds r3, #2",
            "bne 2b",
            "b 4f",
            "3:",
            t1_rescale_first!(),
            "stm r0!, {{r5}}",
            "adds r3, #2",
            "bne 3b",
            "4:",
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

/// [`super::rescale_rows_exact`] (Thumb-1): one row per pass, 18 instructions (15 with one
/// bias) where [`rescale_rows`] takes 26 (20): the rescale as there, then the biases added.
#[cfg(nowcast_thumb1)]
#[inline]
pub(crate) fn rescale_rows_exact(
    y: &mut [i32],
    m: &[u16],
    shift: u32,
    b0: &[i16],
    b1: Option<&[i16]>,
) {
    let n = y.len();
    if n == 0 || !super::rescale_rows_exact_fit(n, m, shift, b0, b1) {
        return;
    }
    // The index runs from -2n up to 0 (the end of each two-byte array).
    let end = |p: *const i16| p.wrapping_add(n) as usize;
    // Inline assembly cannot hand `r6` and `r7` over in Thumb-1: they come through memory.
    let frame: [usize; 3] = [
        1 << (shift - 17),
        (shift - 16) as usize,
        b1.map_or(0, |b| end(b.as_ptr())),
    ];
    // SAFETY: see the module's audit: `y[0..n]` is read and written through `r0` (advanced
    // one element per pass), the mantissas and the biases read at `end - 2n + 2j` for `j < n`
    // (the index `r3` from `-2n` to 0; every length checked above, `n ≥ 1` passes; the second
    // bias only if given), the frame read; `r6` and `r7` are saved on the stack and restored.
    #[allow(unsafe_code)]
    unsafe {
        asm!(
            // r0 the next sum, r1/r2/r7 the ends of the mantissas and biases (r7 the shift
            // with one bias), r3 the index, r4-r6 temporaries; r8 the rounding term, r9 the
            // shift.
            "push {{r6, r7}}",
            "ldm r4!, {{r5, r6, r7}}",
            "mov r8, r5",
            "mov r9, r6",
            "cmp r7, #0",
            "beq 3f",
            "2:",
            t1_rescale_product!(),
            "mov r6, r9",
            "asrs r5, r5, r6",
            "ldrsh r4, [r2, r3]",
            "adds r5, r5, r4",
            "ldrsh r4, [r7, r3]",
            "adds r5, r5, r4",
            "stm r0!, {{r5}}",
            "adds r3, #2",
            "bne 2b",
            "b 4f",
            "3:",
            "mov r7, r6",
            "5:",
            t1_rescale_product!(),
            "asrs r5, r5, r7",
            "ldrsh r4, [r2, r3]",
            "adds r5, r5, r4",
            "stm r0!, {{r5}}",
            "adds r3, #2",
            "bne 5b",
            "4:",
            "pop {{r6, r7}}",
            inout("r0") y.as_mut_ptr() => _,
            in("r1") end(m.as_ptr().cast()),
            in("r2") end(b0.as_ptr()),
            inout("r3") (2 * n).wrapping_neg() => _,
            inout("r4") frame.as_ptr() => _,
            out("r5") _,
            out("r8") _,
            out("r9") _,
        );
    }
}

/// Thumb-2 ([`rows8`]): the byte at `r10 + $o` (into `lr`) times the input in `r12`, added to
/// the sum `$acc`.
#[cfg(nowcast_thumb2)]
macro_rules! t2_byte {
    ($o:literal => $acc:literal) => {
        concat!(
            "ldrb lr, [r10, #",
            $o,
            "]\n",
            "mla ",
            $acc,
            ", lr, r12, ",
            $acc,
            "\n"
        )
    };
}

/// Thumb-2 ([`rows8`]): an input loaded into `r12` by `$load` (`ldrsh r12, [r11], #2`: the
/// next one) times the eight bytes of one column of a block at these offsets from `r10`,
/// added to the sums `r0`-`r5`, `r8`, `r9`.
#[cfg(nowcast_thumb2)]
macro_rules! t2_col8 {
    ($load:literal; $o0:literal, $o1:literal, $o2:literal, $o3:literal, $o4:literal, $o5:literal, $o6:literal, $o7:literal) => {
        concat!(
            $load,
            "\n",
            t2_byte!($o0 => "r0"),
            t2_byte!($o1 => "r1"),
            t2_byte!($o2 => "r2"),
            t2_byte!($o3 => "r3"),
            t2_byte!($o4 => "r4"),
            t2_byte!($o5 => "r5"),
            t2_byte!($o6 => "r8"),
            t2_byte!($o7 => "r9"),
        )
    };
}

/// Thumb-2 ([`rows8`]'s passes): a pass's first column last, the input at `r11` (advanced past
/// the pass's four) and its bytes at 0, 1, 4, 5, 8, 9, 12 and 13, the one at 0 read last
/// (advancing `r10` past the pass's 32 bytes).
#[cfg(all(nowcast_thumb2, not(nowcast_dsp)))]
macro_rules! t2_col8_pass_end {
    () => {
        concat!(
            "ldrsh r12, [r11], #8\n",
            t2_byte!(1 => "r1"),
            t2_byte!(4 => "r2"),
            t2_byte!(5 => "r3"),
            t2_byte!(8 => "r4"),
            t2_byte!(9 => "r5"),
            t2_byte!(12 => "r8"),
            t2_byte!(13 => "r9"),
            "ldrb lr, [r10], #32\n",
            "mla r0, lr, r12, r0\n",
        )
    };
}

/// The frame of every [`rows8`] loop, or `None` (nothing to do: no input, no whole block, or
/// fewer bytes than the blocks need): the next block's bytes, the next output, the shift (at
/// most 32), the offset, the input, its length, the blocks left, and where the input's
/// four-column passes end. The assembly advances the bytes, the output and the count.
#[inline]
fn rows8_frame(y: &mut [i32], x: &[i16], blocks: &[u8], lsl: u32, c: i32) -> Option<[usize; 8]> {
    let n = x.len();
    let count = y.len() / 8;
    // (A checked 32-bit product is a library call on the M0: one of two 16-bit values is not.)
    let need = match ((8 * n) | count) >> 16 {
        0 => Some(8 * n * count),
        _ => (8 * n).checked_mul(count),
    };
    let fits = need.is_some_and(|need| blocks.len() >= need);
    (n > 0 && count > 0 && fits).then(|| {
        [
            blocks.as_ptr() as usize,
            y.as_mut_ptr() as usize,
            lsl.min(32) as usize,
            c as usize,
            x.as_ptr() as usize,
            n,
            count,
            x.as_ptr().wrapping_add(n & !3) as usize,
        ]
    })
}

/// Thumb-2 ([`rows8`], both loops): a block's start, from the frame at `[sp]` (into `lr`): the
/// bytes (`r10`), the output (`r11`, then the input), the shift (`r12`), and the eight sums
/// from the output shifted plus the offset (or, for a first part, the offset alone: `8:` in
/// `t2_block_end`).
#[cfg(nowcast_thumb2)]
macro_rules! t2_block_start {
    () => {
        concat!(
            "1:\n",
            "ldr lr, [sp]\n",
            "ldm lr, {{r10, r11, r12}}\n",
            // A first part (a shift of 32) starts from the offset alone.
            "cmp r12, #32\n",
            "bhs 8f\n",
            "ldm r11, {{r0, r1, r2, r3, r4, r5, r8, r9}}\n",
            "lsl r0, r0, r12\n",
            "lsl r1, r1, r12\n",
            "lsl r2, r2, r12\n",
            "lsl r3, r3, r12\n",
            "lsl r4, r4, r12\n",
            "lsl r5, r5, r12\n",
            "lsl r8, r8, r12\n",
            "lsl r9, r9, r12\n",
            "ldr r12, [lr, #12]\n",
            "add r0, r0, r12\n",
            "add r1, r1, r12\n",
            "add r2, r2, r12\n",
            "add r3, r3, r12\n",
            "add r4, r4, r12\n",
            "add r5, r5, r12\n",
            "add r8, r8, r12\n",
            "add r9, r9, r12\n",
            "9:\n",
            "ldr r11, [lr, #16]\n",
        )
    };
}

/// Thumb-2 ([`rows8`], both loops): a block's end, the eight sums stored and the frame
/// advanced, then the next block or the end (`6:`); and the first part's start.
#[cfg(nowcast_thumb2)]
macro_rules! t2_block_end {
    () => {
        concat!(
            // The block's eight sums out, the next block.
            "5:\n",
            "ldr lr, [sp]\n",
            "ldr r12, [lr, #4]\n",
            "stm r12!, {{r0, r1, r2, r3, r4, r5, r8, r9}}\n",
            "str r12, [lr, #4]\n",
            "str r10, [lr]\n",
            "ldr r12, [lr, #24]\n",
            "subs r12, r12, #1\n",
            "str r12, [lr, #24]\n",
            "bne 1b\n",
            "b 6f\n",
            "8:\n",
            "ldr r12, [lr, #12]\n",
            "mov r0, r12\n",
            "mov r1, r12\n",
            "mov r2, r12\n",
            "mov r3, r12\n",
            "mov r4, r12\n",
            "mov r5, r12\n",
            "mov r8, r12\n",
            "mov r9, r12\n",
            "b 9b\n",
            "6:\n",
        )
    };
}

/// [`super::rows8`] (Thumb-2): every block in one call, eight sums in registers, four columns
/// (32 bytes at fixed offsets) per pass: 70 instructions per 32 multiply-adds, 2.2 per
/// multiply-add (the four-row loop over plain rows took 2.4), and about 40 per block besides
/// (30 for a first part, which starts from the offset without reading `y`).
#[cfg(all(nowcast_thumb2, not(nowcast_dsp)))]
#[inline]
pub(crate) fn rows8(y: &mut [i32], x: &[i16], blocks: &[u8], lsl: u32, c: i32) {
    let Some(mut frame) = rows8_frame(y, x, blocks, lsl, c) else {
        return;
    };
    // SAFETY: see the module's audit. Block j is read at `blocks + 8n·j` up to `8n` bytes
    // (the pointer `r10` advances by 32 per pass of four columns, 16 per pair of the tail and
    // 8 for an odd column, so by `8n` per block, and every offset read is below what it
    // advances), `count` blocks inside `blocks` (checked by `rows8_frame`, with `n ≥ 1`); the
    // input `x[0..n]` (`r11` advances four elements per pass, read at 0 to 3 elements past
    // it, and one per column of the tail); the output `y[0..8·count]` read with `ldm` and
    // written with `stm`; the frame read and written; `r6` saved on the stack and restored.
    #[allow(unsafe_code)]
    unsafe {
        asm!(
            // The frame pointer and r6 on the stack; r0-r5, r8, r9 the sums, r10 the bytes,
            // r11 the input, r12 x[i], lr a byte, r6 the passes.
            "push {{r0, r6}}",
            t2_block_start!(),
            "ldr r6, [lr, #20]",
            "lsrs r6, r6, #2",
            "beq 3f",
            "2:",
            // Columns 1-3 of the pass, then its first (advancing both pointers).
            t2_col8!("ldrsh r12, [r11, #2]"; 2, 3, 6, 7, 10, 11, 14, 15),
            t2_col8!("ldrsh r12, [r11, #4]"; 16, 17, 20, 21, 24, 25, 28, 29),
            t2_col8!("ldrsh r12, [r11, #6]"; 18, 19, 22, 23, 26, 27, 30, 31),
            t2_col8_pass_end!(),
            "subs r6, r6, #1",
            "bne 2b",
            // A pair of columns left, then an odd one (8 bytes, the rows in order).
            "3:",
            "ldr lr, [sp]",
            "ldr r6, [lr, #20]",
            "tst r6, #2",
            "beq 4f",
            t2_col8!("ldrsh r12, [r11], #2"; 0, 1, 4, 5, 8, 9, 12, 13),
            t2_col8!("ldrsh r12, [r11], #2"; 2, 3, 6, 7, 10, 11, 14, 15),
            "add r10, r10, #16",
            "4:",
            "tst r6, #1",
            "beq 5f",
            t2_col8!("ldrsh r12, [r11], #2"; 0, 1, 2, 3, 4, 5, 6, 7),
            "add r10, r10, #8",
            t2_block_end!(),
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

/// Thumb-1 ([`rows8`]): the input at `r1 + off` (sign-extended into `r2`) times the eight bytes
/// of one column of a block at these offsets from `r0` (into `r3`), added to the sums `r4`-`r7`
/// and `r8`-`r11`.
#[cfg(nowcast_thumb1)]
macro_rules! t1_col8 {
    ($off:literal; $o0:literal, $o1:literal, $o2:literal, $o3:literal, $o4:literal, $o5:literal, $o6:literal, $o7:literal) => {
        concat!(
            "ldrh r2, [r1, #",
            $off,
            "]\n",
            "sxth r2, r2\n",
            "ldrb r3, [r0, #",
            $o0,
            "]\n",
            "muls r3, r2, r3\n",
            "adds r4, r4, r3\n",
            "ldrb r3, [r0, #",
            $o1,
            "]\n",
            "muls r3, r2, r3\n",
            "adds r5, r5, r3\n",
            "ldrb r3, [r0, #",
            $o2,
            "]\n",
            "muls r3, r2, r3\n",
            "adds r6, r6, r3\n",
            "ldrb r3, [r0, #",
            $o3,
            "]\n",
            "muls r3, r2, r3\n",
            "adds r7, r7, r3\n",
            "ldrb r3, [r0, #",
            $o4,
            "]\n",
            "muls r3, r2, r3\n",
            "add r8, r3\n",
            "ldrb r3, [r0, #",
            $o5,
            "]\n",
            "muls r3, r2, r3\n",
            "add r9, r3\n",
            "ldrb r3, [r0, #",
            $o6,
            "]\n",
            "muls r3, r2, r3\n",
            "add r10, r3\n",
            "ldrb r3, [r0, #",
            $o7,
            "]\n",
            "muls r3, r2, r3\n",
            "add r11, r3\n",
        )
    };
}

/// [`super::rows8`] (Thumb-1): every block in one call, eight sums in registers (four low,
/// four high), four columns (32 bytes at the byte loads' 5-bit offsets) per pass: 108
/// instructions per 32 multiply-adds, 3.4 per multiply-add (the four-row loop over plain rows
/// took 3.9), and about 55 per block besides (40 for a first part, which starts from the
/// offset without reading `y`).
#[cfg(nowcast_thumb1)]
#[inline]
pub(crate) fn rows8(y: &mut [i32], x: &[i16], blocks: &[u8], lsl: u32, c: i32) {
    let Some(mut frame) = rows8_frame(y, x, blocks, lsl, c) else {
        return;
    };
    // SAFETY: see the module's audit. Block j is read at `blocks + 8n·j` up to `8n` bytes
    // (`r0` advances by 32 per pass of four columns, 16 per pair of the tail and 8 for an odd
    // column, so by `8n` per block, every offset read below what it advances), `count`
    // blocks inside `blocks` (checked by `rows8_frame`, with `n ≥ 1`); the input `x[0..n]`
    // (`r1` advances by four elements per pass up to `x + (n & !3)`, and the tail reads the
    // one or two after); the output `y[0..8·count]`; the frame read and written; `r6` and `r7`
    // saved on the stack and restored.
    #[allow(unsafe_code)]
    unsafe {
        asm!(
            // The frame pointer, r6 and r7 on the stack; r0 the bytes, r1 the input, r2 x[i],
            // r3 a byte and a product, r4-r7 and r8-r11 the sums, r12 the passes' end.
            "push {{r0, r6, r7}}",
            "1:",
            "ldr r3, [sp]",
            "ldm r3!, {{r0, r1, r2}}",
            "ldr r3, [r3]",
            // A first part (a shift of 32) starts from the offset alone.
            "cmp r2, #32",
            "blo 7f",
            "mov r4, r3",
            "mov r5, r3",
            "mov r6, r3",
            "mov r7, r3",
            "mov r8, r3",
            "mov r9, r3",
            "mov r10, r3",
            "mov r11, r3",
            "b 8f",
            "7:",
            "ldr r4, [r1, #16]",
            "lsls r4, r4, r2",
            "adds r4, r4, r3",
            "mov r8, r4",
            "ldr r4, [r1, #20]",
            "lsls r4, r4, r2",
            "adds r4, r4, r3",
            "mov r9, r4",
            "ldr r4, [r1, #24]",
            "lsls r4, r4, r2",
            "adds r4, r4, r3",
            "mov r10, r4",
            "ldr r4, [r1, #28]",
            "lsls r4, r4, r2",
            "adds r4, r4, r3",
            "mov r11, r4",
            "ldm r1!, {{r4, r5, r6, r7}}",
            "lsls r4, r4, r2",
            "adds r4, r4, r3",
            "lsls r5, r5, r2",
            "adds r5, r5, r3",
            "lsls r6, r6, r2",
            "adds r6, r6, r3",
            "lsls r7, r7, r2",
            "adds r7, r7, r3",
            "8:",
            "ldr r3, [sp]",
            "ldr r1, [r3, #16]",
            "ldr r2, [r3, #28]",
            "mov r12, r2",
            "cmp r1, r12",
            "beq 3f",
            "2:",
            t1_col8!(0; 0, 1, 4, 5, 8, 9, 12, 13),
            t1_col8!(2; 2, 3, 6, 7, 10, 11, 14, 15),
            t1_col8!(4; 16, 17, 20, 21, 24, 25, 28, 29),
            t1_col8!(6; 18, 19, 22, 23, 26, 27, 30, 31),
            "adds r0, #32",
            "adds r1, #8",
            "cmp r1, r12",
            "bne 2b",
            // A pair of columns left (bit 1 of n), then an odd one (bit 0; 8 bytes, the rows in
            // order).
            "3:",
            "ldr r3, [sp]",
            "ldr r3, [r3, #20]",
            "lsrs r2, r3, #2",
            "bcc 4f",
            t1_col8!(0; 0, 1, 4, 5, 8, 9, 12, 13),
            t1_col8!(2; 2, 3, 6, 7, 10, 11, 14, 15),
            "adds r0, #16",
            "adds r1, #4",
            "ldr r3, [sp]",
            "ldr r3, [r3, #20]",
            "4:",
            "lsrs r2, r3, #1",
            "bcc 5f",
            t1_col8!(0; 0, 1, 2, 3, 4, 5, 6, 7),
            "adds r0, #8",
            // The block's eight sums out, the next block.
            "5:",
            "ldr r3, [sp]",
            "ldr r2, [r3, #4]",
            "stm r2!, {{r4, r5, r6, r7}}",
            "mov r4, r8",
            "mov r5, r9",
            "mov r6, r10",
            "mov r7, r11",
            "stm r2!, {{r4, r5, r6, r7}}",
            "str r2, [r3, #4]",
            "str r0, [r3]",
            "ldr r2, [r3, #24]",
            "subs r2, #1",
            "str r2, [r3, #24]",
            // (A conditional branch reaches 256 bytes back only.)
            "beq 6f",
            "b 1b",
            "6:",
            "pop {{r0, r6, r7}}",
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
        );
    }
}

/// Thumb-2 ([`gru_cell`]): `A = tanh_at(V, frac)` (the module [`super`]'s `tanh_at`, `frac -
/// 6 = s`) with `B`, `C` scratch, `r5` the table; `V` is kept. A magnitude past the table's
/// last entry branches to `$sat`, which sets 1.0 and comes back to `$back`. The table's two
/// neighbouring entries come in one (unaligned) word: `T[i] | T[i + 1] << 16`.
#[cfg(nowcast_thumb2)]
macro_rules! t2_tanh {
    ($v:literal, $a:literal, $b:literal, $c:literal, $s:literal, $mask:literal, $half:literal, $sat:literal, $back:literal) => {
        concat!(
            "eor ",
            $a,
            ", ",
            $v,
            ", ",
            $v,
            ", asr #31\n",
            "sub ",
            $a,
            ", ",
            $a,
            ", ",
            $v,
            ", asr #31\n",
            "lsr ",
            $b,
            ", ",
            $a,
            ", #",
            $s,
            "\n",
            "cmp ",
            $b,
            ", #378\n",
            "bhs ",
            $sat,
            "f\n",
            "and ",
            $a,
            ", ",
            $a,
            ", #",
            $mask,
            "\n",
            "ldr ",
            $c,
            ", [r5, ",
            $b,
            ", lsl #1]\n",
            "uxth ",
            $b,
            ", ",
            $c,
            "\n",
            "rsb ",
            $c,
            ", ",
            $b,
            ", ",
            $c,
            ", lsr #16\n",
            "mul ",
            $c,
            ", ",
            $c,
            ", ",
            $a,
            "\n",
            "add ",
            $c,
            ", ",
            $c,
            ", #",
            $half,
            "\n",
            "add ",
            $a,
            ", ",
            $b,
            ", ",
            $c,
            ", asr #",
            $s,
            "\n",
            $back,
            ":\n",
            "eor ",
            $a,
            ", ",
            $a,
            ", ",
            $v,
            ", asr #31\n",
            "sub ",
            $a,
            ", ",
            $a,
            ", ",
            $v,
            ", asr #31\n",
        )
    };
}

/// [`super::gru_cell`] (Thumb-2): 68 instructions per unit where LLVM's loop took about 98
/// (spilling its pointers, checking the ranges a sigmoid's output never leaves). The same
/// integer operations as the Rust definition: the reset gate's product with `hh` in 64 bits
/// (a sigmoid times any `i32`, rounded, fits an `i32`, so it equals [`super::mul_q15`]), the
/// saturating sum, and the blend with a saturating shift.
#[cfg(nowcast_thumb2)]
#[inline]
pub(crate) fn gru_cell(h: &mut [i16], z: &[i32], r: &[i32], xh: &[i32], hh: &[i32]) {
    let n = h.len();
    if n == 0
        || [z.len(), r.len(), xh.len(), hh.len()]
            .iter()
            .any(|&l| l < n)
    {
        return;
    }
    // SAFETY: see the module's audit: `n ≥ 1` passes, each reading one element of `z`, `r`,
    // `xh`, `hh` (all at least `n` long, checked above) and reading and writing one of `h`
    // through post-incremented pointers, and reading the tanh table at entries `i` and
    // `i + 1` for `i < 378` (it has 379); `r6` is saved on the stack and restored.
    #[allow(unsafe_code)]
    unsafe {
        asm!(
            // r0 h, r1 z, r2 r, r3 xh, r4 hh, r5 the table, r6 the units left, r12 32769;
            // r8 the update gate, r9-r11 and lr scratch.
            "push {{r6}}",
            "mov r6, r12",
            "movw r12, #32769",
            "2:",
            "ldr r8, [r1], #4",
            t2_tanh!("r8", "r9", "r10", "r11", "7", "127", "64", "4", "5"),
            "add r8, r9, r12",
            "asr r8, r8, #1",
            "ldr r9, [r2], #4",
            t2_tanh!("r9", "r10", "r11", "lr", "7", "127", "64", "6", "7"),
            "add r9, r10, r12",
            "asr r9, r9, #1",
            "ldr r10, [r4], #4",
            "smull r10, r11, r9, r10",
            "adds r10, r10, #16384",
            "adc r11, r11, #0",
            "lsr r10, r10, #15",
            "orr r10, r10, r11, lsl #17",
            "ldr r11, [r3], #4",
            "adds r10, r11, r10",
            "itt vs",
            "asrvs r10, r10, #31",
            "eorvs r10, r10, #0x80000000",
            t2_tanh!("r10", "r9", "r11", "lr", "6", "63", "32", "8", "9"),
            "ldrsh r11, [r0]",
            "mul r11, r8, r11",
            "rsb lr, r8, #32768",
            "mla r11, lr, r9, r11",
            "add r11, r11, #16384",
            "ssat r11, #16, r11, asr #15",
            "strh r11, [r0], #2",
            "subs r6, r6, #1",
            "bne 2b",
            "b 3f",
            // Past the table: tanh is 1.0 (the sign follows).
            "4:",
            "mov r9, #32768",
            "b 5b",
            "6:",
            "mov r10, #32768",
            "b 7b",
            "8:",
            "mov r9, #32768",
            "b 9b",
            "3:",
            "pop {{r6}}",
            inout("r0") h.as_mut_ptr() => _,
            inout("r1") z.as_ptr() => _,
            inout("r2") r.as_ptr() => _,
            inout("r3") xh.as_ptr() => _,
            inout("r4") hh.as_ptr() => _,
            in("r5") super::TANH_Q15.as_ptr(),
            inout("r12") n => _,
            out("r8") _,
            out("r9") _,
            out("r10") _,
            out("r11") _,
            out("lr") _,
        );
    }
}

/// [`super::dot_u8`] (Thumb-2): 3.5 instructions per term (four terms per pass), where the
/// row-by-row loop takes about 13 (a blocked kernel's rows after its blocks, a Dense layer's
/// few rows).
#[cfg(nowcast_thumb2)]
#[inline]
pub(crate) fn dot_u8(x: &[i16], u: &[u8], c: i32) -> i32 {
    let n = x.len();
    if n == 0 || u.len() < n {
        return if u.len() < n { 0 } else { c };
    }
    let mut acc = c;
    // SAFETY: see the module's audit: `n ≥ 1` terms, `x[0..n]` and `u[0..n]` read through
    // post-incremented pointers, `4·(n / 4)` in the passes and `n % 4` after them (`u` at
    // least `n` long, checked above); nothing is written.
    #[allow(unsafe_code)]
    unsafe {
        asm!(
            "and {k}, {n}, #3",
            "lsrs {n}, {n}, #2",
            "beq 3f",
            "2:",
            "ldrsh {t}, [{x}], #2",
            "ldrb {w}, [{u}], #1",
            "mla {acc}, {t}, {w}, {acc}",
            "ldrsh {t}, [{x}], #2",
            "ldrb {w}, [{u}], #1",
            "mla {acc}, {t}, {w}, {acc}",
            "ldrsh {t}, [{x}], #2",
            "ldrb {w}, [{u}], #1",
            "mla {acc}, {t}, {w}, {acc}",
            "ldrsh {t}, [{x}], #2",
            "ldrb {w}, [{u}], #1",
            "mla {acc}, {t}, {w}, {acc}",
            "subs {n}, {n}, #1",
            "bne 2b",
            "3:",
            "cmp {k}, #0",
            "beq 5f",
            "4:",
            "ldrsh {t}, [{x}], #2",
            "ldrb {w}, [{u}], #1",
            "mla {acc}, {t}, {w}, {acc}",
            "subs {k}, {k}, #1",
            "bne 4b",
            "5:",
            x = inout(reg) x.as_ptr() => _,
            u = inout(reg) u.as_ptr() => _,
            n = inout(reg) n => _,
            acc = inout(reg) acc,
            k = out(reg) _,
            t = out(reg) _,
            w = out(reg) _,
            options(nostack, readonly),
        );
    }
    acc
}

/// Thumb-1 ([`dot_u8`]): one term at the input `x + 2·$i` and byte `u + $i`, added to `acc`.
#[cfg(nowcast_thumb1)]
macro_rules! t1_term {
    ($xo:literal, $uo:literal) => {
        concat!(
            "ldrh {t}, [{x}, #",
            $xo,
            "]\n",
            "sxth {t}, {t}\n",
            "ldrb {w}, [{u}, #",
            $uo,
            "]\n",
            "muls {w}, {t}, {w}\n",
            "adds {acc}, {acc}, {w}\n",
        )
    };
}

/// [`super::dot_u8`] (Thumb-1): 6 instructions per term (four terms per pass, after one and
/// two for an odd count and its bit 1), where the row-by-row loop takes about 21.
#[cfg(nowcast_thumb1)]
#[inline]
pub(crate) fn dot_u8(x: &[i16], u: &[u8], c: i32) -> i32 {
    let n = x.len();
    if n == 0 || u.len() < n {
        return if u.len() < n { 0 } else { c };
    }
    let mut acc = c;
    // SAFETY: see the module's audit: `n ≥ 1` terms, element `i < n` of `x` read at `x + 2i`
    // and of `u` at `u + i` (the pointers advance by the terms taken: one if `n` is odd, two if
    // its bit 1 is set, then four per pass up to `u + n`; `u` at least `n` long, checked
    // above); nothing is written.
    #[allow(unsafe_code)]
    unsafe {
        asm!(
            "subs {t}, {end}, {u}",
            "lsrs {t}, {t}, #1",
            "bcc 2f",
            t1_term!(0, 0),
            "adds {x}, #2",
            "adds {u}, #1",
            "2:",
            "subs {t}, {end}, {u}",
            "lsrs {t}, {t}, #2",
            "bcc 3f",
            t1_term!(0, 0),
            t1_term!(2, 1),
            "adds {x}, #4",
            "adds {u}, #2",
            "3:",
            "cmp {u}, {end}",
            "beq 5f",
            "4:",
            t1_term!(0, 0),
            t1_term!(2, 1),
            t1_term!(4, 2),
            t1_term!(6, 3),
            "adds {x}, #8",
            "adds {u}, #4",
            "cmp {u}, {end}",
            "bne 4b",
            "5:",
            x = inout(reg) x.as_ptr() => _,
            u = inout(reg) u.as_ptr() => _,
            end = in(reg) u.as_ptr().wrapping_add(n),
            acc = inout(reg) acc,
            t = out(reg) _,
            w = out(reg) _,
            options(nostack, readonly),
        );
    }
    acc
}

/// Thumb-1 ([`gru_cell`]): `lo = tanh_at(v, frac)` (the module [`super`]'s `tanh_at`, `frac -
/// 6 = s`) with `s`, `a`, `b`, `hi` scratch, `r7` the table; `v` is kept.
#[cfg(nowcast_thumb1)]
macro_rules! t1_tanh {
    ($v:literal, $s:literal, $a:literal, $b:literal, $lo:literal, $hi:literal, $sh:literal, $sh1:literal, $inv:literal, $half:literal, $norm:literal, $back:literal) => {
        concat!(
            "asrs ", $s, ", ", $v, ", #31\n", "movs ", $a, ", ", $v, "\n", "eors ", $a, ", ", $s,
            "\n", "subs ", $a, ", ", $a, ", ", $s, "\n",
            // Past the table (i = |v| >> s at least 378): 1.0.
            "lsrs ", $b, ", ", $a, ", #", $sh1, "\n", "cmp ", $b, ", #189\n", "blo ", $norm, "f\n",
            "movs ", $lo, ", #1\n", "lsls ", $lo, ", ", $lo, ", #15\n", "b ", $back, "f\n", $norm,
            ":\n", "lsrs ", $b, ", ", $a, ", #", $sh, "\n", "lsls ", $a, ", ", $a, ", #", $inv,
            "\n", "lsrs ", $a, ", ", $a, ", #", $inv, "\n", "lsls ", $b, ", ", $b, ", #1\n",
            "ldrh ", $lo, ", [r7, ", $b, "]\n", "adds ", $b, ", #2\n", "ldrh ", $hi, ", [r7, ", $b,
            "]\n", "subs ", $hi, ", ", $hi, ", ", $lo, "\n", "muls ", $hi, ", ", $a, ", ", $hi,
            "\n", "adds ", $hi, ", #", $half, "\n", "asrs ", $hi, ", ", $hi, ", #", $sh, "\n",
            "adds ", $lo, ", ", $lo, ", ", $hi, "\n", $back, ":\n", "eors ", $lo, ", ", $s, "\n",
            "subs ", $lo, ", ", $lo, ", ", $s, "\n",
        )
    };
}

/// [`super::gru_cell`] (Thumb-1): about 107 instructions per unit where LLVM's loop took about
/// 134. One index for the five arrays (their bases in high registers), the constants and the
/// update gate on the stack; the reset gate's product with `hh` from 16-bit halves (`hh = hi ·
/// 2^16 + lo`: `2 · r · hi + ((r · lo + 2^14) >> 15)`, exact, the same as [`super::mul_q15`]
/// for a sigmoid `r`); the blend saturates at 32767 only (it cannot go below -32768).
#[cfg(nowcast_thumb1)]
#[inline]
pub(crate) fn gru_cell(h: &mut [i16], z: &[i32], r: &[i32], xh: &[i32], hh: &[i32]) {
    let n = h.len();
    if n == 0
        || [z.len(), r.len(), xh.len(), hh.len()]
            .iter()
            .any(|&l| l < n)
    {
        return;
    }
    // Inline assembly cannot hand high registers over in Thumb-1: the bases go through memory.
    let frame: [usize; 6] = [
        z.as_ptr() as usize,
        r.as_ptr() as usize,
        xh.as_ptr() as usize,
        hh.as_ptr() as usize,
        h.as_mut_ptr() as usize,
        4 * n,
    ];
    // SAFETY: see the module's audit: for `j < n` (`n ≥ 1`, the index `r6 = 4j` up to `4n`)
    // one element of `z`, `r`, `xh`, `hh` (all at least `n` long, checked above) is read at
    // `base + 4j` and one of `h` read and written at `h + 2j`; the tanh table is read at
    // entries `i` and `i + 1` for `i < 378` (it has 379); the frame is read; 24 bytes of stack
    // are used and given back, `r6` and `r7` saved on the stack and restored.
    #[allow(unsafe_code)]
    unsafe {
        asm!(
            // High: r8 z, r9 r, r10 xh, r11 hh, r12 h, lr 4n. Low: r6 the index 4j, r7 the
            // table, r0-r5 scratch. Stack: [sp] the update gate, [sp, 4] 32769, [sp, 8] 2^14,
            // [sp, 12] 2^15, [sp, 16] 32767.
            "push {{r6, r7}}",
            "sub sp, #24",
            "ldm r0!, {{r1, r2, r3}}",
            "mov r8, r1",
            "mov r9, r2",
            "mov r10, r3",
            "ldm r0!, {{r1, r2, r3}}",
            "mov r11, r1",
            "mov r12, r2",
            "mov lr, r3",
            "mov r7, r4",
            "movs r1, #1",
            "lsls r1, r1, #14",
            "str r1, [sp, #8]",
            "lsls r2, r1, #1",
            "str r2, [sp, #12]",
            "adds r2, r2, #1",
            "str r2, [sp, #4]",
            "subs r2, r2, #2",
            "str r2, [sp, #16]",
            "movs r6, #0",
            "2:",
            // The update gate, sigmoid(z) = (tanh(z / 2) + 32769) >> 1, to the stack.
            "mov r0, r8",
            "ldr r0, [r0, r6]",
            t1_tanh!("r0", "r1", "r2", "r3", "r4", "r5", "7", "8", "25", "64", "3", "4"),
            "ldr r5, [sp, #4]",
            "adds r4, r4, r5",
            "asrs r4, r4, #1",
            "str r4, [sp]",
            // The reset gate, into r4.
            "mov r0, r9",
            "ldr r0, [r0, r6]",
            t1_tanh!("r0", "r1", "r2", "r3", "r4", "r5", "7", "8", "25", "64", "5", "6"),
            "ldr r5, [sp, #4]",
            "adds r4, r4, r5",
            "asrs r4, r4, #1",
            // Its product with hh, into r1.
            "mov r0, r11",
            "ldr r0, [r0, r6]",
            "asrs r1, r0, #16",
            "uxth r2, r0",
            "muls r1, r4, r1",
            "muls r2, r4, r2",
            "lsls r1, r1, #1",
            "ldr r3, [sp, #8]",
            "adds r2, r2, r3",
            "lsrs r2, r2, #15",
            "adds r1, r1, r2",
            // xh plus the product, saturating.
            "mov r0, r10",
            "ldr r0, [r0, r6]",
            "adds r0, r0, r1",
            "bvc 7f",
            "asrs r0, r0, #31",
            "movs r1, #1",
            "lsls r1, r1, #31",
            "eors r0, r1",
            "7:",
            // The candidate, into r4.
            t1_tanh!("r0", "r1", "r2", "r3", "r4", "r5", "6", "7", "26", "32", "8", "9"),
            // The blend: (z·h + (2^15 - z)·c + 2^14) >> 15, at most 32767.
            "ldr r0, [sp]",
            "mov r1, r12",
            "lsrs r2, r6, #1",
            "ldrsh r3, [r1, r2]",
            "muls r3, r0, r3",
            "ldr r5, [sp, #12]",
            "subs r5, r5, r0",
            "muls r5, r4, r5",
            "adds r3, r3, r5",
            "ldr r5, [sp, #8]",
            "adds r3, r3, r5",
            "asrs r3, r3, #15",
            "ldr r5, [sp, #16]",
            "cmp r3, r5",
            "ble 3f",
            "mov r3, r5",
            "3:",
            "strh r3, [r1, r2]",
            "adds r6, #4",
            "cmp r6, lr",
            // (A conditional branch reaches 256 bytes back only.)
            "beq 4f",
            "b 2b",
            "4:",
            "add sp, #24",
            "pop {{r6, r7}}",
            inout("r0") frame.as_ptr() => _,
            out("r1") _,
            out("r2") _,
            out("r3") _,
            inout("r4") super::TANH_Q15.as_ptr() => _,
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

/// DSP ([`rows8`]): two columns of the eight rows of a block (16 bytes from `r10`, advanced)
/// times the input pair at `r11` (advanced, into `r12`), added to the sums `r0`-`r5`, `r8`,
/// `r9`: each word holds rows `2q` and `2q + 1` of both columns, its even bytes one row's pair,
/// its odd bytes the other's (`uxtb16`, into `r6`), each pair one two-way multiply-add with the
/// input pair (`smlad`: the bytes are below 2^8, so their halfwords are non-negative).
#[cfg(nowcast_dsp)]
macro_rules! dsp_pair8 {
    () => {
        concat!(
            "ldr r12, [r11], #4\n",
            "ldr lr, [r10], #4\n",
            "uxtb16 r6, lr\n",
            "smlad r0, r6, r12, r0\n",
            "uxtb16 r6, lr, ror #8\n",
            "smlad r1, r6, r12, r1\n",
            "ldr lr, [r10], #4\n",
            "uxtb16 r6, lr\n",
            "smlad r2, r6, r12, r2\n",
            "uxtb16 r6, lr, ror #8\n",
            "smlad r3, r6, r12, r3\n",
            "ldr lr, [r10], #4\n",
            "uxtb16 r6, lr\n",
            "smlad r4, r6, r12, r4\n",
            "uxtb16 r6, lr, ror #8\n",
            "smlad r5, r6, r12, r5\n",
            "ldr lr, [r10], #4\n",
            "uxtb16 r6, lr\n",
            "smlad r8, r6, r12, r8\n",
            "uxtb16 r6, lr, ror #8\n",
            "smlad r9, r6, r12, r9\n",
        )
    };
}

/// [`super::rows8`] (ARMv7E-M, the Cortex-M4 and M7): [`rows8`]'s Thumb-2 loop with the DSP
/// extension's two-way multiply-add, two columns per word of the blocked layout: 46 instructions
/// per 32 multiply-adds where the Thumb-2 loop takes 71 (the input pairs read as words, which
/// these cores do unaligned).
#[cfg(nowcast_dsp)]
#[inline]
pub(crate) fn rows8(y: &mut [i32], x: &[i16], blocks: &[u8], lsl: u32, c: i32) {
    let Some(mut frame) = rows8_frame(y, x, blocks, lsl, c) else {
        return;
    };
    // SAFETY: see the module's audit. Block j is read at `blocks + 8n·j` up to `8n` bytes
    // (the pointer `r10` advances by 16 per pair of columns, 4 per word read, and 8 for an odd
    // column, so by `8n` per block), `count` blocks inside `blocks` (checked by
    // `rows8_frame`, with `n ≥ 1`); the input `x[0..n]` (`r11` advances by the two elements of
    // each pair read, one for an odd column); the output `y[0..8·count]` read with `ldm` and
    // written with `stm`; the frame read and written; `r6` saved on the stack and restored.
    #[allow(unsafe_code)]
    unsafe {
        asm!(
            // The frame pointer and r6 on the stack; r0-r5, r8, r9 the sums, r10 the bytes,
            // r11 the input, r12 an input pair, lr a word of bytes, r6 a byte pair.
            "push {{r0, r6}}",
            t2_block_start!(),
            "ldr r6, [lr, #28]",
            "cmp r11, r6",
            "beq 3f",
            "2:",
            dsp_pair8!(),
            dsp_pair8!(),
            "ldr r6, [sp]",
            "ldr r6, [r6, #28]",
            "cmp r11, r6",
            "bne 2b",
            // A pair of columns left, then an odd one (8 bytes, the rows in order).
            "3:",
            "ldr lr, [sp]",
            "ldr r6, [lr, #20]",
            "tst r6, #2",
            "beq 4f",
            dsp_pair8!(),
            "ldr lr, [sp]",
            "ldr r6, [lr, #20]",
            "4:",
            "tst r6, #1",
            "beq 5f",
            t2_col8!("ldrsh r12, [r11], #2"; 0, 1, 2, 3, 4, 5, 6, 7),
            "add r10, r10, #8",
            t2_block_end!(),
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

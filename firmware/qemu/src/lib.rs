//! What the QEMU binaries share: the embedded recording as a [`Source`], a line buffer that
//! writes over semihosting without `core::fmt`, and stack painting for the high-water mark that
//! `cargo xtask size` reports.
//!
//! The model and the recording come from build.rs (`NOWCAST_QEMU_CASE`, `NOWCAST_QEMU_MODEL`).

#![no_std]

use cortex_m_semihosting::debug;
use cortex_m_semihosting::hio::{self, HostStream};
// The Cortex-M3 board's vector table (see Cargo.toml).
#[cfg(lm3s6965)]
use lm3s6965 as _;
use nowcast_app::Source;

include!(concat!(env!("OUT_DIR"), "/sizes.rs"));

/// The embedded model blob (4-byte aligned, as `Model::from_bytes` requires).
pub static MODEL: &[u8] = nowcast_runtime::include_model!(concat!(env!("OUT_DIR"), "/model.ncm"));

/// The embedded recording: little-endian f32, [`INPUTS`] values per sample.
pub static STREAM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/stream.f32"));

/// Writes `msg` to the host's stdout and exits QEMU with failure (exit code 1).
pub fn fail(msg: &[u8]) -> ! {
    if let Ok(mut out) = hio::hstdout() {
        let _ = out.write_all(msg);
    }
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}

/// The recording replayed from flash, one sample per `read`.
#[derive(Debug, Default)]
pub struct Replay {
    at: usize,
}

impl Source for Replay {
    fn read(&mut self, sample: &mut [f32]) -> bool {
        let bytes = STREAM.get(self.at..self.at + 4 * sample.len());
        let Some(bytes) = bytes else { return false };
        for (v, b) in sample.iter_mut().zip(bytes.chunks_exact(4)) {
            *v = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        }
        self.at += 4 * sample.len();
        true
    }
}

/// Text written to a semihosting stream in chunks of up to 512 bytes (one host call per chunk),
/// with decimal and hex numbers formatted by hand: no `core::fmt`, whose machinery costs
/// several KB of flash.
pub struct Lines {
    out: HostStream,
    bytes: [u8; 512],
    len: usize,
}

impl Lines {
    /// Lines to `out`.
    pub fn new(out: HostStream) -> Self {
        Lines {
            out,
            bytes: [0; 512],
            len: 0,
        }
    }

    /// Appends bytes, writing the buffer out first if they do not fit.
    pub fn bytes(&mut self, s: &[u8]) -> &mut Self {
        if self.len + s.len() > self.bytes.len() {
            self.flush();
        }
        match self.bytes.get_mut(self.len..self.len + s.len()) {
            Some(dst) => {
                dst.copy_from_slice(s);
                self.len += s.len();
            }
            // Longer than the whole buffer: straight through.
            None => {
                let _ = self.out.write_all(s);
            }
        }
        self
    }

    /// Appends `n` in decimal, by subtracting powers of ten (no division: the Cortex-M0 has
    /// none, and a 64-bit one is a library call on every core), the powers up to `n` made on
    /// the stack (a table of them was 152 bytes of flash).
    pub fn dec(&mut self, mut n: u64) -> &mut Self {
        let (mut pows, mut len, mut p) = ([0u64; 20], 0, 1u64);
        loop {
            pows[len] = p;
            len += 1;
            match p.checked_mul(10) {
                Some(q) if q <= n => p = q,
                _ => break,
            }
        }
        let mut digits = [0u8; 20];
        for (digit, &p) in digits.iter_mut().zip(pows[..len].iter().rev()) {
            let mut d = b'0';
            while n >= p {
                n -= p;
                d += 1;
            }
            *digit = d;
        }
        self.bytes(&digits[..len])
    }

    /// Appends `v` as 8 lowercase hex digits (`{:08x}`).
    pub fn hex8(&mut self, v: u32) -> &mut Self {
        let mut digits = [0u8; 8];
        for (i, d) in digits.iter_mut().enumerate() {
            let nibble = (v >> (28 - 4 * i)) as u8 & 0xf;
            *d = if nibble < 10 {
                b'0' + nibble
            } else {
                b'a' + nibble - 10
            };
        }
        self.bytes(&digits)
    }

    /// Writes out what is buffered.
    pub fn flush(&mut self) {
        let _ = self.out.write_all(&self.bytes[..self.len]);
        self.len = 0;
    }
}

/// The markers of a measured region for the TCG plugin (`tools/insncount`, given their
/// addresses by `cargo xtask cycles` and `measure`): it counts the instructions from a call of
/// [`bench_start`] to one of [`bench_stop`]. Bins that do not call them leave them out.
pub mod markers {
    /// Region start marker.
    #[inline(never)]
    #[unsafe(no_mangle)]
    pub extern "C" fn bench_start() {
        cortex_m::asm::nop();
    }

    /// Region end marker.
    #[inline(never)]
    #[unsafe(no_mangle)]
    pub extern "C" fn bench_stop() {
        cortex_m::asm::nop();
        cortex_m::asm::nop();
    }
}

/// Stack painting: the free stack below the current frame is filled with a pattern before the
/// run; afterwards the lowest overwritten word gives the high-water mark.
pub mod stack {
    const PAINT: u32 = 0xDEAD_BEEF;

    unsafe extern "C" {
        /// Start of the stack region's free end (cortex-m-rt: end of static RAM).
        static mut __sheap: u32;
        /// Initial stack pointer (top of RAM).
        static _stack_start: u32;
    }

    #[inline(always)]
    fn sp() -> usize {
        let x = 0u32;
        core::ptr::addr_of!(x) as usize
    }

    /// Paints from the end of static RAM up to 256 bytes below this function's own frame. Never
    /// inlined: inlined into `main`, "the current frame" would be `main`'s, whose locals lie
    /// below the local used to read the stack pointer and would be painted over.
    #[inline(never)]
    pub fn paint() {
        let bottom = core::ptr::addr_of_mut!(__sheap) as usize;
        let top = sp() - 256;
        let mut p = bottom;
        while p < top {
            // SAFETY: [__sheap, sp - 256) is unused RAM between the statics and the stack.
            unsafe { core::ptr::write_volatile(p as *mut u32, PAINT) };
            p += 4;
        }
    }

    /// Bytes of stack ever used since `main` started (from the initial stack pointer).
    pub fn high_water() -> usize {
        let bottom = core::ptr::addr_of_mut!(__sheap) as usize;
        let top = core::ptr::addr_of!(_stack_start) as usize;
        let mut p = bottom;
        // SAFETY: reads of the painted region only.
        while p < top && unsafe { core::ptr::read_volatile(p as *const u32) } == PAINT {
            p += 4;
        }
        top - p
    }
}

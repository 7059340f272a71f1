//! QEMU parity firmware: loads the embedded model, streams the embedded recording through a
//! `Stepper` sample by sample and prints one line per forecast over semihosting:
//! `<sample index> <forecast bits as 8 hex digits>`, then `done <samples> <forecasts> <filled>`.
//! The host runs the same model over the same stream through `nowcast-runtime` and compares
//! every line (tests/tests/qemu_parity.rs).

#![no_std]
#![no_main]

use core::fmt::Write as _;

use cortex_m_rt::{ExceptionFrame, entry, exception};
use cortex_m_semihosting::{debug, hio};
use nowcast_app::{Sink, Source};
use nowcast_runtime::{Model, Stepper};
use panic_semihosting as _;

include!(concat!(env!("OUT_DIR"), "/sizes.rs"));

static MODEL: &[u8] = nowcast_runtime::include_model!(concat!(env!("OUT_DIR"), "/model.ncm"));
static STREAM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/stream.f32"));

/// Sentences whose hashed token ids the firmware prints first (`hash <line> <id>`), so that the
/// parity test also compares the tokenizer and the hashing trick with the host's.
static SENTENCES: &str = include_str!("../../../tests/qemu/sentences.txt");

/// Hashing-trick bins of those ids.
const HASH_BINS: u16 = 4096;

/// The recording, little-endian f32, `INPUTS` values per sample.
struct Replay {
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

/// Buffers lines and writes them over semihosting in large chunks (one host call per chunk).
struct Printer {
    out: hio::HostStream,
    buf: heapless_buf::Buf,
    forecasts: u32,
}

mod heapless_buf {
    /// A fixed 512-byte text buffer.
    pub struct Buf {
        pub bytes: [u8; 512],
        pub len: usize,
    }

    impl core::fmt::Write for Buf {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            let end = self.len + s.len();
            let dst = self.bytes.get_mut(self.len..end).ok_or(core::fmt::Error)?;
            dst.copy_from_slice(s.as_bytes());
            self.len = end;
            Ok(())
        }
    }
}

impl Printer {
    fn flush(&mut self) {
        let _ = self.out.write_all(&self.buf.bytes[..self.buf.len]);
        self.buf.len = 0;
    }

    fn line(&mut self, args: core::fmt::Arguments<'_>) {
        if self.buf.len > self.buf.bytes.len() - 64 {
            self.flush();
        }
        let _ = self.buf.write_fmt(args);
    }
}

impl Sink for Printer {
    fn forecast(&mut self, index: u64, values: &[f32]) {
        self.forecasts += 1;
        for v in values {
            self.line(format_args!("{index} {:08x}\n", v.to_bits()));
        }
    }
}

fn fail(msg: &str) -> ! {
    if let Ok(mut out) = hio::hstdout() {
        let _ = out.write_all(msg.as_bytes());
    }
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}

/// Stack painting: the free stack below the current frame is filled with a pattern before the
/// run; afterwards the lowest overwritten word gives the high-water mark.
mod stack {
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

#[entry]
fn main() -> ! {
    stack::paint();
    let Ok(model) = Model::from_bytes(MODEL) else {
        fail("error: the model does not load\n")
    };
    let mut state = [0.0f32; STATE_LEN];
    let Ok(mut stepper) = Stepper::new(&model, &mut state) else {
        fail("error: no stepper\n")
    };
    let Ok(out) = hio::hstdout() else { fail("") };
    let mut printer = Printer {
        out,
        buf: heapless_buf::Buf {
            bytes: [0; 512],
            len: 0,
        },
        forecasts: 0,
    };
    let mut ids = [0u16; 32];
    for (i, line) in SENTENCES.lines().enumerate() {
        let n = nowcast_runtime::text::hash_tokens(line, HASH_BINS, &mut ids);
        for id in &ids[..n.min(ids.len())] {
            printer.line(format_args!("hash {i} {id}\n"));
        }
    }
    let mut sample = [0.0f32; INPUTS];
    let samples = match nowcast_app::run(
        &mut stepper,
        &mut Replay { at: 0 },
        &mut printer,
        &mut sample,
    ) {
        Ok(n) => n,
        Err(_) => fail("error: step failed\n"),
    };
    let (forecasts, filled) = (printer.forecasts, stepper.filled());
    printer.line(format_args!("done {samples} {forecasts} {filled}\n"));
    printer.flush();
    // Sizes for `cargo xtask size`, on stderr so the parity comparison of stdout is unchanged.
    if let Ok(mut err) = hio::hstderr() {
        let mut b = heapless_buf::Buf {
            bytes: [0; 512],
            len: 0,
        };
        let _ = writeln!(
            b,
            "size state_bytes={} stack_bytes={}",
            STATE_LEN * 4,
            stack::high_water()
        );
        let _ = err.write_all(&b.bytes[..b.len]);
    }
    debug::exit(debug::EXIT_SUCCESS);
    loop {
        cortex_m::asm::wfi();
    }
}

#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    let mut b = heapless_buf::Buf {
        bytes: [0; 512],
        len: 0,
    };
    let _ = writeln!(
        b,
        "error: HardFault at pc={:#010x} lr={:#010x}",
        frame.pc(),
        frame.lr()
    );
    fail(core::str::from_utf8(&b.bytes[..b.len]).unwrap_or("error: HardFault\n"))
}

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
use nowcast_app::Sink;
use nowcast_qemu::{INPUTS, MODEL, Replay, STATE_LEN, fail, stack};
use nowcast_runtime::{Model, Stepper};
use panic_semihosting as _;

/// Sentences whose hashed token ids the firmware prints first (`hash <line> <id>`), so that the
/// parity test also compares the tokenizer and the hashing trick with the host's.
static SENTENCES: &str = include_str!("../../../tests/qemu/sentences.txt");

/// Hashing-trick bins of those ids.
const HASH_BINS: u16 = 4096;

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

#[entry]
fn main() -> ! {
    stack::paint();
    let Ok(model) = Model::from_bytes(MODEL) else {
        fail(b"error: the model does not load\n")
    };
    let mut state = [0.0f32; STATE_LEN];
    let Ok(mut stepper) = Stepper::new(&model, &mut state) else {
        fail(b"error: no stepper\n")
    };
    let Ok(out) = hio::hstdout() else { fail(b"") };
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
        &mut Replay::default(),
        &mut printer,
        &mut sample,
    ) {
        Ok(n) => n,
        Err(_) => fail(b"error: step failed\n"),
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
    fail(&b.bytes[..b.len])
}

//! The lean forecaster: what a deployed firmware that ships one `i8x16` GRU forecaster needs,
//! and nothing else. It loads the embedded model (every load-time check included), streams the
//! embedded recording through a `Stepper` with the `nowcast-app` loop and reports each
//! forecast's bits over semihosting, formatted by hand: no `core::fmt`, no text tokenizer, and
//! built with only the runtime's layers and numeric path the model uses (`cargo xtask size`:
//! features `int`, `gru`, `dense`; profile `release-z`).
//!
//! Its output is the parity firmware's without the tokenizer lines, `<sample index> <forecast
//! bits as 8 hex digits>` per forecast, then `done <samples> <forecasts> <filled>`; the QEMU
//! parity test compares it with the host runtime's, bit for bit (tests/tests/qemu_parity.rs).
//! `size state_bytes=<n> stack_bytes=<n>` goes to stderr for `cargo xtask size`.

#![no_std]
#![no_main]

use cortex_m_rt::{ExceptionFrame, entry, exception};
use cortex_m_semihosting::{debug, hio};
use nowcast_app::Sink;
use nowcast_qemu::{INPUTS, Lines, MODEL, Replay, STATE_LEN, fail, stack};
use nowcast_runtime::{Model, Stepper};

/// Each forecast value as a line `<index> <bits>`.
struct Forecasts {
    lines: Lines,
    count: u64,
}

impl Sink for Forecasts {
    fn forecast(&mut self, index: u64, values: &[f32]) {
        self.count += 1;
        for v in values {
            self.lines
                .dec(index)
                .bytes(b" ")
                .hex8(v.to_bits())
                .bytes(b"\n");
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
    let mut sink = Forecasts {
        lines: Lines::new(out),
        count: 0,
    };
    let mut sample = [0.0f32; INPUTS];
    let Ok(samples) =
        nowcast_app::run(&mut stepper, &mut Replay::default(), &mut sink, &mut sample)
    else {
        fail(b"error: step failed\n")
    };
    let filled = stepper.filled();
    let lines = &mut sink.lines;
    lines
        .bytes(b"done ")
        .dec(samples)
        .bytes(b" ")
        .dec(sink.count);
    lines.bytes(b" ").dec(filled.into()).bytes(b"\n").flush();
    // Sizes for `cargo xtask size`, on stderr so that stdout is only what is compared.
    if let Ok(err) = hio::hstderr() {
        let mut e = Lines::new(err);
        e.bytes(b"size state_bytes=").dec(4 * STATE_LEN as u64);
        e.bytes(b" stack_bytes=").dec(stack::high_water() as u64);
        e.bytes(b"\n").flush();
    }
    debug::exit(debug::EXIT_SUCCESS);
    loop {
        cortex_m::asm::wfi();
    }
}

/// A panic (none is expected: the runtime checks the blob once and then cannot fail) exits with
/// failure, without formatting its message.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    fail(b"error: panic\n")
}

#[exception]
unsafe fn HardFault(_frame: &ExceptionFrame) -> ! {
    fail(b"error: HardFault\n")
}

//! One model's cost on the device (`cargo xtask measure <model.ncm>`): it loads the embedded
//! model (every load-time check included) and streams [`SAMPLES`] synthetic samples through a
//! `Stepper`, each step between the `bench_start` and `bench_stop` markers, so that the TCG
//! plugin (`tools/insncount`) prints one `insncount: region=N insns=X` line per step. A
//! window-only model (Bidirectional, global pooling; build.rs sets `nowcast_window_only`) runs
//! one window pass per `WINDOW_STEPS` samples instead, each pass a region: only the code and
//! the buffers of the one path are in the firmware.
//!
//! The samples cycle through the short embedded recording `cargo xtask measure` writes (16
//! samples: each channel its training mean plus a pseudo-random multiple, up to two, of its
//! standard deviation, or for a token model token ids below its vocabulary size), so that
//! neither a long recording nor code to make samples takes flash.
//!
//! On stdout `measure stream <steps> first <i> period <p>` (the first step that gave an output
//! and the steps from it to the next: a model that decimates or pools emits every `p`-th) or
//! `measure window <passes>`; on stderr `size state_bytes=<n> stack_bytes=<n>` (the stepper's
//! state, or the window pass's samples and scratch; the stack high-water mark, which includes
//! them). No `core::fmt`: the firmware is built with the runtime features the model needs only,
//! as an application would be.

#![no_std]
#![no_main]

use cortex_m_rt::{ExceptionFrame, entry, exception};
use cortex_m_semihosting::{debug, hio};
#[cfg(not(nowcast_window_only))]
use nowcast_qemu::STATE_LEN;
use nowcast_qemu::markers::{bench_start, bench_stop};
use nowcast_qemu::{INPUTS, Lines, MODEL, STREAM, fail, stack};
#[cfg(nowcast_window_only)]
use nowcast_qemu::{WINDOW_SCRATCH_LEN, WINDOW_STEPS};
use nowcast_runtime::Model;
#[cfg(not(nowcast_window_only))]
use nowcast_runtime::Stepper;

/// Samples streamed (`cargo xtask measure` leaves a warm-up out of its figures).
const SAMPLES: usize = 480;

/// Sample `k` of the stream: the recording's sample `k` modulo its length (see the module
/// docs).
fn synthetic(k: usize, sample: &mut [f32]) {
    let bytes = 4 * sample.len();
    let count = STREAM.len() / bytes.max(1);
    if count == 0 {
        fail(b"error: no recording\n");
    }
    let at = k % count * bytes;
    for (v, b) in sample
        .iter_mut()
        .zip(STREAM[at..at + bytes].chunks_exact(4))
    {
        *v = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    }
}

#[entry]
fn main() -> ! {
    stack::paint();
    let Ok(model) = Model::from_bytes(MODEL) else {
        fail(b"error: the model does not load\n")
    };
    let Ok(out) = hio::hstdout() else { fail(b"") };
    let mut lines = Lines::new(out);
    let ram = run(&model, &mut lines);
    lines.flush();
    if let Ok(err) = hio::hstderr() {
        let mut e = Lines::new(err);
        e.bytes(b"size state_bytes=").dec(ram as u64);
        e.bytes(b" stack_bytes=").dec(stack::high_water() as u64);
        e.bytes(b"\n").flush();
    }
    debug::exit(debug::EXIT_SUCCESS);
    loop {
        cortex_m::asm::wfi();
    }
}

/// Every sample streamed, one region per step; writes the `measure stream` line and returns
/// the bytes of the state.
#[cfg(not(nowcast_window_only))]
fn run(model: &Model<'_>, lines: &mut Lines) -> usize {
    let mut state = [0.0f32; STATE_LEN];
    let Ok(mut stepper) = Stepper::new(model, &mut state) else {
        fail(b"error: no stepper\n")
    };
    let mut sample = [0.0f32; INPUTS];
    // A token model (first layer Embedding) steps on one token id per sample.
    let tokens = model.vocab().is_some();
    let (mut first, mut second) = (None, None);
    for k in 0..SAMPLES {
        synthetic(k, &mut sample);
        let id = sample[0] as u16;
        bench_start();
        let out = match tokens {
            true => stepper.step_token(id),
            false => stepper.step(&sample),
        };
        bench_stop();
        match out {
            Ok(Some(_)) if first.is_none() => first = Some(k),
            Ok(Some(_)) if second.is_none() => second = Some(k),
            Ok(_) => {}
            Err(_) => fail(b"error: step failed\n"),
        }
    }
    let (first, second) = (first.unwrap_or(0), second.unwrap_or(0));
    lines
        .bytes(b"measure stream ")
        .dec(SAMPLES as u64)
        .bytes(b" first ")
        .dec(first as u64)
        .bytes(b" period ")
        .dec(second.saturating_sub(first) as u64)
        .bytes(b"\n");
    4 * STATE_LEN
}

/// One window pass per `WINDOW_STEPS` samples, one region each; writes the `measure window`
/// line and returns the bytes of the window's samples (a token model's ids) and scratch.
#[cfg(nowcast_window_only)]
fn run(model: &Model<'_>, lines: &mut Lines) -> usize {
    let mut scratch = [0.0f32; WINDOW_SCRATCH_LEN];
    let passes = (SAMPLES / WINDOW_STEPS.max(1)).max(3);
    lines
        .bytes(b"measure window ")
        .dec(passes as u64)
        .bytes(b"\n");
    // A token model (first layer Embedding) runs over token ids, one per sample.
    if model.vocab().is_some() {
        let mut ids = [0u16; WINDOW_STEPS];
        let mut sample = [0.0f32; INPUTS];
        for pass in 0..passes {
            for (i, id) in ids.iter_mut().enumerate() {
                synthetic(pass * WINDOW_STEPS + i, &mut sample);
                *id = sample[0] as u16;
            }
            bench_start();
            let out = model.window_tokens(&ids, &mut scratch);
            bench_stop();
            if out.is_err() {
                fail(b"error: window failed\n");
            }
        }
        return 2 * ids.len() + 4 * scratch.len();
    }
    let mut window = [0.0f32; WINDOW_STEPS * INPUTS];
    for pass in 0..passes {
        for (i, sample) in window.chunks_exact_mut(INPUTS).enumerate() {
            synthetic(pass * WINDOW_STEPS + i, sample);
        }
        bench_start();
        let out = model.window(&window, &mut scratch);
        bench_stop();
        if out.is_err() {
            fail(b"error: window failed\n");
        }
    }
    4 * (window.len() + scratch.len())
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

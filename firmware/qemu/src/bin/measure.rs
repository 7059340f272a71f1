//! One model's cost on the device (`cargo xtask measure <model.ncm>`): it loads the embedded
//! model (every load-time check included) and streams the embedded recording through a
//! `Stepper`, each step between the `bench_start` and `bench_stop` markers, so that the TCG
//! plugin (`tools/insncount`) prints one `insncount: region=N insns=X` line per step. A
//! window-only model (Bidirectional, global pooling; build.rs sets `nowcast_window_only`) runs
//! one window pass per `WINDOW_STEPS` samples of the recording instead, each pass a region:
//! only the code and the buffers of the one path are in the firmware.
//!
//! On stdout `measure stream <steps>` or `measure window <passes>`; on stderr `size
//! state_bytes=<n> stack_bytes=<n>` (the stepper's state, or the window pass's samples and
//! scratch; the stack high-water mark, which includes them). No `core::fmt`: the firmware is
//! built with the runtime features the model needs only, as an application would be.

#![no_std]
#![no_main]

use cortex_m_rt::{ExceptionFrame, entry, exception};
use cortex_m_semihosting::{debug, hio};
use nowcast_app::Source;
use nowcast_qemu::{INPUTS, Lines, MODEL, Replay, STATE_LEN, fail, stack};
#[cfg(nowcast_window_only)]
use nowcast_qemu::{WINDOW_SCRATCH_LEN, WINDOW_STEPS};
use nowcast_runtime::Model;
#[cfg(not(nowcast_window_only))]
use nowcast_runtime::Stepper;

/// Region start marker (the plugin is given its address).
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

#[entry]
fn main() -> ! {
    stack::paint();
    let Ok(model) = Model::from_bytes(MODEL) else {
        fail(b"error: the model does not load\n")
    };
    let (kind, regions, ram) = run(&model, &mut Replay::default());
    let Ok(out) = hio::hstdout() else { fail(b"") };
    let mut lines = Lines::new(out);
    lines
        .bytes(b"measure ")
        .bytes(kind)
        .dec(regions)
        .bytes(b"\n")
        .flush();
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

/// Every sample of the recording streamed, one region per step: the region kind, the steps and
/// the bytes of the state.
#[cfg(not(nowcast_window_only))]
fn run(model: &Model<'_>, replay: &mut Replay) -> (&'static [u8], u64, usize) {
    let mut state = [0.0f32; STATE_LEN];
    let Ok(mut stepper) = Stepper::new(model, &mut state) else {
        fail(b"error: no stepper\n")
    };
    let mut sample = [0.0f32; INPUTS];
    let mut steps = 0;
    // A token model (first layer Embedding) steps on one token id per sample.
    let tokens = model.vocab().is_some();
    while replay.read(&mut sample) {
        let id = sample[0] as u16;
        bench_start();
        let out = match tokens {
            true => stepper.step_token(id),
            false => stepper.step(&sample),
        };
        bench_stop();
        if out.is_err() {
            fail(b"error: step failed\n");
        }
        steps += 1;
    }
    (b"stream ", steps, 4 * STATE_LEN)
}

/// One window pass per `WINDOW_STEPS` samples of the recording, one region each: the region
/// kind, the passes and the bytes of the window's samples (a token model's ids) and scratch.
#[cfg(nowcast_window_only)]
fn run(model: &Model<'_>, replay: &mut Replay) -> (&'static [u8], u64, usize) {
    let mut scratch = [0.0f32; WINDOW_SCRATCH_LEN];
    let mut passes = 0;
    // A token model (first layer Embedding) runs over token ids, one per sample.
    if model.vocab().is_some() {
        let mut ids = [0u16; WINDOW_STEPS];
        let mut sample = [0.0f32; INPUTS];
        'tokens: loop {
            for id in ids.iter_mut() {
                if !replay.read(&mut sample) {
                    break 'tokens;
                }
                *id = sample[0] as u16;
            }
            bench_start();
            let out = model.window_tokens(&ids, &mut scratch);
            bench_stop();
            if out.is_err() {
                fail(b"error: window failed\n");
            }
            passes += 1;
        }
        return (b"window ", passes, 2 * ids.len() + 4 * scratch.len());
    }
    let mut window = [0.0f32; WINDOW_STEPS * INPUTS];
    'passes: loop {
        for sample in window.chunks_exact_mut(INPUTS) {
            if !replay.read(sample) {
                break 'passes;
            }
        }
        bench_start();
        let out = model.window(&window, &mut scratch);
        bench_stop();
        if out.is_err() {
            fail(b"error: window failed\n");
        }
        passes += 1;
    }
    (b"window ", passes, 4 * (window.len() + scratch.len()))
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

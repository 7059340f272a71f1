//! Instruction counts per streamed step (QEMU TCG plugin, `cargo xtask cycles`).
//!
//! For each benchmark model (built by build.rs): load it, warm the stepper up on 40 samples,
//! then run the measured region between the `bench_start` and `bench_stop` markers: `samples`
//! streamed samples (3 for the Conv1D + MaxPool(3) model, so one pooling period), or one
//! 24-step window. Before each region the firmware prints `bench <name> <samples> <macs>`;
//! the plugin prints `insncount: region=N insns=X` when the region ends.

#![no_std]
#![no_main]

use cortex_m_rt::{ExceptionFrame, entry, exception};
use cortex_m_semihosting::{debug, hprintln};
use nowcast_runtime::{Model, Stepper};
// (The library also links the Cortex-M3 board's vector table.)
use nowcast_qemu::markers::{bench_start, bench_stop};
use panic_semihosting as _;

/// One benchmark.
pub struct Bench {
    /// Label.
    pub name: &'static str,
    /// Model blob.
    pub blob: &'static [u8],
    /// Samples in the measured region.
    pub samples: usize,
    /// Measure a window-mode pass instead of streamed steps.
    pub window: bool,
    /// Multiply-accumulates in the measured region.
    pub macs: f64,
}

include!(concat!(env!("OUT_DIR"), "/bench.rs"));

/// A deterministic pseudo-random sample value.
fn input(i: usize) -> f32 {
    let x = (i as u32).wrapping_mul(2_654_435_761) >> 8;
    (x as f32 / (1u32 << 24) as f32) * 4.0 - 2.0
}

fn fail(msg: &str) -> ! {
    hprintln!("error: {}", msg);
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}

#[entry]
fn main() -> ! {
    let mut state = [0.0f32; MAX_STATE];
    let mut scratch = [0.0f32; MAX_SCRATCH];
    let mut sample = [0.0f32; MAX_INPUTS];
    for b in BENCHES {
        let Ok(model) = Model::from_bytes(b.blob) else {
            fail("bench model does not load")
        };
        let n = model.input_len();
        let mut k = 0;
        let mut next = |s: &mut [f32]| {
            for v in s.iter_mut() {
                *v = input(k);
                k += 1;
            }
        };
        hprintln!("bench {} {} {}", b.name, b.samples, b.macs);
        if b.window {
            let mut window = [0.0f32; 24 * MAX_INPUTS];
            next(&mut window[..24 * n]);
            bench_start();
            let out = model.window(&window[..24 * n], &mut scratch);
            bench_stop();
            if out.is_err() {
                fail("window failed");
            }
        } else {
            let Ok(mut stepper) = Stepper::new(&model, &mut state) else {
                fail("no stepper")
            };
            for _ in 0..40 {
                next(&mut sample[..n]);
                let _ = stepper.step(&sample[..n]);
            }
            let mut inputs = [[0.0f32; MAX_INPUTS]; 3];
            for s in inputs.iter_mut().take(b.samples) {
                next(&mut s[..n]);
            }
            bench_start();
            for s in inputs.iter().take(b.samples) {
                let _ = stepper.step(&s[..n]);
            }
            bench_stop();
        }
    }
    // What the activations of one GRU(32) step cost alone: 64 sigmoids (z, r) and 32 tanh (hh).
    hprintln!("bench activations_gru32_step 1 0");
    let mut acc = 0.0f32;
    bench_start();
    for i in 0..32 {
        let x = core::hint::black_box(input(i) * 2.0);
        acc += nowcast_runtime::activation::sigmoid(x) + nowcast_runtime::activation::sigmoid(-x);
        acc += nowcast_runtime::activation::tanh(x);
    }
    bench_stop();
    core::hint::black_box(acc);
    hprintln!("done");
    debug::exit(debug::EXIT_SUCCESS);
    loop {
        cortex_m::asm::wfi();
    }
}

#[exception]
unsafe fn HardFault(_frame: &ExceptionFrame) -> ! {
    fail("HardFault")
}

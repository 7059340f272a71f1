//! The runtime's kernels on the device against their Rust definitions
//! (`nowcast_runtime::fixed::check_kernels`): with the `asm` feature, the Thumb-2 or Thumb-1
//! assembly. Run by `tests/tests/qemu_parity.rs` on every board; prints one line and exits
//! with success, or names the first case that differs and exits with failure.

#![no_std]
#![no_main]

use cortex_m_rt::{ExceptionFrame, entry, exception};
use cortex_m_semihosting::{debug, hprintln};
// The Cortex-M3 board's vector table.
use nowcast_qemu as _;
use panic_semihosting as _;

/// Pseudo-random cases per run.
const CASES: u32 = 3000;

#[entry]
fn main() -> ! {
    match nowcast_runtime::fixed::check_kernels(CASES) {
        Ok(n) => {
            hprintln!("kernels: {} cases, 0 mismatches", n);
            debug::exit(debug::EXIT_SUCCESS);
        }
        Err(m) => {
            hprintln!(
                "kernels: {} differs from its Rust definition in case {} (inputs {} and {})",
                m.kernel,
                m.case,
                m.n,
                m.k
            );
            debug::exit(debug::EXIT_FAILURE);
        }
    }
    loop {
        cortex_m::asm::wfi();
    }
}

#[exception]
unsafe fn HardFault(_frame: &ExceptionFrame) -> ! {
    hprintln!("kernels: HardFault");
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}

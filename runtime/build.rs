//! Tells the `asm` kernels which Thumb instruction set the target has (Arm target features are
//! not visible to `cfg` on stable Rust): `nowcast_thumb2` for ARMv7-M and ARMv8-M Mainline
//! (Cortex-M3, M4, M7, M33), `nowcast_thumb1` for ARMv6-M (Cortex-M0, M0+), and `nowcast_dsp`
//! besides `nowcast_thumb2` for ARMv7E-M (Cortex-M4, M7: the DSP instructions); and
//! `nowcast_soft_float` for Thumb targets without a hardware-float ABI (`f32` arithmetic in
//! library calls).

fn main() {
    println!(
        "cargo::rustc-check-cfg=cfg(nowcast_thumb2, nowcast_thumb1, nowcast_dsp, nowcast_soft_float)"
    );
    println!("cargo::rerun-if-changed=build.rs");
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.starts_with("thumbv7") || target.starts_with("thumbv8m.main") {
        println!("cargo::rustc-cfg=nowcast_thumb2");
        // ARMv7E-M (Cortex-M4, M7): the DSP extension's two-way multiply-add.
        if target.starts_with("thumbv7em") {
            println!("cargo::rustc-cfg=nowcast_dsp");
        }
    } else if target.starts_with("thumbv6m") {
        println!("cargo::rustc-cfg=nowcast_thumb1");
    }
    // No FPU (or none the ABI uses): `f32` arithmetic is library calls.
    if target.starts_with("thumb") && !target.ends_with("eabihf") {
        println!("cargo::rustc-cfg=nowcast_soft_float");
    }
}

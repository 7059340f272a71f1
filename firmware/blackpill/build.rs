//! memory.x for the STM32F411CEU6 (512 KiB flash, 128 KiB RAM), defmt's linker script, and
//! the model: `NOWCAST_MODEL` (a `.ncm` file trained on temperature, humidity and pressure
//! channels, in that order) or by default the repository's QEMU parity model, which shows the
//! wiring but expects the ten weather channels of the sample data.

use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(
        out.join("memory.x"),
        "MEMORY {\n  FLASH : ORIGIN = 0x08000000, LENGTH = 512K\n  RAM : ORIGIN = 0x20000000, LENGTH = 128K\n}\n",
    )
    .expect("write memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rustc-link-arg=-Tdefmt.x");
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let model = env::var_os("NOWCAST_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../../tests/qemu/conv_gru/model.ncm"));
    fs::copy(&model, out.join("model.ncm")).unwrap_or_else(|e| panic!("{}: {e}", model.display()));
    println!("cargo:rerun-if-env-changed=NOWCAST_MODEL");
    println!("cargo:rerun-if-changed={}", model.display());
    println!("cargo:rerun-if-changed=build.rs");
}

//! Writes `memory.x` for the target's board and embeds the parity case: the model blob and the
//! recorded input stream of `NOWCAST_QEMU_CASE` (a folder with `model.ncm` and `stream.f32`),
//! by default `tests/qemu/conv_gru` of the repository. The state buffer is sized from the model.

use std::{env, fs, path::PathBuf};

use nowcast_runtime::{AlignedBytes, Model};

fn main() {
    let target = env::var("TARGET").expect("cargo sets TARGET");
    let mem = match target.as_str() {
        // lm3s6965evb (Cortex-M3)
        "thumbv7m-none-eabi" => {
            "MEMORY {\n  FLASH : ORIGIN = 0x00000000, LENGTH = 256K\n  RAM : ORIGIN = 0x20000000, LENGTH = 64K\n}\n"
        }
        // mps2-an386 (Cortex-M4F)
        "thumbv7em-none-eabihf" => {
            "MEMORY {\n  FLASH : ORIGIN = 0x00000000, LENGTH = 4M\n  RAM : ORIGIN = 0x20000000, LENGTH = 4M\n}\n"
        }
        // microbit (Cortex-M0)
        "thumbv6m-none-eabi" => {
            "MEMORY {\n  FLASH : ORIGIN = 0x00000000, LENGTH = 256K\n  RAM : ORIGIN = 0x20000000, LENGTH = 16K\n}\n"
        }
        t => panic!("no board for target {t}"),
    };
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(out.join("memory.x"), mem).expect("write memory.x");
    println!("cargo:rustc-link-search={}", out.display());

    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let case = env::var_os("NOWCAST_QEMU_CASE")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../../tests/qemu/conv_gru"));
    println!("cargo:rerun-if-env-changed=NOWCAST_QEMU_CASE");
    let model = fs::read(case.join("model.ncm"))
        .unwrap_or_else(|e| panic!("{}: {e}", case.join("model.ncm").display()));
    let stream = fs::read(case.join("stream.f32"))
        .unwrap_or_else(|e| panic!("{}: {e}", case.join("stream.f32").display()));
    println!(
        "cargo:rerun-if-changed={}",
        case.join("model.ncm").display()
    );
    println!(
        "cargo:rerun-if-changed={}",
        case.join("stream.f32").display()
    );
    let blob = AlignedBytes::new(&model);
    let m = Model::from_bytes(blob.as_bytes())
        .unwrap_or_else(|e| panic!("model.ncm does not load: {e:?}"));
    assert!(
        stream.len().is_multiple_of(4 * m.input_len()),
        "stream.f32 is not whole samples"
    );
    fs::write(out.join("model.ncm"), &model).expect("copy model");
    fs::write(out.join("stream.f32"), &stream).expect("copy stream");
    fs::write(
        out.join("sizes.rs"),
        format!("/// f32 words of the model's streaming state.\npub const STATE_LEN: usize = {};\n/// Values per sample.\npub const INPUTS: usize = {};\n", m.state_len(), m.input_len()),
    )
    .expect("write sizes.rs");
    println!("cargo:rerun-if-changed=build.rs");
}

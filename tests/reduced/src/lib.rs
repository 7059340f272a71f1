//! Empty: the test is in `tests/`. This crate exists to build `nowcast-runtime` with the `float`
//! path only (see its `Cargo.toml`).

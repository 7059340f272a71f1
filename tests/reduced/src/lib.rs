//! Empty: the tests are in `tests/`. This crate exists to build `nowcast-runtime` with the
//! `float` path and the Dense and Bidirectional layer kinds only (see its `Cargo.toml`).

//! Standard output that a closed reader ends quietly.
//!
//! Rust ignores `SIGPIPE`, so once the reader of a pipe is gone (`nowcast train ... | head -1`)
//! every write to stdout fails with `BrokenPipe`, and `println!` panics on it (exit 101, with a
//! backtrace on stderr). The commands print through `out!` and `outln!` instead, which end
//! the program at once when the reader is gone, with status [`CLOSED_STDOUT`].

use std::fmt;
use std::io::{self, Write as _};

/// The status a closed stdout ends the program with: 141 (128 + `SIGPIPE`), what the shell
/// reports for `cat`, `seq`, `grep` or `git` killed by the signal in the same spot, so
/// `set -o pipefail` scripts see the same as for them. Nothing is printed: the reader left
/// on purpose.
pub const CLOSED_STDOUT: i32 = 141;

/// Writes `args` to stdout (line-buffered, as `print!`). A closed stdout ends the program with
/// [`CLOSED_STDOUT`]; any other write error (a full disk) is reported on stderr and ends it
/// with status 1. The program ends without unwinding: files already written stay, and an
/// interrupted training run leaves its checkpoint for `--resume`.
pub fn write(args: fmt::Arguments<'_>) {
    if let Err(e) = io::stdout().lock().write_fmt(args) {
        if e.kind() == io::ErrorKind::BrokenPipe {
            std::process::exit(CLOSED_STDOUT);
        }
        eprintln!("nowcast: writing to stdout: {e}");
        std::process::exit(1);
    }
}

/// `print!` through [`write`]: a closed stdout ends the program quietly.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::stdout::write(format_args!($($arg)*))
    };
}

/// `println!` through [`write`]: a closed stdout ends the program quietly.
macro_rules! outln {
    () => {
        $crate::stdout::write(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::stdout::write(format_args!("{}\n", format_args!($($arg)*)))
    };
}

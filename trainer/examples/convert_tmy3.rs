//! Converts a raw TMY3 file into the benchmark CSV: `time` (ISO 8601 local standard time with
//! the station's offset, every row in the fixed year) and the ten weather channels, copied as
//! text.
//!
//! ```text
//! cargo run -p nowcast-trainer --example convert_tmy3 -- SRC DST
//! cargo run -p nowcast-trainer --example convert_tmy3 -- ../shared/data/greensboro_tmy3.csv data/greensboro.csv
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use nowcast_trainer::data::tmy3;

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [source, destination] = args.as_slice() else {
        eprintln!("usage: convert_tmy3 SRC DST");
        return ExitCode::from(2);
    };
    match tmy3::convert(source, destination, &tmy3::WEATHER_CHANNELS) {
        Ok(report) => {
            println!(
                "wrote {} rows to {} (UTC offset {} s, year {})",
                report.rows,
                destination.display(),
                report.utc_offset,
                tmy3::TMY3_YEAR
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

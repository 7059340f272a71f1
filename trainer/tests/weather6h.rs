//! The "weather6h" benchmark protocol on the Greensboro TMY3 sample, checked against the
//! Keras chapter's reference figures: inputs the ten weather channels, target `temp_c`,
//! lookback 120 h, delay 6 h, step 1, split 60/20/20.
//!
//! `data/greensboro.csv` (in the repository) is always checked. The raw TMY3 source lives in
//! `shared/data/` beside the repository; the tests that need it say so and pass when it is
//! absent.

use std::path::{Path, PathBuf};

use nowcast_trainer::baseline::{self, BaselineMae};
use nowcast_trainer::data::{
    Dataset, DatasetConfig, LoadConfig, Series, Split, TimestampFormat, WindowSpec, tmy3,
};

/// The reference figures are given to two decimals.
const REFERENCE_ROUNDING: f64 = 0.005;
/// Keras reference: windows per split.
const WINDOWS: [usize; 3] = [5_131, 1_627, 1_627];
/// Keras reference: persistence MAE on the test split, °C.
const PERSISTENCE_TEST_MAE: f64 = 4.42;
/// Keras reference: seasonal (24 h) persistence MAE on the test split, °C.
const SEASONAL_TEST_MAE: f64 = 4.04;
/// Validation MAEs (persistence, seasonal), not Keras figures: an independent check, a plain
/// Python loop over the raw file's `Dry-bulb (C)` column.
const VAL_MAES: (f64, f64) = (4.08, 2.21);
/// Rows per day: the season of seasonal persistence.
const SEASON: usize = 24;
/// Hours in the (non-leap) TMY3 year.
const HOURS: usize = 8_760;

fn converted() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/greensboro.csv")
}

/// The raw TMY3 source, if `shared/` is beside the repository.
fn raw_tmy3() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/greensboro_tmy3.csv");
    if path.exists() {
        Some(path)
    } else {
        println!("skipped: {} is absent", path.display());
        None
    }
}

fn benchmark(series: &Series, names: impl Fn(&str, &str) -> String) -> Dataset {
    let features: Vec<String> = tmy3::WEATHER_CHANNELS
        .iter()
        .map(|&(name, source)| names(name, source))
        .collect();
    let mut config = DatasetConfig::new(
        features[0].clone(),
        WindowSpec::new(120, 6, 1).expect("a valid window"),
    );
    config.features = Some(features);
    Dataset::new(series, &config).expect("the benchmark dataset")
}

fn assert_close(measured: Option<f64>, reference: f64, what: &str) {
    let measured = measured.unwrap_or_else(|| panic!("{what}: no window covered"));
    assert!(
        (measured - reference).abs() <= REFERENCE_ROUNDING,
        "{what}: measured {measured:.4}, reference {reference}"
    );
}

fn check_reference_figures(dataset: &Dataset) {
    for (split, windows) in Split::ALL.into_iter().zip(WINDOWS) {
        assert_eq!(
            dataset.window_starts(split).len(),
            windows,
            "{split} windows"
        );
    }
    let persistence = baseline::persistence_mae(dataset, Split::Test);
    let seasonal = baseline::seasonal_mae(dataset, Split::Test, SEASON);
    for split in Split::ALL {
        let BaselineMae {
            mae,
            covered,
            windows,
        } = baseline::seasonal_mae(dataset, split, SEASON);
        println!(
            "{split}: persistence {:.4} °C, seasonal({SEASON}) {:.4} °C over {covered}/{windows} windows",
            baseline::persistence_mae(dataset, split)
                .mae
                .unwrap_or(f64::NAN),
            mae.unwrap_or(f64::NAN),
        );
    }
    assert_close(
        persistence.mae,
        PERSISTENCE_TEST_MAE,
        "persistence test MAE",
    );
    let val = (
        baseline::persistence_mae(dataset, Split::Val).mae,
        baseline::seasonal_mae(dataset, Split::Val, SEASON).mae,
    );
    assert_close(val.0, VAL_MAES.0, "persistence val MAE");
    assert_close(val.1, VAL_MAES.1, "seasonal val MAE");
    assert_close(seasonal.mae, SEASONAL_TEST_MAE, "seasonal test MAE");
    assert_eq!(
        seasonal.covered, seasonal.windows,
        "a day back stays inside every window"
    );
}

#[test]
fn converted_sample_is_one_continuous_year() {
    let series = Series::load(converted(), &LoadConfig::default()).expect("data/greensboro.csv");
    let report = series.report();
    assert_eq!(report.timestamp_format, TimestampFormat::Iso8601);
    assert_eq!(report.period_ms, 3_600_000);
    assert_eq!(series.len(), HOURS);
    assert_eq!(series.segments(), std::slice::from_ref(&(0..HOURS)));
    assert_eq!(
        (
            report.duplicates_dropped,
            report.interpolated_rows,
            report.skipped_rows
        ),
        (0, 0, 0)
    );
    let names: Vec<&str> = tmy3::WEATHER_CHANNELS.iter().map(|c| c.0).collect();
    assert_eq!(series.columns(), names);
}

#[test]
fn converted_sample_reproduces_the_keras_figures() {
    let series = Series::load(converted(), &LoadConfig::default()).expect("data/greensboro.csv");
    let dataset = benchmark(&series, |name, _| name.to_owned());
    check_reference_figures(&dataset);
}

#[test]
fn raw_tmy3_loads_like_the_converted_sample() {
    let Some(raw) = raw_tmy3() else { return };
    let series = Series::load(&raw, &LoadConfig::default()).expect("the raw TMY3 file");
    let report = series.report();
    assert_eq!(report.timestamp_format, TimestampFormat::Tmy3);
    assert_eq!(series.len(), HOURS);
    assert_eq!(series.segments().len(), 1, "the fixed year leaves no gap");
    assert_eq!(
        (report.duplicates_dropped, report.interpolated_rows),
        (0, 0)
    );
    assert!(
        report
            .non_numeric_columns
            .iter()
            .any(|c| c == "Dry-bulb source")
    );

    let converted = Series::load(converted(), &LoadConfig::default()).expect("data/greensboro.csv");
    assert_eq!(series.times(), converted.times(), "the same UTC timestamps");
    for (name, source) in tmy3::WEATHER_CHANNELS {
        assert_eq!(series.column(source), converted.column(name), "{name}");
    }
    let dataset = benchmark(&series, |_, source| source.to_owned());
    check_reference_figures(&dataset);
}

#[test]
fn conversion_reproduces_the_checked_in_sample() {
    let Some(raw) = raw_tmy3() else { return };
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("greensboro.csv");
    let report = tmy3::convert(&raw, &out, &tmy3::WEATHER_CHANNELS).expect("conversion");
    assert_eq!(report.rows, HOURS);
    let written = std::fs::read(&out).expect("the converted file");
    let checked_in = std::fs::read(converted()).expect("data/greensboro.csv");
    assert!(
        written == checked_in,
        "data/greensboro.csv differs from a fresh conversion; regenerate it with \
         `cargo run -p nowcast-trainer --example convert_tmy3 -- {} data/greensboro.csv`",
        raw.display()
    );
}

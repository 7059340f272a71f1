//! The `nowcast` binary end to end on a small generated CSV: train with a report, eval --json,
//! replay, inspect, and the errors a user sees for bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn nowcast(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nowcast"))
        .args(args)
        .output()
        .expect("runs nowcast")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Self {
        let p = std::env::temp_dir().join(format!("nowcast-cli-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }
    fn path(&self, f: &str) -> String {
        self.0.join(f).display().to_string()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

/// 900 hourly rows of a daily cycle in two channels, ISO timestamps with an offset.
fn write_csv(path: &Path) {
    let mut s = String::from("time,temp,hum\n");
    for i in 0..900u32 {
        let t = f64::from(i);
        let temp = 12.0 + 6.0 * (t * std::f64::consts::TAU / 24.0).sin() + 0.5 * (t * 0.05).sin();
        let hum = 70.0 - 1.5 * temp;
        let (day, h) = (i / 24, i % 24);
        let (m, d) = if day < 31 {
            (1, day + 1)
        } else {
            (2, day - 30)
        };
        s.push_str(&format!(
            "2022-{m:02}-{d:02}T{h:02}:00:00+01:00,{temp:.3},{hum:.3}\n"
        ));
    }
    std::fs::write(path, s).unwrap();
}

const SPEC: &str =
    "[[layers]]\nkind = \"gru\"\nunits = 6\n[[layers]]\nkind = \"dense\"\nunits = 1\n";

#[test]
fn train_eval_replay_inspect() {
    let dir = Dir::new("flow");
    let (csv, spec, model, report) = (
        dir.path("d.csv"),
        dir.path("m.toml"),
        dir.path("m.ncm"),
        dir.path("report"),
    );
    write_csv(Path::new(&csv));
    std::fs::write(&spec, SPEC).unwrap();
    // `train` on the file, 3 epochs, seed 3, with `more` flags.
    let train = |more: &[&str]| {
        let mut args = vec![
            "train",
            "--data",
            &csv,
            "--target",
            "temp",
            "--lookback",
            "24",
            "--delay",
            "3",
            "--model",
            &spec,
            "--epochs",
            "3",
            "--seed",
            "3",
        ];
        args.extend_from_slice(more);
        nowcast(&args)
    };
    let o = train(&["--batch", "32", "--out", &model, "--report", &report]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("persistence"), "{}", text(&o));
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.0.join("report/metrics.json")).unwrap())
            .unwrap();
    for key in [
        "val_mae",
        "test_mae",
        "stream_val_mae",
        "stream_test_mae",
        "baseline_val_mae",
        "baseline_test_mae",
        "seasonal_val_mae",
        "seasonal_test_mae",
        "epochs_run",
        "best_epoch",
        "seconds_per_epoch",
        "params",
    ] {
        assert!(
            metrics.get(key).is_some_and(|v| !v.is_null()),
            "metrics.json lacks {key}: {metrics}"
        );
    }
    assert_eq!(metrics["epochs_run"], 3);
    for png in ["curves.png", "forecast.png"] {
        let bytes = std::fs::read(dir.0.join("report").join(png)).unwrap();
        assert!(bytes.starts_with(b"\x89PNG"), "{png}");
    }
    assert!(
        !dir.0.join("m.ckpt").exists(),
        "checkpoint removed after a completed run"
    );
    // Stateful training: validated by streaming, which is what eval's streaming row measures.
    let stateful = dir.path("s.ncm");
    let o = train(&["--stateful", "--lanes", "4", "--out", &stateful]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(
        t.contains("statefully") && t.contains("in 4 lanes, chunks of 24 samples"),
        "{t}"
    );
    // The kept epoch's streamed validation MAE is the runtime's (same seed: same figures).
    let kept: usize = t
        .split("kept the weights of epoch ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|k| k.parse().ok())
        .expect("kept epoch");
    let epoch_mae = t
        .lines()
        .filter(|l| l.starts_with("epoch"))
        .nth(kept - 1)
        .and_then(|l| l.split("stream val_mae ").nth(1))
        .and_then(|r| r.split_whitespace().next())
        .expect("epoch line");
    let runtime_mae = t
        .lines()
        .find(|l| l.trim_start().starts_with("model, streaming"))
        .and_then(|l| l.split_whitespace().nth(2))
        .expect("streaming row");
    assert_eq!(epoch_mae, runtime_mae, "{t}");
    let o = train(&["--task", "classify", "--stateful", "--out", &stateful]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("--stateful trains forecasters"),
        "{}",
        text(&o)
    );

    // eval reads window settings and features from the model, and refuses others.
    for (flag, value, expected) in [
        ("--target", "hum", "--target hum is not the model's (temp)"),
        ("--delay", "5", "--delay 5 is not the model's (3)"),
        (
            "--features",
            "temp",
            "--features temp is not the model's (temp,hum)",
        ),
    ] {
        let o = nowcast(&["eval", "--model", &model, "--data", &csv, flag, value]);
        assert!(!o.status.success());
        assert!(text(&o).contains(expected), "{expected}: {}", text(&o));
    }
    let o = nowcast(&["eval", "--model", &model, "--data", &csv, "--delay", "3"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = nowcast(&["eval", "--model", &model, "--data", &csv, "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    let eval: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let close = |a: &serde_json::Value, b: &serde_json::Value| {
        (a.as_f64().unwrap() - b.as_f64().unwrap()).abs() < 1e-9
    };
    assert!(
        close(&eval["test_mae"], &metrics["test_mae"]),
        "eval {eval} vs train {metrics}"
    );
    assert!(close(&eval["stream_test_mae"], &metrics["stream_test_mae"]));
    // A whole file as the test split: the model carries its normalization.
    let o = nowcast(&[
        "eval", "--model", &model, "--data", &csv, "--split", "0,0,1", "--json",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let whole: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(whole["val_mae"].is_null(), "{whole}");
    let windows = |v: &serde_json::Value| {
        v["windows"][0].as_u64().unwrap() + v["windows"][1].as_u64().unwrap()
    };
    assert!(windows(&whole) > windows(&eval), "{whole} vs {eval}");
    assert!(
        whole["baseline_test_mae"].as_f64().unwrap() > 0.0,
        "{whole}"
    );

    let out = dir.path("f.csv");
    let o = nowcast(&["replay", "--model", &model, "--data", &csv, "--out", &out]);
    assert!(o.status.success(), "{}", text(&o));
    let lines: Vec<String> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(lines[0], "time_unix_s,forecast,actual_at_delay");
    assert_eq!(lines.len(), 901, "one line per row");
    // Local clock times (no UTC offset) are not Unix times: the header says so.
    let local = dir.path("local.csv");
    let text_of = std::fs::read_to_string(&csv).unwrap().replace("+01:00", "");
    std::fs::write(&local, text_of).unwrap();
    let local_out = dir.path("local_f.csv");
    let o = nowcast(&[
        "replay", "--model", &model, "--data", &local, "--out", &local_out,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let header = std::fs::read_to_string(&local_out).unwrap();
    assert!(
        header.starts_with("time_local_s,forecast,actual_at_delay\n"),
        "{header}"
    );
    assert!(
        lines[1]
            .split(',')
            .nth(1)
            .is_some_and(|f| f.parse::<f32>().is_ok())
    );
    // Across a gap that starts a segment (rows 500-519 left out) there is no actual 3 rows
    // later: rows 497-499 have none, row 496 has row 499's.
    let gapped: Vec<String> = (std::fs::read_to_string(&csv).unwrap().lines())
        .enumerate()
        .filter(|(i, _)| !(501..521).contains(i))
        .map(|(_, l)| l.to_owned())
        .collect();
    let gapped_csv = dir.path("gapped.csv");
    std::fs::write(&gapped_csv, gapped.join("\n")).unwrap();
    let o = nowcast(&[
        "replay",
        "--model",
        &model,
        "--data",
        &gapped_csv,
        "--out",
        &out,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let replayed = std::fs::read_to_string(&out).unwrap();
    let actuals: Vec<&str> = (replayed.lines().skip(1))
        .map(|l| l.rsplit(',').next().unwrap())
        .collect();
    assert_eq!(actuals.len(), 880);
    assert!(actuals[496].parse::<f64>().is_ok(), "{}", actuals[496]);
    assert_eq!(actuals[497..500], ["", "", ""]);
    assert!(actuals[500].parse::<f64>().is_ok());

    // A model that does not read its target streams a file without it: forecasts, no actuals.
    let blind = dir.path("blind.ncm");
    let o = train(&["--ignore", "temp", "--out", &blind]);
    assert!(o.status.success(), "{}", text(&o));
    let no_target = dir.path("no_target.csv");
    let without: Vec<String> = (std::fs::read_to_string(&csv).unwrap().lines())
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            format!("{},{}", c[0], c[2])
        })
        .collect();
    std::fs::write(&no_target, without.join("\n")).unwrap();
    let o = nowcast(&[
        "replay", "--model", &blind, "--data", &no_target, "--out", &out,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("no MAE (the data has no numeric column `temp`, the target)"),
        "{}",
        text(&o)
    );
    let replayed = std::fs::read_to_string(&out).unwrap();
    assert!(
        replayed
            .lines()
            .skip(30)
            .all(|l| l.ends_with(',') && l.split(',').nth(1) != Some(""))
    );

    let o = nowcast(&["inspect", &model]);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("gru") && t.contains("dense") && t.contains("MACs") && t.contains("mode f32"),
        "{t}"
    );

    // quantize in both modes: the report compares against the float model's own figures.
    for mode in ["i8w", "i8x16"] {
        let (q, qreport) = (dir.path(&format!("{mode}.ncm")), dir.path(mode));
        let o = nowcast(&[
            "quantize", "--model", &model, "--data", &csv, "--mode", mode, "--out", &q, "--report",
            &qreport,
        ]);
        assert!(o.status.success(), "{}", text(&o));
        let j: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.0.join(mode).join("quant.json")).unwrap(),
        )
        .unwrap();
        assert!(close(&j["float"]["test_mae"], &metrics["test_mae"]), "{j}");
        assert_eq!(j["quantized"]["mode"], mode);
        let ratio = j["test_mae_ratio"].as_f64().unwrap();
        assert!(
            (0.8..1.25).contains(&ratio),
            "{mode}: test MAE ratio {ratio}"
        );
        assert!(j["weight_bytes_ratio"].as_f64().unwrap() < 0.5, "{j}");
        assert_eq!(j["layers"].as_array().map(Vec::len), Some(2), "{j}");
        assert_eq!(j["exponents"].is_null(), mode == "i8w", "{j}");
        let o = nowcast(&["inspect", &q]);
        assert!(text(&o).contains(&format!("mode {mode}")), "{}", text(&o));
        // A quantized model is not quantized again.
        let o = nowcast(&[
            "quantize", "--model", &q, "--data", &csv, "--mode", mode, "--out", &q,
        ]);
        assert!(
            !o.status.success() && text(&o).contains("already quantized"),
            "{}",
            text(&o)
        );
    }
    // bench times the step of every mode and reports the device figures.
    for m in [model.clone(), dir.path("i8x16.ncm")] {
        let o = nowcast(&["bench", &m, "--samples", "500", "--rounds", "3", "--json"]);
        assert!(o.status.success(), "{}", text(&o));
        let b: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert!(b["ns_per_sample"].as_f64().unwrap() > 0.0, "{b}");
        assert!(b["ns_per_window"].as_f64().unwrap() > 0.0, "{b}");
        assert!(b["macs_per_sample"].as_f64().unwrap() > 0.0, "{b}");
        assert_eq!(b["window_steps"], 24, "{b}");
    }
    let o = nowcast(&[
        "quantize",
        "--model",
        &model,
        "--data",
        &csv,
        "--mode",
        "i8x16",
        "--calibration",
        "p101",
        "--out",
        &dir.path("x.ncm"),
    ]);
    assert!(
        !o.status.success() && text(&o).contains("percentile"),
        "{}",
        text(&o)
    );
}

/// `write_csv`'s file at `path` with its temperatures rewritten by `temp`.
fn write_csv_with_temp(path: &Path, temp: impl Fn(f64) -> String) {
    write_csv(path);
    let text_of = std::fs::read_to_string(path).unwrap();
    let mut lines = text_of.lines();
    let header = lines.next().unwrap().to_owned();
    let rows = lines.map(|l| {
        let cells: Vec<&str> = l.split(',').collect();
        format!(
            "{},{},{}",
            cells[0],
            temp(cells[1].parse().unwrap()),
            cells[2]
        )
    });
    let lines: Vec<String> = std::iter::once(header).chain(rows).collect();
    std::fs::write(path, lines.join("\n")).unwrap();
}

/// `train` on `csv` for one epoch (`temp` 3 rows ahead), writing `dir/m.ncm`.
fn train_args(dir: &Dir, csv: &str) -> Vec<String> {
    let spec = dir.path("m.toml");
    std::fs::write(&spec, SPEC).unwrap();
    let args = [
        "train",
        "--data",
        csv,
        "--target",
        "temp",
        "--lookback",
        "24",
    ];
    let more = ["--delay", "3", "--model", &spec, "--epochs", "1"];
    (args.iter().chain(&more).map(|a| a.to_string()))
        .chain(["--out".into(), dir.path("m.ncm")])
        .collect()
}

#[test]
fn rows_without_a_time_train_and_replay_at_the_period_given() {
    let dir = Dir::new("no-time");
    let csv = dir.path("d.csv");
    // The hourly file without its time column (a logger that writes none).
    write_csv(Path::new(&csv));
    let text_of = std::fs::read_to_string(&csv).unwrap();
    let untimed: Vec<&str> = text_of
        .lines()
        .map(|l| l.split_once(',').unwrap().1)
        .collect();
    std::fs::write(&csv, untimed.join("\n")).unwrap();
    let o = nowcast(
        &train_args(&dir, &csv)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert!(!o.status.success());
    assert!(
        text(&o).contains("rows without a time: `--sample-period 10s`"),
        "{}",
        text(&o)
    );
    let mut args = train_args(&dir, &csv);
    args.extend(["--sample-period".into(), "1h".into()]);
    let o = nowcast(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(
        t.contains("no time column, rows taken as evenly spaced; period 3600 s"),
        "{t}"
    );
    // One day of rows is the seasonal baseline's period.
    assert!(t.contains("seasonal (24 rows)"), "{t}");
    let (model, out) = (dir.path("m.ncm"), dir.path("r.csv"));
    let replay = ["replay", "--model", &model, "--data", &csv, "--out", &out];
    let o = nowcast(&replay);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("at the model's period: --sample-period 1h"),
        "{}",
        text(&o)
    );
    let o = nowcast(&[&replay[..], &["--sample-period", "60min"]].concat());
    assert!(o.status.success(), "{}", text(&o));
    let forecasts = std::fs::read_to_string(&out).unwrap();
    let mut lines = forecasts.lines();
    assert_eq!(lines.next(), Some("time_count_s,forecast,actual_at_delay"));
    let times: Vec<&str> = lines
        .take(3)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(times, ["0", "3600", "7200"]);
    // Another period is another model.
    let o = nowcast(&[&replay[..], &["--sample-period", "30min"]].concat());
    assert!(
        text(&o).contains("trained on one every 3600 s"),
        "{}",
        text(&o)
    );
}

#[test]
fn a_target_in_micro_units_keeps_its_digits() {
    let dir = Dir::new("micro");
    let csv = dir.path("d.csv");
    write_csv_with_temp(Path::new(&csv), |t| format!("{:e}", t * 1e-6));
    let o = Command::new(env!("CARGO_BIN_EXE_nowcast"))
        .args(train_args(&dir, &csv))
        .output()
        .unwrap();
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    // Every figure of the MAE table with its significant digits, none `0.000`.
    let rows: Vec<&str> = (t.lines())
        .filter(|l| {
            ["  model, ", "  persistence", "  seasonal ("]
                .iter()
                .any(|r| l.starts_with(r))
        })
        .collect();
    assert_eq!(rows.len(), 4, "{t}");
    for row in rows {
        assert!(!row.contains("0.000") && row.contains("e-"), "{t}");
    }
}

#[test]
fn baselines_and_splits_are_checked_before_they_mislead() {
    let dir = Dir::new("baselines");
    let csv = dir.path("d.csv");
    write_csv(Path::new(&csv));
    let args = train_args(&dir, &csv);
    let with = |more: &[&str]| -> Output {
        let all: Vec<&str> = args
            .iter()
            .map(String::as_str)
            .chain(more.iter().copied())
            .collect();
        nowcast(&all)
    };
    // A season of 600 rows (of 900; train is the first 540) reads back past the file's start
    // from the first validation windows: seasonal persistence covers fewer of them than the
    // model and is not the one it is compared with.
    let report = dir.path("report");
    let o = with(&["--season", "600", "--report", &report]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(
        t.contains("(seasonal persistence covers only 120 of the 154 val windows"),
        "{t}"
    );
    // It covers every test window (a season back is in train or val): compared there.
    assert!(
        t.contains("test MAE vs seasonal persistence (the better baseline)"),
        "{t}"
    );
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path("report/metrics.json")).unwrap())
            .unwrap();
    let (covered, windows) = (&metrics["seasonal_windows"][0], &metrics["windows"][1]);
    assert!(
        covered.as_u64().unwrap() < windows.as_u64().unwrap(),
        "{metrics}"
    );
    // The model is scored again on the windows seasonal persistence covers, and compared there.
    assert!(
        t.contains("on the val windows it covers, the model's window-mode MAE is "),
        "{t}"
    );
    let on_covered = metrics["model_on_seasonal_windows_mae"][0]
        .as_f64()
        .unwrap();
    assert!(on_covered.is_finite() && on_covered > 0.0, "{metrics}");
    // And in streaming mode, over the same targets.
    let streamed = metrics["model_on_seasonal_windows_stream_mae"][0]
        .as_f64()
        .unwrap();
    assert!(streamed.is_finite() && streamed > 0.0, "{metrics}");
    assert!(
        t.contains("window-mode MAE is ") && t.contains(" (streaming "),
        "{t}"
    );
    // Within the window (24 rows), every window is covered and compared.
    let o = with(&["--season", "24", "--report", &report]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(
        !t.contains("covers only") && !t.contains("windows it covers"),
        "{t}"
    );
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path("report/metrics.json")).unwrap())
            .unwrap();
    assert!(
        metrics["model_on_seasonal_windows_mae"][1].is_null(),
        "{metrics}"
    );
    // An empty test split is refused before training, not after it: no model is written.
    std::fs::remove_file(dir.path("m.ncm")).unwrap();
    let o = with(&["--split", "0.8,0.2,0"]);
    let t = text(&o);
    assert!(!o.status.success());
    assert!(
        t.contains("the Test split has no windows") && !t.contains("epoch"),
        "{t}"
    );
    assert!(!Path::new(&dir.path("m.ncm")).exists());
    // A season of 0 rows is no season.
    let o = with(&["--season", "0"]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("invalid value '0' for '--season"),
        "{}",
        text(&o)
    );
}

#[test]
fn a_stuck_sensor_is_named_as_such() {
    let dir = Dir::new("stuck");
    let csv = dir.path("d.csv");
    write_csv_with_temp(Path::new(&csv), |_| "20.0".into());
    let o = Command::new(env!("CARGO_BIN_EXE_nowcast"))
        .args(train_args(&dir, &csv))
        .output()
        .unwrap();
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    // Persistence is exact because nothing changes, not for want of a delay (it is 3).
    assert!(
        t.contains("the target is constant on the test split (20 in every row, as in the whole file): a stuck or disconnected sensor?")
            && !t.contains("--delay N"),
        "{t}"
    );
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let dir = Dir::new("pipe");
    let csv = dir.path("d.csv");
    write_csv(Path::new(&csv));
    let train = train_args(&dir, &csv);
    let o = Command::new(env!("CARGO_BIN_EXE_nowcast"))
        .args(&train)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    // A reader that leaves before the output ends (`| head -1`): a quiet exit with status
    // 141, what a command killed by SIGPIPE reports, and no panic. (The reader is gone before
    // the command starts, so its first write already fails, however fast it runs.)
    for args in [train, vec!["inspect".into(), dir.path("m.ncm")]] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let child = Command::new(env!("CARGO_BIN_EXE_nowcast"))
            .args(&args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .spawn()
            .expect("runs nowcast");
        let o = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(141), "{}: {stderr}", args[0]);
        assert!(stderr.is_empty(), "{}: {stderr}", args[0]);
    }
}

#[test]
fn bad_input_is_reported_clearly() {
    let dir = Dir::new("bad");
    let (csv, spec) = (dir.path("d.csv"), dir.path("m.toml"));
    write_csv(Path::new(&csv));
    std::fs::write(&spec, SPEC).unwrap();
    // `train` on `data`, one epoch, with `more` flags (a `--target` among them, or none).
    let out = dir.path("m.ncm");
    let run = |data: &str, more: &[&str]| {
        let mut args = vec!["train", "--data", data, "--lookback", "24", "--delay", "3"];
        args.extend(["--model", &spec, "--epochs", "1", "--out", &out]);
        args.extend_from_slice(more);
        nowcast(&args)
    };
    let train = |data: &str, target: &str| run(data, &["--target", target]);
    // Unknown target: the available columns are listed.
    let o = train(&csv, "pressure");
    assert!(!o.status.success());
    assert!(
        text(&o).contains("temp") && text(&o).contains("hum"),
        "{}",
        text(&o)
    );
    // No target: required where there is a choice (the columns listed), else the only one.
    let o = run(&csv, &[]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("--target is required: the column to forecast, one of `temp`, `hum`"),
        "{}",
        text(&o)
    );
    let single = dir.path("single.csv");
    let lines: Vec<String> = std::fs::read_to_string(&csv)
        .unwrap()
        .lines()
        .map(|l| l.rsplit_once(',').map_or(l, |(head, _)| head).to_owned())
        .collect();
    std::fs::write(&single, lines.join("\n")).unwrap();
    let o = run(&single, &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("target `temp`, the only numeric column"),
        "{}",
        text(&o)
    );
    // A malformed row: its line number is in the message.
    let mut rows = std::fs::read_to_string(&csv).unwrap();
    rows = rows.replacen(
        "\n2022-01-02T05:00:00+01:00,",
        "\n2022-01-02T05:00:00+01:00,oops,",
        1,
    );
    let bad = dir.path("bad.csv");
    std::fs::write(&bad, rows).unwrap();
    let o = train(&bad, "temp");
    assert!(!o.status.success());
    assert!(text(&o).contains("line 31"), "{}", text(&o));
    // ...or skipped and counted.
    let o = run(&bad, &["--target", "temp", "--skip-bad-rows"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("1 bad row(s) skipped"), "{}", text(&o));
    // Missing cells: two of `temp` filled, five of `hum` in a row left out, and with `temp`
    // alone `hum`'s do not matter.
    let mut gappy = String::new();
    for (i, line) in std::fs::read_to_string(&csv).unwrap().lines().enumerate() {
        let (time, rest) = line.split_once(',').unwrap();
        let (temp, hum) = rest.split_once(',').unwrap();
        let temp = if i == 40 || i == 41 { "" } else { temp };
        let hum = if (100..105).contains(&i) { "NaN" } else { hum };
        gappy.push_str(&format!("{time},{temp},{hum}\n"));
    }
    let gappy_csv = dir.path("gappy.csv");
    std::fs::write(&gappy_csv, gappy).unwrap();
    let o = run(&gappy_csv, &["--target", "temp"]);
    assert!(o.status.success(), "{}", text(&o));
    for expected in [
        "missing values: `temp` 2 from line 41, `hum` 5 from line 101",
        "missing values in the columns used: 2 filled by interpolation (runs of up to 3 rows), 5 row(s) left out of every window (in longer runs, or at a segment's first or last row, with no value on one side to interpolate from)",
    ] {
        assert!(text(&o).contains(expected), "{expected}: {}", text(&o));
    }
    let o = run(&gappy_csv, &["--target", "temp", "--features", "temp"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("2 filled by interpolation (runs of up to 3 rows), 0 row(s)"),
        "{}",
        text(&o)
    );
    // Data at another sample period than the model's (the hours as half hours).
    let fast = std::fs::read_to_string(&csv)
        .unwrap()
        .lines()
        .enumerate()
        .map(|(i, line)| match i {
            0 => format!("time_s,{}", line.split_once(',').unwrap().1),
            _ => format!("{},{}", 1800 * i, line.split_once(',').unwrap().1),
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(dir.path("fast.csv"), fast).unwrap();
    let o = nowcast(&[
        "eval",
        "--model",
        &dir.path("m.ncm"),
        "--data",
        &dir.path("fast.csv"),
    ]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("one row every 1800 s, the model was trained on one every 3600 s"),
        "{}",
        text(&o)
    );
    let (model, data) = (dir.path("m.ncm"), dir.path("fast.csv"));
    let (forecasts, quantized) = (dir.path("f.csv"), dir.path("q.ncm"));
    for command in [
        vec!["replay", "--out", &forecasts],
        vec!["quantize", "--mode", "i8x16", "--out", &quantized],
    ] {
        let mut args = command.clone();
        args.extend(["--model", &model, "--data", &data]);
        let o = nowcast(&args);
        assert!(!o.status.success(), "{command:?}");
        assert!(
            text(&o).contains("one row every 1800 s"),
            "{command:?}: {}",
            text(&o)
        );
    }
    // A corrupt model file.
    let mut blob = std::fs::read(dir.path("m.ncm")).unwrap();
    blob[30] ^= 0x40;
    std::fs::write(dir.path("corrupt.ncm"), &blob).unwrap();
    let o = nowcast(&["inspect", &dir.path("corrupt.ncm")]);
    assert!(!o.status.success());
    assert!(text(&o).contains("CrcMismatch"), "{}", text(&o));
    // A spec with a typo.
    std::fs::write(&spec, "[[layers]]\nkind = \"gru\"\nunit = 6\n").unwrap();
    let o = train(&csv, "temp");
    assert!(!o.status.success());
    assert!(text(&o).contains("unit"), "{}", text(&o));
}

/// Two classes of 2-channel sequences a GRU tells apart at once: a rising or a falling ramp
/// (with a wobble that depends on the sequence), in the CSV layout; sequence 5 has a missing
/// value and sequence 7 is shorter (padded at the front). A logger's timestamp column comes
/// first (not a channel).
fn write_sequences(path: &Path, first: u32, count: u32) {
    let mut s = String::from("timestamp,sequence,label,x,y\n");
    for q in first..first + count {
        let up = q % 2 == 0;
        let steps = if q == 7 { 12 } else { 16 };
        for t in 0..steps {
            let ramp = f64::from(t) / 15.0 * if up { 1.0 } else { -1.0 };
            let x = if q == 5 && t == 3 {
                String::new()
            } else {
                format!("{:.4}", ramp + 0.1 * (f64::from(q * 7 + t)).sin())
            };
            let y = 0.5 * ramp + 0.05 * f64::from(q % 5);
            let label = if up { "up" } else { "down" };
            let time = 1_700_000_000 + q * 100 + t;
            s.push_str(&format!("{time},s{q},{label},{x},{y:.4}\n"));
        }
    }
    std::fs::write(path, s).unwrap();
}

#[test]
fn classify_sequences_end_to_end() {
    let dir = Dir::new("classify");
    let (train, test, spec, model, report) = (
        dir.path("train.csv"),
        dir.path("test.csv"),
        dir.path("c.toml"),
        dir.path("c.ncm"),
        dir.path("report"),
    );
    write_sequences(Path::new(&train), 0, 40);
    write_sequences(Path::new(&test), 40, 20);
    std::fs::write(
        &spec,
        "[[layers]]\nkind = \"gru\"\nunits = 8\n[[layers]]\nkind = \"dense\"\nunits = 2\nactivation = \"softmax\"\n",
    )
    .unwrap();
    // Trains the classifier in `spec` on the train and test files, with `extra` flags.
    let train_classifier = |extra: &[&str]| {
        let mut args = vec![
            "train",
            "--task",
            "classify",
            "--data",
            &train,
            "--test",
            &test,
            "--model",
            &spec,
            "--optimizer",
            "adam",
            "--batch",
            "8",
            "--epochs",
            "60",
            "--patience",
            "60",
            "--out",
            &model,
        ];
        args.extend_from_slice(extra);
        nowcast(&args)
    };
    let o = train_classifier(&["--report", &report]);
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains("not channels: `timestamp` (a time)")
            && out.contains("60 sequences of 2 channels, 2 classes (up, down); 16 steps each"),
        "{out}"
    );
    assert!(
        out.contains("the last output of every example equals window mode"),
        "{out}"
    );
    let m: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(&report).join("metrics.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(m["task"], "classify");
    assert_eq!(m["sequences"], serde_json::json!([32, 8, 20]));
    let acc = m["test_accuracy"].as_f64().unwrap();
    assert!(acc >= 0.9, "test accuracy {acc}: {out}");
    assert_eq!(m["majority_test_accuracy"].as_f64().unwrap(), 0.5);
    assert_eq!(m["stream_test_accuracy"].as_f64().unwrap(), acc);
    let confusion: Vec<Vec<u64>> = serde_json::from_value(m["test_confusion"].clone()).unwrap();
    assert_eq!(confusion.iter().flatten().sum::<u64>(), 20);
    for f in ["curves.png", "confusion.png"] {
        assert!(
            Path::new(&report).join(f).metadata().unwrap().len() > 1000,
            "{f}"
        );
    }
    // `eval` and `replay` know a classifier: the test file scores as the test split did.
    let o = nowcast(&["eval", "--model", &model, "--data", &test, "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    let e: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(e["task"], "classify");
    assert_eq!(e["sequences"], 20);
    assert_eq!(e["accuracy"].as_f64().unwrap(), acc);
    assert_eq!(e["confusion"], m["test_confusion"]);
    let forecasts = dir.path("classes.csv");
    let o = nowcast(&[
        "replay", "--model", &model, "--data", &test, "--out", &forecasts,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains(&format!(
            "streamed 20 sequences (320 rows), accuracy {acc:.3} from each one's last output"
        )),
        "{}",
        text(&o)
    );
    let lines = std::fs::read_to_string(&forecasts).unwrap();
    let mut lines = lines.lines();
    assert_eq!(
        lines.next(),
        Some("sequence,label,step,predicted,p_up,p_down")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 320);
    assert!(rows.iter().all(|r| r.len() == 6 && !r[3].is_empty()));
    let p: f64 = rows[15][4].parse::<f64>().unwrap() + rows[15][5].parse::<f64>().unwrap();
    assert!((p - 1.0).abs() < 1e-5, "{:?}", rows[15]);
    // The classifier quantized to i8x16, calibrated on the training sequences.
    let q = dir.path("c_i8x16.ncm");
    let o = nowcast(&[
        "quantize", "--task", "classify", "--model", &model, "--data", &train, "--test", &test,
        "--mode", "i8x16", "--out", &q, "--report", &report,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let qj: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(&report).join("quant.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(qj["quantized"]["mode"], "i8x16");
    assert_eq!(qj["float"]["test_accuracy"].as_f64().unwrap(), acc);
    assert!(
        qj["quantized"]["test_accuracy"].as_f64().unwrap() >= acc - 0.1,
        "{qj}"
    );
    assert!(qj["weight_bytes_ratio"].as_f64().unwrap() < 0.5, "{qj}");
    // Another seed splits the training file differently: refused, not silently miscalibrated.
    let o = nowcast(&[
        "quantize", "--task", "classify", "--model", &model, "--data", &train, "--test", &test,
        "--mode", "i8w", "--seed", "5", "--out", &q,
    ]);
    assert!(!o.status.success());
    assert!(text(&o).contains("does not normalize as"), "{}", text(&o));
    // Two classes also train with one sigmoid unit and binary cross-entropy.
    std::fs::write(
        &spec,
        "[[layers]]\nkind = \"gru\"\nunits = 8\n[[layers]]\nkind = \"dense\"\nunits = 1\nactivation = \"sigmoid\"\n",
    )
    .unwrap();
    let o = train_classifier(&[]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("loss BinaryCrossentropy"), "{}", text(&o));
    let line = text(&o)
        .lines()
        .find(|l| l.contains("model, window mode"))
        .map(str::to_string)
        .unwrap();
    let acc: f64 = line.split_whitespace().last().unwrap().parse().unwrap();
    assert!(acc >= 0.9, "{line}");
    // One sigmoid unit names the second class; eval finds the first in the file.
    let o = nowcast(&["eval", "--model", &model, "--data", &test, "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    let e: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(e["classes"], serde_json::json!(["up", "down"]));
    assert_eq!(
        format!("{:.3}", e["accuracy"].as_f64().unwrap()),
        format!("{acc:.3}")
    );
    // The wrong output layer for the classes, and a regression loss, are refused clearly.
    std::fs::write(&spec, SPEC).unwrap();
    let o = nowcast(&[
        "train", "--task", "classify", "--data", &train, "--model", &spec, "--out", &model,
    ]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("for 2 classes use 2 units with softmax, or 1 unit with sigmoid"),
        "{}",
        text(&o)
    );
    let o = nowcast(&[
        "train",
        "--data",
        &train,
        "--target",
        "x",
        "--lookback",
        "4",
        "--delay",
        "1",
        "--loss",
        "categorical-crossentropy",
        "--model",
        &spec,
        "--out",
        &model,
    ]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("cross-entropy losses are for --task classify"),
        "{}",
        text(&o)
    );
}

/// 120 short texts of two classes told apart by their words (and shared filler words), with
/// punctuation and capitals the tokenizer removes.
fn write_texts(path: &Path) {
    let mut s = String::from("id,label,text\n");
    let (a, b) = (
        ["Rally", "tonight", "crowd", "great"],
        ["Thank", "you", "interview", "watch"],
    );
    for i in 0..120usize {
        let words = if i % 2 == 0 { &a } else { &b };
        let label = if i % 2 == 0 { "rally" } else { "thanks" };
        let text = format!(
            "\"{}, the {} and {}! #{}\"",
            words[i % 4],
            words[(i / 2) % 4],
            ["so", "very", "big"][i % 3],
            words[(i / 3) % 4]
        );
        s.push_str(&format!("{i},{label},{text}\n"));
    }
    std::fs::write(path, s).unwrap();
}

/// The words `write_texts` uses.
const WORDS: [&str; 13] = [
    "rally",
    "tonight",
    "crowd",
    "great",
    "thank",
    "you",
    "interview",
    "watch",
    "the",
    "and",
    "so",
    "very",
    "big",
];

/// Whether `t` is one of them.
fn words_in(t: &str) -> bool {
    WORDS.contains(&t)
}

#[test]
fn classify_texts_end_to_end() {
    let dir = Dir::new("text");
    let (csv, spec, model, report, vectors) = (
        dir.path("t.csv"),
        dir.path("t.toml"),
        dir.path("t.ncm"),
        dir.path("report"),
        dir.path("v.txt"),
    );
    write_texts(Path::new(&csv));
    std::fs::write(
        &spec,
        "[[layers]]\nkind = \"embedding\"\noutput_dim = 4\n[[layers]]\nkind = \"gru\"\nunits = 6\n[[layers]]\nkind = \"dense\"\nunits = 2\nactivation = \"softmax\"\n",
    )
    .unwrap();
    let train = |extra: &[&str]| {
        let mut args = vec![
            "train",
            "--task",
            "text",
            "--data",
            &csv,
            "--model",
            &spec,
            "--optimizer",
            "adam",
            "--batch",
            "8",
            "--epochs",
            "40",
            "--patience",
            "40",
            "--out",
            &model,
        ];
        args.extend_from_slice(extra);
        nowcast(&args)
    };
    let o = train(&["--report", &report]);
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    // eval and replay take series and sequences: a text model is refused, saying what scores it.
    let e = nowcast(&["eval", "--model", &model, "--data", &csv]);
    assert!(!e.status.success());
    assert!(
        text(&e).contains("is a text classifier (it takes token ids)"),
        "{}",
        text(&e)
    );
    // 8 class words, 2 shared and 3 filler: 13 tokens, 15 ids with padding and unknown.
    assert!(
        out.contains("120 texts, 2 classes (rally, thanks); vocabulary: 15 ids"),
        "{out}"
    );
    assert!(
        out.contains("the last output of every example equals window mode"),
        "{out}"
    );
    let m: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(&report).join("metrics.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(m["task"], "text");
    assert_eq!(m["encoding"]["distinct_tokens"], 13);
    assert!(m["test_accuracy"].as_f64().unwrap() >= 0.9, "{out}");
    assert_eq!(m["majority_test_accuracy"].as_f64().unwrap(), 0.5);
    // Quantized to i8x16 (calibrated on the training texts, encoded again with train's flags).
    let q = dir.path("t_i8x16.ncm");
    let o = nowcast(&[
        "quantize", "--task", "text", "--model", &model, "--data", &csv, "--mode", "i8x16",
        "--out", &q, "--report", &report,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let qj: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(&report).join("quant.json")).unwrap(),
    )
    .unwrap();
    assert!(
        qj["quantized"]["test_accuracy"].as_f64().unwrap() >= 0.9,
        "{qj}"
    );
    let o = nowcast(&[
        "quantize", "--task", "text", "--model", &model, "--data", &csv, "--mode", "i8w",
        "--vocab", "5", "--out", &q,
    ]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("the vocabulary rebuilt from the texts differs from"),
        "{}",
        text(&o)
    );
    // The vocabulary is in the blob: every word looks up, the runtime encodes a text.
    let bytes = std::fs::read(&model).unwrap();
    let blob = nowcast_runtime::AlignedBytes::new(&bytes);
    let m = nowcast_runtime::Model::from_bytes(blob.as_bytes()).unwrap();
    let vocab = m.vocabulary_tokens().unwrap();
    assert_eq!(vocab.len(), 13);
    assert!(vocab.iter().all(|t| words_in(t)), "{vocab:?}");
    let mut ids = [0u16; 4];
    assert_eq!(m.encode_text("Rally, zebra!", &mut ids), Some(2));
    assert_eq!(ids[0], m.token_id(b"rally").unwrap());
    assert_eq!(ids[1], nowcast_runtime::text::UNKNOWN);
    // --test belongs to sequences.
    let o = train(&["--test", &csv]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("--test is for --task classify"),
        "{}",
        text(&o)
    );
    // Class weights: balanced data gives 1 and 1; a zero weight leaves a class unlearnt.
    let o = train(&["--class-weight", "balanced"]);
    assert!(
        text(&o).contains("class weights: rally 1.000, thanks 1.000"),
        "{}",
        text(&o)
    );
    let o = train(&["--class-weight", "1,0", "--report", &report]);
    assert!(o.status.success(), "{}", text(&o));
    let m: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(&report).join("metrics.json")).unwrap(),
    )
    .unwrap();
    let recall: Vec<f64> = serde_json::from_value(m["test_recall"].clone()).unwrap();
    assert!(recall[1] < 0.5 && recall[0] > 0.9, "{recall:?}");
    let o = train(&["--class-weight", "1,2,3"]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("--class-weight needs 2 weights of at least 0 (rally, thanks)"),
        "{}",
        text(&o)
    );
    // The hashing trick: 13 tokens in 7 ids (0 is padding) collide at least 6 times.
    let o = train(&["--hashing", "8"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains("hashing: 8 ids; 13 distinct training tokens"),
        "{out}"
    );
    let words = WORDS;
    let ids: std::collections::HashSet<u16> = words
        .iter()
        .map(|w| nowcast_runtime::text::hash_id(w.as_bytes(), 8))
        .collect();
    let want = format!("{} hash collisions", words.len() - ids.len());
    assert!(out.contains(&want), "{want}: {out}");
    // Word vectors for part of the vocabulary, frozen: the embedding table is what the file
    // says (zeros for the words it lacks) in the exported model.
    std::fs::write(&vectors, "rally 1 0 0 0\nTHANK 0 1 0 0\nzebra 9 9 9 9\n").unwrap();
    let o = train(&["--embeddings", &vectors, "--freeze-embeddings"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("4-value vectors for 2 of 13 vocabulary tokens (15.4%)"),
        "{}",
        text(&o)
    );
    let bytes = std::fs::read(&model).unwrap();
    let blob = nowcast_runtime::AlignedBytes::new(&bytes);
    let m = nowcast_runtime::Model::from_bytes(blob.as_bytes()).unwrap();
    let Some(nowcast_runtime::Layer::Embedding(e)) = m.layers().first() else {
        panic!("no embedding first")
    };
    let nowcast_runtime::Tensor::F32(table) = e.embeddings else {
        panic!("an f32 model")
    };
    let mut rows: Vec<&[f32]> = table
        .chunks_exact(4)
        .filter(|r| r.iter().any(|&v| v != 0.0))
        .collect();
    rows.sort_by(|a, b| b.partial_cmp(a).unwrap());
    assert_eq!(rows, [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]]);
    // A text model must start with an embedding, and vectors need a vocabulary.
    std::fs::write(&spec, SPEC).unwrap();
    let o = train(&[]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("token ids go into an embedding layer first"),
        "{}",
        text(&o)
    );
    let o = train(&["--hashing", "64", "--embeddings", &vectors]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("--embeddings needs a vocabulary"),
        "{}",
        text(&o)
    );
}

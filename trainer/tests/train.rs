//! End-to-end training on a small synthetic series: learning beats persistence, runs are
//! reproducible, and a resumed run ends with exactly the weights of an uninterrupted one.

use nowcast_runtime::{AlignedBytes, Model};
use nowcast_trainer::baseline::persistence_mae;
use nowcast_trainer::data::{Dataset, DatasetConfig, LoadConfig, Series, Split, WindowSpec};
use nowcast_trainer::eval::evaluate;
use nowcast_trainer::export;
use nowcast_trainer::train::{FitConfig, Loss, ModelToml, Stateful, TrainModel, fit, fit_stateful};

/// 1,200 rows of a daily cycle (period 24 rows) with a slow drift and a second channel.
fn dataset() -> Dataset {
    dataset_every(1)
}

/// [`dataset`] with windows of every `step`-th row.
fn dataset_every(step: usize) -> Dataset {
    dataset_with(step, 0..0)
}

/// [`dataset_every`] without the hours `missing` (more than 4 make a new segment).
fn dataset_with(step: usize, missing: std::ops::Range<u32>) -> Dataset {
    let mut csv = String::from("time,temp,hum\n");
    for i in (0..1200u32).filter(|i| !missing.contains(i)) {
        let t = f64::from(i);
        let temp = 10.0
            + 5.0 * (t * std::f64::consts::TAU / 24.0).sin()
            + 0.002 * t
            + 0.3 * (t * 0.37).sin();
        let hum = 60.0 - 2.0 * temp + (t * 0.11).cos();
        csv.push_str(
            &format!("2021-01-01T00:00:00Z,{temp:.4},{hum:.4}\n")
                .replace("2021-01-01T00:00:00Z", &iso(i)),
        );
    }
    let series = Series::from_reader(csv.as_bytes(), &LoadConfig::default()).expect("series");
    Dataset::new(
        &series,
        &DatasetConfig::new("temp", WindowSpec::new(24, 3, step).unwrap()),
    )
    .expect("dataset")
}

fn iso(hour: u32) -> String {
    let (day, h) = (hour / 24, hour % 24);
    // January and February 2021 are enough for 50 days.
    let (month, d) = if day < 31 {
        (1, day + 1)
    } else {
        (2, day - 30)
    };
    format!("2021-{month:02}-{d:02}T{h:02}:00:00Z")
}

const SPEC: &str = "[[layers]]\nkind = \"gru\"\nunits = 8\ndropout = 0.1\nrecurrent_dropout = 0.1\n[[layers]]\nkind = \"dense\"\nunits = 1\n";

fn train(
    epochs: usize,
    checkpoint: Option<std::path::PathBuf>,
    resume: bool,
) -> (TrainModel, usize) {
    train_with(epochs, checkpoint, resume, None)
}

fn train_with(
    epochs: usize,
    checkpoint: Option<std::path::PathBuf>,
    resume: bool,
    ema: Option<f32>,
) -> (TrainModel, usize) {
    let d = dataset();
    let built = ModelToml::parse(SPEC).unwrap().build(2, 24, 5).unwrap();
    let mut model = TrainModel::new(built);
    let cfg = FitConfig {
        epochs,
        batch: 32,
        patience: 100,
        seed: 5,
        threads: 2,
        checkpoint,
        resume,
        ema,
        ..FitConfig::default()
    };
    let history = fit(&mut model, &d, &cfg, &mut |_| {}).expect("fit");
    (model, history.epochs_run())
}

#[test]
fn training_beats_persistence_through_the_runtime() {
    let d = dataset();
    let (model, _) = train(8, None, false);
    let bytes = export::to_bytes(&export::spec(&model, &d, "t", 3_600_000)).unwrap();
    let blob = AlignedBytes::new(&bytes);
    let m = Model::from_bytes(blob.as_bytes()).unwrap();
    assert!(m.features().iter().eq(["temp", "hum"]));
    let scores = evaluate(&bytes, &d, Split::Test).unwrap();
    let baseline = persistence_mae(&d, Split::Test).mae.unwrap();
    assert!(
        scores.window < 0.8 * baseline,
        "model {} vs persistence {baseline}",
        scores.window
    );
    let stream = scores.stream.unwrap();
    assert!(
        stream < baseline,
        "streaming {stream} vs persistence {baseline}"
    );
}

#[test]
fn same_seed_same_bytes() {
    let d = dataset();
    let a = train(2, None, false).0;
    let b = train(2, None, false).0;
    let bytes = |m: &TrainModel| export::to_bytes(&export::spec(m, &d, "t", 0)).unwrap();
    assert_eq!(bytes(&a), bytes(&b));
}

#[test]
fn resumed_run_equals_uninterrupted_run() {
    let dir = std::env::temp_dir().join(format!("nowcast-resume-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ckpt = dir.join("model.ckpt");
    for ema in [None, Some(0.9)] {
        let straight = train_with(4, None, false, ema).0;
        // "Interrupted" after 2 epochs, then resumed to 4.
        let (_, run) = train_with(2, Some(ckpt.clone()), false, ema);
        assert_eq!(run, 2);
        assert!(ckpt.exists());
        let (resumed, total) = train_with(4, Some(ckpt.clone()), true, ema);
        assert_eq!(total, 4, "history continues");
        assert_eq!(resumed.params, straight.params, "ema {ema:?}");
    }
    // With ema, the averaged weights are what is kept.
    let averaged = train_with(4, None, false, Some(0.9)).0.params;
    assert_ne!(averaged, train(4, None, false).0.params);
    // A checkpoint of another run is refused.
    let d = dataset();
    let built = ModelToml::parse(SPEC).unwrap().build(2, 24, 6).unwrap();
    let mut other = TrainModel::new(built);
    let cfg = FitConfig {
        epochs: 3,
        batch: 32,
        seed: 6,
        checkpoint: Some(ckpt.clone()),
        resume: true,
        ..FitConfig::default()
    };
    assert!(fit(&mut other, &d, &cfg, &mut |_| {}).is_err());
    std::fs::remove_dir_all(&dir).ok();
}

fn train_stateful(
    d: &Dataset,
    epochs: usize,
    checkpoint: Option<std::path::PathBuf>,
    resume: bool,
) -> (TrainModel, nowcast_trainer::train::History) {
    let w = d.window();
    let built = ModelToml::parse(SPEC)
        .unwrap()
        .build(2, w.samples(), 5)
        .unwrap();
    let mut model = TrainModel::new(built);
    let cfg = FitConfig {
        epochs,
        patience: 100,
        seed: 5,
        threads: 2,
        checkpoint,
        resume,
        optimizer: nowcast_trainer::train::OptimizerKind::Adam,
        ..FitConfig::default()
    };
    let s = Stateful {
        lanes: 6,
        chunk: w.samples(),
    };
    let history = fit_stateful(&mut model, d, &cfg, s, &mut |_| {}).expect("fit_stateful");
    (model, history)
}

#[test]
fn stateful_validation_is_the_runtimes_streaming_mae() {
    // Step 1 and 2, and a gap in the validation split (a new segment, a fresh state there).
    for (step, missing) in [(1, 0..0), (2, 0..0), (1, 800..812)] {
        let d = dataset_with(step, missing.clone());
        assert_eq!(d.segments().len(), if missing.is_empty() { 1 } else { 2 });
        let (model, history) = train_stateful(&d, 60, None, false);
        let bytes = export::to_bytes(&export::spec(&model, &d, "t", 3_600_000)).unwrap();
        let val = evaluate(&bytes, &d, Split::Val).unwrap();
        // The trainer's streamed validation (f32, its own order) is the runtime's streaming MAE.
        let kept = history.val_mae[history.best_epoch - 1];
        let stream = val.stream.unwrap();
        assert!(
            (kept - stream).abs() <= 1e-4 * stream,
            "step {step}: trainer {kept} vs runtime {stream}"
        );
        assert!(
            history.val_mae.first().unwrap() > &kept,
            "step {step}: it learns: {:?}",
            history.val_mae
        );
        let test = evaluate(&bytes, &d, Split::Test).unwrap().stream.unwrap();
        let baseline = persistence_mae(&d, Split::Test).mae.unwrap();
        assert!(
            test < 0.8 * baseline,
            "step {step}: streaming {test} vs persistence {baseline}"
        );
    }
}

#[test]
fn stateful_resume_equals_uninterrupted_run() {
    let dir = std::env::temp_dir().join(format!("nowcast-stateful-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ckpt = dir.join("model.ckpt");
    let d = dataset();
    let straight = train_stateful(&d, 4, None, false).0;
    train_stateful(&d, 2, Some(ckpt.clone()), false);
    let (resumed, history) = train_stateful(&d, 4, Some(ckpt.clone()), true);
    assert_eq!(history.epochs_run(), 4);
    assert_eq!(resumed.params, straight.params);
    // A window run's checkpoint is not a stateful run's.
    let built = ModelToml::parse(SPEC).unwrap().build(2, 24, 5).unwrap();
    let mut window = TrainModel::new(built);
    let cfg = FitConfig {
        epochs: 3,
        patience: 100,
        seed: 5,
        threads: 2,
        checkpoint: Some(ckpt.clone()),
        resume: true,
        optimizer: nowcast_trainer::train::OptimizerKind::Adam,
        ..FitConfig::default()
    };
    let e = fit(&mut window, &d, &cfg, &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("different run"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn stateful_training_refuses_what_it_cannot_stream() {
    let d = dataset();
    let s = Stateful {
        lanes: 4,
        chunk: 24,
    };
    let conv = "[[layers]]\nkind = \"conv1d\"\nfilters = 4\nkernel_size = 3\n[[layers]]\nkind = \"gru\"\nunits = 4\n[[layers]]\nkind = \"dense\"\nunits = 1\n";
    let built = ModelToml::parse(conv).unwrap().build(2, 24, 5).unwrap();
    let mut model = TrainModel::new(built);
    let e = fit_stateful(&mut model, &d, &FitConfig::default(), s, &mut |_| {})
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "layer 0 (conv1d) cannot be trained statefully: stateful training takes SimpleRNN, LSTM, GRU, Dense and Dropout layers"
    );
    let built = ModelToml::parse(SPEC).unwrap().build(2, 24, 5).unwrap();
    let mut model = TrainModel::new(built);
    let cfg = FitConfig {
        loss: Loss::BinaryCrossentropy,
        ..FitConfig::default()
    };
    let e = fit_stateful(&mut model, &d, &cfg, s, &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("regression loss"), "{e}");
}

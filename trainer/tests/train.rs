//! End-to-end training on a small synthetic series: learning beats persistence, runs are
//! reproducible, and a resumed run ends with exactly the weights of an uninterrupted one.

use nowcast_runtime::{AlignedBytes, Model};
use nowcast_trainer::baseline::persistence_mae;
use nowcast_trainer::data::{Dataset, DatasetConfig, LoadConfig, Series, Split, WindowSpec};
use nowcast_trainer::eval::evaluate;
use nowcast_trainer::export;
use nowcast_trainer::train::{FitConfig, ModelToml, TrainModel, fit};

/// 1,200 rows of a daily cycle (period 24 rows) with a slow drift and a second channel.
fn dataset() -> Dataset {
    let mut csv = String::from("time,temp,hum\n");
    for i in 0..1200u32 {
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
        &DatasetConfig::new("temp", WindowSpec::new(24, 3, 1).unwrap()),
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

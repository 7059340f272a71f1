//! Report plots of `nowcast train`: PNG files drawn with `plotters`' bitmap backend.
//!
//! Conventions:
//! - Every plot is [`SIZE`] pixels (1000×500), white background, one chart with title, axis
//!   descriptions, tick labels and a legend.
//! - The y range is the finite data's range widened by [`Y_MARGIN`] of its span below and by
//!   [`Y_MARGIN`] plus [`LEGEND_HEADROOM`] above, so the legend (upper right) sits in a strip no
//!   data reaches; loss axes are not widened below zero. Non-finite values are left out: a line
//!   breaks there. The epoch axis has [`X_MARGIN`] of the epochs (at least half an epoch) on
//!   each side, so markers at the first and last epoch are whole.
//! - Text needs a TrueType font, which plotters' `ab_glyph` feature does not look for itself.
//!   [`font`] loads one at run time from the usual system places, once per process, and
//!   registers it for the `sans-serif` family. No C font library (fontconfig, freetype) is
//!   linked. Without a usable font the plots are still drawn, without any text (grid, frame and
//!   lines only), and stderr says so once.
//! - Inputs are checked once at the top of each public function; a bad input is an error that
//!   names it, never a panic.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, Result, ensure};
use plotters::coord::Shift;
use plotters::coord::cartesian::Cartesian2d;
use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

/// Width and height of every plot, in pixels.
const SIZE: (u32, u32) = (1000, 500);
/// Fraction of the data's span added below and above it on the y axis.
const Y_MARGIN: f64 = 0.08;
/// Further fraction of the data's span added above it for the legend: three legend rows take
/// about a fifth of the plotting area's height.
const LEGEND_HEADROOM: f64 = 0.25;
/// Fraction of the epoch count added left and right of the training curves (at least 0.5).
const X_MARGIN: f64 = 0.02;
/// What the y margins are fractions of for a series that is flat at zero (otherwise the span,
/// or for a flat series its value).
const FLAT_SCALE: f64 = 1.0;
/// Most x tick labels; at most one per epoch on the training curves, so they stay integers.
const MAX_X_LABELS: usize = 10;
/// Most y tick labels.
const MAX_Y_LABELS: usize = 8;
/// Training curves get a marker on every epoch when there are at most this many.
const MARKED_EPOCHS: usize = 40;

/// The font family everything is written in (also plotters' default for tick labels).
const FAMILY: &str = "sans-serif";
const TITLE_PX: u32 = 24;
const DESC_PX: u32 = 16;
const LABEL_PX: u32 = 14;
const LEGEND_PX: u32 = 14;
/// Space around the chart, and for the tick labels plus axis description below and left of it.
const MARGIN_PX: u32 = 16;
const X_LABEL_AREA_PX: u32 = 50;
const Y_LABEL_AREA_PX: u32 = 70;
const LINE_PX: u32 = 2;
const POINT_PX: u32 = 3;
const BEST_MARK_PX: i32 = 7;
/// Dash length and gap of dashed lines, in pixels.
const DASH_PX: (u32, u32) = (8, 5);

// Matplotlib's "tab10" blue, orange and green, and a near-black: distinct, also in greyscale.
const BLUE: RGBColor = RGBColor(31, 119, 180);
const ORANGE: RGBColor = RGBColor(255, 127, 14);
const GREEN: RGBColor = RGBColor(44, 160, 44);
const INK: RGBColor = RGBColor(25, 25, 25);

/// A confusion matrix: one square per (true, predicted) class pair, shaded by the share of the
/// true class's sequences it holds (white 0, blue 1), with the count written in it. Rows are
/// true classes (top to bottom), columns predicted classes (left to right).
pub fn confusion(
    path: &Path,
    title: &str,
    classes: &[String],
    counts: &[Vec<usize>],
) -> Result<()> {
    let k = classes.len();
    ensure!(k > 0, "no classes to plot");
    ensure!(
        counts.len() == k && counts.iter().all(|r| r.len() == k),
        "the confusion matrix is not {k} x {k}"
    );
    let text = font().is_some();
    draw_confusion(path, title, classes, counts, text)
        .with_context(|| format!("drawing {}", path.display()))
}

fn draw_confusion(
    path: &Path,
    title: &str,
    classes: &[String],
    counts: &[Vec<usize>],
    text: bool,
) -> Result<()> {
    let k = classes.len();
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let kf = k as f64;
    let mut chart = chart(&root, text, title, 0.0..kf, 0.0..kf)?;
    let name = |v: &f64| {
        let i = v.floor() as usize;
        if (v - v.floor() - 0.5).abs() < 1e-9 && i < k {
            classes[i].clone()
        } else {
            String::new()
        }
    };
    let y_name = |v: &f64| name(&(kf - v));
    let mut mesh = chart.configure_mesh();
    mesh.disable_mesh()
        .x_labels(2 * k + 1)
        .y_labels(2 * k + 1)
        .x_label_formatter(&name)
        .y_label_formatter(&y_name);
    if text {
        mesh.x_desc("predicted class")
            .y_desc("true class")
            .label_style((FAMILY, LABEL_PX))
            .axis_desc_style((FAMILY, DESC_PX));
    } else {
        mesh.disable_x_axis().disable_y_axis();
    }
    mesh.draw()?;
    for (t, row) in counts.iter().enumerate() {
        let total = row.iter().sum::<usize>().max(1) as f64;
        for (p, &n) in row.iter().enumerate() {
            let share = n as f64 / total;
            let mix = |c: u8| (255.0 - share * (255.0 - f64::from(c))).round() as u8;
            let fill = RGBColor(mix(BLUE.0), mix(BLUE.1), mix(BLUE.2));
            let (x, y) = (p as f64, kf - 1.0 - t as f64);
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x, y), (x + 1.0, y + 1.0)],
                fill.filled(),
            )))?;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x, y), (x + 1.0, y + 1.0)],
                INK.stroke_width(1),
            )))?;
            if text {
                let ink = if share > 0.5 { WHITE } else { INK };
                chart.draw_series(std::iter::once(Text::new(
                    n.to_string(),
                    (x + 0.45, y + 0.55),
                    (FAMILY, TITLE_PX).into_font().color(&ink),
                )))?;
            }
        }
    }
    root.present()?;
    Ok(())
}

/// Training curves: train loss and validation loss per epoch (1-based x axis), best epoch marked.
///
/// `train_loss[i]` and `val_loss[i]` belong to epoch `i + 1`; `best_epoch` is 1-based (as in
/// `History::best_epoch`). `loss_name` (e.g. "MAE") names the y axis.
pub fn curves(
    path: &Path,
    train_loss: &[f64],
    val_loss: &[f64],
    best_epoch: usize,
    loss_name: &str,
) -> Result<()> {
    let n = train_loss.len();
    ensure!(n > 0, "no epochs to plot");
    ensure!(
        val_loss.len() == n,
        "{n} training losses but {} validation losses",
        val_loss.len()
    );
    ensure!(
        (1..=n).contains(&best_epoch),
        "best epoch {best_epoch} is outside the epochs run (1..={n})"
    );
    draw_curves(
        path,
        train_loss,
        val_loss,
        best_epoch,
        loss_name,
        font().is_some(),
    )
    .with_context(|| format!("drawing {}", path.display()))
}

/// A stretch of the test period: actual target, model forecast and persistence forecast over time.
/// `times` are x positions in `time_unit` (e.g. hours since the start of the stretch), all
/// slices the same length.
///
/// `unit` (e.g. "°C") names the y axis.
#[allow(clippy::too_many_arguments)]
pub fn forecast(
    path: &Path,
    title: &str,
    unit: &str,
    times: &[f64],
    time_unit: &str,
    actual: &[f64],
    model: &[f64],
    persistence: &[f64],
) -> Result<()> {
    let n = times.len();
    ensure!(n > 0, "no samples to plot");
    for (name, s) in [
        ("actual", actual),
        ("model", model),
        ("persistence", persistence),
    ] {
        ensure!(s.len() == n, "{n} times but {} {name} values", s.len());
    }
    let series = Forecast {
        title,
        unit,
        times,
        time_unit,
        actual,
        model,
        persistence,
    };
    draw_forecast(path, &series, font().is_some())
        .with_context(|| format!("drawing {}", path.display()))
}

/// The checked inputs of [`forecast`].
struct Forecast<'s> {
    title: &'s str,
    unit: &'s str,
    times: &'s [f64],
    time_unit: &'s str,
    actual: &'s [f64],
    model: &'s [f64],
    persistence: &'s [f64],
}

type Chart<'a, 'p> =
    ChartContext<'a, BitMapBackend<'p>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// [`curves`] after its checks; `text` is false when no font could be loaded.
fn draw_curves(
    path: &Path,
    train_loss: &[f64],
    val_loss: &[f64],
    best_epoch: usize,
    loss_name: &str,
    text: bool,
) -> Result<()> {
    let n = train_loss.len();
    let epochs: Vec<f64> = (1..=n).map(|e| e as f64).collect();
    let x_pad = (n as f64 * X_MARGIN).max(0.5);
    let x = 1.0 - x_pad..n as f64 + x_pad;
    let y = padded(train_loss.iter().chain(val_loss).copied(), true);
    let (y_lo, y_hi) = (y.start, y.end);

    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = chart(&root, text, "Training curves", x, y)?;
    let epoch_label = |v: &f64| format!("{v:.0}");
    let y_desc = format!("{loss_name} loss");
    let axes = Axes {
        x_desc: "epoch",
        y_desc: &y_desc,
        x_labels: n.min(MAX_X_LABELS),
    };
    mesh(&mut chart, text, &axes, Some(&epoch_label))?;

    let points = if n <= MARKED_EPOCHS { POINT_PX } else { 0 };
    line(
        &mut chart,
        &epochs,
        train_loss,
        BLUE,
        Dash::Solid,
        points,
        "train loss",
    )?;
    line(
        &mut chart,
        &epochs,
        val_loss,
        ORANGE,
        Dash::Solid,
        points,
        "validation loss",
    )?;

    let best = best_epoch as f64;
    let best_val = val_loss[best_epoch - 1];
    let best_label = format!("best epoch {best_epoch} (validation {best_val:.4})");
    line(
        &mut chart,
        &[best, best],
        &[y_lo, y_hi],
        GREEN,
        Dash::Dashed,
        0,
        &best_label,
    )?;
    if best_val.is_finite() {
        chart.draw_series(std::iter::once(Circle::new(
            (best, best_val),
            BEST_MARK_PX,
            GREEN.stroke_width(LINE_PX),
        )))?;
    }

    legend(&mut chart, text, SeriesLabelPosition::UpperRight)?;
    root.present()?;
    Ok(())
}

/// [`forecast`] after its checks; `text` is false when no font could be loaded.
fn draw_forecast(path: &Path, f: &Forecast<'_>, text: bool) -> Result<()> {
    let x = span(f.times.iter().copied());
    let values = f.actual.iter().chain(f.model).chain(f.persistence);
    let y = padded(values.copied(), false);

    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = chart(&root, text, f.title, x, y)?;
    let y_desc = if f.unit.is_empty() { "value" } else { f.unit };
    let axes = Axes {
        x_desc: &format!("time ({})", f.time_unit),
        y_desc,
        x_labels: MAX_X_LABELS,
    };
    mesh(&mut chart, text, &axes, Some(&hour_label))?;

    line(&mut chart, f.times, f.actual, INK, Dash::Solid, 0, "actual")?;
    line(
        &mut chart,
        f.times,
        f.persistence,
        ORANGE,
        Dash::Dashed,
        0,
        "persistence",
    )?;
    line(&mut chart, f.times, f.model, BLUE, Dash::Solid, 0, "model")?;

    legend(&mut chart, text, SeriesLabelPosition::UpperRight)?;
    root.present()?;
    Ok(())
}

/// The chart on `root`: title and room for tick labels only when there is `text`.
fn chart<'a, 'p>(
    root: &'a DrawingArea<BitMapBackend<'p>, Shift>,
    text: bool,
    title: &str,
    x: Range<f64>,
    y: Range<f64>,
) -> Result<Chart<'a, 'p>> {
    let mut builder = ChartBuilder::on(root);
    builder.margin(MARGIN_PX);
    if text {
        builder
            .caption(title, (FAMILY, TITLE_PX))
            .x_label_area_size(X_LABEL_AREA_PX)
            .y_label_area_size(Y_LABEL_AREA_PX);
    }
    Ok(builder.build_cartesian_2d(x, y)?)
}

/// What the mesh writes beside the axes.
struct Axes<'s> {
    x_desc: &'s str,
    y_desc: &'s str,
    x_labels: usize,
}

/// Grid, axes and tick labels; without `text` only the grid and a frame (plotters' axes come with
/// labels, and any label needs the font).
fn mesh(
    chart: &mut Chart<'_, '_>,
    text: bool,
    axes: &Axes<'_>,
    x_format: Option<&dyn Fn(&f64) -> String>,
) -> Result<()> {
    let mut mesh = chart.configure_mesh();
    mesh.x_labels(axes.x_labels).y_labels(MAX_Y_LABELS);
    if text {
        mesh.x_desc(axes.x_desc)
            .y_desc(axes.y_desc)
            .label_style((FAMILY, LABEL_PX))
            .axis_desc_style((FAMILY, DESC_PX));
        if let Some(format) = x_format {
            mesh.x_label_formatter(format);
        }
    } else {
        mesh.disable_x_axis().disable_y_axis();
    }
    mesh.draw()?;
    if !text {
        let (x, y) = (chart.x_range(), chart.y_range());
        let frame = [(x.start, y.start), (x.end, y.end)];
        chart.draw_series(std::iter::once(Rectangle::new(frame, INK.stroke_width(1))))?;
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq)]
enum Dash {
    Solid,
    Dashed,
}

/// One labelled series; broken where `x` or `y` is not finite. `points` is the marker radius
/// (0: none).
fn line(
    chart: &mut Chart<'_, '_>,
    xs: &[f64],
    ys: &[f64],
    color: RGBColor,
    dash: Dash,
    points: u32,
    label: &str,
) -> Result<()> {
    let style = color.stroke_width(LINE_PX);
    let (dash_px, gap_px) = DASH_PX;
    // An empty series carries the legend entry, so the entry is there even if no point is finite.
    let anno = chart.draw_series(LineSeries::new(std::iter::empty::<(f64, f64)>(), style))?;
    anno.label(label);
    match dash {
        Dash::Solid => {
            anno.legend(move |(x, y)| PathElement::new([(x, y), (x + 24, y)], style));
        }
        Dash::Dashed => {
            anno.legend(move |(x, y)| {
                DashedPathElement::new([(x, y), (x + 24, y)], dash_px, gap_px, style)
            });
        }
    }
    for run in finite_runs(xs, ys) {
        match dash {
            Dash::Solid => {
                chart.draw_series(LineSeries::new(run, style).point_size(points))?;
            }
            Dash::Dashed => {
                chart.draw_series(DashedLineSeries::new(run, dash_px, gap_px, style))?;
            }
        }
    }
    Ok(())
}

/// The legend, when there is text to write it with.
fn legend<'a, 'p: 'a>(
    chart: &mut Chart<'a, 'p>,
    text: bool,
    position: SeriesLabelPosition,
) -> Result<()> {
    if text {
        chart
            .configure_series_labels()
            .position(position)
            .label_font((FAMILY, LEGEND_PX))
            .background_style(WHITE.mix(0.85))
            .border_style(INK.mix(0.5))
            .draw()?;
    }
    Ok(())
}

/// An hour tick: no trailing zeros ("24", "1.5").
fn hour_label(v: &f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Maximal runs of consecutive points whose coordinates are both finite.
fn finite_runs(xs: &[f64], ys: &[f64]) -> Vec<Vec<(f64, f64)>> {
    let mut runs = vec![Vec::new()];
    for (&x, &y) in xs.iter().zip(ys) {
        if x.is_finite() && y.is_finite() {
            if let Some(run) = runs.last_mut() {
                run.push((x, y));
            }
        } else if runs.last().is_some_and(|r| !r.is_empty()) {
            runs.push(Vec::new());
        }
    }
    runs.retain(|r| !r.is_empty());
    runs
}

/// Smallest to largest finite value, or `0..1` if there is none; a single value gets ±0.5.
fn span(values: impl Iterator<Item = f64>) -> Range<f64> {
    match finite_min_max(values) {
        None => 0.0..1.0,
        Some((lo, hi)) if lo == hi => lo - 0.5..hi + 0.5,
        Some((lo, hi)) => lo..hi,
    }
}

/// [`span`] widened by [`Y_MARGIN`] of the span below and [`Y_MARGIN`] + [`LEGEND_HEADROOM`]
/// above (of the value, for a flat series); with `floor_at_zero`, not below zero when no value is.
fn padded(values: impl Iterator<Item = f64>, floor_at_zero: bool) -> Range<f64> {
    let Some((lo, hi)) = finite_min_max(values) else {
        return 0.0..1.0;
    };
    let scale = if hi > lo {
        hi - lo
    } else if hi != 0.0 {
        hi.abs()
    } else {
        FLAT_SCALE
    };
    let below = lo - scale * Y_MARGIN;
    let bottom = if floor_at_zero && lo >= 0.0 {
        below.max(0.0)
    } else {
        below
    };
    bottom..hi + scale * (Y_MARGIN + LEGEND_HEADROOM)
}

fn finite_min_max(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((v.min(lo), v.max(hi))),
        })
}

/// Where fonts are usually installed, tried in order before any other `.ttf` is looked for.
const FONT_FILES: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", // Debian, Ubuntu: fonts-dejavu-core
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf", // Fedora
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",          // older Fedora, Alpine
    "/usr/share/fonts/TTF/DejaVuSans.ttf",             // Arch
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf", // Debian: fonts-liberation
    "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf", // Fedora
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf", // Debian: fonts-noto-core
    "/usr/share/fonts/noto/NotoSans-Regular.ttf",      // Arch
    "/usr/share/fonts/truetype/freefont/FreeSans.ttf", // Debian: fonts-freefont-ttf
    "/System/Library/Fonts/Supplemental/Arial.ttf",    // macOS
    "/Library/Fonts/Arial.ttf",                        // macOS, older
    "C:\\Windows\\Fonts\\arial.ttf",                   // Windows
];
/// Folders searched for any `.ttf` when none of [`FONT_FILES`] loads.
const FONT_DIRS: &[&str] = &["/usr/share/fonts", "/usr/local/share/fonts"];
/// How deep below a [`FONT_DIRS`] folder the search goes (it also keeps symlink loops finite).
const FONT_DIR_DEPTH: usize = 4;
/// Most files found by the search that are tried.
const FONT_SEARCH_TRIES: usize = 8;
/// Bigger files are skipped: the bytes of the font used stay in memory for the whole run.
const FONT_MAX_BYTES: u64 = 32 << 20;
/// File name parts of fonts that are not a plain regular face; such fonts are tried last.
const FONT_STYLED: &[&str] = &[
    "bold",
    "italic",
    "oblique",
    "light",
    "thin",
    "mono",
    "condensed",
    "black",
    "medium",
    "semi",
    "extra",
    "narrow",
];

/// The font file registered with plotters for [`FAMILY`], looked for once per process: `None`
/// (said once on stderr) when no usable TrueType file was found, and plots are drawn without text.
fn font() -> Option<&'static Path> {
    static FONT: OnceLock<Option<PathBuf>> = OnceLock::new();
    FONT.get_or_init(|| {
        let found = find_font();
        if found.is_none() {
            eprintln!(
                "nowcast: no TrueType font found (DejaVu Sans and other usual files, any .ttf \
                 under {}); plots are drawn without text. Install one, e.g. Debian's \
                 fonts-dejavu-core, for titles, labels and legends.",
                FONT_DIRS.join(", ")
            );
        }
        found
    })
    .as_deref()
}

fn find_font() -> Option<PathBuf> {
    if let Some(p) = FONT_FILES.iter().map(PathBuf::from).find(|p| register(p)) {
        return Some(p);
    }
    let mut found = Vec::new();
    for dir in FONT_DIRS {
        collect_ttf(Path::new(dir), FONT_DIR_DEPTH, &mut found);
    }
    found.sort_by_cached_key(|p| (font_rank(p), p.clone()));
    found
        .into_iter()
        .take(FONT_SEARCH_TRIES)
        .find(|p| register(p))
}

/// Reads `path` and registers it as [`FAMILY`]; false if it is no loadable TrueType/OpenType font.
fn register(path: &Path) -> bool {
    let small = std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() <= FONT_MAX_BYTES);
    let Some(bytes) = small.then(|| std::fs::read(path).ok()).flatten() else {
        return false;
    };
    // sfnt versions: TrueType outlines, Apple TrueType, CFF outlines. Checked before the bytes
    // are leaked, so a stray file costs nothing.
    if !matches!(bytes.get(..4), Some([0, 1, 0, 0] | b"true" | b"OTTO")) {
        return false;
    }
    // plotters keeps a registered font for the rest of the process and wants `'static` bytes;
    // this happens at most once per process when the font is good (see `font`).
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    register_font(FAMILY, FontStyle::Normal, bytes).is_ok()
}

/// Every `*.ttf` below `dir`, at most `depth` folders down.
fn collect_ttf(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for path in entries.flatten().map(|e| e.path()) {
        if path.is_dir() {
            if depth > 0 {
                collect_ttf(&path, depth - 1, out);
            }
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("ttf"))
        {
            out.push(path);
        }
    }
}

/// Lower is tried first: regular faces before styled ones, sans-serif before others.
fn font_rank(path: &Path) -> (bool, bool) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    (
        FONT_STYLED.iter().any(|s| name.contains(s)),
        !name.contains("sans"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";
    /// A drawn 1000×500 plot compresses to well above this; an empty or broken file does not.
    const MIN_PNG_BYTES: usize = 4 << 10;

    /// A fresh folder for one test's files.
    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("nowcast-plot-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// The file is a PNG of [`SIZE`] with some content.
    fn assert_png(path: &Path) {
        let bytes = std::fs::read(path).unwrap();
        assert!(
            bytes.starts_with(PNG_MAGIC),
            "{} is not a PNG",
            path.display()
        );
        assert!(
            bytes.len() > MIN_PNG_BYTES,
            "{} has only {} bytes",
            path.display(),
            bytes.len()
        );
        // IHDR is the first chunk: width and height big-endian at bytes 16..24.
        let dim = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
        assert_eq!((dim(16), dim(20)), SIZE, "{}", path.display());
    }

    #[test]
    fn curves_write_a_png() {
        let dir = temp_dir("curves");
        let train: Vec<f64> = (0..20)
            .map(|e| 0.2 + 0.8 * (-0.3 * e as f64).exp())
            .collect();
        let val: Vec<f64> = (0..20)
            .map(|e| 0.3 + 0.7 * (-0.35 * e as f64).exp() + 0.004 * e as f64)
            .collect();
        let path = dir.join("curves.png");
        curves(&path, &train, &val, 12, "MAE").unwrap();
        assert_png(&path);
        // The no-font path draws no text at all, whatever is installed.
        let bare = dir.join("curves-no-text.png");
        draw_curves(&bare, &train, &val, 12, "MAE", false).unwrap();
        assert_png(&bare);

        assert!(curves(&path, &train, &val[1..], 12, "MAE").is_err());
        assert!(curves(&path, &train, &val, 0, "MAE").is_err());
        assert!(curves(&path, &train, &val, 21, "MAE").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn forecast_writes_a_png() {
        let dir = temp_dir("forecast");
        let hours: Vec<f64> = (0..168).map(f64::from).collect();
        let actual: Vec<f64> = hours
            .iter()
            .map(|h| 12.0 + 6.0 * (h * std::f64::consts::TAU / 24.0).sin() + 0.02 * h)
            .collect();
        let persistence: Vec<f64> = std::iter::once(actual[0])
            .chain(actual[..actual.len() - 1].iter().copied())
            .collect();
        let model: Vec<f64> = actual
            .iter()
            .zip(&hours)
            .map(|(a, h)| a + 0.6 * (h * 0.7).cos())
            .collect();
        let path = dir.join("forecast.png");
        forecast(
            &path,
            "Test week: temperature, 1 h ahead",
            "°C",
            &hours,
            "hours",
            &actual,
            &model,
            &persistence,
        )
        .unwrap();
        assert_png(&path);
        let bare = dir.join("forecast-no-text.png");
        let f = Forecast {
            title: "",
            unit: "",
            times: &hours,
            time_unit: "hours",
            actual: &actual,
            model: &model,
            persistence: &persistence,
        };
        draw_forecast(&bare, &f, false).unwrap();
        assert_png(&bare);

        let short = &model[1..];
        assert!(forecast(&path, "", "", &hours, "h", &actual, short, &persistence).is_err());
        assert!(forecast(&path, "", "", &[], "h", &[], &[], &[]).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

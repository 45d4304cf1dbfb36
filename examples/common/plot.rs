//! One SVG line plot per experiment, under `target/experiments/`.

use std::path::PathBuf;

use plotters::prelude::*;

use super::Result;

/// One named curve: `(x, y)` points in order of `x`.
pub struct Series {
    /// The legend's text.
    pub name: String,
    /// The points; non-finite `y`s (a diverged run) are left out.
    pub points: Vec<(f64, f64)>,
}

impl Series {
    /// A curve of `values` against 1, 2, 3, ... (epochs or steps).
    pub fn numbered<V: Into<f64> + Copy>(name: impl Into<String>, values: &[V]) -> Self {
        let points = values
            .iter()
            .enumerate()
            .map(|(i, &v)| ((i + 1) as f64, v.into()))
            .collect();
        Series {
            name: name.into(),
            points,
        }
    }
}

/// The axes' titles, and whether `y` spans orders of magnitude (then `log10 y` is drawn).
pub struct Axes<'a> {
    /// The horizontal axis.
    pub x: &'a str,
    /// The vertical axis.
    pub y: &'a str,
    /// Draw `log10 y`, for values from 1e-6 to 1 in one plot.
    pub log_y: bool,
}

/// Distinct colours for up to six curves, then round again.
const COLOURS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// Writes `target/experiments/<name>.svg` and returns its path.
pub fn plot(name: &str, title: &str, axes: Axes, series: &[Series]) -> Result<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/experiments");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{name}.svg"));
    let series: Vec<(&str, Vec<(f64, f64)>)> = series
        .iter()
        .map(|s| (s.name.as_str(), drawable(&s.points, axes.log_y)))
        .collect();
    let (x, y) = bounds(series.iter().flat_map(|(_, p)| p));
    let y_title = if axes.log_y {
        format!("log10 {}", axes.y)
    } else {
        axes.y.to_string()
    };

    draw(&path, title, axes.x, &y_title, (x, y), series)?;
    Ok(path)
}

/// The drawing itself, on a backend that borrows the path until it is dropped.
fn draw(
    path: &std::path::Path,
    title: &str,
    x_title: &str,
    y_title: &str,
    (x, y): ((f64, f64), (f64, f64)),
    series: Vec<(&str, Vec<(f64, f64)>)>,
) -> Result<()> {
    let root = SVGBackend::new(path, (800, 500)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(x.0..x.1, y.0..y.1)?;
    chart
        .configure_mesh()
        .x_desc(x_title)
        .y_desc(y_title)
        .draw()?;
    for (i, (name, points)) in series.into_iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        chart
            .draw_series(LineSeries::new(points, colour.stroke_width(2)))?
            .label(name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

/// The finite points, with `y` as `log10 y` if asked (non-positive values left out).
fn drawable(points: &[(f64, f64)], log_y: bool) -> Vec<(f64, f64)> {
    points
        .iter()
        .map(|&(x, y)| (x, if log_y { y.log10() } else { y }))
        .filter(|(_, y)| y.is_finite())
        .collect()
}

/// The smallest box around the points, with some room above and below.
fn bounds<'a>(points: impl Iterator<Item = &'a (f64, f64)>) -> ((f64, f64), (f64, f64)) {
    let mut b = ((f64::MAX, f64::MIN), (f64::MAX, f64::MIN));
    for &(x, y) in points {
        b = (
            (b.0 .0.min(x), b.0 .1.max(x)),
            (b.1 .0.min(y), b.1 .1.max(y)),
        );
    }
    if b.0 .0 > b.0 .1 {
        return ((0.0, 1.0), (0.0, 1.0));
    }
    let pad = ((b.1 .1 - b.1 .0) * 0.05).max(1e-9);
    (
        (b.0 .0, b.0 .1.max(b.0 .0 + 1.0)),
        (b.1 .0 - pad, b.1 .1 + pad),
    )
}

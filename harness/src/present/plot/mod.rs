//! SVG charts of a result file: throughput against threads, ns/op with its min–max
//! spread, latency percentiles from the stored histograms, and retained driver data over
//! time under a stalled reader. SVG because it needs no system fonts or libraries and
//! renders in a browser and on a Git host; every chart names its machine and date, so a
//! chart copied out of its directory still says where it came from.

use crate::fs::decode_hist;
use crate::present::numbers::{num, si};
use crate::present::plural;
use crate::result::{Cell, ResultFile, RoleSummary};
use crate::run::machine::sanitise;
use hdrhistogram::Histogram;
use plotters::coord::ranged1d::SegmentedCoord;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::{RangedCoordf64, RangedCoordusize};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use rayon::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};

const SIZE: (u32, u32) = (960, 600);
const FONT: &str = "sans-serif";
/// Tableau 10: distinguishable, and an implementation keeps its colour in every chart.
const COLOURS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];
/// The workload whose retained driver data is plotted over time.
const STALL: &str = "stall";
/// Where a zero lands on a log axis of object counts: below 1, at the bottom edge.
const ZERO_COUNT: f64 = 0.5;

/// A chart that was written.
pub struct Chart {
    pub workload: String,
    /// What it shows, e.g. `latency percentiles, 2 threads`.
    pub what: String,
    pub path: PathBuf,
}

/// `<dir>/<stem>-plots/` beside the result file `<dir>/<stem>.json`.
pub fn default_dir(result: &Path) -> PathBuf {
    let stem = result
        .file_stem()
        .map_or("results".into(), |s| s.to_string_lossy().into_owned());
    result.with_file_name(format!("{stem}-plots"))
}

/// Writes every chart of `file` (read from `source`) into `dir`, creating it; the
/// charts are drawn in parallel and returned in a fixed order.
pub fn write(file: &ResultFile, source: &Path, dir: &Path) -> Result<Vec<Chart>, String> {
    fs::create_dir_all(dir).map_err(|e| format!("cannot write {}: {e}", dir.display()))?;
    let written: Vec<Result<Chart, String>> = specs(file)
        .par_iter()
        .map(|spec| {
            let svg = draw(file, spec).map_err(|e| format!("{}: {e}", source.display()))?;
            let path = dir.join(&spec.name);
            fs::write(&path, svg).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Ok(Chart {
                workload: spec.workload.clone(),
                what: spec.what.clone(),
                path,
            })
        })
        .collect();
    written.into_iter().collect()
}

enum Kind {
    /// Primary-role ops/s against thread count, a line per implementation.
    Throughput,
    /// ns/op per implementation at one thread count, with min–max bars.
    NsPerOp(usize),
    /// Latency against percentile at one thread count, a curve per implementation.
    Latency(usize),
    /// Retained objects over the window at one thread count, a line per implementation.
    Retained(usize),
}

struct Spec {
    workload: String,
    kind: Kind,
    /// File name in the plot directory.
    name: String,
    what: String,
}

impl Spec {
    fn title(&self) -> String {
        format!("{}: {}", self.workload, self.what)
    }
}

/// The charts a file has data for: per workload, throughput, then per thread count
/// ns/op, latency and (for `stall`) retained data.
fn specs(file: &ResultFile) -> Vec<Spec> {
    let mut specs = Vec::new();
    for workload in workloads(file) {
        let w = sanitise(&workload);
        let ran = |c: &&Cell| c.workload == workload && primary(c).is_some();
        if file.cells.iter().any(|c| ran(&c)) {
            specs.push(Spec {
                workload: workload.clone(),
                kind: Kind::Throughput,
                name: format!("throughput-{w}.svg"),
                what: "throughput against threads".into(),
            });
        }
        for threads in thread_counts(file, &workload) {
            let cells: Vec<&Cell> = file
                .cells
                .iter()
                .filter(|c| ran(c) && c.threads == threads)
                .collect();
            if cells.is_empty() {
                continue;
            }
            let mut add = |kind, name: &str, what: &str| {
                specs.push(Spec {
                    workload: workload.clone(),
                    kind,
                    name: format!("{name}-{w}-{threads}t.svg"),
                    what: format!("{what}, {threads} thread{}", plural(threads)),
                })
            };
            add(
                Kind::NsPerOp(threads),
                "ns-per-op",
                "ns/op per implementation",
            );
            if cells.iter().any(|c| latencies(c).next().is_some()) {
                add(Kind::Latency(threads), "latency", "latency percentiles");
            }
            let series = |c: &&Cell| c.reps.iter().any(|r| !r.retained_series.is_empty());
            if workload == STALL && cells.iter().any(series) {
                add(
                    Kind::Retained(threads),
                    "retained",
                    "retained driver data over time",
                );
            }
        }
    }
    specs
}

/// Workloads in the order the file has them.
fn workloads(file: &ResultFile) -> Vec<String> {
    let mut workloads: Vec<String> = Vec::new();
    for c in &file.cells {
        if !workloads.contains(&c.workload) {
            workloads.push(c.workload.clone());
        }
    }
    workloads
}

fn thread_counts(file: &ResultFile, workload: &str) -> Vec<usize> {
    let mut threads: Vec<usize> = file
        .cells
        .iter()
        .filter(|c| c.workload == workload)
        .map(|c| c.threads)
        .collect();
    threads.sort_unstable();
    threads.dedup();
    threads
}

fn primary(cell: &Cell) -> Option<&RoleSummary> {
    cell.summary.as_ref()?.primary()
}

/// The primary role's encoded latency histogram of each repetition.
fn latencies(cell: &Cell) -> impl Iterator<Item = &String> {
    cell.reps
        .iter()
        .filter_map(|r| r.roles.iter().find(|role| role.primary)?.latency.as_ref())
}

/// Implementations in the file's configured order (then any others), each with the
/// colour it has in every chart of the file.
fn implementations(file: &ResultFile) -> Vec<(&str, RGBColor)> {
    let mut names: Vec<&str> = file
        .config
        .implementations
        .iter()
        .map(String::as_str)
        .collect();
    for c in &file.cells {
        if !names.contains(&c.implementation.as_str()) {
            names.push(&c.implementation);
        }
    }
    names
        .into_iter()
        .enumerate()
        .map(|(i, n)| (n, COLOURS[i % COLOURS.len()]))
        .collect()
}

/// The cells of a workload (at one thread count, or all) that have figures, in
/// implementation order, with their colours.
fn group<'a>(
    file: &'a ResultFile,
    workload: &str,
    threads: Option<usize>,
) -> Vec<(&'a Cell, RGBColor)> {
    let mut cells = Vec::new();
    for (name, colour) in implementations(file) {
        for c in &file.cells {
            let wanted = c.implementation == name
                && c.workload == workload
                && threads.is_none_or(|t| c.threads == t);
            if wanted && primary(c).is_some() {
                cells.push((c, colour));
            }
        }
    }
    cells
}

fn drawing<E: std::fmt::Display>(e: E) -> String {
    format!("drawing a chart: {e}")
}

fn draw(file: &ResultFile, spec: &Spec) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        let area = root
            .titled(&spec.title(), (FONT, 24))
            .map_err(drawing)?
            .titled(
                &format!("{} · {}", file.machine.name, file.created),
                (FONT, 17).into_font().color(&RGBColor(90, 90, 90)),
            )
            .map_err(drawing)?;
        let w = spec.workload.as_str();
        match spec.kind {
            Kind::Throughput => throughput(file, w, &area)?,
            Kind::NsPerOp(t) => ns_per_op(file, w, t, &area)?,
            Kind::Latency(t) => latency(file, w, t, &area)?,
            Kind::Retained(t) => retained(file, w, t, &area)?,
        }
        root.present().map_err(drawing)?;
    }
    Ok(svg)
}

/// A log axis with ticks at 1, 2 and 5 × 10^k (fewer where they would crowd) and light
/// grid lines at every other mantissa. plotters' own log axis labels either only powers
/// of ten or every mantissa, and then each power of ten twice.
struct LogAxis {
    lo: f64,
    hi: f64,
}

impl LogAxis {
    /// Around `values`, with room above and below, spanning at least a factor of 5 so
    /// there are always two ticks.
    fn around(values: impl Iterator<Item = f64>) -> LogAxis {
        let (lo, hi) = values
            .filter(|v| *v > 0.0 && v.is_finite())
            .fold((f64::INFINITY, 0.0_f64), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        if hi == 0.0 {
            return LogAxis { lo: 1.0, hi: 10.0 };
        }
        let (lo, hi) = (lo / 1.5, hi * 1.5);
        let widen = (5.0 / (hi / lo)).max(1.0).sqrt();
        LogAxis {
            lo: lo / widen,
            hi: hi * widen,
        }
    }

    /// `mantissa × 10^k` within the axis, ascending.
    fn ticks(&self, mantissas: &[f64], decade_step: i32) -> Vec<f64> {
        let first = self.lo.log10().floor() as i32;
        let last = self.hi.log10().ceil() as i32;
        let within = |v: &f64| *v >= self.lo * (1.0 - 1e-9) && *v <= self.hi * (1.0 + 1e-9);
        (first..=last)
            .filter(|k| k.rem_euclid(decade_step) == 0)
            .flat_map(|k| mantissas.iter().map(move |m| m * 10f64.powi(k)))
            .filter(within)
            .collect()
    }
}

impl Ranged for LogAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let (lo, hi) = (self.lo.log10(), self.hi.log10());
        let at = (value.max(f64::MIN_POSITIVE).log10() - lo) / (hi - lo);
        limit.0 + (at * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        let max = hint.max_num_points();
        let light: &[f64] = &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0];
        if hint.weight().allow_light_points() && hint.bold_points() < max {
            let ticks = self.ticks(light, 1);
            if ticks.len() <= max {
                return ticks;
            }
        }
        for mantissas in [&[1.0, 2.0, 5.0][..], &[1.0][..]] {
            let ticks = self.ticks(mantissas, 1);
            if ticks.len() <= max {
                return ticks;
            }
        }
        let decades = (self.hi / self.lo).log10().ceil() as usize;
        let step = decades.div_ceil(max.max(1)).max(1);
        self.ticks(&[1.0], step as i32)
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// `n` categories: plotters' integer ranges include their end.
fn categories(n: usize) -> SegmentedCoord<RangedCoordusize> {
    (0..n.saturating_sub(1)).into_segmented()
}

/// An axis tick: [`si`] without trailing zeros (`10k`, `2.5`, `300`).
fn tick(v: &f64) -> String {
    let text = si(*v);
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let number = if number.contains('.') {
        number.trim_end_matches('0').trim_end_matches('.')
    } else {
        number
    };
    format!("{number}{suffix}")
}

/// The label of a category axis position.
fn category(labels: &[String]) -> impl Fn(&SegmentValue<usize>) -> String + '_ {
    |v| match v {
        SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
            labels.get(*i).cloned().unwrap_or_default()
        }
        SegmentValue::Last => String::new(),
    }
}

/// A chart area with room for axis labels.
fn builder<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(16)
        .x_label_area_size(56)
        .y_label_area_size(88);
    builder
}

/// The legend, placed where the chart's lines are least likely to be.
fn legend<'a, DB: DrawingBackend + 'a, X: Ranged, Y: Ranged>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    position: SeriesLabelPosition,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font((FONT, 16))
        .position(position)
        .draw()
        .map_err(drawing)
}

/// A legend entry: a short line in the series' colour.
fn key(colour: RGBColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(2))
}

fn throughput<DB: DrawingBackend>(
    file: &ResultFile,
    workload: &str,
    area: &DrawingArea<DB, Shift>,
) -> Result<(), String> {
    let threads = thread_counts(file, workload);
    let cells = group(file, workload, None);
    let ops = |c: &Cell| primary(c).map_or(0.0, |p| p.ops_per_sec.median);
    let labels: Vec<String> = threads.iter().map(usize::to_string).collect();
    let mut chart = builder(area)
        .build_cartesian_2d(
            categories(threads.len()),
            LogAxis::around(cells.iter().map(|(c, _)| ops(c))),
        )
        .map_err(drawing)?;
    chart
        .configure_mesh()
        .x_desc("threads")
        .y_desc("ops/s of the primary role, median (log scale)")
        .x_label_formatter(&category(&labels))
        .y_label_formatter(&tick)
        .label_style((FONT, 16))
        .draw()
        .map_err(drawing)?;
    for (name, colour) in implementations(file) {
        let points: Vec<(SegmentValue<usize>, f64)> = cells
            .iter()
            .filter(|(c, _)| c.implementation == name)
            .filter_map(|(c, _)| {
                let i = threads.iter().position(|t| *t == c.threads)?;
                Some((SegmentValue::CenterOf(i), ops(c)))
            })
            .collect();
        if points.is_empty() {
            continue;
        }
        chart
            .draw_series(LineSeries::new(points, colour.stroke_width(2)).point_size(5))
            .map_err(drawing)?
            .label(name)
            .legend(key(colour));
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

fn ns_per_op<DB: DrawingBackend>(
    file: &ResultFile,
    workload: &str,
    threads: usize,
    area: &DrawingArea<DB, Shift>,
) -> Result<(), String> {
    let cells = group(file, workload, Some(threads));
    let labels: Vec<String> = cells
        .iter()
        .map(|(c, _)| c.implementation.clone())
        .collect();
    let stats: Vec<(&RoleSummary, RGBColor)> = cells
        .iter()
        .filter_map(|(c, colour)| Some((primary(c)?, *colour)))
        .collect();
    let values = stats
        .iter()
        .flat_map(|(p, _)| [p.ns_per_op.min, p.ns_per_op.max]);
    let mut chart = builder(area)
        .build_cartesian_2d(categories(labels.len()), LogAxis::around(values))
        .map_err(drawing)?;
    chart
        .configure_mesh()
        .x_desc("implementation: median (ratio to unprotected), bars at min and max")
        .y_desc("ns/op per thread of the primary role (log scale)")
        .x_label_formatter(&category(&labels))
        .y_label_formatter(&tick)
        .label_style((FONT, 16))
        .draw()
        .map_err(drawing)?;
    for (i, (p, colour)) in stats.iter().enumerate() {
        let x = SegmentValue::CenterOf(i);
        let s = p.ns_per_op;
        chart
            .draw_series([ErrorBar::new_vertical(
                x.clone(),
                s.min,
                s.median,
                s.max,
                colour.filled().stroke_width(2),
                20,
            )])
            .map_err(drawing)?;
        let text = match p.ratio_to_baseline {
            Some(r) => format!("{} ns ({}×)", num(s.median), num(r.median)),
            None => format!("{} ns", num(s.median)),
        };
        // Centred above the bar, so the last one is not cut off at the edge.
        let style = (FONT, 16)
            .into_font()
            .color(colour)
            .pos(Pos::new(HPos::Center, VPos::Bottom));
        chart
            .draw_series([EmptyElement::at((x, s.max)) + Text::new(text, (0, -8), style)])
            .map_err(drawing)?;
    }
    Ok(())
}

/// The quantile `nines` nines up: 0 → 0 (the minimum), 1 → 0.9, 2 → 0.99, 3 → 0.999.
fn quantile(nines: f64) -> f64 {
    1.0 - 10f64.powf(-nines)
}

/// `min`, `p90`, `p99`, `p99.9`, … on whole nines; the percentile elsewhere.
fn nines_label(nines: f64) -> String {
    if nines <= 0.0 {
        return "min".into();
    }
    let decimals = (nines.ceil() as usize).saturating_sub(2);
    format!("p{:.decimals$}", quantile(nines) * 100.0)
}

/// One implementation's line on a chart with a numeric x axis and a log y axis.
struct Line<'a> {
    name: &'a str,
    colour: RGBColor,
    points: Vec<(f64, f64)>,
}

type NumericLog = Cartesian2d<RangedCoordf64, LogAxis>;

fn draw_lines<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, NumericLog>,
    lines: Vec<Line>,
) -> Result<(), String> {
    for line in lines {
        chart
            .draw_series(LineSeries::new(line.points, line.colour.stroke_width(2)))
            .map_err(drawing)?
            .label(line.name)
            .legend(key(line.colour));
    }
    Ok(())
}

fn latency<DB: DrawingBackend>(
    file: &ResultFile,
    workload: &str,
    threads: usize,
    area: &DrawingArea<DB, Shift>,
) -> Result<(), String> {
    const STEP: f64 = 0.02;
    let mut curves: Vec<Line> = Vec::new();
    for (cell, colour) in group(file, workload, Some(threads)) {
        let mut merged: Option<Histogram<u64>> = None;
        for encoded in latencies(cell) {
            let h = decode_hist(encoded).map_err(|e| {
                format!(
                    "latency of {} on {workload} × {threads}: {e}",
                    cell.implementation
                )
            })?;
            match merged.as_mut() {
                Some(m) => m.add(&h).map_err(|e| format!("merging histograms: {e}"))?,
                None => merged = Some(h),
            }
        }
        let Some(h) = merged.filter(|h| !h.is_empty()) else {
            continue;
        };
        // Beyond 1 - 1/samples a percentile is just the maximum.
        let top = (h.len() as f64).log10().min(6.0);
        let steps = (top / STEP).floor() as usize;
        let mut points: Vec<(f64, f64)> = (0..=steps)
            .map(|i| i as f64 * STEP)
            .map(|x| (x, h.value_at_quantile(quantile(x)) as f64))
            .collect();
        points.push((top, h.max() as f64));
        curves.push(Line {
            name: &cell.implementation,
            colour,
            points,
        });
    }
    let right = curves
        .iter()
        .filter_map(|c| c.points.last().map(|(x, _)| *x))
        .fold(1.0_f64, f64::max);
    let values = curves.iter().flat_map(|c| c.points.iter().map(|(_, y)| *y));
    let mut chart = builder(area)
        .build_cartesian_2d(0.0..right, LogAxis::around(values))
        .map_err(drawing)?;
    chart
        .configure_mesh()
        .x_desc("percentile (nines scale) of the sampled operations, all repetitions")
        .y_desc("latency ns (log scale)")
        .x_labels(right.ceil() as usize + 1)
        .x_label_formatter(&|x| nines_label(*x))
        .y_label_formatter(&tick)
        .label_style((FONT, 16))
        .draw()
        .map_err(drawing)?;
    draw_lines(&mut chart, curves)?;
    // Curves rise to the right.
    legend(&mut chart, SeriesLabelPosition::UpperLeft)
}

fn retained<DB: DrawingBackend>(
    file: &ResultFile,
    workload: &str,
    threads: usize,
    area: &DrawingArea<DB, Shift>,
) -> Result<(), String> {
    let mut lines: Vec<Line> = Vec::new();
    for (cell, colour) in group(file, workload, Some(threads)) {
        // The repetition with the median peak: typical, not the luckiest or the worst.
        let mut reps: Vec<_> = cell
            .reps
            .iter()
            .filter(|r| !r.retained_series.is_empty())
            .collect();
        reps.sort_by_key(|r| r.pool.retained_peak);
        let Some(rep) = reps.get(reps.len().saturating_sub(1) / 2) else {
            continue;
        };
        let points = rep
            .retained_series
            .iter()
            .map(|[ms, n]| (*ms as f64, (*n as f64).max(ZERO_COUNT)))
            .collect();
        lines.push(Line {
            name: &cell.implementation,
            colour,
            points,
        });
    }
    let points = || lines.iter().flat_map(|l| l.points.iter());
    let right = points().map(|(x, _)| *x).fold(1.0_f64, f64::max);
    let top = points().map(|(_, y)| *y).fold(10.0_f64, f64::max);
    let mut chart = builder(area)
        .build_cartesian_2d(
            0.0..right,
            LogAxis {
                lo: ZERO_COUNT,
                hi: top * 2.0,
            },
        )
        .map_err(drawing)?;
    chart
        .configure_mesh()
        .x_desc("ms into the measured window (the repetition with the median peak)")
        .y_desc("retained driver objects (log scale; 0 at the bottom edge)")
        .x_label_formatter(&tick)
        .y_label_formatter(&|v| if *v < 1.0 { "0".into() } else { tick(v) })
        .label_style((FONT, 16))
        .draw()
        .map_err(drawing)?;
    draw_lines(&mut chart, lines)?;
    // Between bounded schemes (tens) and RCU under a stalled reader (up to millions).
    legend(&mut chart, SeriesLabelPosition::MiddleRight)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::fixture;

    #[test]
    fn one_chart_per_workload_and_group_with_data() {
        let names: Vec<String> = specs(&fixture::result_file())
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(
            names,
            [
                "throughput-describe.svg",
                "ns-per-op-describe-1t.svg",
                "latency-describe-1t.svg",
                "ns-per-op-describe-2t.svg",
                "latency-describe-2t.svg",
                "throughput-wait.svg",
                "ns-per-op-wait-1t.svg",
                "latency-wait-1t.svg",
                "ns-per-op-wait-2t.svg",
                "latency-wait-2t.svg",
                "throughput-stall.svg",
                // stall × 1 thread was skipped: nothing to draw.
                "ns-per-op-stall-2t.svg",
                "latency-stall-2t.svg",
                "retained-stall-2t.svg",
            ]
        );
    }

    #[test]
    fn charts_are_svg_with_title_machine_date_and_every_implementation() {
        let file = fixture::result_file();
        for spec in specs(&file) {
            let svg = draw(&file, &spec).unwrap();
            let name = &spec.name;
            assert!(svg.starts_with("<svg "), "{name}");
            assert!(svg.trim_end().ends_with("</svg>"), "{name}");
            // plotters writes each text on a line of its own inside <text>.
            let text = |t: &str| svg.contains(&format!("\n{t}\n</text>"));
            assert!(text(&spec.title()), "{name}");
            assert!(text("testbox · 2025-01-02T03:04:05Z"), "{name}");
            for implementation in ["unprotected", "hazptr", "rcu"] {
                let shown = svg.contains(&format!("\n{implementation}\n</text>"));
                assert!(shown, "{name} lacks {implementation}");
            }
        }
    }

    #[test]
    fn a_bad_histogram_names_the_cell() {
        let mut file = fixture::result_file();
        file.cells[1].reps[0].roles[0].latency = Some("AAAA".into());
        let spec = specs(&file)
            .into_iter()
            .find(|s| s.name == "latency-describe-1t.svg")
            .unwrap();
        let msg = draw(&file, &spec).unwrap_err();
        assert!(
            msg.starts_with("latency of hazptr on describe × 1: "),
            "{msg}"
        );
    }

    #[test]
    fn axes_read_in_nines_and_tick_at_1_2_5() {
        assert_eq!(nines_label(0.0), "min");
        assert_eq!(nines_label(1.0), "p90");
        assert_eq!(nines_label(2.0), "p99");
        assert_eq!(nines_label(3.0), "p99.9");
        assert_eq!(nines_label(4.0), "p99.99");
        let narrow = LogAxis::around([50.0, 80.0].into_iter());
        assert!(narrow.lo < 50.0 && narrow.hi > 80.0 && narrow.hi / narrow.lo >= 5.0 - 1e-9);
        assert_eq!(narrow.key_points(10), [50.0, 100.0]);
        let empty = LogAxis::around(std::iter::empty());
        assert_eq!((empty.lo, empty.hi), (1.0, 10.0));
        let wide = LogAxis { lo: 1.0, hi: 1e6 };
        assert_eq!(wide.key_points(8), [1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6]);
        assert_eq!(wide.key_points(5), [1.0, 100.0, 1e4, 1e6]);
        assert_eq!(wide.key_points(30).len(), 19, "1, 2 and 5 in each decade");
        let ticks: Vec<String> = [1.0, 2.5, 50.0, 300.0, 1e4, 1.2e6]
            .iter()
            .map(tick)
            .collect();
        assert_eq!(ticks, ["1", "2.5", "50", "300", "10k", "1.2M"]);
        assert_eq!(
            default_dir(Path::new("results/vm/20250102T030405Z.json")),
            Path::new("results/vm/20250102T030405Z-plots")
        );
    }
}

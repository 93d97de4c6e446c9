//! SVG charts of a result file: throughput against threads, ns/op with its min–max
//! spread, latency percentiles from the stored histograms, and retained driver data over
//! time under a stalled reader. SVG because it needs no system fonts or libraries and
//! renders in a browser and on a Git host; every chart names its machine and date, so a
//! chart copied out of its directory still says where it came from.

use crate::error::IoError;
use crate::error::{Error, Result};
use crate::host::sanitise;
use crate::present::numbers::{num, si};
use crate::present::plural;
use crate::result::hist::decode_hist;
use crate::result::{Cell, ResultFile, RoleSummary};
use fencebench_impls::IMPLEMENTATIONS;
use plotters::coord::ranged1d::SegmentedCoord;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::{RangedCoordf64, RangedCoordusize};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use rayon::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};

mod axis;
mod latency;
mod ns_per_op;
mod retained;
mod throughput;

use axis::LogAxis;

const SIZE: (u32, u32) = (960, 600);
const FONT: &str = "sans-serif";
/// Tableau 20: the ten strong colours, then their ten pale companions. An implementation's
/// colour is keyed by its row in the implementation table, so it is the same in every
/// chart of every file and a new row gets a colour of its own (a test keeps the table
/// within the palette).
const COLOURS: [RGBColor; 20] = [
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
    RGBColor(174, 199, 232),
    RGBColor(255, 187, 120),
    RGBColor(152, 223, 138),
    RGBColor(255, 152, 150),
    RGBColor(197, 176, 213),
    RGBColor(196, 156, 148),
    RGBColor(247, 182, 210),
    RGBColor(199, 199, 199),
    RGBColor(219, 219, 141),
    RGBColor(158, 218, 229),
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

/// `fencebench plot`: prints each chart's path.
pub fn execute(opts: crate::present::options::PlotOptions) -> crate::error::Result<()> {
    let path = crate::present::compare::resolve(&opts.file)?;
    let file = crate::result::file::read(&path)?;
    let dir = opts.out.unwrap_or_else(|| default_dir(&path));
    let charts = write(&file, &path, &dir)?;
    let paths: String = charts
        .iter()
        .map(|c| format!("{}\n", c.path.display()))
        .collect();
    crate::stdout::emit(&paths)
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
pub fn write(file: &ResultFile, source: &Path, dir: &Path) -> Result<Vec<Chart>> {
    fs::create_dir_all(dir).map_err(|source| written_to(dir, source))?;
    let written: Vec<Result<Chart>> = specs(file)
        .par_iter()
        .map(|spec| {
            let svg = draw(file, spec)
                .map_err(|e| Error::Failed(format!("{}: {}", source.display(), e.0)))?;
            let path = dir.join(&spec.name);
            fs::write(&path, svg).map_err(|source| written_to(&path, source))?;
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
        // A line needs two points: only workloads run at several thread counts.
        let measured: Vec<usize> = thread_counts(file, &workload)
            .into_iter()
            .filter(|t| file.cells.iter().any(|c| ran(&c) && c.threads == *t))
            .collect();
        if measured.len() > 1 {
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
                &format!("{} per implementation", file.config.per_op()),
            );
            if cells.iter().any(|c| latency_histogram(c).is_some()) {
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

/// The primary role's latency histogram, merged over the repetitions.
fn latency_histogram(cell: &Cell) -> Option<&String> {
    primary(cell)?.histogram.as_ref()
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
    let mut unknown = 0;
    names
        .into_iter()
        .map(|n| {
            // A name no longer in the table (an older file) takes the colours after it.
            let row = IMPLEMENTATIONS
                .iter()
                .position(|i| *i == n)
                .unwrap_or_else(|| {
                    unknown += 1;
                    IMPLEMENTATIONS.len() + unknown - 1
                });
            (n, colour(row))
        })
        .collect()
}

/// The colour of the implementation in row `row` of the implementation table.
fn colour(row: usize) -> RGBColor {
    COLOURS[row % COLOURS.len()]
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

/// Why a chart could not be drawn, in words (plotters' errors are generic over the
/// backend); [`write`] adds the result file's name.
#[derive(Debug)]
pub(crate) struct Drawing(pub String);

impl From<String> for Drawing {
    fn from(why: String) -> Self {
        Drawing(why)
    }
}

fn drawing<E: std::fmt::Display>(e: E) -> Drawing {
    Drawing(format!("drawing a chart: {e}"))
}

/// A write that failed, as the error every command reports.
fn written_to(path: &Path, source: std::io::Error) -> Error {
    Error::File(IoError::Write {
        path: path.to_path_buf(),
        source,
    })
}

fn draw(file: &ResultFile, spec: &Spec) -> std::result::Result<String, Drawing> {
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
        // The legend has a strip of its own, so it never covers data.
        let (area, strip) = area.split_horizontally(area.dim_in_pixel().0 - LEGEND_WIDTH);
        let threads = match spec.kind {
            Kind::Throughput => None,
            Kind::NsPerOp(t) | Kind::Latency(t) | Kind::Retained(t) => Some(t),
        };
        match spec.kind {
            Kind::Throughput => throughput::throughput(file, w, &area)?,
            Kind::NsPerOp(t) => ns_per_op::ns_per_op(file, w, t, &area)?,
            Kind::Latency(t) => latency::latency(file, w, t, &area)?,
            Kind::Retained(t) => retained::retained(file, w, t, &area)?,
        }
        legend(&strip, &group(file, w, threads))?;
        root.present().map_err(drawing)?;
    }
    Ok(svg)
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

/// Width of the legend strip right of the chart.
const LEGEND_WIDTH: u32 = 190;

/// The legend in its own strip: a line in each implementation's colour and its name.
fn legend<DB: DrawingBackend>(
    strip: &DrawingArea<DB, Shift>,
    cells: &[(&Cell, RGBColor)],
) -> std::result::Result<(), Drawing> {
    let mut seen: Vec<&str> = Vec::new();
    for (cell, colour) in cells {
        if seen.contains(&cell.implementation.as_str()) {
            continue;
        }
        let y = 40 + 26 * seen.len() as i32;
        seen.push(&cell.implementation);
        strip
            .draw(&PathElement::new([(8, y), (32, y)], colour.stroke_width(3)))
            .map_err(drawing)?;
        let style = TextStyle::from((FONT, 15).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
        strip
            .draw(&Text::new(cell.implementation.clone(), (40, y), style))
            .map_err(drawing)?;
    }
    Ok(())
}

/// One implementation's line on a chart with a numeric x axis and a log y axis.
struct Line {
    colour: RGBColor,
    points: Vec<(f64, f64)>,
}

type NumericLog = Cartesian2d<RangedCoordf64, LogAxis>;

fn draw_lines<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, NumericLog>,
    lines: Vec<Line>,
) -> std::result::Result<(), Drawing> {
    for line in lines {
        chart
            .draw_series(LineSeries::new(line.points, line.colour.stroke_width(2)))
            .map_err(drawing)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::axis::tick;
    use super::latency::nines_label;
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
                // stall × 1 thread was skipped: nothing to draw, and no throughput
                // line through a single point.
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
        file.cells[1].summary.as_mut().unwrap().roles[0].histogram = Some("AAAA".into());
        let spec = specs(&file)
            .into_iter()
            .find(|s| s.name == "latency-describe-1t.svg")
            .unwrap();
        let msg = draw(&file, &spec).unwrap_err().0;
        assert!(
            msg.starts_with("latency of hazptr on describe × 1: "),
            "{msg}"
        );
    }

    #[test]
    fn every_implementation_has_a_colour_of_its_own_in_every_file() {
        let colours: Vec<RGBColor> = (0..IMPLEMENTATIONS.len()).map(colour).collect();
        for (i, a) in colours.iter().enumerate() {
            for (j, b) in colours.iter().enumerate().skip(i + 1) {
                assert_ne!(
                    a, b,
                    "{} and {} share a colour",
                    IMPLEMENTATIONS[i], IMPLEMENTATIONS[j]
                );
            }
        }
        // The same implementation keeps its colour whatever else the file ran.
        let mut file = fixture::result_file();
        let rcu = |f: &ResultFile| {
            let found = implementations(f).into_iter().find(|(n, _)| *n == "rcu");
            found.map(|(_, c)| c)
        };
        let before = rcu(&file);
        file.config.implementations.retain(|n| n != "unprotected");
        file.cells.retain(|c| c.implementation != "unprotected");
        assert_eq!(rcu(&file), before);
        let row = IMPLEMENTATIONS.iter().position(|i| *i == "rcu").unwrap();
        assert_eq!(before, Some(colour(row)));
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

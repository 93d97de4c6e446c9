//! Throughput against threads: the primary role's ops/s, a line per implementation.
//! Drawn only for workloads run at two or more thread counts (a line needs two points).

use super::axis::{categories, category, tick, LogAxis};
use super::*;

pub(super) fn throughput<DB: DrawingBackend>(
    file: &ResultFile,
    workload: &str,
    area: &DrawingArea<DB, Shift>,
) -> std::result::Result<(), Drawing> {
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
            .map_err(drawing)?;
    }
    Ok(())
}

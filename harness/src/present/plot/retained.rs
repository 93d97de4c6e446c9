//! Retained driver objects over the window under a stalled reader, a line per
//! implementation (the repetition with the median peak).

use super::axis::{tick, LogAxis};
use super::*;

pub(super) fn retained<DB: DrawingBackend>(
    file: &ResultFile,
    workload: &str,
    threads: usize,
    area: &DrawingArea<DB, Shift>,
) -> std::result::Result<(), Drawing> {
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
        lines.push(Line { colour, points });
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
    draw_lines(&mut chart, lines)
}

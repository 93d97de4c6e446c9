//! Latency against percentile on a nines scale, from each cell's merged histogram, a
//! curve per implementation.

use super::axis::{tick, LogAxis};
use super::*;

/// The quantile `nines` nines up: 0 → 0 (the minimum), 1 → 0.9, 2 → 0.99, 3 → 0.999.
fn quantile(nines: f64) -> f64 {
    1.0 - 10f64.powf(-nines)
}

/// `min`, `p90`, `p99`, `p99.9`, … on whole nines; the percentile elsewhere.
pub(super) fn nines_label(nines: f64) -> String {
    if nines <= 0.0 {
        return "min".into();
    }
    let decimals = (nines.ceil() as usize).saturating_sub(2);
    format!("p{:.decimals$}", quantile(nines) * 100.0)
}

pub(super) fn latency<DB: DrawingBackend>(
    file: &ResultFile,
    workload: &str,
    threads: usize,
    area: &DrawingArea<DB, Shift>,
) -> std::result::Result<(), Drawing> {
    const STEP: f64 = 0.02;
    let mut curves: Vec<Line> = Vec::new();
    for (cell, colour) in group(file, workload, Some(threads)) {
        let Some(encoded) = latency_histogram(cell) else {
            continue;
        };
        let h = decode_hist(encoded).map_err(|e| {
            Drawing(format!(
                "latency of {} on {workload} × {threads}: {e}",
                cell.implementation
            ))
        })?;
        if h.is_empty() {
            continue;
        }
        // Beyond 1 - 1/samples a percentile is just the maximum.
        let top = (h.len() as f64).log10().min(6.0);
        let steps = (top / STEP).floor() as usize;
        let mut points: Vec<(f64, f64)> = (0..=steps)
            .map(|i| i as f64 * STEP)
            .map(|x| (x, h.value_at_quantile(quantile(x)) as f64))
            .collect();
        points.push((top, h.max() as f64));
        curves.push(Line { colour, points });
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
        .y_desc(format!("latency {} (log scale)", file.config.unit_name()))
        .x_labels(right.ceil() as usize + 1)
        .x_label_formatter(&|x| nines_label(*x))
        .y_label_formatter(&tick)
        .label_style((FONT, 16))
        .draw()
        .map_err(drawing)?;
    draw_lines(&mut chart, curves)
}

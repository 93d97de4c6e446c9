//! ns/op per implementation at one thread count: median with min–max bars. Below the
//! axis, rotated so that long names never overlap, each implementation's name and, beside
//! it in its colour, the median and its ratio to unprotected.

use super::axis::{categories, tick, LogAxis};
use super::*;

pub(super) fn ns_per_op<DB: DrawingBackend>(
    file: &ResultFile,
    workload: &str,
    threads: usize,
    area: &DrawingArea<DB, Shift>,
) -> std::result::Result<(), Drawing> {
    let per_op = file.config.per_op();
    let cells = group(file, workload, Some(threads));
    let stats: Vec<(&str, &RoleSummary, RGBColor)> = cells
        .iter()
        .filter_map(|(c, colour)| Some((c.implementation.as_str(), primary(c)?, *colour)))
        .collect();
    let values = stats
        .iter()
        .flat_map(|(_, p, _)| [p.ns_per_op.min, p.ns_per_op.max]);
    let mut chart = builder(area)
        // Room for the rotated names and figures.
        .x_label_area_size(150)
        .build_cartesian_2d(categories(stats.len()), LogAxis::around(values))
        .map_err(drawing)?;
    chart
        .configure_mesh()
        .x_desc(format!(
            "implementation: median {per_op} (ratio to unprotected); bars at min and max"
        ))
        .y_desc(format!(
            "{per_op} per thread of the primary role (log scale)"
        ))
        .x_label_formatter(&|_| String::new())
        .y_label_formatter(&tick)
        .label_style((FONT, 16))
        .draw()
        .map_err(drawing)?;
    let (_, rows) = chart.plotting_area().get_pixel_range();
    let (left, top) = area.get_base_pixel();
    let below = rows.end - top + 8;
    let rotated = |size: u32| {
        TextStyle::from((FONT, size).into_font().transform(FontTransform::Rotate90))
            .pos(Pos::new(HPos::Left, VPos::Center))
    };
    for (i, (name, p, colour)) in stats.iter().enumerate() {
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
        let figure = match p.ratio_to_baseline {
            Some(r) => format!("{} ({}×)", num(s.median), num(r.median)),
            None => num(s.median),
        };
        let (px, _) = chart.backend_coord(&(x, s.median));
        let x = px - left;
        area.draw(&Text::new(name.to_string(), (x - 8, below), rotated(15)))
            .map_err(drawing)?;
        area.draw(&Text::new(
            figure,
            (x + 9, below),
            rotated(13).color(colour),
        ))
        .map_err(drawing)?;
    }
    Ok(())
}

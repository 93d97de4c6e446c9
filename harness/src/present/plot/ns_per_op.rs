//! ns/op per implementation at one thread count: median with min–max bars, the median
//! and its ratio to unprotected written above each bar, names rotated below.

use super::axis::{categories, tick, LogAxis};
use super::*;

pub(super) fn ns_per_op<DB: DrawingBackend>(
    file: &ResultFile,
    workload: &str,
    threads: usize,
    area: &DrawingArea<DB, Shift>,
) -> std::result::Result<(), Drawing> {
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
        // Room for the rotated implementation names.
        .x_label_area_size(140)
        .build_cartesian_2d(categories(labels.len()), LogAxis::around(values))
        .map_err(drawing)?;
    chart
        .configure_mesh()
        .x_desc("median ns (ratio to unprotected) above bars at min and max")
        .y_desc("ns/op per thread of the primary role (log scale)")
        // The names are drawn below, rotated: long ones side by side would overlap.
        .x_label_formatter(&|_| String::new())
        .y_label_formatter(&tick)
        .label_style((FONT, 16))
        .draw()
        .map_err(drawing)?;
    let (_, bottom) = chart.plotting_area().get_pixel_range();
    for (i, name) in labels.iter().enumerate() {
        let (x, _) = chart.backend_coord(&(SegmentValue::CenterOf(i), 1.0));
        let style = TextStyle::from((FONT, 15).into_font().transform(FontTransform::Rotate90))
            .pos(Pos::new(HPos::Left, VPos::Center));
        let (left, top) = area.get_base_pixel();
        area.draw(&Text::new(
            name.clone(),
            (x - left, bottom.end - top + 8),
            style,
        ))
        .map_err(drawing)?;
    }
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
            Some(r) => format!("{} ({}×)", num(s.median), num(r.median)),
            None => num(s.median),
        };
        // Centred above the bar, small enough that neighbours do not touch.
        let style = (FONT, 12)
            .into_font()
            .color(colour)
            .pos(Pos::new(HPos::Center, VPos::Bottom));
        chart
            .draw_series([EmptyElement::at((x, s.max)) + Text::new(text, (0, -8), style)])
            .map_err(drawing)?;
    }
    Ok(())
}

//! The terminal table: the Markdown content without the markup, columns aligned with
//! spaces so figures line up on a terminal.

use super::{lay_out, Exporter, Layout, Style};
use crate::present::document::{document, pad, Document, Row};
use crate::result::ResultFile;

pub(super) struct Table;

impl Exporter for Table {
    fn render(&self, file: &ResultFile, style: Style) -> String {
        lay_out(&document(file), Layout::Table, style)
    }
}

pub(super) fn render(doc: &Document) -> String {
    let mut out = format!("{}\n\n", doc.title);
    let label_width = doc
        .header
        .iter()
        .map(|(label, _)| label.len())
        .max()
        .unwrap_or(0);
    for (label, text) in &doc.header {
        out.push_str(&format!("  {label:<label_width$}  {text}\n"));
    }
    for table in &doc.tables {
        out.push_str(&format!("\n{}\n", table.title));
        render_table(table, &mut out);
        for note in &table.notes {
            out.push_str(&format!("  {note}\n"));
        }
    }
    if let Some(overhead) = &doc.overhead {
        out.push_str(&format!("\n{overhead}\n"));
    }
    out.push('\n');
    for note in &doc.footnotes {
        out.push_str(&format!("* {note}\n"));
    }
    out
}

fn render_table(table: &crate::present::document::Table, out: &mut String) {
    let widths = table.widths();
    let labels = table.labels;
    line(
        out,
        table.columns.iter().map(String::as_str),
        &widths,
        labels,
    );
    line(
        out,
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str),
        &widths,
        labels,
    );
    for row in &table.rows {
        match row {
            Row::Figures(texts) => line(out, texts.iter().map(String::as_str), &widths, labels),
            Row::Skipped(implementation, reason) => line(
                out,
                [implementation.as_str(), reason.as_str()].into_iter(),
                &widths[..1],
                labels,
            ),
        }
    }
}

/// Texts separated by two spaces, padded to `widths` (texts beyond them unpadded), the
/// first `labels` to the left, with no trailing spaces.
fn line<'a>(
    out: &mut String,
    texts: impl Iterator<Item = &'a str>,
    widths: &[usize],
    labels: usize,
) {
    let cells: Vec<String> = texts
        .enumerate()
        .map(|(i, text)| pad(text, widths.get(i).copied().unwrap_or(0), i < labels))
        .collect();
    out.push_str(&format!("  {}\n", cells.join("  ").trim_end()));
}

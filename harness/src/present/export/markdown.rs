//! Markdown: a header list, one pipe table per workload × thread count with its notes,
//! then the footnotes. Columns are padded so the raw text reads as a table too.

use super::{lay_out, Exporter, Layout, Style};
use crate::present::document::{document, pad, Document, Row, Table};
use crate::result::ResultFile;

pub(super) struct Markdown;

impl Exporter for Markdown {
    /// The report, with the headline tables of `results/README.md` for this file (without
    /// instruction counts, which live in another file) before the per-workload tables.
    fn render(&self, file: &ResultFile, style: Style) -> String {
        let report = lay_out(&document(file), Layout::Markdown, style);
        let mut headline = format!(
            "## The cost of the contract\n\n{}\n",
            crate::present::headline::tables(file, None)
        );
        if style.ascii {
            headline = headline.replace('×', "x").replace('→', "->");
        }
        match report.find("\n## ") {
            Some(at) => format!("{}\n{headline}{}", &report[..at], &report[at..]),
            None => report + "\n" + &headline,
        }
    }
}

/// The document with its title at heading `level` (1: `#`) and its tables one level
/// below, so a document can stand alone or be a section of a larger one.
pub(super) fn render(doc: &Document, level: usize) -> String {
    let mut out = format!("{} {}\n\n", "#".repeat(level), doc.title);
    for (label, text) in &doc.header {
        out.push_str(&format!("- **{label}:** {text}\n"));
    }
    let table_heading = "#".repeat(level + 1);
    for table in &doc.tables {
        out.push_str(&format!("\n{table_heading} {}\n\n", table.title));
        render_table(table, &mut out);
        for note in &table.notes {
            out.push_str(&format!("\n{note}\n"));
        }
    }
    if let Some(overhead) = &doc.overhead {
        out.push_str(&format!("\n{overhead}\n"));
    }
    out.push_str("\nNotes:\n\n");
    for note in &doc.footnotes {
        out.push_str(&format!("- {note}\n"));
    }
    out
}

fn render_table(table: &Table, out: &mut String) {
    let widths = table.widths();
    line(
        out,
        table.columns.iter().map(String::as_str),
        &widths,
        table.labels,
    );
    let rule = widths.iter().enumerate().map(|(i, w)| {
        let dashes = "-".repeat((*w).max(3) - 1);
        if i < table.labels {
            format!("{dashes}-")
        } else {
            format!("{dashes}:")
        }
    });
    out.push_str(&format!(
        "|{}|\n",
        rule.map(|r| format!(" {r} ")).collect::<Vec<_>>().join("|")
    ));
    for row in &table.rows {
        match row {
            Row::Figures(texts) => {
                line(out, texts.iter().map(String::as_str), &widths, table.labels)
            }
            // Fewer cells than columns: Markdown leaves the rest empty.
            Row::Skipped(implementation, reason) => line(
                out,
                [implementation.as_str(), reason.as_str()].into_iter(),
                &widths[..1],
                table.labels,
            ),
        }
    }
}

/// `| a | b |`, padded to `widths` (texts beyond them are written unpadded), the first
/// `labels` texts to the left; pipes in texts are escaped.
fn line<'a>(
    out: &mut String,
    texts: impl Iterator<Item = &'a str>,
    widths: &[usize],
    labels: usize,
) {
    let cells: Vec<String> = texts
        .enumerate()
        .map(|(i, text)| {
            pad(
                &text.replace('|', "\\|"),
                widths.get(i).copied().unwrap_or(0),
                i < labels,
            )
        })
        .collect();
    out.push_str(&format!("| {} |\n", cells.join(" | ")));
}

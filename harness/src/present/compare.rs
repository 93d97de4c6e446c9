//! Comparing result files: the same machine before and after a change, or several
//! machines. One table with a row per implementation × workload × thread count and a
//! column per file, so a reader scans one row to see how a figure moved. A change is
//! flagged only when the min–max ranges do not overlap: medians of a few repetitions
//! move by chance, and an unflagged change must not read as a finding.

use crate::fs::IoError;
use crate::present::export::{lay_out, Layout};
use crate::present::numbers::{num, stat};
use crate::present::{cpu, run, Document, Row, Table};
use crate::result::summary::BASELINE;
use crate::result::{Cell, ResultFile, Stat};
use std::path::{Path, PathBuf};

/// Shown where a file has no such row.
const MISSING: &str = "—";
/// Marks a change beyond the run-to-run spread.
const FLAG: &str = "†";

/// A result file with the path it was read from, for headers that say which is which.
pub struct Source {
    pub path: PathBuf,
    pub file: ResultFile,
}

/// The result file an argument names: a file as given, or the latest result file in a
/// directory (`results/<machine>/` holds one file per sweep, named by time).
pub fn resolve(arg: &Path) -> Result<PathBuf, IoError> {
    if arg.is_dir() {
        crate::fs::latest(arg)
    } else {
        Ok(arg.to_path_buf())
    }
}

/// Resolves and reads every argument, in parallel; errors name the file.
pub fn load(args: &[PathBuf]) -> Result<Vec<Source>, IoError> {
    let paths = args
        .iter()
        .map(|a| resolve(a))
        .collect::<Result<Vec<_>, _>>()?;
    let files = crate::fs::read_all(&paths)?;
    Ok(paths
        .into_iter()
        .zip(files)
        .map(|(path, file)| Source { path, file })
        .collect())
}

pub fn render(sources: &[Source], layout: Layout) -> String {
    lay_out(&document(sources), layout)
}

/// Column labels: machine and date, with the time too where two files would otherwise
/// share a label, and the file's position where even that is shared (the same file twice).
fn labels(sources: &[Source]) -> Vec<String> {
    let short = |s: &Source| {
        let date = s.file.created.get(..10).unwrap_or(&s.file.created);
        format!("{} {date}", s.file.machine.name)
    };
    let shared =
        |labels: &[String], label: &String| labels.iter().filter(|l| *l == label).count() > 1;
    let dated: Vec<String> = sources.iter().map(short).collect();
    let timed: Vec<String> = sources
        .iter()
        .zip(&dated)
        .map(|(s, label)| {
            if shared(&dated, label) {
                format!("{} {}", s.file.machine.name, s.file.created)
            } else {
                label.clone()
            }
        })
        .collect();
    timed
        .iter()
        .enumerate()
        .map(|(i, label)| {
            if shared(&timed, label) {
                format!("{label} #{}", i + 1)
            } else {
                label.clone()
            }
        })
        .collect()
}

/// `(workload, threads, implementation)` in any file: workloads in order of first
/// appearance, thread counts ascending, the baseline first, then implementations in
/// order of first appearance.
fn rows(sources: &[Source]) -> Vec<(&str, usize, &str)> {
    let mut workloads: Vec<&str> = Vec::new();
    let mut implementations: Vec<&str> = Vec::new();
    let mut keys: Vec<(&str, usize, &str)> = Vec::new();
    for c in sources.iter().flat_map(|s| &s.file.cells) {
        if !workloads.contains(&c.workload.as_str()) {
            workloads.push(&c.workload);
        }
        if !implementations.contains(&c.implementation.as_str()) {
            implementations.push(&c.implementation);
        }
        let key = (c.workload.as_str(), c.threads, c.implementation.as_str());
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let position = |list: &[&str], name: &str| list.iter().position(|n| *n == name);
    keys.sort_by_key(|&(w, t, i)| {
        (
            position(&workloads, w),
            t,
            i != BASELINE,
            position(&implementations, i),
        )
    });
    keys
}

/// The primary role's ns/op of a cell that ran, with its ratio to the baseline.
fn figures(cell: &Cell) -> Option<(Stat, Option<Stat>)> {
    let primary = cell.summary.as_ref()?.primary()?;
    Some((primary.ns_per_op, primary.ratio_to_baseline))
}

/// The comparison as a document: which file each column is, the table, and footnotes
/// on how to read it.
pub(crate) fn document<'a>(sources: &'a [Source]) -> Document {
    let labels = labels(sources);
    let header = sources
        .iter()
        .zip(&labels)
        .map(|(s, label)| {
            let m = &s.file.machine;
            let text = format!(
                "{} · {} · {} · barrier {} · {}",
                s.path.display(),
                s.file.created,
                cpu(m),
                m.barrier,
                run(&s.file.config)
            );
            (label.clone(), text)
        })
        .collect();

    let mut columns: Vec<String> = ["workload", "threads", "implementation"]
        .map(String::from)
        .to_vec();
    columns.extend(labels.iter().cloned());
    let (mut compared, mut flagged, mut missing) = (0, 0, false);
    let mut table_rows = Vec::new();
    for (workload, threads, implementation) in rows(sources) {
        let cell = |s: &'a Source| s.file.cell(implementation, workload, threads);
        let first = sources.first().and_then(cell).and_then(figures);
        let mut texts = vec![
            workload.to_string(),
            threads.to_string(),
            implementation.to_string(),
        ];
        for (i, source) in sources.iter().enumerate() {
            let text = match cell(source) {
                None => {
                    missing = true;
                    MISSING.to_string()
                }
                Some(c) if c.skipped.is_some() => "skipped".to_string(),
                Some(c) => match figures(c) {
                    None => "no figures".to_string(),
                    Some((ns, ratio)) => {
                        let mut text = stat(&ns);
                        if let Some((first_ns, _)) = first.filter(|_| i > 0) {
                            let changed = !ns.overlaps(&first_ns);
                            compared += 1;
                            flagged += usize::from(changed);
                            let flag = if changed { FLAG } else { "" };
                            text.push_str(&format!(
                                " · {}× first{flag}",
                                num(ns.median / first_ns.median)
                            ));
                        }
                        if let Some(r) = ratio {
                            text.push_str(&format!(" · {}× {BASELINE}", num(r.median)));
                        }
                        text
                    }
                },
            };
            texts.push(text);
        }
        table_rows.push(Row::Figures(texts));
    }

    let first = labels.first().map_or("", String::as_str);
    let mut footnotes = vec![
        format!(
            "Each file's column: ns/op per thread of the primary role, median [min–max] over \
             that file's repetitions; then, after the first file, its median ÷ the first \
             file's ({first}) median (\"× first\": below 1 is faster); then its ratio to \
             {BASELINE} measured in the same run (\"× {BASELINE}\")."
        ),
        format!(
            "{FLAG} marks a change whose min–max range does not overlap the first file's: \
             beyond the run-to-run spread. A ratio without {FLAG} lies within that spread and \
             is not evidence of a change. {flagged} of {compared} compared figures are \
             flagged."
        ),
    ];
    if missing {
        footnotes.push(format!("{MISSING}: the file has no such row (not run)."));
    }
    let mut machines: Vec<&str> = sources
        .iter()
        .map(|s| s.file.machine.name.as_str())
        .collect();
    machines.sort_unstable();
    machines.dedup();
    if machines.len() > 1 {
        footnotes.push(format!(
            "The files come from different machines: ns/op differences include the hardware; \
             the ratio to {BASELINE} within each file is the comparable figure."
        ));
    }
    Document {
        title: "fencebench comparison".into(),
        header,
        tables: vec![Table {
            title: "ns/op per implementation, workload and thread count".into(),
            labels: 3,
            columns,
            rows: table_rows,
            notes: Vec::new(),
        }],
        overhead: None,
        footnotes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::fixture;

    fn source(name: &str, file: ResultFile) -> Source {
        Source {
            path: PathBuf::from(format!("results/{name}.json")),
            file,
        }
    }

    /// Scales the 2-thread cell's primary ns/op (summary and ratio) by `factor`.
    fn scale(file: &mut ResultFile, implementation: &str, workload: &str, factor: f64) {
        let cell = file.cells.iter_mut().find(|c| {
            c.implementation == implementation && c.workload == workload && c.threads == 2
        });
        let summary = cell.unwrap().summary.as_mut().unwrap();
        for role in summary.roles.iter_mut().filter(|r| r.primary) {
            for s in [&mut role.ns_per_op]
                .into_iter()
                .chain(role.ratio_to_baseline.as_mut())
            {
                *s = Stat {
                    median: s.median * factor,
                    min: s.min * factor,
                    max: s.max * factor,
                };
            }
        }
    }

    /// The texts of the Markdown table row whose label columns are `labels`.
    fn row<'a>(out: &'a str, labels: [&str; 3]) -> Vec<&'a str> {
        out.lines()
            .map(|l| l.split('|').map(str::trim).collect::<Vec<_>>())
            .find(|c| c.len() > 4 && c[1..4] == labels)
            .unwrap_or_else(|| panic!("no row {labels:?} in\n{out}"))
    }

    #[test]
    fn flags_only_changes_whose_ranges_do_not_overlap() {
        let before = fixture::result_file();
        let mut after = fixture::result_file();
        after.created = "2025-02-03T04:05:06Z".into();
        // hazptr's repetitions spread 2%: 1% moves the median, the ranges still overlap.
        scale(&mut after, "hazptr", "describe", 1.01);
        scale(&mut after, "rcu", "describe", 0.5);
        let out = render(&[source("a", before), source("b", after)], Layout::Markdown);
        let header = row(&out, ["workload", "threads", "implementation"]);
        assert_eq!(header[4..6], ["testbox 2025-01-02", "testbox 2025-02-03"]);

        let hazptr = row(&out, ["describe", "2", "hazptr"]);
        assert_eq!(hazptr[4], "3.03 [3.00–3.06] · 1.20× unprotected");
        assert_eq!(
            hazptr[5],
            "3.06 [3.03–3.09] · 1.01× first · 1.21× unprotected"
        );
        let rcu = row(&out, ["describe", "2", "rcu"]);
        assert_eq!(rcu[5], "252 [250–255] · 0.50× first† · 100× unprotected");
        let unchanged = row(&out, ["wait", "1", "unprotected"]);
        assert_eq!(
            unchanged[5],
            "1.26 [1.25–1.27] · 1.00× first · 1.00× unprotected"
        );
        assert_eq!(
            row(&out, ["stall", "1", "rcu"])[4..6],
            ["skipped", "skipped"]
        );
        assert!(out.contains("- † marks a change whose min–max range does not overlap"));
        // 3 implementations × the 5 groups that ran; rcu × describe × 2 is flagged.
        assert!(
            out.contains(" 1 of 15 compared figures are flagged."),
            "{out}"
        );
        assert!(!out.contains("different machines") && !out.contains("(not run)"));
    }

    #[test]
    fn rows_missing_from_a_file_show_a_dash() {
        let first = fixture::result_file();
        let mut other = fixture::result_file();
        other.machine.name = "bigbox".into();
        other.cells.retain(|c| c.implementation != "hazptr");
        let out = render(&[source("a", first), source("b", other)], Layout::Markdown);
        assert_eq!(row(&out, ["describe", "1", "hazptr"])[5], MISSING);
        assert!(out.contains("- —: the file has no such row (not run)."));
        assert!(out.contains("The files come from different machines"));
        assert!(out.contains("- **bigbox 2025-01-02:** results/b.json · 2025-01-02T03:04:05Z"));
        // Baseline first within each group, groups in file order.
        let order: Vec<(&str, &str)> = out
            .lines()
            .filter(|l| l.starts_with("| describe"))
            .map(|l| {
                let c: Vec<&str> = l.split('|').map(str::trim).collect();
                (c[2], c[3])
            })
            .collect();
        assert_eq!(
            order,
            [
                ("1", "unprotected"),
                ("1", "hazptr"),
                ("1", "rcu"),
                ("2", "unprotected"),
                ("2", "hazptr"),
                ("2", "rcu"),
            ]
        );
    }

    #[test]
    fn same_day_files_are_told_apart_and_the_terminal_table_aligns() {
        let first = fixture::result_file();
        let mut later = fixture::result_file();
        later.created = "2025-01-02T09:00:00Z".into();
        let out = render(&[source("a", first), source("b", later)], Layout::Table);
        let lines: Vec<&str> = out
            .lines()
            .skip_while(|l| !l.trim_start().starts_with("workload"))
            .take_while(|l| !l.is_empty())
            .collect();
        assert!(lines[0].contains("testbox 2025-01-02T03:04:05Z"), "{out}");
        let twice = [
            source("a", fixture::result_file()),
            source("a", fixture::result_file()),
        ];
        assert_eq!(
            labels(&twice),
            [
                "testbox 2025-01-02T03:04:05Z #1",
                "testbox 2025-01-02T03:04:05Z #2"
            ]
        );
        assert!(lines[0].contains("testbox 2025-01-02T09:00:00Z"), "{out}");
        let width = |l: &str| l.chars().count();
        assert!(lines.iter().all(|l| width(l) == width(lines[0])), "{out}");
        assert!(lines[2]
            .trim_start()
            .starts_with("describe  1        unprotected"));
    }
}

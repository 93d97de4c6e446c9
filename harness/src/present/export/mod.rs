//! A result file in each export format, one file per format behind one trait: an
//! aligned table for the terminal, Markdown for documents, CSV with every figure for
//! spreadsheets, or the file itself as JSON. Comparisons and the published results
//! document lay out their own documents with the same table and Markdown renderers.

mod csv;
mod json;
mod markdown;
mod table;

use crate::present::Document;
use crate::result::ResultFile;
use std::io::IsTerminal;

pub(crate) use csv::csv_text;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns for a terminal.
    Table,
    /// Header, one table per workload × thread count, and notes.
    Markdown,
    /// One row per repetition and role with every figure, the cell's percentiles and
    /// the run's parameters.
    Csv,
    /// The result file itself.
    Json,
}

/// How text may be written: `ascii` keeps to ASCII (for mail, and whenever stdout is
/// not a terminal).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Style {
    pub ascii: bool,
}

impl Style {
    /// ASCII when asked, or when stdout is not a terminal (a pipe into mail or a file).
    pub fn for_stdout(ascii: bool) -> Style {
        Style {
            ascii: ascii || !std::io::stdout().is_terminal(),
        }
    }
}

/// One export format.
pub trait Exporter {
    /// `file` rendered in this format.
    fn render(&self, file: &ResultFile, style: Style) -> String;
}

impl Format {
    pub fn exporter(self) -> &'static dyn Exporter {
        match self {
            Format::Table => &table::Table,
            Format::Markdown => &markdown::Markdown,
            Format::Csv => &csv::Csv,
            Format::Json => &json::Json,
        }
    }
}

pub fn render(file: &ResultFile, format: Format, style: Style) -> String {
    format.exporter().render(file, style)
}

/// `fencebench export`: an existing result file in the asked format.
pub fn execute(opts: crate::present::options::ExportOptions) -> crate::error::Result<()> {
    let path = crate::present::compare::resolve(&opts.file)?;
    let file = crate::result::file::read(&path)?;
    crate::stdout::emit(&render(&file, opts.format, opts.style))
}

/// The two human-readable layouts, for documents that are not a single result file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Aligned columns for a terminal.
    Table,
    /// Markdown pipe tables.
    Markdown,
}

pub(crate) fn lay_out(doc: &Document, layout: Layout, style: Style) -> String {
    let ascii;
    let doc = if style.ascii {
        ascii = doc.to_ascii();
        &ascii
    } else {
        doc
    };
    match layout {
        Layout::Table => table::render(doc),
        Layout::Markdown => markdown::render(doc, 1),
    }
}

/// `doc` as a Markdown section titled at heading `level`, its tables one level below.
pub(crate) fn markdown_section(doc: &Document, level: usize) -> String {
    markdown::render(doc, level)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::fixture;

    /// The non-empty lines of the section titled `title`: a Markdown table and its notes
    /// run to the next heading or paragraph, a terminal table to the next blank line.
    fn table<'a>(out: &'a str, title: &str) -> Vec<&'a str> {
        let mut lines = out
            .lines()
            .skip_while(|l| l.trim_start_matches("## ") != title);
        let heading = lines
            .next()
            .unwrap_or_else(|| panic!("no table {title:?} in\n{out}"));
        if heading.starts_with("## ") {
            let end = |l: &&str| l.starts_with("## ") || l.starts_with("Harness") || *l == "Notes:";
            lines
                .take_while(|l| !end(l))
                .filter(|l| !l.is_empty())
                .collect()
        } else {
            lines.take_while(|l| !l.is_empty()).collect()
        }
    }

    const DESCRIBE_1: &str =
        "describe · 1 thread · reader ×1 + signaller ×1 · figures for the reader role";
    const WAIT_2: &str =
        "wait · 2 threads · reader ×2 + signaller ×1 · figures for the reader role";

    #[test]
    fn an_icount_file_says_instr_per_op_and_never_ns() {
        let mut file = fixture::result_file();
        file.config.unit = Some(crate::result::UNIT_ICOUNT.into());
        let out = render(&file, Format::Markdown, Style::default());
        let header = table(&out, DESCRIBE_1)[0];
        assert!(header.contains("| instr/op (icount) |"), "{header}");
        assert!(
            !header.contains("ns/op") && !header.contains("p99 ns"),
            "{header}"
        );
        assert!(out.contains("instructions counted by QEMU icount"), "{out}");
        let csv = render(&file, Format::Csv, Style::default());
        let header = csv.lines().next().unwrap();
        assert!(header.contains("icount_instr_per_op"), "{header}");
        assert!(header.contains("latency_p99_instr"), "{header}");
        assert!(
            !header
                .split(',')
                .any(|c| c.ends_with("_ns") || c == "ns_per_op"),
            "{header}"
        );
    }

    #[test]
    fn markdown_has_header_one_table_per_cell_group_and_footnotes() {
        let out = render(&fixture::result_file(), Format::Markdown, Style::default());
        assert!(out.starts_with("# fencebench results: testbox\n"));
        for line in [
            "- **machine:** testbox — a test machine",
            "- **cpu:** Test CPU, 2 logical / 1 physical cores, SMT",
            "- **kernel:** 6.1.0",
            "- **barrier:** membarrier",
            "- **counters:** cycles, instructions, branch-misses; unavailable: cache-misses: \
             ENOENT: no such event",
            "- **date:** 2025-01-02T03:04:05Z",
        ] {
            assert!(out.lines().any(|l| l == line), "missing {line:?} in\n{out}");
        }
        // The headline tables of results/README.md first, then per cell group; stall × 1
        // thread: every cell skipped, so no table, one note.
        assert!(out.contains("\n## The cost of the contract\n"), "{out}");
        assert_eq!(out.lines().filter(|l| l.starts_with("## ")).count(), 6);
        assert!(
            out.contains("- Not run, so not shown: stall × 1 (stall needs at least 2 threads).")
        );
        let rows = table(&out, DESCRIBE_1);
        assert!(
            rows[0].starts_with("| implementation |   vs unprotected |"),
            "{}",
            rows[0]
        );
        assert!(
            rows[1].starts_with("| -------------- | ---------------: |"),
            "{}",
            rows[1]
        );
        let unprotected = "| unprotected    | 1.00 [0.99–1.01] | 1.26 [1.25–1.27] |  792M |";
        assert!(rows[2].starts_with(unprotected), "{}", rows[2]);
        assert!(rows[3].starts_with("| hazptr         | 1.20 [1.19–1.21] |"));
        let rcu = "| rcu            |    200 [198–202] |    252 [250–255] | 3.96M |";
        assert!(rows[4].starts_with(rcu), "{}", rows[4]);
        assert_eq!(
            rows.len(),
            5,
            "no notes when every figure exists: {rows:#?}"
        );
        let overhead = "Harness overhead: with 1 operation in 1024 timed, hazptr on describe × 1 \
                        thread ran at 98.5% of its untimed throughput (650M vs 660M ops/s, \
                        medians).";
        assert!(out.lines().any(|l| l == overhead), "{out}");
        assert!(out.contains("- Figures are median [min–max] over 3 repetitions."));
        assert!(out
            .contains("- This machine has 2 logical cores: multi-thread figures here do not show"));
    }

    #[test]
    fn missing_counters_show_na_and_their_reason_once() {
        let out = render(&fixture::result_file(), Format::Markdown, Style::default());
        let rows = table(&out, WAIT_2);
        let hazptr: Vec<&str> = rows[3].split('|').map(str::trim).collect();
        assert_eq!(
            hazptr[1..7],
            [
                "hazptr",
                "1.20 [1.19–1.21]",
                "3.03 [3.00–3.06]",
                "330M",
                "16",
                "n/a"
            ]
        );
        // The same note under both wait tables: said once, among the notes.
        assert!(!rows.iter().any(|l| l.contains("cycles: ENOENT")));
        let note = "In every table where it shows: n/a counters (hazptr): cycles: ENOENT";
        assert_eq!(out.matches(note).count(), 1, "{out}");
        let header: Vec<&str> = rows[0].split('|').map(str::trim).collect();
        assert!(header.contains(&"lost wake-ups") && header.contains(&"wake p99 ns"));
    }

    #[test]
    fn counters_off_no_baseline_and_no_samples_are_explained() {
        let mut file = fixture::result_file();
        file.config.counters = false;
        file.machine.counters.enabled = false;
        file.machine.logical_cores = 64;
        file.cells.retain(|c| c.implementation != "unprotected");
        for summary in file.cells.iter_mut().filter_map(|c| c.summary.as_mut()) {
            for role in &mut summary.roles {
                role.cycles_per_op = None;
                role.instructions_per_op = None;
                role.counters_missing = None;
                role.ratio_to_baseline = None;
                role.latency = None;
            }
            summary.wake_latency = None;
        }
        let out = render(&file, Format::Markdown, Style::default());
        assert!(out.contains("- **counters:** off: cache-misses: ENOENT: no such event\n"));
        let rows = table(&out, DESCRIBE_1);
        // Every row n/a for ratio, p99, cycles and instructions: those columns go.
        let header: Vec<&str> = rows[0].split('|').map(str::trim).collect();
        assert_eq!(header[1..4], ["implementation", "ns/op", "ops/s"]);
        let hazptr: Vec<&str> = rows[2].split('|').map(str::trim).collect();
        assert_eq!(hazptr[1..4], ["hazptr", "1.52 [1.50–1.53]", "660M"]);
        let dropped =
            "n/a in every row, so not shown: vs unprotected, p99 ns, cycles/op, instr/op, cs/op, faults/op";
        assert!(out.contains(&format!("- In every table where it shows: {dropped}\n")));
        for note in [
            "n/a counters (hazptr, rcu): counters were off for this run",
            "n/a ratio: no unprotected figures for this workload and thread count",
            "n/a p99: no operation was sampled",
            "n/a wake p99: no wake-up was timed",
        ] {
            let said = format!("- In every table where it shows: {note}\n");
            assert_eq!(out.matches(&said).count(), 1, "{note}: {out}");
        }
        assert!(!out.contains("multi-core scaling"));
    }

    #[test]
    fn the_unload_table_shows_the_request_to_freed_latency() {
        let mut file = fixture::result_file();
        let unload: Vec<_> = file
            .cells
            .iter()
            .filter(|c| c.workload == "wait" && c.threads == 2)
            .cloned()
            .map(|mut c| {
                c.workload = "unload".into();
                let summary = c.summary.as_mut().unwrap();
                summary.unload_latency =
                    (c.implementation != "hazptr").then_some(crate::result::Percentiles {
                        samples: 10,
                        p50: 3_000_000,
                        p90: 3_500_000,
                        p99: 4_000_000,
                        p999: 4_000_000,
                        max: 4_000_000,
                    });
                c
            })
            .collect();
        file.cells.extend(unload);
        let out = render(&file, Format::Markdown, Style::default());
        let rows = table(
            &out,
            "unload · 2 threads · reader ×2 + signaller ×1 · figures for the reader role",
        );
        let header: Vec<&str> = rows[0].split('|').map(str::trim).collect();
        assert_eq!(header[header.len() - 3..], ["unload p50", "unload p99", ""]);
        let cells = |i: usize| -> Vec<&str> { rows[i].split('|').map(str::trim).collect() };
        let (rcu, hazptr) = (cells(4), cells(3));
        assert_eq!(rcu[rcu.len() - 3..], ["3.00 ms", "4.00 ms", ""]);
        assert_eq!(hazptr[hazptr.len() - 3..], ["n/a", "n/a", ""]);
        assert!(out.contains("n/a unload: no unload had freed the driver's memory"));
    }

    #[test]
    fn baseline_comes_first_then_file_order() {
        let mut file = fixture::result_file();
        file.cells.reverse();
        let out = render(&file, Format::Markdown, Style::default());
        let names: Vec<&str> = table(&out, DESCRIBE_1)[2..]
            .iter()
            .map(|l| l.split('|').nth(1).unwrap().trim())
            .collect();
        assert_eq!(names, ["unprotected", "rcu", "hazptr"]);
        let titles: Vec<&str> = out.lines().filter_map(|l| l.strip_prefix("## ")).collect();
        assert_eq!(titles[0], "The cost of the contract");
        let titles = &titles[1..];
        assert!(titles[0].starts_with("stall · 2 threads"), "{titles:?}");
        assert!(titles[1].starts_with("wait · 1 thread"), "{titles:?}");
    }

    #[test]
    fn terminal_table_aligns_columns() {
        let out = render(&fixture::result_file(), Format::Table, Style::default());
        assert!(!out.contains('|'));
        let rows = table(&out, WAIT_2);
        let width = rows[0].chars().count();
        assert!(
            rows[..5].iter().all(|l| l.chars().count() == width),
            "{rows:#?}"
        );
        assert!(rows[1]
            .trim_start()
            .starts_with("--------------  ----------------"));
        assert!(
            rows[3].split_whitespace().collect::<Vec<_>>()[..8]
                == [
                    "hazptr",
                    "1.20",
                    "[1.19–1.21]",
                    "3.03",
                    "[3.00–3.06]",
                    "330M",
                    "16",
                    "n/a"
                ]
        );
        assert!(out.contains("* In every table where it shows: n/a counters (hazptr): cycles"));
        assert!(out.contains("  cpu         Test CPU, 2 logical / 1 physical cores, SMT\n"));
    }

    #[test]
    fn csv_has_a_header_and_a_row_per_repetition_and_role() {
        let file = fixture::result_file();
        let out = render(&file, Format::Csv, Style::default());
        assert!(out.starts_with("machine,created,commit,duration_ms,"));
        let ran = file.cells.iter().filter(|c| c.skipped.is_none()).count();
        assert_eq!(out.lines().count(), 1 + ran * file.config.repeat * 2);
    }

    #[test]
    fn ascii_tables_are_ascii_and_flags_are_noted() {
        let mut file = fixture::result_file();
        file.cells[0].flags = vec!["oversubscribed: 2 threads on 1 logical cores".into()];
        file.machine.git_commit = Some("abc1234-dirty".into());
        let out = render(&file, Format::Table, Style { ascii: true });
        assert!(out.is_ascii(), "{out}");
        assert!(out.contains("unprotected (!)"), "{out}");
        assert!(out.contains("(!) unprotected: oversubscribed: 2 threads on 1 logical cores"));
        assert!(out.contains("abc1234-dirty (built from a modified tree"));
        assert!(
            out.contains("0.05 ms") || out.contains("50.0 ms"),
            "stall in ms: {out}"
        );
    }

    #[test]
    fn a_partial_file_says_so_in_the_header() {
        let mut file = fixture::result_file();
        file.partial = Some(crate::result::Partial {
            reason: "SIGINT".into(),
            missing: vec!["rcu stall 2: 1 of 3 repetitions".into()],
        });
        let out = render(&file, Format::Markdown, Style::default());
        assert!(out.contains(
            "- **PARTIAL:** interrupted by SIGINT; 1 cell short of 3 repetitions: rcu stall 2: \
             1 of 3 repetitions"
        ));
    }

    #[test]
    fn json_is_the_file_itself() {
        let file = fixture::result_file();
        let out = render(&file, Format::Json, Style::default());
        assert!(serde_json::from_str::<crate::result::ResultFile>(&out).unwrap() == file);
    }

    /// `stall --drivers` splits the retained peak: its table shows stalled driver /
    /// others, the header the driver count; a file without the split has neither.
    #[test]
    fn a_split_stall_shows_the_stalled_driver_and_the_others() {
        let plain = render(&fixture::result_file(), Format::Markdown, Style::default());
        assert!(!plain.contains("stalled driver"), "{plain}");
        assert!(!plain.contains("stall drivers"), "{plain}");
        let mut file = fixture::result_file();
        file.config.drivers = Some(4);
        for cell in file.cells.iter_mut().filter(|c| c.workload == "stall") {
            if let Some(s) = cell.summary.as_mut() {
                s.retained_split = Some(crate::result::RetainedSplit {
                    stalled_peak: 700,
                    others_peak: 9,
                });
            }
        }
        let out = render(&file, Format::Markdown, Style::default());
        assert!(out.contains("stall drivers 4"), "{out}");
        let stall = table(
            &out,
            "stall · 2 threads · reader ×2 + signaller ×1 · figures for the reader role",
        );
        assert!(
            stall[0].contains("retained peak: stalled driver / others"),
            "{stall:?}"
        );
        assert!(
            stall
                .iter()
                .filter(|l| l.trim_end_matches(" |").ends_with(" 700 / 9"))
                .count()
                >= 2,
            "{stall:?}"
        );
    }
}

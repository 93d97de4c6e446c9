//! "The cost of the contract": the table `results/README.md` opens with. One table per
//! machine, a row per implementation, each column one figure from that machine's
//! committed result file (instructions from the committed counts file), so a reader can
//! say in one sentence what the contract costs readers, exporters and memory. A figure
//! the files do not hold is named as missing in its cell, never estimated.

use crate::present::instructions::Counts;
use crate::present::numbers::num;
use crate::result::{Cell, ResultFile};
use fencebench_impls::pool::OBJECT_BYTES;
use std::fmt::Write as _;

/// The workloads the columns come from.
const SECTION: &str = "section";
const SIGNAL: &str = "signal";
const STALL: &str = "stall";
const UNLOAD: &str = "unload";

/// The headline section: one table per machine (`files`: each with the link to its
/// result file), then the anchors' figures.
pub fn markdown(files: &[(String, &ResultFile)], counts: Option<(&Counts, String)>) -> String {
    let mut out = String::from("## The cost of the contract\n\n");
    out.push_str(
        "Per implementation, from each machine's latest committed result file: the reader's \
         cost (one read-side section of the `section` workload, ns per section, median of \
         the repetitions), the exporter's (one create→signal→put of the `signal` workload, \
         with whatever it hands to reclamation), and memory (driver data retired but not \
         yet freed while one reader stalls, `stall` workload). A workload the committed file \
         holds no run of is said in one line: run the sweep that has it.\n",
    );
    if let Some((counts, source)) = &counts {
        let _ = writeln!(
            out,
            "\nInstructions per section: Callgrind counts of the read section alone from \
             [{source}]({source}) ({}, {}); they depend on the compiler, not the machine.",
            counts.machine, counts.rustc
        );
    }
    for (link, file) in files {
        out.push('\n');
        out.push_str(&machine_table(link, file, counts.as_ref().map(|c| c.0)));
    }
    out.push('\n');
    out.push_str(ANCHORS);
    out
}

fn machine_table(link: &str, file: &ResultFile, counts: Option<&Counts>) -> String {
    let m = &file.machine;
    let mut out = format!(
        "### {}{} — {} logical cores — [{link}]({link})\n\n",
        m.name,
        m.cpu_model
            .as_deref()
            .map_or(String::new(), |c| format!(" ({c})")),
        m.logical_cores
    );
    if let Some(line) = counts.and_then(|c| other_build(file, c)) {
        out.push_str(&line);
    }
    out.push_str(&tables(file, counts));
    out
}

/// A line saying so when the instruction counts and the timed file come from different
/// commits: a row then puts one build's instructions beside another's timings.
fn other_build(file: &ResultFile, counts: &Counts) -> Option<String> {
    let (counted, timed) = (
        counts.git_commit.as_deref()?,
        file.machine.git_commit.as_deref()?,
    );
    let short = |c: &str| {
        c.trim_end_matches("-dirty")
            .chars()
            .take(7)
            .collect::<String>()
    };
    (short(counted) != short(timed)).then(|| {
        format!(
            "instr/sect was counted at commit {counted}, the timings were run at {timed}: \
             different builds, so a model changed between them shows in one column and not \
             the other until the sweep is re-run.\n\n"
        )
    })
}

/// The machine's two tables, each line at most [`WIDTH`] characters so they paste into
/// mail: one figure per cell, in one unit per column. The first holds the costs (reader,
/// exporter, memory), the second where the memory goes and how long it and a driver
/// unload take. A workload the file lacks gets one line instead of columns of
/// placeholders. `export --format markdown` prints the same tables for one file.
pub fn tables(file: &ResultFile, counts: Option<&Counts>) -> String {
    let has = |w: &str| most_threads(file, w).is_some();
    let all = most_threads(file, SECTION);
    let stall_threads = least_threads(file, STALL);
    let unload_threads = most_threads(file, UNLOAD);
    let mut out = String::new();
    for w in [SECTION, SIGNAL, STALL, UNLOAD]
        .into_iter()
        .filter(|w| !has(w))
    {
        let _ = writeln!(
            out,
            "No `{w}` run in this file: its columns are left out.\n"
        );
    }
    let mut legend = Vec::new();
    // An icount file's figures are instructions counted by QEMU, never nanoseconds.
    let (u, unit_words) = if file.config.icount() {
        ("icount", "instructions counted by QEMU icount (not time)")
    } else {
        ("ns", "ns")
    };
    let mut first: Vec<(String, Column)> = Vec::new();
    if has(SECTION) {
        let n = all.unwrap_or(1);
        legend.push(format!(
            "{u}/sect: {unit_words} per read-side section (`section`) at 1 and {n} threads; \
             ×unprot: 1 thread, as a ratio to `unprotected`"
        ));
        first.push((
            format!("{u}/sect 1T"),
            Box::new(|f, i| primary_ns(f, i, SECTION, Some(1))),
        ));
        if n != 1 {
            first.push((
                format!("{u}/sect {n}T"),
                Box::new(move |f, i| primary_ns(f, i, SECTION, all)),
            ));
        }
        first.push((
            "×unprot".into(),
            Box::new(|f, i| {
                figure(f, i, SECTION, Some(1), |c| {
                    let r = c.summary.as_ref()?.primary()?.ratio_to_baseline.as_ref()?;
                    Some(format!("{:.2}", r.median))
                })
            }),
        ));
    }
    if let Some(counts) = counts {
        legend.push("instr/sect: Callgrind instructions per read section".into());
        first.push((
            "instr/sect".into(),
            Box::new(move |_, i| {
                counts
                    .get(i, SECTION)
                    .map_or("not counted".to_string(), |v| format!("{v:.0}"))
            }),
        ));
    }
    if has(SIGNAL) {
        legend.push(format!(
            "signal {u}: the exporter's create→signal→put (`signal`, 1 thread)"
        ));
        first.push((
            format!("signal {u}"),
            Box::new(|f, i| primary_ns(f, i, SIGNAL, Some(1))),
        ));
    }
    if has(STALL) {
        legend.push(format!(
            "retained MiB: peak driver data retired but not freed while a reader stalls \
             {} ms (`stall`, {} threads, {OBJECT_BYTES}-byte objects)",
            file.config.stall_ms,
            stall_threads.unwrap_or(0)
        ));
        first.push((
            "retained MiB".into(),
            Box::new(move |f, i| {
                figure(f, i, STALL, stall_threads, |c| {
                    Some(mib(c.summary.as_ref()?.retained_peak))
                })
            }),
        ));
    }
    let mut second: Vec<(String, Column)> = Vec::new();
    let split = file.cells.iter().any(|c| {
        c.workload == STALL
            && c.summary
                .as_ref()
                .is_some_and(|s| s.retained_split.is_some())
    });
    if split {
        second.push((
            "stalled drv MiB".into(),
            Box::new(move |f, i| {
                figure(f, i, STALL, stall_threads, |c| {
                    Some(mib(c.summary.as_ref()?.retained_split?.stalled_peak))
                })
            }),
        ));
        second.push((
            "other drvs MiB".into(),
            Box::new(move |f, i| {
                figure(f, i, STALL, stall_threads, |c| {
                    Some(mib(c.summary.as_ref()?.retained_split?.others_peak))
                })
            }),
        ));
    }
    if has(STALL) {
        second.push((
            "free delay ms".into(),
            Box::new(move |f, i| {
                figure(f, i, STALL, stall_threads, |c| {
                    Some(format!(
                        "{:.2}",
                        c.summary.as_ref()?.free_delay_mean_ns.as_ref()?.median / 1e6
                    ))
                })
            }),
        ));
    }
    if has(UNLOAD) {
        second.push((
            format!("unload ms ({}T)", unload_threads.unwrap_or(0)),
            Box::new(move |f, i| {
                figure(f, i, UNLOAD, unload_threads, |c| {
                    Some(format!(
                        "{:.2}",
                        c.summary.as_ref()?.unload_latency?.p50 as f64 / 1e6
                    ))
                })
            }),
        ));
    }
    if !first.is_empty() {
        let _ = writeln!(out, "{}.\n", legend.join("; "));
        out.push_str(&table(file, &first));
    }
    if !second.is_empty() {
        out.push_str(
            "\nUnder the stall: the retained peak split between the driver the reader stalled \
             in and the others (`--drivers`), the mean retire → free delay, and the median \
             unload latency (request → driver memory freed).\n\n",
        );
        out.push_str(&table(file, &second));
    }
    out
}

/// The widest a line of the tables may be, for mail.
pub const WIDTH: usize = 100;

/// One column: its header and its figure for (file, implementation).
type Column<'a> = Box<dyn Fn(&ResultFile, &str) -> String + 'a>;

fn table(file: &ResultFile, columns: &[(String, Column)]) -> String {
    let mut out = String::from("| implementation |");
    for (h, _) in columns {
        let _ = write!(out, " {h} |");
    }
    out.push_str("\n|---|");
    out.push_str(&"---:|".repeat(columns.len()));
    out.push('\n');
    for name in &file.config.implementations {
        let _ = write!(out, "| `{name}` |");
        for (_, get) in columns {
            let _ = write!(out, " {} |", get(file, name));
        }
        out.push('\n');
    }
    out
}

fn primary_ns(file: &ResultFile, name: &str, workload: &str, threads: Option<usize>) -> String {
    figure(file, name, workload, threads, |c| {
        c.summary
            .as_ref()
            .and_then(|s| s.primary())
            .map(|r| num(r.ns_per_op.median))
    })
}

/// Objects of the pool as MiB, two decimals.
fn mib(objects: u64) -> String {
    format!(
        "{:.2}",
        (objects * OBJECT_BYTES as u64) as f64 / (1024.0 * 1024.0)
    )
}

/// One cell's figure, or what is missing instead: the workload, the thread count, the
/// cell, or the figure itself.
fn figure(
    file: &ResultFile,
    implementation: &str,
    workload: &str,
    threads: Option<usize>,
    get: impl Fn(&Cell) -> Option<String>,
) -> String {
    let Some(threads) = threads.filter(|_| most_threads(file, workload).is_some()) else {
        return "not run".to_string();
    };
    match file.cell(implementation, workload, threads) {
        None => "not run".to_string(),
        Some(c) if c.skipped.is_some() => "skipped".to_string(),
        Some(c) => get(c).unwrap_or_else(|| "not measured".to_string()),
    }
}

fn thread_counts<'a>(file: &'a ResultFile, workload: &'a str) -> impl Iterator<Item = usize> + 'a {
    file.cells
        .iter()
        .filter(move |c| c.workload == workload && c.skipped.is_none())
        .map(|c| c.threads)
}

fn most_threads(file: &ResultFile, workload: &str) -> Option<usize> {
    thread_counts(file, workload).max()
}

fn least_threads(file: &ResultFile, workload: &str) -> Option<usize> {
    thread_counts(file, workload).min()
}

/// The anchors' published figures, quoted with their sources. Other machines, other
/// code: a scale to read the tables above against, never a ratio to divide by.
const ANCHORS: &str = "\
### The anchors (other machines' numbers, quoted from their sources)

None of these were measured on the machines above.

**Linux refscale**, as published in perfbook (McKenney, *Is Parallel Programming Hard, \
And, If So, What Can You Do About It?*), a 448-thread Xeon, median ns per read-side section:

| readers | rcu | preempt rcu | srcu | refcount | rwlock |
|---|---:|---:|---:|---:|---:|
| 1 | 0.27 | 2.9 | 14 | 9.5 | 11.3 |
| 192 | 0.36 | 3.8 | 18 | 7,005 | 7,287 |

perfbook's routing-table lookup (10-element list), ns per lookup: 1 reader — ideal 10.3, \
RCU 12.6, QSBR 10.4, seqlock 38.3, hazard pointer 53.2, refcount 41.3; 224 readers — \
ideal 13.9, RCU 17.2, QSBR 14.3, seqlock 52.5, hazard pointer 73.0, refcount 262,000.

**Grace periods** (Linux rcuscale): an RCU grace period averaged 7.47 ms on a 96-CPU VM; \
simple kernel hazard pointers reclaimed in 0.85 µs — the exporter-side mirror of the \
reader's cost.

**Userspace libraries:** liburcu's memb read section ≈2.3 ns at one reader; folly's RCU \
reader ≈4 ns (`rcu_retire` ≈150 ns, `synchronize` ≈10 ms) and hazard-pointer holder ≈5 ns \
(retire+reclaim 67 ns); crossbeam-epoch `pin` ≈4 ns (its own benchmarks). liburcu 0.13 \
in a C loop on an Intel Xeon 2-vCPU development VM (not one of the machines above): a bare \
load 10 instructions / 1.5 ns per iteration, a memb-flavour section 43 instructions / \
3.4–3.9 ns, a qsbr-flavour section 12 instructions / 1.5–1.7 ns.

**Retention** (Nikolaev & Ravindran's Hyaline and Crystalline evaluations): epoch-based \
reclamation leaves about 1,000–3,400 objects unreclaimed per thread, hazard pointers about \
50–65.
";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::{fixture, Percentiles, RetainedSplit};
    use std::collections::BTreeMap;

    /// The fixture's describe cells renamed to section and signal, so every column but
    /// unload has a figure.
    fn file() -> ResultFile {
        let mut file = fixture::result_file();
        let describe: Vec<Cell> = file
            .cells
            .iter()
            .filter(|c| c.workload == "describe")
            .cloned()
            .collect();
        for workload in [SECTION, SIGNAL] {
            file.cells.extend(describe.iter().cloned().map(|mut c| {
                c.workload = workload.into();
                c
            }));
        }
        file
    }

    fn counts() -> Counts {
        Counts {
            schema: 1,
            rustc: "rustc 1.95.0".into(),
            valgrind: "valgrind-3.19.0".into(),
            gungraun: "gungraun-runner 0.20.0".into(),
            machine: "vm".into(),
            cpu: None,
            git_commit: None,
            counts: BTreeMap::from([(
                "rcu".to_string(),
                BTreeMap::from([("section".to_string(), 42.0)]),
            )]),
        }
    }

    fn row<'a>(text: &'a str, name: &str, nth: usize) -> Vec<&'a str> {
        let line = text
            .lines()
            .filter(|l| l.starts_with(&format!("| `{name}` |")))
            .nth(nth)
            .unwrap_or_else(|| panic!("no row {nth} for {name} in\n{text}"));
        line.trim_matches('|').split(" | ").map(str::trim).collect()
    }

    #[test]
    fn counts_from_another_commit_are_said_to_be_another_build() {
        let mut file = file();
        let mut c = counts();
        let text =
            |f: &ResultFile, c: &Counts| markdown(&[("m/x.json".into(), f)], Some((c, "c".into())));
        file.machine.git_commit = Some("abc1234".into());
        assert!(!text(&file, &c).contains("different builds"));
        c.git_commit = Some("abc1234def".into());
        assert!(!text(&file, &c).contains("different builds"));
        c.git_commit = Some("0744795".into());
        assert!(
            text(&file, &c).contains("counted at commit 0744795, the timings were run at abc1234"),
            "{}",
            text(&file, &c)
        );
    }

    #[test]
    fn figures_match_the_file_and_every_table_line_fits_mail() {
        let file = file();
        let text = markdown(
            &[("m/x.json".into(), &file)],
            Some((&counts(), "c.json".into())),
        );
        assert!(text.starts_with("## The cost of the contract\n"));
        assert!(text.contains("### testbox (Test CPU) — 2 logical cores — [m/x.json](m/x.json)"));
        for line in text.lines().filter(|l| l.starts_with('|')) {
            assert!(
                line.chars().count() <= WIDTH,
                "{} chars: {line}",
                line.chars().count()
            );
        }
        assert!(text.contains(
            "| implementation | ns/sect 1T | ns/sect 2T | ×unprot | instr/sect | signal ns | retained MiB |"
        ), "{text}");
        let rcu = row(&text, "rcu", 0);
        let primary = |w: &str, t: usize| {
            let cell = file.cell("rcu", w, t).unwrap();
            cell.summary.as_ref().unwrap().primary().unwrap().clone()
        };
        assert_eq!(rcu[1], num(primary(SECTION, 1).ns_per_op.median));
        assert_eq!(rcu[2], num(primary(SECTION, 2).ns_per_op.median));
        let ratio = primary(SECTION, 1).ratio_to_baseline.unwrap();
        assert_eq!(rcu[3], format!("{:.2}", ratio.median));
        assert_eq!(rcu[4], "42");
        assert_eq!(rcu[5], num(primary(SIGNAL, 1).ns_per_op.median));
        let stall = file
            .cell("rcu", STALL, 2)
            .unwrap()
            .summary
            .as_ref()
            .unwrap();
        assert_eq!(rcu[6], mib(stall.retained_peak));
        let second = row(&text, "rcu", 1);
        let delay = stall.free_delay_mean_ns.unwrap().median / 1e6;
        assert_eq!(second[1], num(delay));
        assert!(text.contains("No `unload` run in this file"), "{text}");
        assert!(!text.contains("unload ms"), "{text}");
        assert_eq!(row(&text, "hazptr", 0)[4], "not counted");
        assert!(text.contains("### The anchors (other machines' numbers"));
        assert!(text.contains("| 192 | 0.36 | 3.8 | 18 | 7,005 | 7,287 |"));
    }

    #[test]
    fn an_icount_file_says_icount_never_ns() {
        let mut file = file();
        file.config.unit = Some(crate::result::UNIT_ICOUNT.into());
        let text = tables(&file, None);
        assert!(
            text.contains(
                "| implementation | icount/sect 1T | icount/sect 2T | ×unprot | signal icount |"
            ),
            "{text}"
        );
        assert!(
            !text.contains("ns/sect") && !text.contains("signal ns"),
            "{text}"
        );
    }

    #[test]
    fn one_thread_count_gets_one_section_column() {
        let mut file = file();
        file.cells.retain(|c| c.threads == 1);
        let text = tables(&file, None);
        assert!(text.contains("| ns/sect 1T | ×unprot |"), "{text}");
        assert!(!text.contains("ns/sect 2T"), "{text}");
    }

    #[test]
    fn a_split_stall_gets_its_columns_in_the_second_table() {
        let mut file = file();
        let split = RetainedSplit {
            stalled_peak: 3_000,
            others_peak: 2,
        };
        let stall = file
            .cells
            .iter_mut()
            .find(|c| c.implementation == "rcu" && c.workload == STALL && c.threads == 2)
            .unwrap();
        stall.summary.as_mut().unwrap().retained_split = Some(split);
        let text = markdown(&[("m/x.json".into(), &file)], None);
        let rcu = row(&text, "rcu", 1);
        assert_eq!(rcu[1..3], [mib(3_000), mib(2)], "{text}");
        assert_eq!(row(&text, "hazptr", 1)[1], "not measured");
    }

    #[test]
    fn a_file_without_the_workloads_says_so_in_one_line_each() {
        let mut file = fixture::result_file();
        file.cells.retain(|c| c.workload == "describe");
        let text = markdown(&[("x.json".into(), &file)], None);
        for w in [SECTION, SIGNAL, STALL, UNLOAD] {
            assert!(
                text.contains(&format!("No `{w}` run in this file")),
                "{text}"
            );
        }
        assert!(!text.contains("| `rcu` |"), "{text}");
    }

    #[test]
    fn unload_latency_is_the_request_to_freed_median_not_the_unloaders_ns_per_op() {
        let mut file = file();
        let describe: Vec<Cell> = file
            .cells
            .iter()
            .filter(|c| c.workload == "describe" && c.threads == 2)
            .cloned()
            .collect();
        file.cells.extend(describe.into_iter().map(|mut c| {
            c.workload = UNLOAD.into();
            let summary = c.summary.as_mut().unwrap();
            summary.unload_latency = (c.implementation != "hazptr").then_some(Percentiles {
                samples: 10,
                p50: 2_500_000,
                p90: 2_600_000,
                p99: 2_700_000,
                p999: 2_700_000,
                max: 2_700_000,
            });
            c
        }));
        let text = markdown(&[("x.json".into(), &file)], None);
        assert!(text.contains("unload ms (2T)"), "{text}");
        assert_eq!(row(&text, "rcu", 1)[2], num(2.5));
        assert_eq!(row(&text, "hazptr", 1)[2], "not measured");
    }
}

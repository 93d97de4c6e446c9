//! "The cost of the contract": the table `results/README.md` opens with. One table per
//! machine, a row per implementation, each column one figure from that machine's
//! committed result file (instructions from the committed counts file), so a reader can
//! say in one sentence what the contract costs readers, exporters and memory. A figure
//! the files do not hold is named as missing in its cell, never estimated.

use crate::present::instructions::Counts;
use crate::present::numbers::{milliseconds, num};
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
         yet freed while one reader stalls, `stall` workload). A cell naming a missing \
         workload means the committed file holds no such run: run the sweep that has it.\n",
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
    let all = most_threads(file, SECTION);
    let stall_threads = least_threads(file, STALL);
    let unload_threads = most_threads(file, UNLOAD);
    let at = |t: Option<usize>| t.map_or("n/a".to_string(), |t| format!("{t} threads"));
    let _ = writeln!(
        out,
        "| implementation | ns per section, 1 thread | ns per section, {} | instructions per section | vs unprotected (1 thread) | signal ns (exporter, 1 thread) | retained peak under a {} ms stall ({}) | free delay (mean) | unload latency, median request → freed ({}) |",
        match all {
            Some(t) if t == m.logical_cores => format!("all {t} cores"),
            Some(t) => format!("{t} threads"),
            None => "all cores".to_string(),
        },
        file.config.stall_ms,
        at(stall_threads),
        at(unload_threads),
    );
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for name in &file.config.implementations {
        let primary_ns = |workload: &str, threads: Option<usize>| {
            figure(file, name, workload, threads, |c| {
                c.summary
                    .as_ref()
                    .and_then(|s| s.primary())
                    .map(|r| format!("{} ns", num(r.ns_per_op.median)))
            })
        };
        let ratio = figure(file, name, SECTION, Some(1), |c| {
            let r = c.summary.as_ref()?.primary()?.ratio_to_baseline.as_ref()?;
            Some(format!("{:.2}×", r.median))
        });
        let instructions = match counts {
            None => "no counts file".to_string(),
            Some(c) => c
                .get(name, SECTION)
                .map_or("not counted".to_string(), |v| format!("{v:.0}")),
        };
        let retained = figure(file, name, STALL, stall_threads, |c| {
            let s = c.summary.as_ref()?;
            let peak = s.retained_peak;
            // With `stall --drivers`, how much of it the drivers that nobody stalled in held:
            // what separates per-driver domains from one process-wide domain.
            let split = s.retained_split.map_or(String::new(), |r| {
                format!(
                    " (stalled driver {}, others {})",
                    bytes(r.stalled_peak * OBJECT_BYTES as u64),
                    bytes(r.others_peak * OBJECT_BYTES as u64)
                )
            });
            Some(format!(
                "{} × {OBJECT_BYTES} B = {}{split}",
                thousands(peak),
                bytes(peak * OBJECT_BYTES as u64)
            ))
        });
        let delay = figure(file, name, STALL, stall_threads, |c| {
            let d = c.summary.as_ref()?.free_delay_mean_ns.as_ref()?;
            Some(milliseconds(d.median))
        });
        let unload = figure(file, name, UNLOAD, unload_threads, |c| {
            let p = c.summary.as_ref()?.unload_latency?;
            Some(milliseconds(p.p50 as f64))
        });
        let _ = writeln!(
            out,
            "| `{name}` | {} | {} | {instructions} | {ratio} | {} | {retained} | {delay} | {unload} |",
            primary_ns(SECTION, Some(1)),
            primary_ns(SECTION, all),
            primary_ns(SIGNAL, Some(1)),
        );
    }
    out
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
        return format!("no {workload} run");
    };
    match file.cell(implementation, workload, threads) {
        None => format!("no {workload} run at {threads} thread{}", plural(threads)),
        Some(c) if c.skipped.is_some() => "skipped".to_string(),
        Some(c) => get(c).unwrap_or_else(|| "not measured".to_string()),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
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

/// `1457056` as `1,457,056`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// Bytes in binary units, three significant digits.
fn bytes(b: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = b as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{b} B")
    } else {
        format!("{} {}", num(v), UNITS[unit])
    }
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

    fn row<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("| `{name}` |")))
            .unwrap_or_else(|| panic!("no row for {name} in\n{text}"));
        line.trim_matches('|').split(" | ").map(str::trim).collect()
    }

    #[test]
    fn every_column_from_the_files_and_missing_ones_named() {
        let file = file();
        let text = markdown(
            &[("m/x.json".into(), &file)],
            Some((&counts(), "c.json".into())),
        );
        assert!(text.starts_with("## The cost of the contract\n"));
        assert!(text.contains("### testbox (Test CPU) — 2 logical cores — [m/x.json](m/x.json)"));
        assert!(text.contains("ns per section, all 2 cores"));
        let rcu = row(&text, "rcu");
        let section = file
            .cell("rcu", SECTION, 1)
            .unwrap()
            .summary
            .as_ref()
            .unwrap();
        let ns = section.primary().unwrap().ns_per_op.median;
        assert_eq!(rcu[1], format!("{} ns", num(ns)));
        assert_eq!(rcu[3], "42");
        let ratio = section
            .primary()
            .unwrap()
            .ratio_to_baseline
            .as_ref()
            .unwrap();
        assert_eq!(rcu[4], format!("{:.2}×", ratio.median));
        let stall = file
            .cell("rcu", STALL, 2)
            .unwrap()
            .summary
            .as_ref()
            .unwrap();
        let bytes_shown = bytes(stall.retained_peak * OBJECT_BYTES as u64);
        assert_eq!(
            rcu[6],
            format!(
                "{} × {OBJECT_BYTES} B = {bytes_shown}",
                thousands(stall.retained_peak)
            )
        );
        assert!(rcu[7].ends_with(" ms"), "{rcu:?}");
        assert_eq!(rcu[8], "no unload run");
        assert_eq!(row(&text, "hazptr")[3], "not counted");
        assert!(text.contains("### The anchors (other machines' numbers"));
        assert!(text.contains("| 192 | 0.36 | 3.8 | 18 | 7,005 | 7,287 |"));
    }

    #[test]
    fn a_split_stall_names_the_stalled_driver_and_the_others() {
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
        let shown = format!(
            " (stalled driver {}, others {})",
            bytes(3_000 * OBJECT_BYTES as u64),
            bytes(2 * OBJECT_BYTES as u64)
        );
        assert!(row(&text, "rcu")[6].ends_with(&shown), "{text}");
        assert!(!row(&text, "hazptr")[6].contains("stalled driver"));
    }

    #[test]
    fn a_file_without_the_workloads_says_so_in_every_cell() {
        let mut file = fixture::result_file();
        file.cells.retain(|c| c.workload == "describe");
        let text = markdown(&[("x.json".into(), &file)], None);
        let rcu = row(&text, "rcu");
        assert_eq!(
            rcu[1..],
            [
                "no section run",
                "no section run",
                "no counts file",
                "no section run",
                "no signal run",
                "no stall run",
                "no stall run",
                "no unload run"
            ]
        );
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
        assert!(text.contains("unload latency, median request → freed (2 threads)"));
        assert_eq!(row(&text, "rcu")[8], "2.50 ms");
        assert_eq!(row(&text, "hazptr")[8], "not measured");
    }

    #[test]
    fn thousands_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1457056), "1,457,056");
    }

    #[test]
    fn bytes_in_binary_units() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1000), "1000 B");
        assert_eq!(bytes(128 * 1024), "128 KiB");
        assert_eq!(bytes(3 * 1024 * 1024 / 2), "1.50 MiB");
    }
}

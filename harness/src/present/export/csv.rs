//! CSV for plotting and spreadsheets: one row per implementation × workload × threads ×
//! repetition × role, every figure as measured (no medians), the cell's latency
//! percentiles from its merged histograms, and the run's parameters on every row so a
//! row read alone says how it was measured. Empty where unknown. Written by the `csv`
//! crate (RFC 4180 quoting).

use super::{Exporter, Style};
use crate::result::{Cell, Percentiles, ResultFile};
use std::fmt::Display;

pub(super) struct Csv;

const COLUMNS: [&str; 56] = [
    "machine",
    "created",
    "commit",
    "duration_ms",
    "warmup_ms",
    "ops_budget",
    "repeat",
    "sample_every",
    "in_flight",
    "signallers",
    "stall_ms",
    "drivers",
    "mix",
    "partial",
    "implementation",
    "workload",
    "threads",
    "flags",
    "rep",
    "role",
    "role_threads",
    "primary",
    "ops",
    "ops_per_sec",
    "ns_per_op",
    "cycles_per_op",
    "instructions_per_op",
    "cache_misses_per_op",
    "branch_misses_per_op",
    "ipc",
    "task_clock_ns_per_op",
    "context_switches_per_op",
    "cpu_migrations_per_op",
    "page_faults_per_op",
    "violations",
    "lost_wakeups",
    "late_signals",
    "retained_peak",
    "retained_mean",
    "retained_peak_stalled_driver",
    "retained_peak_other_drivers",
    "free_delay_mean_ns",
    "free_delay_max_ns",
    "ended_early",
    "latency_p50_ns",
    "latency_p90_ns",
    "latency_p99_ns",
    "latency_p999_ns",
    "latency_max_ns",
    "wake_p50_ns",
    "wake_p99_ns",
    "wake_p999_ns",
    "wake_max_ns",
    "unload_p50_ns",
    "unload_p99_ns",
    "unload_max_ns",
];

impl Exporter for Csv {
    fn render(&self, file: &ResultFile, _: Style) -> String {
        let c = &file.config;
        let run = [
            file.machine.name.clone(),
            file.created.clone(),
            opt(file.machine.git_commit.as_ref()),
            c.duration_ms.to_string(),
            c.warmup_ms.to_string(),
            opt(c.ops_budget),
            c.repeat.to_string(),
            c.sample_every.to_string(),
            c.in_flight.to_string(),
            opt(c.signallers),
            c.stall_ms.to_string(),
            opt(c.drivers),
            c.mix.clone(),
            file.partial.is_some().to_string(),
        ];
        let mut rows = Vec::new();
        for cell in &file.cells {
            for (i, rep) in cell.reps.iter().enumerate() {
                for role in &rep.roles {
                    let k = &role.counters;
                    let sw = k.software.as_ref();
                    let latency = percentiles(cell, |s| {
                        s.roles.iter().find(|r| r.role == role.role)?.latency
                    });
                    let wake = percentiles(cell, |s| s.wake_latency);
                    let unload = percentiles(cell, |s| s.unload_latency);
                    let mut row: Vec<String> = run.to_vec();
                    row.extend([
                        cell.implementation.clone(),
                        cell.workload.clone(),
                        cell.threads.to_string(),
                        cell.flags.join("; "),
                        (i + 1).to_string(),
                        role.role.clone(),
                        role.threads.to_string(),
                        role.primary.to_string(),
                        role.ops.to_string(),
                        role.ops_per_sec.to_string(),
                        opt(role.ns_per_op),
                        opt(k.cycles_per_op),
                        opt(k.instructions_per_op),
                        opt(k.cache_misses_per_op),
                        opt(k.branch_misses_per_op),
                        opt(k.ipc),
                        opt(sw.and_then(|s| s.task_clock_ns_per_op)),
                        opt(sw.and_then(|s| s.context_switches_per_op)),
                        opt(sw.and_then(|s| s.cpu_migrations_per_op)),
                        opt(sw.and_then(|s| s.page_faults_per_op)),
                        opt(rep.pool.violations),
                        rep.lost_wakeups.to_string(),
                        rep.late_signals.to_string(),
                        rep.pool.retained_peak.to_string(),
                        rep.pool.retained_mean.to_string(),
                        opt(rep.pool.retained_split.map(|s| s.stalled_peak)),
                        opt(rep.pool.retained_split.map(|s| s.others_peak)),
                        opt(rep.pool.free_delay_mean_ns),
                        opt(rep.pool.free_delay_max_ns),
                        opt(rep.ended_early.as_ref()),
                    ]);
                    row.extend(
                        [
                            latency.map(|p| p.p50),
                            latency.map(|p| p.p90),
                            latency.map(|p| p.p99),
                            latency.map(|p| p.p999),
                            latency.map(|p| p.max),
                            wake.map(|p| p.p50),
                            wake.map(|p| p.p99),
                            wake.map(|p| p.p999),
                            wake.map(|p| p.max),
                            unload.map(|p| p.p50),
                            unload.map(|p| p.p99),
                            unload.map(|p| p.max),
                        ]
                        .map(opt),
                    );
                    rows.push(row);
                }
            }
        }
        if c.icount() {
            csv_text(&icount_columns(), &rows)
        } else {
            csv_text(&COLUMNS, &rows)
        }
    }
}

/// The header of a file whose clock counted instructions (QEMU icount): every figure
/// read from the guest's clock is named in instructions, never ns.
fn icount_columns() -> Vec<&'static str> {
    COLUMNS
        .iter()
        .map(|c| match *c {
            "ns_per_op" => "icount_instr_per_op",
            other => match other.strip_suffix("_ns") {
                Some(stem) => Box::leak(format!("{stem}_instr").into_boxed_str()),
                None => match other.strip_suffix("_ns_per_op") {
                    Some(stem) => Box::leak(format!("{stem}_instr_per_op").into_boxed_str()),
                    None => other,
                },
            },
        })
        .collect()
}

/// A cell summary's percentiles picked by `f`.
fn percentiles(
    cell: &Cell,
    f: impl Fn(&crate::result::Summary) -> Option<Percentiles>,
) -> Option<Percentiles> {
    cell.summary.as_ref().and_then(f)
}

/// Empty for unknown.
fn opt(v: Option<impl Display>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// A header and rows as CSV text.
pub(crate) fn csv_text(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let written = std::iter::once(header.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        .chain(rows.iter().cloned())
        .try_for_each(|r| w.write_record(&r));
    written.expect("writing CSV into memory cannot fail");
    let bytes = w.into_inner().expect("flushing into memory cannot fail");
    String::from_utf8(bytes).expect("CSV of UTF-8 fields is UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::fixture;

    /// The rows as maps from column name to text.
    fn rows(out: &str) -> Vec<std::collections::HashMap<String, String>> {
        let mut r = csv::Reader::from_reader(out.as_bytes());
        let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
        r.records()
            .map(|rec| {
                let rec = rec.unwrap();
                header
                    .iter()
                    .cloned()
                    .zip(rec.iter().map(String::from))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn one_row_per_repetition_and_role() {
        let file = fixture::result_file();
        let out = Csv.render(&file, Style::default());
        assert_eq!(out.lines().next().unwrap(), COLUMNS.join(","));
        let rows = rows(&out);
        for cell in &file.cells {
            let count = rows
                .iter()
                .filter(|r| r["implementation"] == cell.implementation)
                .filter(|r| r["workload"] == cell.workload)
                .filter(|r| r["threads"] == cell.threads.to_string())
                .count();
            let roles: usize = cell.reps.iter().map(|r| r.roles.len()).sum();
            assert_eq!(count, roles, "{} {}", cell.implementation, cell.workload);
        }
        let ran = file.cells.iter().filter(|c| c.skipped.is_none()).count();
        assert_eq!(rows.len(), ran * 3 * 2);
    }

    #[test]
    fn every_figure_percentiles_and_parameters_are_there() {
        let file = fixture::result_file();
        let rows = rows(&Csv.render(&file, Style::default()));
        let first = &rows[0];
        let role = &file.cells[0].reps[0].roles[0];
        assert_eq!(first["machine"], "testbox");
        assert_eq!(first["implementation"], "unprotected");
        assert_eq!(first["rep"], "1");
        assert_eq!(first["role"], "reader");
        assert_eq!(first["ops"], role.ops.to_string());
        assert_eq!(first["ns_per_op"].parse::<f64>().ok(), role.ns_per_op);
        assert_eq!(first["cache_misses_per_op"], "", "could not be counted");
        assert_eq!(
            first["free_delay_mean_ns"], "",
            "no free delay outside stall"
        );
        let p = file.cells[0].summary.as_ref().unwrap().roles[0]
            .latency
            .unwrap();
        assert_eq!(first["latency_p50_ns"], p.p50.to_string());
        assert_eq!(first["latency_p99_ns"], p.p99.to_string());
        assert_eq!(first["latency_p999_ns"], p.p999.to_string());
        assert_eq!(
            (first["duration_ms"].as_str(), first["in_flight"].as_str()),
            ("1000", "16")
        );
        assert_eq!(
            (first["mix"].as_str(), first["stall_ms"].as_str()),
            ("90/9/1", "50")
        );
        let wait = rows.iter().find(|r| r["workload"] == "wait").unwrap();
        assert_eq!(wait["wake_p99_ns"], "2049");
    }

    #[test]
    fn fields_with_commas_and_quotes_are_quoted() {
        let mut file = fixture::result_file();
        file.machine.name = "box, \"lab\"".into();
        let out = Csv.render(&file, Style::default());
        assert!(out
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("\"box, \"\"lab\"\"\",2025-"));
        assert_eq!(rows(&out)[0]["machine"], "box, \"lab\"");
    }
}

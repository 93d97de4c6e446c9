//! CSV for plotting and spreadsheets: one row per implementation × workload × threads ×
//! repetition × role, every figure as measured (no medians), empty where unknown.

use crate::result::ResultFile;
use std::fmt::Display;

const COLUMNS: [&str; 22] = [
    "machine",
    "created",
    "implementation",
    "workload",
    "threads",
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
    "violations",
    "lost_wakeups",
    "retained_peak",
    "retained_mean",
    "free_delay_mean_ns",
];

pub(super) fn render(file: &ResultFile) -> String {
    let mut out = record(COLUMNS.map(String::from));
    for cell in &file.cells {
        for (i, rep) in cell.reps.iter().enumerate() {
            for role in &rep.roles {
                let c = &role.counters;
                out.push_str(&record([
                    file.machine.name.clone(),
                    file.created.clone(),
                    cell.implementation.clone(),
                    cell.workload.clone(),
                    cell.threads.to_string(),
                    (i + 1).to_string(),
                    role.role.clone(),
                    role.threads.to_string(),
                    role.primary.to_string(),
                    role.ops.to_string(),
                    role.ops_per_sec.to_string(),
                    opt(role.ns_per_op),
                    opt(c.cycles_per_op),
                    opt(c.instructions_per_op),
                    opt(c.cache_misses_per_op),
                    opt(c.branch_misses_per_op),
                    opt(c.ipc),
                    opt(rep.pool.violations),
                    rep.lost_wakeups.to_string(),
                    rep.pool.retained_peak.to_string(),
                    rep.pool.retained_mean.to_string(),
                    opt(rep.pool.free_delay_mean_ns),
                ]));
            }
        }
    }
    out
}

/// Empty for unknown.
fn opt(v: Option<impl Display>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// One line, quoting fields that hold a comma, quote or line break (RFC 4180).
fn record(fields: [String; COLUMNS.len()]) -> String {
    let quoted: Vec<String> = fields
        .iter()
        .map(|f| {
            if f.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.clone()
            }
        })
        .collect();
    format!("{}\n", quoted.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::fixture;

    #[test]
    fn one_row_per_repetition_and_role() {
        let file = fixture::result_file();
        let out = render(&file);
        let mut lines = out.lines();
        assert_eq!(lines.next().unwrap(), COLUMNS.join(","));
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
        assert!(rows.iter().all(|r| r.len() == COLUMNS.len()));
        for cell in &file.cells {
            let count = rows
                .iter()
                .filter(|r| r[2] == cell.implementation && r[3] == cell.workload)
                .filter(|r| r[4] == cell.threads.to_string())
                .count();
            let roles: usize = cell.reps.iter().map(|r| r.roles.len()).sum();
            assert_eq!(
                count, roles,
                "{} {} {}",
                cell.implementation, cell.workload, cell.threads
            );
        }
        assert_eq!(
            rows.len(),
            file.cells.iter().filter(|c| c.skipped.is_none()).count() * 3 * 2
        );
    }

    #[test]
    fn unknown_figures_are_empty_and_exact_ones_kept() {
        let file = fixture::result_file();
        let out = render(&file);
        let first = out.lines().nth(1).unwrap();
        let fields: Vec<&str> = first.split(',').collect();
        let role = &file.cells[0].reps[0].roles[0];
        assert_eq!(
            fields[..10],
            [
                "testbox",
                "2025-01-02T03:04:05Z",
                "unprotected",
                "describe",
                "1",
                "1",
                "reader",
                "1",
                "true",
                &role.ops.to_string()
            ]
        );
        assert_eq!(fields[11].parse::<f64>().ok(), role.ns_per_op);
        assert_eq!(fields[14], "", "cache misses could not be counted");
        assert_eq!(fields[21], "", "no free delay outside stall");
    }

    #[test]
    fn fields_with_commas_and_quotes_are_quoted() {
        let mut file = fixture::result_file();
        file.machine.name = "box, \"lab\"".into();
        let out = render(&file);
        assert!(out
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("\"box, \"\"lab\"\"\",2025-"));
    }
}

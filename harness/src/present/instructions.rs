//! Instructions per operation from Callgrind (`cargo bench --bench instructions`):
//! collecting gungraun's per-benchmark summaries into one committed counts file, the
//! regression gate against it, and the published table.
//!
//! Counts are exact for a given compiler, so the gate compares them only when the
//! committed file was made by the same `rustc`: then a read-side count (describe or the
//! read section alone) that grew by more than [`TOLERANCE`] fails. Under another
//! compiler code generation differs, so the differences are reported and pass.

use fencebench_impls::IMPLEMENTATIONS;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The operations, in table order: the benchmark function names.
pub const OPERATIONS: &[(&str, &str)] = &[
    ("describe", "describe (sync_file info)"),
    ("section", "read section alone"),
    ("is_signaled", "is_signaled"),
    ("signal", "signal + hand-off"),
    ("create_signal_put", "create+signal+put"),
    ("add_remove_callback", "add+remove callback"),
    ("poll", "poll (wait 0)"),
    ("get_put", "get+put"),
    ("describe_op", "describe workload op"),
];

/// Operations the gate guards: the read side the contract is about.
pub const GATED: &[&str] = &["describe", "section"];

/// Allowed growth of a gated count over the committed one, same compiler.
pub const TOLERANCE: f64 = 0.02;

const SCHEMA: u32 = 1;

/// Instruction counts per operation, with what produced them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Counts {
    pub schema: u32,
    /// `rustc --version` of the compiler that built the benchmarks.
    pub rustc: String,
    /// `valgrind --version`.
    pub valgrind: String,
    pub gungraun: String,
    /// Machine name, and CPU model where known (counts depend on the compiler, not the
    /// CPU, except where code dispatches on CPU features).
    pub machine: String,
    pub cpu: Option<String>,
    pub git_commit: Option<String>,
    /// implementation → operation → instructions per operation.
    pub counts: BTreeMap<String, BTreeMap<String, f64>>,
}

impl Counts {
    pub fn get(&self, implementation: &str, operation: &str) -> Option<f64> {
        self.counts.get(implementation)?.get(operation).copied()
    }

    pub fn read(path: &Path) -> Result<Counts, String> {
        let text = crate::result::file::read_bounded(path).map_err(|e| e.to_string())?;
        let counts: Counts = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not an instruction counts file: {e}", path.display()))?;
        if counts.schema != SCHEMA {
            return Err(format!(
                "{} has schema {}, this fencebench reads {SCHEMA}",
                path.display(),
                counts.schema
            ));
        }
        Ok(counts)
    }

    pub fn write(&self, path: &Path) -> Result<(), String> {
        if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        let text = serde_json::to_string_pretty(self).expect("counts serialise") + "\n";
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
}

/// Reads every `summary.json` gungraun saved under `dir` (its output directory for the
/// `instructions` bench, e.g. `target/gungraun/fencebench/instructions`) into counts per
/// operation: the benchmark's total `Ir` divided by the `n` of its id `ops_<n>`.
pub fn collect(dir: &Path, machine: String) -> Result<Counts, String> {
    let mut summaries = Vec::new();
    find_summaries(dir, &mut summaries)?;
    if summaries.is_empty() {
        return Err(format!(
            "no gungraun summaries under {} (run `cargo bench --bench instructions -- --save-summary=json`)",
            dir.display()
        ));
    }
    let mut counts: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for path in summaries {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let (group, function, per_op) =
            per_op(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        counts
            .entry(group.replace('_', "-"))
            .or_default()
            .insert(function, per_op);
    }
    Ok(Counts {
        schema: SCHEMA,
        rustc: option_env!("FENCEBENCH_RUSTC")
            .unwrap_or("unknown")
            .to_string(),
        valgrind: tool_version("valgrind").unwrap_or_else(|| "unknown".into()),
        gungraun: tool_version("gungraun-runner").unwrap_or_else(|| "unknown".into()),
        machine,
        cpu: crate::host::cpu_model(),
        git_commit: option_env!("FENCEBENCH_GIT").map(str::to_string),
        counts,
    })
}

fn find_summaries(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            find_summaries(&path, out)?;
        } else if path.file_name().is_some_and(|n| n == "summary.json") {
            out.push(path);
        }
    }
    Ok(())
}

/// (group, function, instructions per operation) from one gungraun summary.
fn per_op(summary: &str) -> Result<(String, String, f64), String> {
    let v: serde_json::Value = serde_json::from_str(summary).map_err(|e| e.to_string())?;
    let text = |key: &str| {
        v.get(key)
            .and_then(|s| s.as_str())
            .map(str::to_string)
            .ok_or_else(|| format!("no {key}"))
    };
    let (group, function, id) = (text("group")?, text("function_name")?, text("id")?);
    let ops: f64 = id
        .strip_prefix("ops_")
        .and_then(|n| n.parse().ok())
        .filter(|&n: &u32| n > 0)
        .ok_or_else(|| format!("benchmark id '{id}' is not ops_<n>"))?
        .into();
    let ir = v
        .pointer("/profiles/0/data/total/metrics")
        .and_then(find_ir)
        .ok_or("no Callgrind Ir total")?;
    Ok((group, function, ir / ops))
}

/// The `Ir` metric's new value, wherever gungraun nests it (`{"Both": [...]}`, ...).
fn find_ir(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Object(map) => map
            .get("Ir")
            .and_then(|ir| ir.pointer("/values/new"))
            .and_then(|n| n.as_f64())
            .or_else(|| map.values().find_map(find_ir)),
        serde_json::Value::Array(items) => items.iter().find_map(find_ir),
        _ => None,
    }
}

fn tool_version(tool: &str) -> Option<String> {
    let out = Command::new(tool).arg("--version").output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    Some(text.trim().to_string()).filter(|t| out.status.success() && !t.is_empty())
}

/// `fencebench instructions`: re-baseline with `--write`, otherwise gate.
pub fn execute(args: crate::present::options::InstructionsOptions) -> crate::error::Result<()> {
    use crate::error::Error;
    let new = collect(&args.summaries, args.machine).map_err(Error::Failed)?;
    if args.write {
        new.write(&args.file).map_err(Error::Failed)?;
        println!("{}", args.file.display());
        return Ok(());
    }
    let base = Counts::read(&args.file).map_err(Error::Failed)?;
    let verdict = check(&base, &new);
    print!("{}", verdict.report);
    match verdict.regressions.len() {
        0 => {
            println!(
                "instruction counts: no read-side regression over {}",
                args.file.display()
            );
            Ok(())
        }
        n => Err(Error::Failed(format!(
            "{n} read-side instruction count{} grew more than 2 % over {}",
            if n == 1 { "" } else { "s" },
            args.file.display()
        ))),
    }
}

/// The gate's verdict.
#[derive(Debug, PartialEq)]
pub struct Verdict {
    /// Lines to print: every gated difference, and why the gate did or did not apply.
    pub report: String,
    /// Gated counts that grew beyond the tolerance on the same compiler.
    pub regressions: Vec<String>,
}

/// Compares `new` with the committed `base` with the gate's operations and tolerance.
pub fn check(base: &Counts, new: &Counts) -> Verdict {
    check_ops(base, new, GATED.iter().copied(), TOLERANCE)
}

/// Compares the counts of `ops` in `new` with `base`: a count that grew by more than
/// `tolerance` (a fraction) is a regression, but only on the same rustc, since another
/// compiler generates other code. An implementation or operation missing from `base` is
/// reported, not failed (a new implementation has no baseline until the next re-baseline).
/// One function for the instruction gate and for `compare --fail-on-regression`, so the
/// two can never judge the same pair of files differently.
pub fn check_ops<'a>(
    base: &Counts,
    new: &Counts,
    ops: impl IntoIterator<Item = &'a str> + Clone,
    tolerance: f64,
) -> Verdict {
    let same_compiler = base.rustc == new.rustc;
    let mut report = String::new();
    let mut regressions = Vec::new();
    if !same_compiler {
        let _ = writeln!(
            report,
            "baseline built by {}, this run by {}: differences are reported, not gated",
            base.rustc, new.rustc
        );
    }
    for (name, counts) in &new.counts {
        for op in ops.clone() {
            let Some(now) = counts.get(op).copied() else {
                continue;
            };
            let Some(was) = base.get(name, op) else {
                let _ = writeln!(report, "{name} {op}: {now:.1} (no baseline)");
                continue;
            };
            if now == was {
                continue;
            }
            let growth = if was > 0.0 {
                now / was - 1.0
            } else {
                f64::INFINITY
            };
            let line = format!(
                "{name} {op}: {was:.1} -> {now:.1} instructions ({:+.1} %)",
                growth * 100.0
            );
            if same_compiler && growth > tolerance {
                let _ = writeln!(report, "{line}  REGRESSION (> {:.1} %)", tolerance * 100.0);
                regressions.push(line);
            } else {
                let _ = writeln!(report, "{line}");
            }
        }
    }
    Verdict {
        report,
        regressions,
    }
}

/// The "instructions per operation" table in Markdown: implementation × operation,
/// each cell the count and its difference to `unprotected`.
pub fn markdown(counts: &Counts, source: &str) -> String {
    let mut out = String::from("## Instructions per operation\n\n");
    let _ = writeln!(
        out,
        "Callgrind instruction counts per operation from `cargo bench --bench instructions` \
         ([{source}]({source})): machine {}{}, {}, {}, gungraun {}{}. Exact for this \
         compiler; one thread, so no contention. Each cell: instructions, and in brackets the \
         difference to `unprotected`. Setup is not counted; signal and create+signal+put are \
         averaged over 64 operations so the periodic part of reclamation is included.\n",
        counts.machine,
        counts
            .cpu
            .as_deref()
            .map_or(String::new(), |c| format!(" ({c})")),
        counts.valgrind,
        counts.rustc,
        counts.gungraun,
        counts
            .git_commit
            .as_deref()
            .map_or(String::new(), |c| format!(", commit {c}")),
    );
    let ops: Vec<&(&str, &str)> = OPERATIONS
        .iter()
        .filter(|(op, _)| counts.counts.values().any(|m| m.contains_key(*op)))
        .collect();
    out.push_str("| implementation |");
    for (_, title) in &ops {
        let _ = write!(out, " {title} |");
    }
    out.push_str("\n|---|");
    out.push_str(&"---:|".repeat(ops.len()));
    out.push('\n');
    let mut names: Vec<&str> = IMPLEMENTATIONS
        .iter()
        .copied()
        .filter(|n| counts.counts.contains_key(*n))
        .collect();
    names.extend(
        counts
            .counts
            .keys()
            .map(String::as_str)
            .filter(|n| !IMPLEMENTATIONS.contains(n)),
    );
    for name in names {
        let _ = write!(out, "| `{name}` |");
        for (op, _) in &ops {
            let cell = match (counts.get(name, op), counts.get("unprotected", op)) {
                (None, _) => "–".to_string(),
                (Some(v), Some(base)) if name != "unprotected" => {
                    let d = v - base;
                    format!(
                        "{} ({}{})",
                        round(v),
                        if d < 0.0 { "−" } else { "+" },
                        round(d.abs())
                    )
                }
                (Some(v), _) => round(v),
            };
            let _ = write!(out, " {cell} |");
        }
        out.push('\n');
    }
    out
}

/// Whole numbers as such, fractions (averages over a batch) to one decimal.
fn round(v: f64) -> String {
    if (v - v.round()).abs() < 0.05 {
        format!("{}", v.round())
    } else {
        format!("{v:.1}")
    }
}

/// A counts file made by `rustc` on a test machine, for the gates' tests.
#[cfg(test)]
pub(crate) fn fixture(rustc: &str, counts: BTreeMap<String, BTreeMap<String, f64>>) -> Counts {
    Counts {
        schema: SCHEMA,
        rustc: rustc.into(),
        valgrind: "valgrind-3.19.0".into(),
        gungraun: "gungraun-runner 0.20.0".into(),
        machine: "vm".into(),
        cpu: None,
        git_commit: None,
        counts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(rustc: &str, describe: f64) -> Counts {
        let mut c = BTreeMap::new();
        c.insert(
            "unprotected".to_string(),
            BTreeMap::from([("describe".to_string(), 100.0)]),
        );
        c.insert(
            "rcu".to_string(),
            BTreeMap::from([
                ("describe".to_string(), describe),
                ("signal".to_string(), 406.4),
            ]),
        );
        fixture(rustc, c)
    }

    #[test]
    fn gate_fails_growth_over_two_percent_on_the_same_rustc_only() {
        let base = counts("rustc 1.95.0", 110.0);
        assert!(check(&base, &counts("rustc 1.95.0", 112.0))
            .regressions
            .is_empty());
        let v = check(&base, &counts("rustc 1.95.0", 112.3));
        assert_eq!(v.regressions.len(), 1, "{}", v.report);
        assert!(v.regressions[0].starts_with("rcu describe: 110.0 -> 112.3"));
        let v = check(&base, &counts("rustc 1.96.0", 150.0));
        assert!(v.regressions.is_empty());
        assert!(v.report.contains("not gated"), "{}", v.report);
        assert!(v.report.contains("rcu describe: 110.0 -> 150.0"));
    }

    #[test]
    fn summary_ir_is_divided_by_the_ops_in_the_id() {
        let summary = r#"{"group":"rcu_detach","function_name":"signal","id":"ops_64",
            "profiles":[{"data":{"total":{"metrics":{"Callgrind":{"Ir":{"values":{"new":640}}}}}}}]}"#;
        assert_eq!(
            per_op(summary).unwrap(),
            ("rcu_detach".into(), "signal".into(), 10.0)
        );
        assert!(per_op(&summary.replace("ops_64", "big")).is_err());
    }

    #[test]
    fn table_shows_counts_and_differences_to_unprotected() {
        let t = markdown(&counts("rustc 1.95.0", 108.0), "instructions.json");
        assert!(t.contains("| `unprotected` | 100 | – |"), "{t}");
        assert!(t.contains("| `rcu` | 108 (+8) | 406.4 |"), "{t}");
        let t = markdown(&counts("rustc 1.95.0", 97.5), "instructions.json");
        assert!(t.contains("| `rcu` | 97.5 (−2.5) |"), "{t}");
    }
}

//! `fencebench kernel-check`: the kernel conformance suite on the running kernel.

use crate::error::{Error, Result};
use crate::result::{Stat, UNIT_ICOUNT};
use crate::stdout::emit;
use fencebench_impls::kernel_check::{self, KernelGeneration, Report};
use fencebench_impls::kernel_paths::{self, FLOOR, PATHS};
use serde_json::json;
use std::path::Path;

/// Prints the suite's report, as text or (`json`) one JSON object a script reads
/// instead of the text; an error when a check failed or no vgem device exists.
pub fn execute(expect_generation: Option<KernelGeneration>, json: bool) -> Result<()> {
    let report = kernel_check::run(expect_generation)
        .map_err(|reason| Error::Failed(format!("kernel unavailable: {reason}")))?;
    if json {
        emit(&format!("{}\n", to_json(&report)))?;
    } else {
        emit(&format!("{report}\n"))?;
    }
    if report.passed() {
        Ok(())
    } else {
        Err(Error::Failed("kernel conformance failed".into()))
    }
}

/// `{"release", "generation", "passed", "checks": [{"name", "ok", "detail"}]}` on one
/// line, so it can be picked out of a serial console log.
fn to_json(report: &Report) -> serde_json::Value {
    let checks: Vec<_> = report
        .checks
        .iter()
        .map(|c| {
            let (ok, detail) = match &c.outcome {
                Ok(seen) => (true, seen),
                Err(why) => (false, why),
            };
            json!({ "name": c.name, "ok": ok, "detail": detail })
        })
        .collect();
    json!({
        "release": report.release,
        "generation": report.generation.map(|g| g.to_string()),
        "passed": report.passed(),
        "checks": checks,
    })
}

/// `fencebench kernel-paths`: each kernel dma-fence path's own cost, net of the syscall
/// floor, written as JSON to `out` and shown as a table. One discarded repetition first
/// (the first pass after boot runs boot-time work in the same clock). With `icount` the
/// figures are instructions (QEMU icount), and are labelled so.
pub fn paths(ops: u64, repeat: usize, icount: bool, out: Option<&Path>) -> Result<()> {
    let unavailable = |reason: String| Error::Failed(format!("kernel-paths: {reason}"));
    kernel_paths::measure(ops.min(1000)).map_err(unavailable)?;
    let mut reps: Vec<Vec<f64>> = Vec::new();
    for _ in 0..repeat {
        reps.push(kernel_paths::measure(ops).map_err(unavailable)?);
    }
    let stat = |i: usize| Stat::of(reps.iter().map(|r| r[i])).expect("repeat >= 1");
    let floor = stat(0).median;
    let unit = if icount { "instr" } else { "ns" };
    let mut rows = Vec::new();
    let mut table = format!(
        "| path ({}) | {unit}/op median [min–max] | net of the floor |\n|---|---:|---:|\n",
        kernel_paths::release()
    );
    for (i, path) in PATHS.iter().enumerate() {
        let s = stat(i);
        let net = (i > 1).then_some(s.median - floor);
        table.push_str(&format!(
            "| {path} | {:.0} [{:.0}–{:.0}] | {} |\n",
            s.median,
            s.min,
            s.max,
            net.map_or("".into(), |n| format!("{n:.0}"))
        ));
        rows.push(json!({ "path": path, "per_op": s, "net": net }));
    }
    let file = json!({
        "release": kernel_paths::release(),
        "unit": if icount { UNIT_ICOUNT } else { "ns" },
        "unit_note": if icount {
            "instructions counted by QEMU icount (shift=0), user and kernel: not time"
        } else {
            "ns of wall-clock time"
        },
        "floor": FLOOR,
        "ops": ops,
        "repeat": repeat,
        "paths": rows,
    });
    if let Some(out) = out {
        std::fs::write(out, format!("{file:#}\n")).map_err(|e| {
            Error::Failed(format!("kernel-paths: cannot write {}: {e}", out.display()))
        })?;
    }
    emit(&table)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use fencebench_impls::kernel_check::Check;

    #[test]
    fn json_report_names_every_check_and_the_verdict() {
        let report = Report {
            release: "6.1.0-27-amd64".into(),
            generation: Some(KernelGeneration::PreContract),
            checks: vec![
                Check {
                    name: "status",
                    outcome: Ok("signalled".into()),
                },
                Check {
                    name: "poll",
                    outcome: Err("timed out".into()),
                },
            ],
        };
        let text = to_json(&report).to_string();
        assert!(!text.contains('\n'));
        assert_eq!(
            text,
            "{\"checks\":[{\"detail\":\"signalled\",\"name\":\"status\",\"ok\":true},\
             {\"detail\":\"timed out\",\"name\":\"poll\",\"ok\":false}],\"generation\":\
             \"pre-contract\",\"passed\":false,\"release\":\"6.1.0-27-amd64\"}"
        );
    }
}

//! `fencebench kernel-check`: the kernel conformance suite on the running kernel.

use crate::error::{Error, Result};
use crate::stdout::emit;
use fencebench_impls::kernel_check::{self, KernelGeneration, Report};
use serde_json::json;

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

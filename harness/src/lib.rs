//! The fencebench harness, laid out as its pipeline: [`cli`] defines the command line and
//! [`options`] validates it; [`run`] measures workloads over implementations (pinned
//! threads, a start barrier, a timed window, sampled latencies, counters) into a
//! [`result`] file, which [`fs`] writes and reads; [`present`] turns result files into
//! reports, exports, charts, comparisons and the published document. [`error`] is the one
//! place an error becomes a line on stderr and an exit status.

pub mod cli;
pub mod error;
pub mod fs;
pub mod kernel;
pub mod options;
pub mod present;
pub mod result;
pub mod run;

use error::{Error, Result};
use fencebench_impls::{for_each_impl, Implementation, IMPLEMENTATIONS};
use fencebench_workloads::WORKLOADS;

/// Writes `text` to stdout. A closed pipe (`fencebench compare … | head`) is not an
/// error: the reader has taken what it wanted.
pub fn emit(text: &str) -> Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::Failed(format!("cannot write to stdout: {e}")))
        }
        _ => Ok(()),
    }
}

/// `fencebench list`: the implementations and workloads.
pub fn list() -> Result<()> {
    let mut out = String::from("implementations:\n");
    for name in IMPLEMENTATIONS {
        let (summary, mechanism, unavailable) = for_each_impl!(*name, I => (
            I::SUMMARY,
            I::read_side_mechanism(),
            I::unavailable(),
        ))
        .expect("listed");
        out.push_str(&format!(
            "  {name:<12} {summary} [read side: {mechanism}]\n"
        ));
        if let Some(reason) = unavailable {
            out.push_str(&format!("  {:<12} unavailable here: {reason}\n", ""));
        }
    }
    out.push_str("workloads:\n");
    for name in WORKLOADS {
        out.push_str(&format!(
            "  {name:<12} {}\n",
            fencebench_workloads::summary(name).unwrap_or("")
        ));
    }
    emit(&out)
}

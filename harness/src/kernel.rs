//! `fencebench kernel-check`: the kernel conformance suite on the running kernel.

use crate::cli::KernelCheckArgs;
use crate::error::{Error, Result};
use fencebench_impls::kernel_check;

/// Prints the suite's report; an error when a check failed or no vgem device exists.
pub fn execute(args: KernelCheckArgs) -> Result<()> {
    let report = kernel_check::run(args.expect_generation)
        .map_err(|reason| Error::Failed(format!("kernel unavailable: {reason}")))?;
    crate::emit(&format!("{report}\n"))?;
    if report.passed() {
        Ok(())
    } else {
        Err(Error::Failed("kernel conformance failed".into()))
    }
}

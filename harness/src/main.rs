//! `fencebench`: measures what the dma-fence safe-access contract costs.
//! With no arguments it runs the quick default suite (`fencebench run --quick`).
//!
//! The pipeline: command line → validated options → run, or read result files →
//! present them. Every error ends here, as one line and an exit status.

use fencebench::error::Result;
use fencebench::options::{self, Action};
use fencebench::{fs, kernel, list, present, run};

fn main() {
    let status = match options::from_env().and_then(execute) {
        Ok(()) => 0,
        Err(e) => e.report(),
    };
    std::process::exit(status);
}

fn execute(action: Action) -> Result<()> {
    match action {
        Action::Run(opts) => run::execute(*opts),
        Action::List => list(),
        Action::Compare(opts) => present::compare::execute(opts),
        Action::Export(opts) => present::export::execute(opts),
        Action::Convert(opts) => fs::convert(opts),
        Action::Plot(args) => present::plot::execute(args),
        Action::Report(args) => present::published::execute(args),
        Action::Instructions(args) => present::instructions::execute(args),
        Action::KernelCheck(args) => kernel::execute(args),
    }
}

//! `fencebench`: measures what the dma-fence safe-access contract costs.
//! With no arguments it runs the quick default suite (`fencebench run --quick`).
//!
//! The dispatch: the command line, parsed, goes to the stage that runs it, which makes
//! its own options from the arguments. Every error ends here, as one line and an exit
//! status.

use clap::Parser;
use fencebench::cli::{Cli, Command};
use fencebench::error::Result;
use fencebench::present;
use fencebench::result::convert::{self, ConvertOptions};
use fencebench::run::{self, options::RunOptions};
use fencebench::{kernel, list, pmu};

fn main() {
    let status = match Cli::try_parse().map_err(Into::into).and_then(execute) {
        Ok(()) => 0,
        Err(e) => e.report(),
    };
    std::process::exit(status);
}

fn execute(cli: Cli) -> Result<()> {
    match cli.command.unwrap_or_else(Command::quick_run) {
        Command::Run(args) => run::execute(RunOptions::from_args(*args)?),
        Command::List(args) => list::execute(args.json),
        Command::Compare(args) => present::compare::execute(args.into()),
        Command::Export(args) => present::export::execute(args.into()),
        Command::Convert(args) => {
            convert::execute(ConvertOptions::new(args.file, args.out, args.force)?)
        }
        Command::Plot(args) => present::plot::execute(args.into()),
        Command::Report(args) => present::published::execute(args.into()),
        Command::Instructions(args) => present::instructions::execute(args.into()),
        Command::PmuCheck(args) => pmu::execute(args.file.as_deref()),
        Command::KernelCheck(args) => kernel::execute(args.expect_generation, args.json),
        Command::KernelPaths(args) => {
            kernel::paths(args.ops, args.repeat, args.icount, args.out.as_deref())
        }
    }
}

//! What each presenting command takes, made from its command-line arguments: the
//! stage owns its input types, the command line only parses.

use crate::cli;
use crate::present::export::{Format, Style};
use std::path::PathBuf;

impl From<cli::Format> for Format {
    fn from(f: cli::Format) -> Format {
        match f {
            cli::Format::Table => Format::Table,
            cli::Format::Markdown => Format::Markdown,
            cli::Format::Csv => Format::Csv,
            cli::Format::Json => Format::Json,
        }
    }
}

/// `fencebench compare`.
pub struct CompareOptions {
    pub files: Vec<PathBuf>,
    pub format: Format,
    pub style: Style,
    pub allow_different_parameters: bool,
    /// `--fail-on-regression`: the threshold in percent.
    pub fail_on_regression: Option<f64>,
}

impl From<cli::CompareArgs> for CompareOptions {
    fn from(args: cli::CompareArgs) -> Self {
        CompareOptions {
            files: args.files,
            format: args.format.into(),
            style: Style::for_stdout(args.ascii),
            allow_different_parameters: args.allow_different_parameters,
            fail_on_regression: args.fail_on_regression,
        }
    }
}

/// `fencebench export`.
pub struct ExportOptions {
    pub file: PathBuf,
    pub format: Format,
    pub style: Style,
}

impl From<cli::ExportArgs> for ExportOptions {
    fn from(args: cli::ExportArgs) -> Self {
        ExportOptions {
            file: args.file,
            format: args.format.into(),
            style: Style::for_stdout(args.ascii),
        }
    }
}

/// `fencebench plot`.
pub struct PlotOptions {
    pub file: PathBuf,
    /// `None`: `<result-stem>-plots/` beside the result file.
    pub out: Option<PathBuf>,
}

impl From<cli::PlotArgs> for PlotOptions {
    fn from(args: cli::PlotArgs) -> Self {
        PlotOptions {
            file: args.file,
            out: args.out,
        }
    }
}

/// `fencebench report`.
pub struct ReportOptions {
    pub dir: PathBuf,
    pub out: PathBuf,
}

impl From<cli::ReportArgs> for ReportOptions {
    fn from(args: cli::ReportArgs) -> Self {
        ReportOptions {
            out: args.out.unwrap_or_else(|| args.dir.join("README.md")),
            dir: args.dir,
        }
    }
}

/// `fencebench instructions`.
pub struct InstructionsOptions {
    pub summaries: PathBuf,
    pub file: PathBuf,
    pub write: bool,
    pub machine: String,
}

impl From<cli::InstructionsArgs> for InstructionsOptions {
    fn from(args: cli::InstructionsArgs) -> Self {
        InstructionsOptions {
            summaries: args.summaries,
            file: args.file,
            write: args.write,
            machine: args.machine.unwrap_or_else(crate::host::default_name),
        }
    }
}

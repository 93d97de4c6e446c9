//! The one error type of the binary, and the one place that turns an error into what a
//! user sees: a single line on stderr and an exit status (2 for bad input or a file
//! that cannot be used, 130 for an interrupted run, 0 for `--help`). It imports nothing
//! of the crate, so every module can return it.

use std::fmt;
use std::path::PathBuf;

/// Exit status of a gate that found a regression (`compare --fail-on-regression`).
pub const REGRESSION: i32 = 1;
/// Exit status for bad input.
pub const USAGE: i32 = 2;
/// Exit status after SIGINT/SIGTERM (128 + SIGINT), as shells report it.
pub const INTERRUPTED: i32 = 130;

#[derive(Debug)]
pub enum Error {
    /// The command line did not parse, or asked for help or the version.
    Cli(clap::Error),
    /// A value that parsed but cannot be used; the text names it.
    Invalid(String),
    /// A result file or directory that cannot be read or written.
    File(IoError),
    /// Anything else that stops a command, in one line.
    Failed(String),
    /// `compare --fail-on-regression` found failing cells, one line each.
    Regression {
        failures: Vec<String>,
        threshold_pct: f64,
    },
    /// The run was interrupted; what had finished is in `partial`.
    Interrupted {
        partial: PathBuf,
        missing: usize,
        total: usize,
    },
}

impl From<IoError> for Error {
    fn from(e: IoError) -> Self {
        Error::File(e)
    }
}

impl From<clap::Error> for Error {
    fn from(e: clap::Error) -> Self {
        Error::Cli(e)
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// Why a result file or directory cannot be used; every variant names the path.
#[derive(Debug)]
pub enum IoError {
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Not JSON, or JSON that is not an object.
    NotResult { path: PathBuf, why: String },
    /// Written by a fencebench with another schema (`found` is `None` when absent).
    Version {
        path: PathBuf,
        found: Option<String>,
        /// The oldest and newest schema versions this fencebench reads.
        reads: (u32, u32),
    },
    /// The right version, but a field is missing or of the wrong type.
    Malformed { path: PathBuf, why: String },
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Not a regular file, or too large to be a result file: refused before reading.
    Refused { path: PathBuf, why: String },
    /// A directory given in place of a result file holds none.
    NoResults { dir: PathBuf },
    /// The file exists and replacing it was not asked for (`--force`).
    Exists { path: PathBuf },
}

impl fmt::Display for IoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IoError::Read { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            IoError::NotResult { path, why } => {
                write!(
                    f,
                    "{}: not a fencebench result file ({why})",
                    path.display()
                )
            }
            IoError::Version {
                path,
                found: Some(found),
                reads: (oldest, newest),
            } => write!(
                f,
                "{}: schema version {found}, this fencebench reads versions {oldest} to \
                 {newest} (a newer fencebench wrote it)",
                path.display()
            ),
            IoError::Version {
                path,
                found: None,
                reads: (oldest, newest),
            } => write!(
                f,
                "{}: not a fencebench result file (no schema_version; this fencebench reads \
                 versions {oldest} to {newest})",
                path.display()
            ),
            IoError::Malformed { path, why } => {
                write!(
                    f,
                    "{}: malformed fencebench result file ({why})",
                    path.display()
                )
            }
            IoError::Write { path, source } => {
                write!(f, "cannot write {}: {source}", path.display())
            }
            IoError::Refused { path, why } => write!(f, "{}: refused: {why}", path.display()),
            IoError::Exists { path } => write!(
                f,
                "{} exists; pass --force to replace it, or --out another path",
                path.display()
            ),
            IoError::NoResults { dir } => {
                write!(
                    f,
                    "{}: no result files (*.json) in this directory",
                    dir.display()
                )
            }
        }
    }
}

impl std::error::Error for IoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            IoError::Read { source, .. } | IoError::Write { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Cli(e) => f.write_str(&one_line(&e.to_string())),
            Error::Invalid(msg) | Error::Failed(msg) => write!(f, "error: {msg}"),
            Error::File(e) => write!(f, "error: {e}"),
            Error::Regression {
                failures,
                threshold_pct,
            } => {
                write!(
                    f,
                    "regression: {} failing cell{} of NEW against BASE (threshold {threshold_pct} %):",
                    failures.len(),
                    if failures.len() == 1 { "" } else { "s" }
                )?;
                failures.iter().try_for_each(|l| write!(f, "\n  {l}"))
            }
            Error::Interrupted {
                partial,
                missing,
                total,
            } => write!(
                f,
                "interrupted: {missing} of {total} cells short of their repetitions; what \
                 finished is in {} (marked partial)",
                partial.display()
            ),
        }
    }
}

impl Error {
    /// Prints the error (help and version texts whole, everything else as one line) and
    /// returns the exit status.
    pub fn report(&self) -> i32 {
        match self {
            Error::Cli(e) if !e.use_stderr() => {
                // --help and --version: their text is the output.
                let _ = e.print();
                0
            }
            Error::Interrupted { .. } => {
                eprintln!("{self}");
                INTERRUPTED
            }
            Error::Regression { .. } => {
                eprintln!("{self}");
                REGRESSION
            }
            _ => {
                eprintln!("{self}");
                USAGE
            }
        }
    }
}

/// clap's message in one line: the error, then its hints (valid values, a similar
/// argument) after `;`, without the usage and `--help` pointer.
fn one_line(text: &str) -> String {
    let kept: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .filter(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .collect();
    let mut line = String::new();
    for part in kept {
        if !line.is_empty() {
            line.push_str(if line.ends_with(':') { " " } else { "; " });
        }
        line.push_str(part);
    }
    if line.is_empty() {
        "error: invalid arguments".into()
    } else {
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_hints_stay_on_the_one_line() {
        let text = "error: invalid value 'xml' for '--format <FORMAT>'\n  \
                    [possible values: table, markdown, csv, json]\n\n\
                    For more information, try '--help'.\n";
        assert_eq!(
            one_line(text),
            "error: invalid value 'xml' for '--format <FORMAT>'; [possible values: table, \
             markdown, csv, json]"
        );
        let tip = "error: unexpected argument '--thread' found\n\n  tip: a similar argument \
                   exists: '--threads'\n\nUsage: fencebench run [OPTIONS]\n\nFor more \
                   information, try '--help'.\n";
        assert_eq!(
            one_line(tip),
            "error: unexpected argument '--thread' found; tip: a similar argument exists: \
             '--threads'"
        );
    }
}

//! `fencebench convert`: a result file of any schema this fencebench reads, written back
//! in the current one. The figures are the file's own: nothing is re-measured or
//! recomputed beyond merging the histograms the summaries were computed from.

use crate::error::{Error, Result};
use crate::result::file::{read, write_file};
use crate::result::SCHEMA_VERSION;
use std::path::PathBuf;

/// What `fencebench convert` was asked to do, checked.
pub struct ConvertOptions {
    pub file: PathBuf,
    pub out: PathBuf,
    pub force: bool,
}

impl ConvertOptions {
    /// `out` defaults to replacing `file`; an existing `out` is refused, before reading
    /// anything, unless `force`.
    pub fn new(file: PathBuf, out: Option<PathBuf>, force: bool) -> Result<ConvertOptions> {
        let out = out.unwrap_or_else(|| file.clone());
        if out.exists() && !force {
            return Err(Error::Invalid(format!(
                "{} exists; pass --force to replace it, or --out another path",
                out.display()
            )));
        }
        Ok(ConvertOptions { file, out, force })
    }
}

/// Reads `opts.file` and writes it to `opts.out` in the current schema.
pub fn execute(opts: ConvertOptions) -> Result<()> {
    let file = read(&opts.file)?;
    write_file(&opts.out, &file, opts.force)?;
    let size = std::fs::metadata(&opts.out).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "wrote {} (schema {SCHEMA_VERSION}, {} KiB)",
        opts.out.display(),
        size / 1024
    );
    Ok(())
}

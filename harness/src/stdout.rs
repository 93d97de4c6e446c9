//! What a command prints on stdout goes through [`emit`].

use crate::error::{Error, Result};
use std::io::Write;

/// Writes `text` to stdout. A closed pipe (`fencebench compare … | head`) is not an
/// error: the reader has taken what it wanted.
pub fn emit(text: &str) -> Result<()> {
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

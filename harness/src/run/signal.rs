//! SIGINT and SIGTERM during a run: the first stops the cell being measured (the runner
//! polls [`interrupted`]) so the finished cells can be written as a partial file; a
//! second one ends the process at once with status 130.

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::flag;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// Set by either signal; then one flag per signal, to name it in the partial file.
struct Flags {
    any: Arc<AtomicBool>,
    int: Arc<AtomicBool>,
    term: Arc<AtomicBool>,
}

fn flags() -> &'static Flags {
    static FLAGS: OnceLock<Flags> = OnceLock::new();
    FLAGS.get_or_init(|| Flags {
        any: Arc::default(),
        int: Arc::default(),
        term: Arc::default(),
    })
}

/// Installs the handlers. Until this is called (tests, benches) nothing is intercepted.
pub fn install() -> std::io::Result<()> {
    let f = flags();
    for (sig, own) in [(SIGINT, &f.int), (SIGTERM, &f.term)] {
        // Registered first, so it sees `any` as it was before this signal: already set
        // means this is the second signal, and the process exits at once.
        flag::register_conditional_shutdown(sig, crate::error::INTERRUPTED, Arc::clone(&f.any))?;
        flag::register(sig, Arc::clone(&f.any))?;
        flag::register(sig, Arc::clone(own))?;
    }
    Ok(())
}

/// Whether a stop was asked for.
pub fn interrupted() -> bool {
    flags().any.load(Ordering::Relaxed)
}

/// `SIGTERM` or `SIGINT`: what stopped the run.
pub fn reason() -> &'static str {
    if flags().term.load(Ordering::Relaxed) {
        "SIGTERM"
    } else {
        "SIGINT"
    }
}

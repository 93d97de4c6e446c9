//! SIGINT and SIGTERM during a run: the first stops the cell being measured (the runner
//! polls [`interrupted`]) so the finished cells can be written as a partial file.
//!
//! A signal within [`SAME_INTERRUPT`] of the first is the same interrupt and is ignored:
//! coreutils `timeout -s INT` sends its signal to the process and then again to its
//! process group, and a shell's Ctrl-C can reach a process twice the same way; taking the
//! echo for "exit now" lost the whole run. A later signal is a user insisting: the process
//! exits at once with status 130, saying on stderr that no result file was written.

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long after the first signal another one counts as the same interrupt.
pub const SAME_INTERRUPT: Duration = Duration::from_secs(1);

/// Set by either signal; then one flag per signal, to name it in the partial file.
#[derive(Default)]
struct Flags {
    any: AtomicBool,
    term: AtomicBool,
}

fn flags() -> &'static Flags {
    static FLAGS: OnceLock<Flags> = OnceLock::new();
    FLAGS.get_or_init(Flags::default)
}

/// What a signal means, given when the first one came (`None`: this is the first).
#[derive(Debug, PartialEq, Eq)]
enum Meaning {
    /// Stop the cell and write the finished ones.
    Stop,
    /// The first interrupt delivered again (to the process group): nothing to do.
    Echo,
    /// A user insisting: exit now, unwritten.
    ExitNow,
}

fn meaning(first: Option<Instant>, now: Instant) -> Meaning {
    match first {
        None => Meaning::Stop,
        Some(t) if now.saturating_duration_since(t) < SAME_INTERRUPT => Meaning::Echo,
        Some(_) => Meaning::ExitNow,
    }
}

/// Installs the handlers: a thread that receives both signals (the handler itself only
/// wakes it, so the thread may take the time, print and exit). Until this is called
/// (tests, benches) nothing is intercepted.
pub fn install() -> std::io::Result<()> {
    let mut signals = Signals::new([SIGINT, SIGTERM])?;
    std::thread::Builder::new()
        .name("fencebench-signals".into())
        .spawn(move || {
            let mut first = None;
            for sig in signals.forever() {
                let now = Instant::now();
                match meaning(first, now) {
                    Meaning::Stop => {
                        first = Some(now);
                        let f = flags();
                        f.term.store(sig == SIGTERM, Ordering::Relaxed);
                        f.any.store(true, Ordering::Relaxed);
                    }
                    Meaning::Echo => {}
                    Meaning::ExitNow => {
                        eprintln!(
                            "interrupted again {:.1} s after the first: exiting at once; no \
                             result file was written (the finished cells are lost)",
                            now.duration_since(first.unwrap_or(now)).as_secs_f64()
                        );
                        std::process::exit(crate::error::INTERRUPTED);
                    }
                }
            }
        })?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_echo_within_the_interval_is_the_same_interrupt() {
        let t = Instant::now();
        assert_eq!(meaning(None, t), Meaning::Stop);
        assert_eq!(meaning(Some(t), t), Meaning::Echo);
        let just_before = t + SAME_INTERRUPT - Duration::from_millis(1);
        assert_eq!(meaning(Some(t), just_before), Meaning::Echo);
        assert_eq!(meaning(Some(t), t + SAME_INTERRUPT), Meaning::ExitNow);
    }
}

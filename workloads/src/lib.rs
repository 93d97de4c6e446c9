//! The workloads fencebench runs, each generic over a fence [`Implementation`].
//!
//! A workload defines *roles* (signaller, reader, waiter, …) with thread counts, the
//! shared state they work on, and one operation per role. The harness owns the threads,
//! pinning, the start barrier, the measured window, sampling and counters; a workload
//! only says what one operation is. Everything is statically dispatched: the runner is
//! monomorphised per (implementation, workload) through [`for_each_workload!`].

mod describe;
mod mixed;
mod ring;
mod rng;
mod section;
mod signal;
mod stall;
mod unload;
mod wait;

pub use describe::{Describe, Trace};
pub use mixed::Mixed;
pub use section::Section;
pub use signal::Signal;
pub use stall::{Stall, MAX_DRIVERS};
pub use unload::{Unload, FENCES_PER_DRIVER};
pub use wait::Wait;

pub(crate) use rng::Rng;

use fencebench_impls::{Implementation, Operation, Pool};
use hdrhistogram::Histogram;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What the harness needs to know of a workload without running it: typed, so no
/// caller matches on workload names to decide which options apply or which figures a
/// workload reports. One per row of the workload table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Properties {
    pub name: &'static str,
    /// One line for `fencebench list`.
    pub summary: &'static str,
    /// The fewest threads it runs with; fewer is [`Unsupported::TooFewThreads`].
    pub min_threads: usize,
    /// Has a signaller role apart from the others, sized by `--signallers`, which must
    /// leave threads for the other roles.
    pub separate_signallers: bool,
    /// A reader stalls in its read-side section: `--stall` and `--drivers` apply, and
    /// what it retains over time is the figure (the series is kept and charted, tables
    /// show the retained peak and free delay).
    pub stalls: bool,
    /// Waiters report signal-to-wake latency and lost wake-ups.
    pub wakes: bool,
    /// Every fence event emits a trace record.
    pub traces: bool,
    /// Drivers are unloaded under readers; unload latency is reported.
    pub unloads: bool,
    /// Its place in the quick suite (`fencebench run --quick`), if in it: the read,
    /// signal and wait paths and the retained-memory scenario, read path first, so every
    /// implementation fits in about a minute on two cores.
    pub quick: Option<usize>,
}

impl Properties {
    /// The defaults a row overrides: one thread, no separate role, nothing extra.
    const PLAIN: Properties = Properties {
        name: "",
        summary: "",
        min_threads: 1,
        separate_signallers: false,
        stalls: false,
        wakes: false,
        traces: false,
        unloads: false,
        quick: None,
    };
}

/// The one table of workloads, in the order tables list them: `"name" Type { properties }`
/// per row. It generates [`WORKLOADS`], [`PROPERTIES`] and the dispatch of
/// [`for_each_workload!`]; a new workload is one row here. Calls `$cb! { ($args) rows… }`.
#[doc(hidden)]
#[macro_export]
macro_rules! __workload_table {
    ($cb:ident!($($args:tt)*)) => {
        $crate::$cb! {
            ($($args)*)
            "signal" Signal {
                summary: "signallers create, emit, signal and drop fences on their own timelines",
                quick: Some(1),
            };
            "wait" Wait {
                summary: "waiters block on fences signallers complete; signal-to-wake latency, lost wake-ups",
                min_threads: 2,
                separate_signallers: true,
                wakes: true,
                quick: Some(2),
            };
            "describe" Describe {
                summary: "readers describe (sync_file info, taking the fence lock) in-flight fences while signallers signal them",
                separate_signallers: true,
                quick: Some(0),
            };
            "trace" Trace {
                summary: "as describe, with every fence event copying names into a trace record",
                separate_signallers: true,
                traces: true,
            };
            "mixed" Mixed {
                summary: "every thread mixes describe / wait-poll / signal (default 90/9/1)",
            };
            "stall" Stall {
                summary: "one reader holds its read-side protection for long stalls; retained memory",
                min_threads: 2,
                separate_signallers: true,
                stalls: true,
                quick: Some(3),
            };
            "section" Section {
                summary: "one read-side section per operation (refscale's reader); --signallers retire data",
                separate_signallers: true,
            };
            "unload" Unload {
                summary: "drivers unloaded while readers hold, describe and poll their fences",
                min_threads: 2,
                separate_signallers: true,
                unloads: true,
            };
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __workload_names {
    (() $($name:literal $ty:ident { $($field:ident: $value:expr,)* };)*) => {
        /// Names of every workload, in table order.
        pub const WORKLOADS: &[&str] = &[$($name),*];
        /// Every workload's properties, in table order.
        pub const PROPERTIES: &[Properties] = &[$(Properties {
            name: $name,
            $($field: $value,)*
            ..Properties::PLAIN
        }),*];
    };
}

__workload_table!(__workload_names!());

/// The properties of the workload named `name`.
pub fn properties(name: &str) -> Option<&'static Properties> {
    PROPERTIES.iter().find(|p| p.name == name)
}

/// The quick suite's workloads, in the order it runs them.
pub fn quick_suite() -> Vec<&'static str> {
    let mut quick: Vec<(usize, &'static str)> = PROPERTIES
        .iter()
        .filter_map(|p| Some((p.quick?, p.name)))
        .collect();
    quick.sort_unstable();
    quick.into_iter().map(|(_, name)| name).collect()
}

/// One line per workload for `fencebench list`.
pub fn summary(name: &str) -> Option<&'static str> {
    properties(name).map(|p| p.summary)
}

/// Workload parameters, shared by all workloads (each uses what applies to it).
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Total worker threads.
    pub threads: usize,
    /// Override of the signaller count for workloads with separate signaller threads.
    pub signallers: Option<usize>,
    /// Fences kept in flight (published, unsignalled) per signaller.
    pub in_flight: usize,
    /// Operations between a reader's refreshes of its snapshot of in-flight fences.
    pub refresh_every: u32,
    /// How long the `stall` reader holds its protection per stall.
    pub stall: Duration,
    /// `stall`: drivers every signaller signals on, the staller holding driver 0 only;
    /// `None`: a driver per signaller, stalled on in turn.
    pub drivers: Option<usize>,
    /// `mixed` operation mix in percent: describe, wait (poll), signal.
    pub mix: Mix,
    /// How long a waiter waits before counting a lost wake-up.
    pub wait_timeout: Duration,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            threads: 1,
            signallers: None,
            in_flight: 64,
            refresh_every: 256,
            stall: Duration::from_millis(100),
            drivers: None,
            mix: Mix::default(),
            wait_timeout: Duration::from_secs(1),
        }
    }
}

/// Operation mix of the `mixed` workload, in percent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mix {
    pub describe: u8,
    pub wait: u8,
    pub signal: u8,
}

impl Default for Mix {
    fn default() -> Self {
        Mix {
            describe: 90,
            wait: 9,
            signal: 1,
        }
    }
}

impl std::str::FromStr for Mix {
    type Err = String;
    /// Parses `D/W/S`, e.g. `90/9/1`; the three must add up to 100.
    fn from_str(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split('/').collect();
        let bad = || {
            format!("invalid mix '{s}': expected DESCRIBE/WAIT/SIGNAL percentages adding up to 100, e.g. 90/9/1")
        };
        let [d, w, g] = parts[..] else {
            return Err(bad());
        };
        let p = |x: &str| x.trim().parse::<u8>().map_err(|_| bad());
        let mix = Mix {
            describe: p(d)?,
            wait: p(w)?,
            signal: p(g)?,
        };
        if mix.describe as u32 + mix.wait as u32 + mix.signal as u32 != 100 {
            return Err(bad());
        }
        Ok(mix)
    }
}

impl std::fmt::Display for Mix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.describe, self.wait, self.signal)
    }
}

/// A group of threads doing the same operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub name: &'static str,
    pub threads: usize,
    /// The role the workload's headline figures come from; in an op-budget run the
    /// primary roles' budgets end the run.
    pub primary: bool,
}

/// What a worker can see of the run while it works.
pub struct Ctx<'a> {
    stop: &'a AtomicBool,
}

impl<'a> Ctx<'a> {
    pub fn new(stop: &'a AtomicBool) -> Self {
        Ctx { stop }
    }

    /// True once the run is ending. Operations that block (waiting for a partner) must
    /// poll this so no thread is left waiting when the others have stopped.
    #[inline]
    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// Per-thread figures a workload reports beyond op counts.
#[derive(Debug, Default)]
pub struct WorkerReport {
    /// Waits that reached their deadline although the fence was signalled.
    pub lost_wakeups: u64,
    /// Waits that reached their deadline before their fence was signalled at all: the
    /// signaller did not run for the whole timeout (an overloaded machine).
    pub late_signals: u64,
    /// Signal-to-wake-up latency in ns (`wait`), one sample per wake-up.
    pub wake_latency: Option<Histogram<u64>>,
    /// Trace records emitted (`trace`).
    pub trace_records: u64,
    /// Unload request to driver memory freed, in ns (`unload`), one sample per unload.
    pub unload_latency: Option<Histogram<u64>>,
}

/// An empty latency histogram (wake-ups, unloads, and the runner's sampled operations):
/// 1 ns to an hour at 3 significant digits. Bounds are explicit because
/// `Histogram::new` starts at a highest trackable value of 2 and `saturating_record`
/// clamps instead of growing it, which would turn every latency into 2 ns.
pub fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000_000, 3).expect("histogram bounds")
}

/// Why a workload cannot run with the given parameters; `Display` is the one line a
/// skipped cell records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsupported {
    /// The implementation cannot do an operation the workload needs.
    Implementation {
        implementation: &'static str,
        reason: String,
    },
    /// Fewer threads than the workload's roles need.
    TooFewThreads {
        workload: &'static str,
        min: usize,
        /// What the threads are for, e.g. `a signaller and a waiter`.
        roles: &'static str,
        threads: usize,
    },
    /// The signaller count leaves too few threads for the other roles.
    Split {
        workload: &'static str,
        min_others: usize,
        threads: usize,
        signallers: usize,
    },
    /// The workload needs a signaller and was given none.
    NoSignaller { workload: &'static str },
    /// A count outside what the workload supports, e.g. `stall --drivers`.
    OutOfRange {
        what: &'static str,
        value: usize,
        min: usize,
        max: usize,
    },
}

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unsupported::Implementation {
                implementation,
                reason,
            } => write!(f, "{implementation}: {reason}"),
            Unsupported::TooFewThreads {
                workload,
                min,
                roles,
                threads,
            } => write!(
                f,
                "{workload} needs at least {min} threads ({roles}), got {threads}"
            ),
            Unsupported::Split {
                workload,
                min_others,
                threads,
                signallers,
            } => write!(
                f,
                "{workload} needs at least {min_others} non-signaller thread(s): {threads} \
                 thread(s) with {signallers} signaller(s)"
            ),
            Unsupported::NoSignaller { workload } => {
                write!(f, "{workload} needs at least 1 signaller")
            }
            Unsupported::OutOfRange {
                what,
                value,
                min,
                max,
            } => write!(f, "{what} {value} is out of range: {min} to {max}"),
        }
    }
}

impl std::error::Error for Unsupported {}

impl Unsupported {
    /// `I` cannot do `operation`, if so.
    pub fn check<I: Implementation>(operation: Operation) -> Result<(), Unsupported> {
        match I::unsupported(operation) {
            Some(reason) => Err(Unsupported::Implementation {
                implementation: I::NAME,
                reason: reason.to_string(),
            }),
            None => Ok(()),
        }
    }

    /// At least `min` threads in `threads`, for `roles`.
    pub(crate) fn need_threads(
        workload: &'static str,
        min: usize,
        roles: &'static str,
        threads: usize,
    ) -> Result<(), Unsupported> {
        if threads < min {
            return Err(Unsupported::TooFewThreads {
                workload,
                min,
                roles,
                threads,
            });
        }
        Ok(())
    }
}

/// A workload over implementation `I`.
pub trait Workload<I: Implementation>: Sync + Sized {
    const NAME: &'static str;
    /// Operations between the runner's checks of the stop flag. Fast operations batch
    /// them so the check costs nothing; slow ones (a blocking wait, a 100 ms stall) check
    /// after every operation so the run stops promptly.
    const POLL_EVERY: u32 = 64;
    /// Per-thread state.
    type Worker: Send;

    /// Builds the shared state (timelines, published fences) for `params.threads` threads.
    fn new(params: &Params) -> Result<Self, Unsupported>;

    /// The roles, whose thread counts add up to `params.threads`. Thread `i` of the run
    /// gets the role covering index `i` in this order.
    fn roles(&self) -> &[Role];

    /// State for thread `index` (0-based within `role`).
    fn worker(&self, role: usize, index: usize) -> Self::Worker;

    /// One operation of the worker's role.
    fn op(&self, worker: &mut Self::Worker, ctx: &Ctx);

    /// Called once the run stops; must leave no fence another thread waits on
    /// unsignalled.
    fn finish(&self, worker: Self::Worker) -> WorkerReport;

    /// The pools holding this workload's driver data (for violations and retained memory).
    fn pools(&self) -> Vec<Arc<Pool>>;

    /// How many of [`pools`](Self::pools), from the first, belong to the driver a reader
    /// stalls in (`stall --drivers`), so the harness reports their retained data apart
    /// from the other drivers'; `None` where the pools are not split so.
    fn stalled_pools(&self) -> Option<usize> {
        None
    }
}

/// Splits `threads` into signallers and the other role: `signallers` if given, else
/// `default(threads)`; errors name the bad value.
fn split(
    workload: &'static str,
    threads: usize,
    signallers: Option<usize>,
    default: impl FnOnce(usize) -> usize,
    min_others: usize,
) -> Result<(usize, usize), Unsupported> {
    let s = signallers.unwrap_or_else(|| default(threads));
    if s > threads || threads - s < min_others {
        return Err(Unsupported::Split {
            workload,
            min_others,
            threads,
            signallers: s,
        });
    }
    Ok((s, threads - s))
}

/// Expands `$body` with `$w` bound to the workload type named `$name` (generic over
/// `$impl`); `Some(result)`, or `None` for an unknown workload.
#[macro_export]
macro_rules! for_each_workload {
    ($name:expr, $impl:ty, $w:ident => $body:expr) => {
        $crate::__workload_table!(__workload_dispatch!($name, $impl, $w, $body))
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __workload_dispatch {
    (($name:expr, $impl:ty, $w:ident, $body:expr) $($n:literal $ty:ident { $($field:ident: $value:expr,)* };)*) => {
        match $name {
            $($n => {
                type $w = $crate::$ty<$impl>;
                Some($body)
            })*
            _ => None,
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A wake-up or unload takes microseconds to milliseconds: recorded as it is, not
    /// clamped to the histogram's initial range.
    #[test]
    fn latency_histogram_keeps_large_values() {
        let mut h = latency_histogram();
        for ns in [40, 42_000, 7_500_000, 30_000_000_000] {
            h.saturating_record(ns);
        }
        assert_eq!(h.len(), 4);
        assert!(h.max() >= 30_000_000_000 * 999 / 1000, "max {}", h.max());
        assert!(h.value_at_quantile(0.5) >= 42_000 * 999 / 1000);
    }

    #[test]
    fn mix_parses_and_rejects() {
        assert_eq!("90/9/1".parse::<Mix>().unwrap(), Mix::default());
        assert_eq!("50/0/50".parse::<Mix>().unwrap().to_string(), "50/0/50");
        for bad in ["90/9", "90/9/2", "a/b/c", "200/0/0"] {
            assert!(bad.parse::<Mix>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_table_names_every_workload_once_and_dispatches_each() {
        assert_eq!(WORKLOADS.len(), PROPERTIES.len());
        for (i, name) in WORKLOADS.iter().enumerate() {
            assert_eq!(PROPERTIES[i].name, *name);
            assert!(!WORKLOADS[..i].contains(name), "{name} listed twice");
            let dispatched = for_each_workload!(*name, fencebench_impls::Unprotected, W => {
                <W as Workload<fencebench_impls::Unprotected>>::NAME
            });
            assert_eq!(dispatched, Some(*name));
        }
        let unknown = for_each_workload!("nope", fencebench_impls::Unprotected, W => {
            <W as Workload<fencebench_impls::Unprotected>>::POLL_EVERY
        });
        assert_eq!(unknown, None);
        assert_eq!(quick_suite(), ["describe", "signal", "wait", "stall"]);
    }

    #[test]
    fn unsupported_says_why_in_one_line() {
        let split = Unsupported::Split {
            workload: "x",
            min_others: 1,
            threads: 2,
            signallers: 2,
        };
        assert_eq!(
            split.to_string(),
            "x needs at least 1 non-signaller thread(s): 2 thread(s) with 2 signaller(s)"
        );
        let few = Unsupported::TooFewThreads {
            workload: "wait",
            min: 2,
            roles: "a signaller and a waiter",
            threads: 1,
        };
        assert_eq!(
            few.to_string(),
            "wait needs at least 2 threads (a signaller and a waiter), got 1"
        );
    }

    #[test]
    fn split_checks_counts() {
        assert_eq!(split("x", 4, None, |t| t / 4, 1), Ok((1, 3)));
        assert_eq!(split("x", 4, Some(2), |_| 0, 1), Ok((2, 2)));
        assert!(split("x", 2, Some(2), |_| 0, 1).is_err());
        assert!(split("x", 1, Some(3), |_| 0, 0).is_err());
    }
}

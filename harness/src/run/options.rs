//! `fencebench run`'s options, from its command-line arguments: defaults filled in,
//! every value within a bound a run can honour, combinations that cannot work refused in
//! one line naming the value. Nothing here measures or writes anything.

use crate::cli::{OnOff, RunArgs, Threads};
use crate::error::{Error, Result};
use crate::host;
use crate::present::export::{Format, Style};
use crate::result::file::Destination;
use crate::run::machine;
use crate::run::runner::{RepSpec, Window};
use crate::run::suite::SuiteSpec;
use fencebench_impls::IMPLEMENTATIONS;
use fencebench_workloads::{properties, quick_suite, Params, MAX_DRIVERS, WORKLOADS};
use std::time::Duration;

/// Bounds every run honours: beyond them a run would abort on allocation, hang, or
/// measure nothing; each is far above what a measurement needs.
pub const MAX_THREADS: usize = 1024;
pub const MIN_DURATION: Duration = Duration::from_millis(1);
pub const MAX_DURATION: Duration = Duration::from_secs(3600);
pub const MAX_WARMUP: Duration = Duration::from_secs(600);
pub const MAX_REPEAT: usize = 1000;
pub const MAX_OPS: u64 = 1_000_000_000_000;
pub const MAX_IN_FLIGHT: usize = 65_536;
/// Fences in flight over all signallers of the largest cell.
pub const MAX_FENCES: usize = 1 << 22;

pub struct RunOptions {
    pub spec: SuiteSpec,
    pub machine: Option<String>,
    pub machine_desc: Option<String>,
    pub quick: bool,
    /// The run is inside a QEMU guest under `-icount shift=0`: its figures are
    /// instruction counts, recorded as such (`RunConfig::unit`).
    pub icount: bool,
    pub out: Destination,
    pub format: Format,
    pub style: Style,
    /// Said on stderr before the run starts.
    pub warnings: Vec<String>,
}

/// What the workloads of a run have in common, from their table rows: which options
/// apply to them.
struct Applies {
    /// Some workload has a separate signaller role (`--signallers`).
    signallers: bool,
    /// Some workload stalls a reader (`--stall`, `--drivers`).
    stalls: bool,
}

impl Applies {
    fn to(workloads: &[String]) -> Applies {
        let any = |f: fn(&fencebench_workloads::Properties) -> bool| {
            workloads.iter().filter_map(|w| properties(w)).any(f)
        };
        Applies {
            signallers: any(|p| p.separate_signallers),
            stalls: any(|p| p.stalls),
        }
    }
}

impl RunOptions {
    /// Validates `args` into options, or says in one line what cannot work.
    pub fn from_args(args: RunArgs) -> Result<RunOptions> {
        let quick = args.quick;
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        let implementations = if args.implementations.is_empty() {
            all(IMPLEMENTATIONS)
        } else {
            unique("--impl", args.implementations.clone())?
        };
        let workloads = match (args.workloads.is_empty(), quick) {
            (false, _) => unique("--workload", args.workloads.clone())?,
            (true, true) => all(&quick_suite()),
            (true, false) => all(WORKLOADS),
        };
        let threads = threads(&args.threads, cores)?;
        let window = window(&args)?;
        let applies = Applies::to(&workloads);
        check_fences(&args, &threads)?;
        if applies.signallers {
            check_signallers(args.signallers, &threads)?;
        }
        if applies.stalls {
            check_stall(&args, &threads, window)?;
        }
        let repeat = args.repeat.unwrap_or(if quick { 3 } else { 5 });
        if repeat > MAX_REPEAT {
            return invalid(format!(
                "--repeat {repeat} is out of range: at most {MAX_REPEAT}"
            ));
        }
        let max_retained = args
            .max_retained
            .unwrap_or_else(|| machine::total_memory().map_or(4 << 30, |ram| ram / 4));
        let warnings = oversubscribed(&threads, cores).into_iter().collect();
        let out = destination(&args)?;
        let params = Params {
            threads: threads[0],
            signallers: args.signallers,
            in_flight: args.in_flight,
            stall: args.stall,
            drivers: args.drivers.filter(|_| applies.stalls),
            mix: args.mix,
            ..Params::default()
        };
        let spec = SuiteSpec {
            implementations,
            workloads,
            threads,
            repeat,
            rep: RepSpec {
                params,
                window,
                sample_every: args.sample_every,
                counters: args.counters == OnOff::On,
                pin: args.pin == OnOff::On,
                retained_every: Duration::from_millis(5),
                max_resident: max_retained,
                icount: args.icount,
            },
            overhead: args.sample_every != 0,
            cores,
        };
        let machine_desc = match args.describe_machine {
            true => host::default_description(),
            false => args.machine_desc,
        };
        Ok(RunOptions {
            spec,
            machine: args.machine,
            machine_desc,
            quick,
            icount: args.icount,
            out,
            format: args.format.into(),
            style: Style::for_stdout(args.ascii),
            warnings,
        })
    }
}

/// The thread counts, ladders expanded over `cores`: each at most [`MAX_THREADS`],
/// none twice; every core when none is given.
fn threads(given: &[Threads], cores: usize) -> Result<Vec<usize>> {
    if given.is_empty() {
        return Ok(vec![cores]);
    }
    let mut counts = Vec::new();
    for t in given {
        match *t {
            Threads::Count(n) => counts.push(n),
            Threads::Ladder { up_to } => counts.extend(ladder(cores, up_to)),
        }
    }
    let counts = unique("--threads", counts)?;
    if let Some(&t) = counts.iter().find(|&&t| t > MAX_THREADS) {
        return invalid(format!(
            "--threads {t} is out of range: at most {MAX_THREADS} threads per cell"
        ));
    }
    Ok(counts)
}

/// 1, 2, 4, … below `cores` (and at most `up_to`), then `cores`.
fn ladder(cores: usize, up_to: Option<usize>) -> Vec<usize> {
    let top = up_to.unwrap_or(usize::MAX);
    let mut rungs: Vec<usize> = std::iter::successors(Some(1usize), |t| t.checked_mul(2))
        .take_while(|&t| t < cores && t <= top)
        .collect();
    rungs.push(cores);
    rungs
}

/// The measured window: an operation budget, or warm-up and duration (defaults by
/// `--quick`) within their bounds.
fn window(args: &RunArgs) -> Result<Window> {
    if let Some(ops) = args.ops {
        if ops > MAX_OPS {
            return invalid(format!(
                "--ops {ops} is out of range: at most {MAX_OPS} operations per thread"
            ));
        }
    }
    let quick = args.quick;
    let duration = bounded(
        "--duration",
        args.duration
            .unwrap_or(Duration::from_millis(if quick { 250 } else { 1000 })),
        MIN_DURATION,
        MAX_DURATION,
    )?;
    let warmup = bounded(
        "--warmup",
        args.warmup
            .unwrap_or(Duration::from_millis(if quick { 100 } else { 200 })),
        Duration::ZERO,
        MAX_WARMUP,
    )?;
    Ok(match args.ops {
        Some(n) => Window::Ops(n),
        None => Window::Timed { warmup, duration },
    })
}

/// `--in-flight` per signaller and over all threads of the largest cell.
fn check_fences(args: &RunArgs, threads: &[usize]) -> Result<()> {
    let max_threads = threads.iter().copied().max().unwrap_or(1);
    if args.in_flight > MAX_IN_FLIGHT || args.in_flight * max_threads > MAX_FENCES {
        return invalid(format!(
            "--in-flight {} is out of range: at most {MAX_IN_FLIGHT} per signaller and \
             {MAX_FENCES} over all {max_threads} threads",
            args.in_flight
        ));
    }
    Ok(())
}

/// `--signallers` must leave a thread for the other roles at every thread count.
fn check_signallers(signallers: Option<usize>, threads: &[usize]) -> Result<()> {
    if let Some(s) = signallers {
        if let Some(&t) = threads.iter().find(|&&t| t <= s) {
            return invalid(format!(
                "--signallers {s} leaves no thread for the other roles at --threads {t}: \
                 every thread count must exceed the signaller count"
            ));
        }
    }
    Ok(())
}

/// `--stall` and `--drivers` within bounds, and a stall that fits the window.
fn check_stall(args: &RunArgs, threads: &[usize], window: Window) -> Result<()> {
    let max_threads = threads.iter().copied().max().unwrap_or(1);
    bounded(
        "--stall",
        args.stall,
        Duration::from_micros(1),
        MAX_DURATION,
    )?;
    if let Some(d) = args.drivers {
        if d > MAX_DRIVERS {
            return invalid(format!(
                "--drivers {d} is out of range: at most {MAX_DRIVERS} drivers"
            ));
        }
        if args.in_flight * d * max_threads > MAX_FENCES {
            return invalid(format!(
                "--drivers {d} with --in-flight {} is out of range: at most {MAX_FENCES} \
                 fences in flight over all {max_threads} threads and drivers",
                args.in_flight
            ));
        }
    }
    if let Window::Timed { duration, .. } = window {
        if args.stall > duration {
            return invalid(format!(
                "--stall {} is longer than the measured window (--duration {}): the stall \
                 could not complete",
                duration_text(args.stall),
                duration_text(duration)
            ));
        }
    }
    Ok(())
}

/// The warning for thread counts above the logical cores here, if any.
fn oversubscribed(threads: &[usize], cores: usize) -> Option<String> {
    let over: Vec<String> = threads
        .iter()
        .filter(|&&t| t > cores)
        .map(usize::to_string)
        .collect();
    (!over.is_empty()).then(|| {
        format!(
            "warning: --threads {} exceed{} the {cores} logical cores here: those cells are \
             oversubscribed (recorded in the result file and flagged in the tables)",
            over.join(","),
            if over.len() == 1 { "s" } else { "" }
        )
    })
}

/// `--out`, `--results-dir` or the repository's `results/runs/`, under the machine's
/// directory name where the name is chosen.
fn destination(args: &RunArgs) -> Result<Destination> {
    let machine = || args.machine.clone().unwrap_or_else(host::default_name);
    Ok(match (&args.out, &args.results_dir) {
        (Some(path), _) => Destination::exact(path.clone(), args.force)?,
        (None, Some(dir)) => Destination::fresh_in(dir, &machine())?,
        (None, None) => Destination::default_for(&machine()),
    })
}

fn invalid<T>(msg: String) -> Result<T> {
    Err(Error::Invalid(msg))
}

fn duration_text(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

/// Checks `d` against `[min, max]`, naming the option.
fn bounded(option: &str, d: Duration, min: Duration, max: Duration) -> Result<Duration> {
    if d < min || d > max {
        return invalid(format!(
            "{option} {} is out of range: use {} to {}",
            duration_text(d),
            duration_text(min),
            duration_text(max)
        ));
    }
    Ok(d)
}

/// The list as given, refusing a value given twice (it would run the same cells twice
/// and print duplicate tables).
fn unique<T: PartialEq + std::fmt::Display>(option: &str, values: Vec<T>) -> Result<Vec<T>> {
    for (i, v) in values.iter().enumerate() {
        if values[..i].contains(v) {
            return invalid(format!("{option}: '{v}' is given twice"));
        }
    }
    Ok(values)
}

fn all(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ladders_double_below_the_cores_then_take_them_all() {
        assert_eq!(ladder(1, None), [1]);
        assert_eq!(ladder(2, None), [1, 2]);
        assert_eq!(ladder(6, None), [1, 2, 4, 6]);
        assert_eq!(ladder(16, None), [1, 2, 4, 8, 16]);
        assert_eq!(ladder(64, Some(8)), [1, 2, 4, 8, 64]);
        assert_eq!(ladder(4, Some(8)), [1, 2, 4]);
    }

    #[test]
    fn thread_lists_expand_ladders_and_refuse_repeats() {
        let ladder = Threads::Ladder { up_to: None };
        assert_eq!(threads(&[ladder], 4).unwrap(), [1, 2, 4]);
        assert_eq!(threads(&[], 3).unwrap(), [3]);
        let twice = threads(&[Threads::Count(2), ladder], 4).unwrap_err();
        assert_eq!(twice.to_string(), "error: --threads: '2' is given twice");
    }
}

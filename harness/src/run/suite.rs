//! A whole run: every (implementation, workload, threads) cell, repeated. Repetitions
//! are the outer loop and the implementation order rotates between them, so slow drift
//! of a shared machine lands on every implementation alike and ratios stay fair.

use crate::result::compact::compact;
use crate::result::summary::{add_ratios, summarize, BASELINE};
use crate::result::{Cell, Overhead, Rep, Stat};
use crate::run::runner::{run_rep, RepSpec};
use crate::run::signal;
use fencebench_impls::{for_each_impl, Implementation, Operation};
use fencebench_workloads::{for_each_workload, properties, Params, Workload};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// What to run.
#[derive(Debug, Clone)]
pub struct SuiteSpec {
    pub implementations: Vec<String>,
    pub workloads: Vec<String>,
    pub threads: Vec<usize>,
    pub repeat: usize,
    /// Template for every repetition; `params.threads` is set per cell.
    pub rep: RepSpec,
    /// Measure the harness's sampling overhead (one extra cell, sampling off vs on).
    pub overhead: bool,
    /// Logical cores available: cells with more threads are flagged oversubscribed.
    pub cores: usize,
}

/// What a suite produced.
pub struct Outcome {
    pub cells: Vec<Cell>,
    pub overhead: Option<Overhead>,
    /// Set when a signal stopped the run: the cells hold what finished.
    pub interrupted: Option<&'static str>,
}

impl Outcome {
    /// `implementation workload threads: k of n repetitions` for every cell that ran
    /// fewer repetitions than asked.
    pub fn missing(&self, repeat: usize) -> Vec<String> {
        self.cells
            .iter()
            .filter(|c| c.skipped.is_none() && c.reps.len() < repeat)
            .map(|c| {
                format!(
                    "{} {} {}: {} of {repeat} repetitions",
                    c.implementation,
                    c.workload,
                    c.threads,
                    c.reps.len()
                )
            })
            .collect()
    }
}

/// Progress events, for a progress bar.
pub enum Progress {
    Start {
        total: usize,
    },
    /// The repetition about to be measured, as a short label of the real cell.
    Cell {
        label: String,
    },
}

/// The outcome of one repetition of one cell.
enum RepOutcome {
    Ran(Box<Rep>),
    Skipped(String),
}

/// Runs one repetition of the named cell. Panics inside are caught and reported as a
/// skip reason, so one failing cell never loses the rest of a long run.
fn run_named(spec: &RepSpec, implementation: &str, workload: &str) -> RepOutcome {
    let run = || {
        for_each_impl!(implementation, I => {
            for_each_workload!(workload, I, W => run_cell::<I, W>(spec))
                .unwrap_or_else(|| RepOutcome::Skipped(format!("unknown workload '{workload}'")))
        })
        .unwrap_or_else(|| {
            RepOutcome::Skipped(format!("unknown implementation '{implementation}'"))
        })
    };
    catch_unwind(AssertUnwindSafe(run)).unwrap_or_else(|e| {
        let msg = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "unknown panic".into());
        RepOutcome::Skipped(format!("panicked: {msg}"))
    })
}

fn run_cell<I: Implementation, W: Workload<I>>(spec: &RepSpec) -> RepOutcome {
    if let Some(reason) = I::unavailable() {
        return RepOutcome::Skipped(format!("{} unavailable: {reason}", I::NAME));
    }
    let outcome = match W::new(&spec.params) {
        Ok(workload) => {
            let rep = run_rep::<I, W>(spec, &workload);
            drop(workload);
            RepOutcome::Ran(Box::new(rep))
        }
        Err(unsupported) => RepOutcome::Skipped(unsupported.to_string()),
    };
    // Settle reclamation so the next cell starts from an empty backlog.
    I::quiesce();
    outcome
}

fn mechanism(implementation: &str) -> String {
    for_each_impl!(implementation, I => I::read_side_mechanism().to_string()).unwrap_or_default()
}

/// The implementation's version and why its pool figures are not measured, if so.
fn provenance(implementation: &str) -> (Option<String>, Option<String>) {
    for_each_impl!(implementation, I => (
        I::unavailable().is_none().then(I::version).flatten(),
        I::unsupported(Operation::PoolFigures).map(String::from),
    ))
    .unwrap_or_default()
}

/// Runs the suite. `progress` sees every cell before it runs.
pub fn run_suite(spec: &SuiteSpec, mut progress: impl FnMut(Progress)) -> Outcome {
    let mut cells: Vec<Cell> = Vec::new();
    for &threads in &spec.threads {
        for w in &spec.workloads {
            for i in &spec.implementations {
                let (version, unobservable) = provenance(i);
                cells.push(Cell {
                    implementation: i.clone(),
                    workload: w.clone(),
                    threads,
                    mechanism: mechanism(i),
                    skipped: None,
                    version,
                    unobservable,
                    flags: Vec::new(),
                    reps: Vec::new(),
                    summary: None,
                });
            }
        }
    }
    let overhead_reps = if spec.overhead { 2 * spec.repeat } else { 0 };
    progress(Progress::Start {
        total: cells.len() * spec.repeat + overhead_reps,
    });

    let n_impls = spec.implementations.len().max(1);
    let mut interrupted = None;
    'reps: for rep in 0..spec.repeat {
        for group in cells.chunks_mut(n_impls) {
            let len = group.len();
            for k in 0..len {
                let cell = &mut group[(k + rep) % len];
                if cell.skipped.is_some() {
                    continue;
                }
                if signal::interrupted() {
                    interrupted = Some(signal::reason());
                    break 'reps;
                }
                progress(Progress::Cell {
                    label: format!(
                        "{} {} t={} rep {}/{}",
                        cell.implementation,
                        cell.workload,
                        cell.threads,
                        rep + 1,
                        spec.repeat
                    ),
                });
                let mut rs = spec.rep.clone();
                rs.params = Params {
                    threads: cell.threads,
                    ..spec.rep.params.clone()
                };
                match run_named(&rs, &cell.implementation, &cell.workload) {
                    // A repetition a signal cut short is not a measurement.
                    RepOutcome::Ran(_) if signal::interrupted() => {
                        interrupted = Some(signal::reason());
                        break 'reps;
                    }
                    RepOutcome::Ran(r) => cell.reps.push(*r),
                    RepOutcome::Skipped(reason) => {
                        cell.reps.clear();
                        cell.skipped = Some(reason);
                    }
                }
            }
        }
    }
    let overhead = (spec.overhead && interrupted.is_none())
        .then(|| measure_overhead(spec, &mut progress))
        .flatten();
    for cell in &mut cells {
        summarize(cell);
        cell.flags = flags(spec, cell);
        compact(cell);
    }
    add_ratios(&mut cells);
    Outcome {
        cells,
        overhead,
        interrupted: interrupted.or_else(|| signal::interrupted().then(signal::reason)),
    }
}

/// What makes a cell's figures less than a clean measurement, in words for the tables.
fn flags(spec: &SuiteSpec, cell: &Cell) -> Vec<String> {
    let mut flags = Vec::new();
    if cell.skipped.is_some() {
        return flags;
    }
    if cell.threads > spec.cores {
        flags.push(format!(
            "oversubscribed: {} threads on {} logical cores",
            cell.threads, spec.cores
        ));
    }
    let n = cell.reps.len();
    let mut idle: Vec<&str> = Vec::new();
    for rep in &cell.reps {
        for role in rep.roles.iter().filter(|r| r.threads > 0 && r.ops == 0) {
            if !idle.contains(&role.role.as_str()) {
                idle.push(&role.role);
            }
        }
    }
    for role in idle {
        let k = cell
            .reps
            .iter()
            .filter(|r| r.roles.iter().any(|x| x.role == role && x.ops == 0))
            .count();
        flags.push(format!(
            "the {role} role did no operation in {k} of {n} repetitions: the window was \
             too short for it"
        ));
    }
    let stall = spec.rep.params.stall;
    if properties(&cell.workload).is_some_and(|p| p.stalls) {
        let short = cell
            .reps
            .iter()
            .filter(|r| u128::from(r.window_ns) < stall.as_nanos())
            .count();
        if short > 0 {
            flags.push(format!(
                "the {} ms stall did not complete within the window in {short} of {n} \
                 repetitions",
                stall.as_millis()
            ));
        }
    }
    let late: u64 = cell.reps.iter().map(|r| r.late_signals).sum();
    if late > 0 {
        flags.push(format!(
            "{late} waits timed out before their fence was signalled: the signaller did not \
             run for the whole timeout (an overloaded machine), not a lost wake-up"
        ));
    }
    let mut early: Vec<&str> = cell
        .reps
        .iter()
        .filter_map(|r| r.ended_early.as_deref())
        .collect();
    early.dedup();
    flags.extend(early.into_iter().map(String::from));
    flags
}

/// Throughput of the baseline on the first workload with sampling off and on,
/// interleaved, in the same run as everything else.
fn measure_overhead(spec: &SuiteSpec, progress: &mut impl FnMut(Progress)) -> Option<Overhead> {
    if spec.rep.sample_every == 0 {
        return None;
    }
    let implementation = spec
        .implementations
        .iter()
        .find(|i| *i == BASELINE)
        .or(spec.implementations.first())?;
    let workload = spec
        .workloads
        .iter()
        .find(|w| *w == "describe")
        .or(spec.workloads.first())?;
    let threads = *spec.threads.first()?;
    let (mut off, mut on) = (Vec::new(), Vec::new());
    for rep in 0..spec.repeat {
        for sample_every in [0, spec.rep.sample_every] {
            if signal::interrupted() {
                return None;
            }
            let sampling = if sample_every == 0 { "off" } else { "on" };
            progress(Progress::Cell {
                label: format!(
                    "overhead: {implementation} {workload} t={threads} sampling {sampling} \
                     rep {}/{}",
                    rep + 1,
                    spec.repeat
                ),
            });
            let mut rs = spec.rep.clone();
            rs.sample_every = sample_every;
            rs.params = Params {
                threads,
                ..spec.rep.params.clone()
            };
            let RepOutcome::Ran(r) = run_named(&rs, implementation, workload) else {
                return None;
            };
            let ops: f64 = r
                .roles
                .iter()
                .filter(|r| r.primary)
                .map(|r| r.ops_per_sec)
                .sum();
            if sample_every == 0 {
                off.push(ops)
            } else {
                on.push(ops)
            }
        }
    }
    let (off, on) = (Stat::of(off)?, Stat::of(on)?);
    if off.median <= 0.0 {
        return None;
    }
    Some(Overhead {
        implementation: implementation.clone(),
        workload: workload.clone(),
        threads,
        sample_every: spec.rep.sample_every,
        ops_per_sec_off: off,
        ops_per_sec_on: on,
        ratio: on.median / off.median,
    })
}

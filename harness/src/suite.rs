//! A whole run: every (implementation, workload, threads) cell, repeated. Repetitions
//! are the outer loop and the implementation order rotates between them, so slow drift
//! of a shared machine lands on every implementation alike and ratios stay fair.

use crate::result::{Cell, Overhead, Rep, Stat};
use crate::runner::{run_rep, RepSpec};
use crate::summary::{add_ratios, summarize, BASELINE};
use fencebench_impls::{for_each_impl, Implementation, Operation};
use fencebench_workloads::{for_each_workload, Params, Unsupported, Workload};
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
}

/// Progress events, for a progress bar.
pub enum Progress<'a> {
    Start {
        total: usize,
    },
    Cell {
        implementation: &'a str,
        workload: &'a str,
        threads: usize,
        rep: usize,
    },
}

/// The outcome of one repetition of one cell.
enum Outcome {
    Ran(Box<Rep>),
    Skipped(String),
}

/// Runs one repetition of the named cell. Panics inside are caught and reported as a
/// skip reason, so one failing cell never loses the rest of a long run.
fn run_named(spec: &RepSpec, implementation: &str, workload: &str) -> Outcome {
    let run = || {
        for_each_impl!(implementation, I => {
            for_each_workload!(workload, I, W => run_cell::<I, W>(spec))
                .unwrap_or_else(|| Outcome::Skipped(format!("unknown workload '{workload}'")))
        })
        .unwrap_or_else(|| Outcome::Skipped(format!("unknown implementation '{implementation}'")))
    };
    catch_unwind(AssertUnwindSafe(run)).unwrap_or_else(|e| {
        let msg = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "unknown panic".into());
        Outcome::Skipped(format!("panicked: {msg}"))
    })
}

fn run_cell<I: Implementation, W: Workload<I>>(spec: &RepSpec) -> Outcome {
    if let Some(reason) = I::unavailable() {
        return Outcome::Skipped(format!("{} unavailable: {reason}", I::NAME));
    }
    let outcome = match W::new(&spec.params) {
        Ok(workload) => {
            let rep = run_rep::<I, W>(spec, &workload);
            drop(workload);
            Outcome::Ran(Box::new(rep))
        }
        Err(Unsupported(reason)) => Outcome::Skipped(reason),
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
pub fn run_suite(
    spec: &SuiteSpec,
    mut progress: impl FnMut(Progress),
) -> (Vec<Cell>, Option<Overhead>) {
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
    for rep in 0..spec.repeat {
        for group in cells.chunks_mut(n_impls) {
            let len = group.len();
            for k in 0..len {
                let cell = &mut group[(k + rep) % len];
                if cell.skipped.is_some() {
                    continue;
                }
                progress(Progress::Cell {
                    implementation: &cell.implementation,
                    workload: &cell.workload,
                    threads: cell.threads,
                    rep,
                });
                let mut rs = spec.rep.clone();
                rs.params = Params {
                    threads: cell.threads,
                    ..spec.rep.params.clone()
                };
                match run_named(&rs, &cell.implementation, &cell.workload) {
                    Outcome::Ran(r) => cell.reps.push(*r),
                    Outcome::Skipped(reason) => {
                        cell.reps.clear();
                        cell.skipped = Some(reason);
                    }
                }
            }
        }
    }
    let overhead = spec
        .overhead
        .then(|| measure_overhead(spec, &mut progress))
        .flatten();
    for cell in &mut cells {
        summarize(cell);
    }
    add_ratios(&mut cells);
    (cells, overhead)
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
            progress(Progress::Cell {
                implementation,
                workload,
                threads,
                rep,
            });
            let mut rs = spec.rep.clone();
            rs.sample_every = sample_every;
            rs.params = Params {
                threads,
                ..spec.rep.params.clone()
            };
            let Outcome::Ran(r) = run_named(&rs, implementation, workload) else {
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

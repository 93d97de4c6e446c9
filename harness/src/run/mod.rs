//! Running measurements: the machine probe, hardware counters, one repetition of one
//! cell (the runner), the whole suite of cells, and the signals that stop it. Produces a
//! result file; [`execute`] is `fencebench run` from its [options](options::RunOptions)
//! to a written file.

pub mod counters;
pub mod machine;
pub mod options;
pub mod progress;
pub mod runner;
pub mod signal;
pub mod software;
pub mod suite;

use crate::error::{Error, Result};
use crate::present::export;
use crate::result::file::Destination;
use crate::result::{
    Availability, CounterAvailability, Machine, Partial, ResultFile, RunConfig, SCHEMA_VERSION,
    UNIT_ICOUNT,
};
use counters::CounterGroup;
use options::RunOptions;
use runner::Window;
use std::path::PathBuf;
use std::time::SystemTime;
use suite::SuiteSpec;

/// Runs the suite, prints its report, writes its result file; an interrupted run writes
/// the finished cells as a partial file and ends in [`Error::Interrupted`].
pub fn execute(opts: RunOptions) -> Result<()> {
    signal::install().map_err(|e| Error::Failed(format!("cannot handle signals: {e}")))?;
    for warning in &opts.warnings {
        eprintln!("{warning}");
    }
    let spec = &opts.spec;
    let created = SystemTime::now();
    let machine = probe_machine(&opts);

    let mut bar = progress::Bar::new();
    let outcome = suite::run_suite(spec, |p| bar.update(p));
    bar.finish();

    let partial = outcome.interrupted.map(|reason| Partial {
        reason: reason.to_string(),
        missing: outcome.missing(spec.repeat),
    });
    let file = ResultFile {
        schema_version: SCHEMA_VERSION,
        tool: format!("fencebench {}", env!("CARGO_PKG_VERSION")),
        created: humantime::format_rfc3339_seconds(created).to_string(),
        machine,
        config: run_config(spec, opts.quick, opts.icount),
        harness_overhead: outcome.overhead,
        cells: outcome.cells,
        partial,
        reasons: Vec::new(),
    };
    if let Some(p) = &file.partial {
        // The file first: a second signal may end the process at any moment.
        let path = save(&opts.out, &file, created)?;
        let total = file.cells.iter().filter(|c| c.skipped.is_none()).count();
        return Err(Error::Interrupted {
            partial: path,
            missing: p.missing.len(),
            total,
        });
    }
    // Printed before the file is written, but a failure to print must not lose the run.
    let printed = crate::stdout::emit(&export::render(&file, opts.format, opts.style));
    let path = save(&opts.out, &file, created)?;
    eprintln!("wrote {}", path.display());
    printed
}

/// The machine as the result file records it, with which counters open and whether
/// threads can be pinned here.
fn probe_machine(opts: &RunOptions) -> Machine {
    let spec = &opts.spec;
    let counter_avail = if spec.rep.counters {
        let (_, mut events) = CounterGroup::open();
        events.extend(software::SoftwareGroup::open().1);
        CounterAvailability {
            enabled: true,
            events,
        }
    } else {
        CounterAvailability {
            enabled: false,
            events: Vec::new(),
        }
    };
    let pinning = match (spec.rep.pin, core_affinity::get_core_ids()) {
        (false, _) => Availability {
            available: false,
            reason: Some("--pin off".into()),
        },
        (true, Some(ids)) if !ids.is_empty() => Availability {
            available: true,
            reason: None,
        },
        (true, _) => Availability {
            available: false,
            reason: Some("no core ids available".into()),
        },
    };
    machine::probe(
        opts.machine.clone(),
        opts.machine_desc.clone(),
        counter_avail,
        pinning,
    )
}

/// The run's configuration as the result file records it: the one place a
/// [`SuiteSpec`] becomes a [`RunConfig`].
fn run_config(spec: &SuiteSpec, quick: bool, icount: bool) -> RunConfig {
    let (duration_ms, warmup_ms, ops_budget) = match spec.rep.window {
        Window::Timed { warmup, duration } => {
            (duration.as_millis() as u64, warmup.as_millis() as u64, None)
        }
        Window::Ops(n) => (0, 0, Some(n)),
    };
    let params = &spec.rep.params;
    RunConfig {
        implementations: spec.implementations.clone(),
        workloads: spec.workloads.clone(),
        threads: spec.threads.clone(),
        duration_ms,
        warmup_ms,
        repeat: spec.repeat,
        sample_every: spec.rep.sample_every,
        counters: spec.rep.counters,
        pin: spec.rep.pin,
        quick,
        ops_budget,
        signallers: params.signallers,
        in_flight: params.in_flight,
        refresh_every: params.refresh_every,
        stall_ms: params.stall.as_millis() as u64,
        drivers: params.drivers,
        mix: params.mix.to_string(),
        wait_timeout_ms: params.wait_timeout.as_millis() as u64,
        max_resident_bytes: Some(spec.rep.max_resident),
        unit: icount.then(|| UNIT_ICOUNT.to_string()),
    }
}

/// Writes the result file; if its destination fails after all (a full disk), under a
/// fresh name in the temp directory instead, so a finished run is never lost.
fn save(out: &Destination, file: &ResultFile, created: SystemTime) -> Result<PathBuf> {
    out.write(file, created).map_err(|e| {
        let fallback = Destination::Fresh {
            dir: std::env::temp_dir().join("fencebench"),
        };
        match fallback.write(file, created) {
            Ok(saved) => {
                Error::Failed(format!("{e}; results saved to {} instead", saved.display()))
            }
            Err(e2) => Error::Failed(format!("{e}; fallback also failed: {e2}")),
        }
    })
}

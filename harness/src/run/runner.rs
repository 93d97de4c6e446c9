//! Runs one repetition of one (implementation, workload, threads) cell, refscale-style:
//! exactly N worker threads, pinned one per core, released together by a barrier; a
//! warm-up; a measured window ended by a phase flag each worker polls every
//! `POLL_EVERY` operations, so no clock is read per operation; the poll point is also
//! where a worker announces a quiescent state (`rcu-qsbr`). One operation in
//! `sample_every` is timed with the TSC into a per-thread histogram. Counters are read at
//! the window edges. The coordinating thread samples the pools' retained objects.

use crate::result::hist::{self, encode_hist};
use crate::result::{Counters, PoolFigures, Rep, RetainedSplit, RoleRep};
use crate::run::counters::{self, CounterGroup, Sample};
use crate::run::software::{self, SoftwareGroup, SoftwareSample};
use crate::run::{machine, signal};
use fencebench_impls::{Implementation, Operation, Pool, PoolStats};
use fencebench_workloads::{Ctx, Params, WorkerReport, Workload};
use hdrhistogram::Histogram;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering::*};
use std::sync::{Arc, Barrier, OnceLock};
use std::time::{Duration, Instant};

/// How a repetition's measured window ends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Window {
    /// Warm up, then measure for a fixed time.
    Timed {
        warmup: Duration,
        duration: Duration,
    },
    /// Each thread of a primary role does this many operations; no warm-up. For tests
    /// and smoke runs, whose length must not depend on the machine's speed.
    Ops(u64),
}

/// Everything that shapes one repetition besides the implementation and workload.
#[derive(Debug, Clone)]
pub struct RepSpec {
    pub params: Params,
    pub window: Window,
    /// Time one operation in this many (0: no sampling).
    pub sample_every: u64,
    pub counters: bool,
    pub pin: bool,
    /// How often the coordinator samples retained objects.
    pub retained_every: Duration,
    /// The repetition ends early once the process's resident memory exceeds this many
    /// bytes (`--max-retained`): a stalled reader must not take the machine down.
    pub max_resident: u64,
    /// Inside a QEMU guest under `-icount` (`--icount`), where the window's clock counts
    /// every instruction the vCPU runs: nothing of the harness may run inside the window,
    /// so the coordinator sleeps through it (retained memory is sampled at its close only,
    /// the resident-memory limit is not checked, a signal is noticed when it ends), and each
    /// repetition first waits [`SETTLE`] for the kernel's deferred work of the one before.
    pub icount: bool,
}

/// How long a repetition under icount waits before its window: the previous cell's
/// deferred frees (RCU callbacks, exited threads) run then, not in the next window.
pub const SETTLE: Duration = Duration::from_millis(200);

const WARMUP: u8 = 0;
const MEASURE: u8 = 1;
const STOP: u8 = 2;

/// The process's TSC clock (calibrated once, ~16 ns a read).
fn clock() -> &'static quanta::Clock {
    static CLOCK: OnceLock<quanta::Clock> = OnceLock::new();
    CLOCK.get_or_init(quanta::Clock::new)
}

/// What one worker thread measured.
struct ThreadResult {
    role: usize,
    ops: u64,
    window_ns: u64,
    counters: Option<(Sample, Sample)>,
    counters_missing: Option<String>,
    software: Option<(SoftwareSample, SoftwareSample)>,
    software_missing: Option<String>,
    latency: Histogram<u64>,
    report: WorkerReport,
}

fn new_hist() -> Histogram<u64> {
    hist::new()
}

/// Why the coordinator ended a window before its time; `None` while it may go on.
fn must_end(spec: &RepSpec, start: Instant) -> Option<String> {
    if signal::interrupted() {
        return Some(format!("interrupted ({})", signal::reason()));
    }
    let resident = machine::resident_bytes()?;
    (resident > spec.max_resident).then(|| {
        format!(
            "retained limit reached after {:.2} s ({} MiB resident, limit {} MiB)",
            start.elapsed().as_secs_f64(),
            resident >> 20,
            spec.max_resident >> 20
        )
    })
}

/// Shared control of a repetition.
struct Control {
    phase: AtomicU8,
    stop: AtomicBool,
    primaries_left: AtomicUsize,
    /// Woken at STOP: under icount the coordinator parks through the window.
    coordinator: std::thread::Thread,
}

impl Control {
    fn set(&self, phase: u8) {
        if phase == STOP {
            self.stop.store(true, Relaxed);
        }
        self.phase.store(phase, Release);
        if phase == STOP {
            self.coordinator.unpark();
        }
    }
}

/// The pools' retained objects sampled over a window: the series, the live peak, and
/// where the workload splits its pools (`stall --drivers`), the stalled driver's peak
/// apart from the others'.
struct RetainedSampler<'a> {
    pools: &'a [Arc<Pool>],
    /// The first `k` pools are the stalled driver's.
    stalled_pools: Option<usize>,
    series: Vec<[u64; 2]>,
    live_peak: u64,
    split_peak: Option<RetainedSplit>,
}

impl<'a> RetainedSampler<'a> {
    fn new(pools: &'a [Arc<Pool>], stalled_pools: Option<usize>) -> Self {
        let stalled_pools = stalled_pools.map(|k| k.min(pools.len()));
        RetainedSampler {
            pools,
            stalled_pools,
            series: Vec::new(),
            live_peak: 0,
            split_peak: stalled_pools.map(|_| RetainedSplit::default()),
        }
    }

    /// The pools' figures added up.
    fn totals(&self) -> PoolStats {
        self.pools
            .iter()
            .map(|p| p.stats())
            .fold(PoolStats::default(), |a, b| a + b)
    }

    /// One point of the series, `start` being the window's.
    fn sample(&mut self, start: Instant) {
        // One read per pool, so the split adds up to the total sampled with it.
        let per_pool: Vec<PoolStats> = self.pools.iter().map(|p| p.stats()).collect();
        let retained = |ps: &[PoolStats]| ps.iter().map(|s| s.retained).sum();
        let st = per_pool.iter().fold(PoolStats::default(), |a, &b| a + b);
        self.live_peak = self.live_peak.max(st.live);
        self.series
            .push([start.elapsed().as_millis() as u64, st.retained]);
        if let (Some(k), Some(peak)) = (self.stalled_pools, self.split_peak.as_mut()) {
            *peak = peak.max(RetainedSplit {
                stalled_peak: retained(&per_pool[..k]),
                others_peak: retained(&per_pool[k..]),
            });
        }
    }
}

/// What the coordinator saw of a repetition's window.
struct Coordinated {
    window_ns: u64,
    /// The pools at the window's opening and close.
    start: PoolStats,
    end: PoolStats,
    series: Vec<[u64; 2]>,
    live_peak: u64,
    retained_split: Option<RetainedSplit>,
    /// Why the window ended before its time, if it did.
    ended_early: Option<String>,
}

/// The coordinating thread's part, from the barrier on: the warm-up, then the window,
/// sampling retained objects and checking for a signal or the resident-memory limit
/// between sleeps, then STOP. `ops_start`: the pools before the barrier, where an
/// operation budget opens the window there.
fn coordinate(
    spec: &RepSpec,
    control: &Control,
    mut sampler: RetainedSampler,
    ops_start: Option<PoolStats>,
) -> Coordinated {
    let mut ended_early = None;
    // Under icount one sleep spans the whole warm-up: no wake-up inside it.
    let every = if spec.icount {
        Duration::MAX
    } else {
        spec.retained_every
    };
    let (start, start_stats) = match spec.window {
        Window::Timed { warmup, .. } => {
            let warm = Instant::now();
            while ended_early.is_none() && warm.elapsed() < warmup {
                let left = warmup.saturating_sub(warm.elapsed());
                std::thread::sleep(every.min(left));
                ended_early = must_end(spec, warm);
            }
            let st = sampler.totals();
            control.set(MEASURE);
            (Instant::now(), st)
        }
        Window::Ops(_) => (Instant::now(), ops_start.expect("taken before the barrier")),
    };
    match spec.window {
        // Under icount nothing of the coordinator's runs inside the window: the series
        // holds the close's sample only.
        Window::Timed { duration, .. } if spec.icount => {
            std::thread::sleep(duration);
            control.set(STOP);
        }
        Window::Timed { duration, .. } => {
            let end = start + duration;
            while ended_early.is_none() {
                sampler.sample(start);
                let now = Instant::now();
                if now >= end {
                    break;
                }
                std::thread::sleep(spec.retained_every.min(end - now));
                ended_early = must_end(spec, start);
            }
            control.set(STOP);
        }
        Window::Ops(_) if spec.icount => {
            // Spurious wake-ups only loop; the last primary thread unparks at STOP.
            while !control.stop.load(Acquire) {
                std::thread::park();
            }
        }
        Window::Ops(_) => {
            while !control.stop.load(Acquire) {
                sampler.sample(start);
                std::thread::sleep(spec.retained_every.min(Duration::from_millis(1)));
                ended_early = must_end(spec, start);
                if ended_early.is_some() {
                    control.set(STOP);
                }
            }
        }
    }
    let window_ns = start.elapsed().as_nanos() as u64;
    sampler.sample(start);
    Coordinated {
        window_ns,
        start: start_stats,
        end: sampler.totals(),
        series: sampler.series,
        live_peak: sampler.live_peak,
        retained_split: sampler.split_peak,
        ended_early,
    }
}

/// Runs one repetition of workload `W` over implementation `I`.
pub fn run_rep<I: Implementation, W: Workload<I>>(spec: &RepSpec, workload: &W) -> Rep {
    let roles = workload.roles();
    let assignment: Vec<(usize, usize)> = roles
        .iter()
        .enumerate()
        .flat_map(|(r, role)| (0..role.threads).map(move |i| (r, i)))
        .collect();
    let threads = assignment.len();
    let cores = if spec.pin {
        core_affinity::get_core_ids().filter(|c| !c.is_empty())
    } else {
        None
    };
    let control = Control {
        phase: AtomicU8::new(if matches!(spec.window, Window::Ops(_)) {
            MEASURE
        } else {
            WARMUP
        }),
        stop: AtomicBool::new(false),
        primaries_left: AtomicUsize::new(
            roles.iter().filter(|r| r.primary).map(|r| r.threads).sum(),
        ),
        coordinator: std::thread::current(),
    };
    if spec.icount {
        std::thread::sleep(SETTLE);
    }
    let barrier = Barrier::new(threads + 1);
    let pools = workload.pools();
    let sampler = RetainedSampler::new(&pools, workload.stalled_pools());
    clock();

    // The coordinator only sleeps and samples, in no read-side section: offline, so an
    // `rcu-qsbr` grace period (an unload waiting for one) never waits for it.
    let (results, coordinated) = I::offline(|| {
        std::thread::scope(|s| {
            let handles: Vec<_> = assignment
                .iter()
                .enumerate()
                .map(|(t, &(role, index))| {
                    let core = cores.as_ref().map(|c| c[t % c.len()]);
                    let (control, barrier) = (&control, &barrier);
                    let primary = roles[role].primary;
                    s.spawn(move || {
                        if let Some(core) = core {
                            core_affinity::set_for_current(core);
                        }
                        worker::<I, W>(spec, workload, control, barrier, role, index, primary)
                    })
                })
                .collect();

            // An op-budget window opens at the barrier: snapshot the pools before it.
            let ops_start = matches!(spec.window, Window::Ops(_)).then(|| sampler.totals());
            barrier.wait();
            let coordinated = coordinate(spec, &control, sampler, ops_start);
            let results: Vec<ThreadResult> = handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect();
            (results, coordinated)
        })
    });
    assemble::<I>(roles, results, coordinated)
}

/// Stops the whole repetition if its worker panics, so the coordinator and the other
/// workers (which may be waiting on it) end instead of hanging.
struct StopOnPanic<'a>(&'a Control);

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.set(STOP);
        }
    }
}

/// One worker thread: open counters, wait at the barrier, run until STOP.
fn worker<I: Implementation, W: Workload<I>>(
    spec: &RepSpec,
    workload: &W,
    control: &Control,
    barrier: &Barrier,
    role: usize,
    index: usize,
    primary: bool,
) -> ThreadResult {
    let (mut group, avail) = if spec.counters {
        CounterGroup::open()
    } else {
        (None, Vec::new())
    };
    let counters_missing = if !spec.counters {
        Some("counters off (--counters off)".to_string())
    } else {
        crate::result::unavailable_events(&avail)
    };
    let (mut soft, soft_avail) = if spec.counters {
        SoftwareGroup::open()
    } else {
        (None, Vec::new())
    };
    let software_missing = software::missing(&soft_avail);
    let mut w = workload.worker(role, index);
    let ctx = Ctx::new(&control.stop);
    let budget = match spec.window {
        Window::Ops(n) if primary => Some(n),
        _ => None,
    };
    let mut latency = new_hist();
    let _stop_on_panic = StopOnPanic(control);
    // Offline while blocked, so an `rcu-qsbr` grace period does not wait for the barrier.
    I::offline(|| barrier.wait());

    let clock = clock();
    let mut ops: u64 = 0;
    let mut countdown = spec.sample_every;
    let mut phase = WARMUP;
    let mut start = (0u64, Instant::now(), None);
    let mut soft_start = None;
    loop {
        // The inner loop is the measured code: a countdown per operation, a TSC read
        // pair on one in `sample_every`, nothing else.
        for _ in 0..W::POLL_EVERY {
            if spec.sample_every != 0 {
                countdown -= 1;
                if countdown == 0 {
                    countdown = spec.sample_every;
                    let t0 = clock.raw();
                    workload.op(&mut w, &ctx);
                    let t1 = clock.raw();
                    latency.saturating_record(clock.delta_as_nanos(t0, t1).max(1));
                } else {
                    workload.op(&mut w, &ctx);
                }
            } else {
                workload.op(&mut w, &ctx);
            }
        }
        ops += W::POLL_EVERY as u64;
        // The poll point is between operations, in no read-side section: the quiescent
        // state `rcu-qsbr` waits for (a context switch in the kernel); a no-op elsewhere.
        I::quiescent_state();
        let now_phase = control.phase.load(Acquire);
        if now_phase != phase && phase == WARMUP {
            phase = MEASURE;
            latency.reset();
            start = (ops, Instant::now(), group.as_mut().and_then(|g| g.read()));
            soft_start = soft.as_mut().and_then(|g| g.read());
        }
        let budget_done = budget.is_some_and(|b| phase == MEASURE && ops - start.0 >= b);
        if now_phase == STOP || budget_done {
            break;
        }
    }
    let end_ops = ops;
    let window_ns = start.1.elapsed().as_nanos() as u64;
    let end_counters = group.as_mut().and_then(|g| g.read());
    let soft_end = soft.as_mut().and_then(|g| g.read());
    if budget.is_some() && control.primaries_left.fetch_sub(1, AcqRel) == 1 {
        control.set(STOP);
    }
    ThreadResult {
        role,
        ops: end_ops - start.0,
        window_ns,
        counters: start.2.zip(end_counters),
        counters_missing,
        software: soft_start.zip(soft_end),
        software_missing,
        latency,
        report: workload.finish(w),
    }
}

/// Folds per-thread results into the repetition record.
fn assemble<I: Implementation>(
    roles: &[fencebench_workloads::Role],
    results: Vec<ThreadResult>,
    coordinated: Coordinated,
) -> Rep {
    let Coordinated {
        window_ns,
        start,
        end,
        series,
        live_peak,
        retained_split,
        ended_early,
    } = coordinated;
    let mut wake: Option<Histogram<u64>> = None;
    let mut unload: Option<Histogram<u64>> = None;
    let (mut lost, mut late, mut records) = (0, 0, 0);
    for r in &results {
        lost += r.report.lost_wakeups;
        late += r.report.late_signals;
        records += r.report.trace_records;
        if let Some(h) = &r.report.wake_latency {
            wake.get_or_insert_with(new_hist)
                .add(h)
                .expect("histogram bounds");
        }
        if let Some(h) = &r.report.unload_latency {
            unload
                .get_or_insert_with(new_hist)
                .add(h)
                .expect("histogram bounds");
        }
    }
    let role_reps = roles
        .iter()
        .enumerate()
        .filter(|(_, role)| role.threads > 0)
        .map(|(i, role)| {
            let mine: Vec<&ThreadResult> = results.iter().filter(|r| r.role == i).collect();
            let ops: u64 = mine.iter().map(|r| r.ops).sum();
            let thread_ns: u64 = mine.iter().map(|r| r.window_ns).sum();
            let ops_per_sec: f64 = mine
                .iter()
                .map(|r| r.ops as f64 * 1e9 / r.window_ns.max(1) as f64)
                .sum();
            let mut hist = new_hist();
            for r in &mine {
                hist.add(&r.latency).expect("histogram bounds");
            }
            let deltas: Vec<Option<(Sample, Sample)>> = mine.iter().map(|r| r.counters).collect();
            let missing = mine.iter().find_map(|r| r.counters_missing.clone());
            RoleRep {
                role: role.name.to_string(),
                threads: role.threads,
                primary: role.primary,
                ops,
                ops_per_sec,
                ns_per_op: (ops > 0).then(|| thread_ns as f64 / ops as f64),
                counters: Counters {
                    // None only with counters off (no group opened and no reason why).
                    software: (!mine
                        .iter()
                        .all(|r| r.software.is_none() && r.software_missing.is_none()))
                    .then(|| {
                        let deltas: Vec<_> = mine.iter().map(|r| r.software).collect();
                        let missing = mine.iter().find_map(|r| r.software_missing.clone());
                        software::per_op(&deltas, ops, missing)
                    }),
                    ..counters::per_op(&deltas, ops, missing)
                },
                latency: (!hist.is_empty()).then(|| encode_hist(&hist)),
            }
        })
        .collect();
    let retained: Vec<u64> = series.iter().map(|s| s[1]).collect();
    let delay_count = end.free_delay.count - start.free_delay.count;
    Rep {
        window_ns,
        roles: role_reps,
        pool: PoolFigures {
            violations: I::unsupported(Operation::PoolFigures)
                .is_none()
                .then(|| end.violations - start.violations),
            freed: end.freed - start.freed,
            retained_peak: retained.iter().copied().max().unwrap_or(0),
            retained_mean: retained.iter().sum::<u64>() as f64 / retained.len().max(1) as f64,
            live_peak,
            capacity: end.capacity,
            free_delay_mean_ns: (delay_count > 0).then(|| {
                (end.free_delay.total_ns - start.free_delay.total_ns) as f64 / delay_count as f64
            }),
            free_delay_max_ns: (delay_count > 0).then_some(end.free_delay.max_ns),
            retained_split,
        },
        lost_wakeups: lost,
        late_signals: late,
        trace_records: records,
        wake_latency: wake.filter(|h| !h.is_empty()).map(|h| encode_hist(&h)),
        unload_latency: unload.filter(|h| !h.is_empty()).map(|h| encode_hist(&h)),
        retained_series: series,
        ended_early,
    }
}

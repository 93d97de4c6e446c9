//! Per-operation criterion benchmarks for every implementation: `cargo bench`.
//!
//! Each operation is one criterion group and each implementation one function in it, so
//! ids read `<operation>/<implementation>` (`describe/rcu`) and criterion's reports and
//! `critcmp` line implementations up. Every name in [`IMPLEMENTATIONS`] is benchmarked
//! through [`for_each_impl!`], so a new implementation is picked up without edits here.
//!
//! | group | what one iteration is |
//! |---|---|
//! | `section` | `section()` on an unsignalled fence: one read-side section alone (refscale's reader); `section/bare-loop` is criterion's loop reading one plain word, the floor every row sits on |
//! | `unload` | a driver's end: load it (a timeline and 4 fences, one reference to each held elsewhere), signal its fences, `unload()` until no reader can reach its data; `refcount` returns at once, pinned |
//! | `describe` | `info()` on an unsignalled fence: both names, seqno, status under the fence's lock in one section, then the names again in a second |
//! | `driver_name`, `timeline_name` | one name accessor on an unsignalled fence |
//! | `describe_signaled` | `info()` on a signalled fence (the detached path) |
//! | `is_signaled` | `is_signaled()` on an unsignalled fence |
//! | `add_remove_callback` | `add_callback` then `remove_callback` (state does not grow) |
//! | `signal` | `signal()` of a fresh fence, with whatever retirement it does at signal; created before and put after the timed part |
//! | `create_signal_put` | a fence's whole life: create, signal, last put |
//! | `wait_poll_signaled` | `wait(Duration::ZERO)` on a signalled fence |
//! | `wait_1s_signaled` | `wait(1 s)` on a signalled fence (reads the clock for the time left) |
//! | `get_put` | clone + drop of a fence reference |
//! | `describe_contended` | a `describe`-workload reader op (random in-flight fence, `info()`) while a second pinned thread signals those fences |
//!
//! Timing: warm-up 0.5 s, measurement 1.5 s, 50 samples per benchmark, no plots: about
//! 2.5 s per benchmark, some 5 minutes for 14 groups × 10 implementations on a 2-vCPU
//! VM. `FENCEBENCH_QUICK_BENCH=1` cuts that to 0.1 s / 0.3 s / 10 samples. Criterion's
//! own flags (`--warm-up-time`, `--measurement-time`, `--sample-size`,
//! `--plotting-backend plotters` for the HTML report, a filter regex) override both,
//! e.g. `cargo bench --bench ops -- '^describe/'`.
//!
//! `FENCEBENCH_BENCH_COUNTER=instructions` (or `cycles`) measures user-space hardware
//! events per iteration instead of time, `task-clock` the measuring thread's on-CPU ns
//! (a software event: it opens on VMs without a PMU and leaves out preemption), each into
//! `target/criterion-<counter>`; where the counter cannot open the run falls back to wall
//! time with a note on stderr.

mod measurement;

use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, Criterion, SamplingMode};
use fencebench_impls::{
    for_each_impl, Fence, Implementation, Operation, Timeline, TimelineConfig, IMPLEMENTATIONS,
};
use fencebench_workloads::{Ctx, Describe, Params, Workload};
use measurement::{PerfCounter, ThreadMeasurement};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

type Group<'a, M> = BenchmarkGroup<'a, M>;

fn timeline<I: Implementation>() -> I::Timeline {
    // Driver and timeline names differ, so a timeline_name/driver_name mix-up shows.
    I::timeline(TimelineConfig::new("fb-bench-gpu", "fb-bench-ring"))
}

fn signalled<I: Implementation>(tl: &I::Timeline) -> I::Fence {
    let f = tl.create();
    f.signal();
    f
}

fn section<I: Implementation, M: ThreadMeasurement>(g: &mut Group<'_, M>, id: &str) {
    let tl = timeline::<I>();
    let f = tl.create();
    g.bench_function(id, |b| b.iter(|| black_box(black_box(&f).section())));
}

fn unload<I: Implementation, M: ThreadMeasurement>(g: &mut Group<'_, M>, id: &str) {
    g.bench_function(id, |b| {
        b.iter_batched(
            || {
                let tl = timeline::<I>();
                let fences: Vec<I::Fence> = (0..4).map(|_| tl.create()).collect();
                let held = fences.clone();
                (tl, fences, held)
            },
            |(tl, fences, held)| {
                for f in &fences {
                    f.signal();
                }
                drop(fences);
                black_box(tl.unload());
                (tl, held)
            },
            BatchSize::SmallInput,
        )
    });
}

/// The loop with one plain load and no protection: what `section/unprotected` adds to
/// it is the fence's own path (the `SIGNALED` test and the pointer chase).
fn bare_loop<M: ThreadMeasurement>(g: &mut Group<'_, M>) {
    let word = AtomicU64::new(1);
    g.bench_function("bare-loop", |b| {
        b.iter(|| black_box(black_box(&word).load(Ordering::Relaxed)))
    });
}

fn describe<I: Implementation, M: ThreadMeasurement>(g: &mut Group<'_, M>, id: &str) {
    let tl = timeline::<I>();
    let f = tl.create();
    g.bench_function(id, |b| b.iter(|| black_box(black_box(&f).info())));
}

fn driver_name<I: Implementation, M: ThreadMeasurement>(g: &mut Group<'_, M>, id: &str) {
    let tl = timeline::<I>();
    let f = tl.create();
    g.bench_function(id, |b| b.iter(|| black_box(black_box(&f).driver_name())));
}

fn timeline_name<I: Implementation, M: ThreadMeasurement>(g: &mut Group<'_, M>, id: &str) {
    let tl = timeline::<I>();
    let f = tl.create();
    g.bench_function(id, |b| b.iter(|| black_box(black_box(&f).timeline_name())));
}

fn describe_signaled<I: Implementation, M: ThreadMeasurement>(g: &mut Group<'_, M>, id: &str) {
    let tl = timeline::<I>();
    let f = signalled::<I>(&tl);
    g.bench_function(id, |b| b.iter(|| black_box(black_box(&f).info())));
}

fn is_signaled<I: Implementation, M: ThreadMeasurement>(g: &mut Group<'_, M>, id: &str) {
    let tl = timeline::<I>();
    let f = tl.create();
    g.bench_function(id, |b| b.iter(|| black_box(black_box(&f).is_signaled())));
}

fn add_remove_callback<I: Implementation, M: ThreadMeasurement>(g: &mut Group<'_, M>, id: &str) {
    if I::unsupported(Operation::Callbacks).is_some() {
        return;
    }
    let tl = timeline::<I>();
    let f = tl.create();
    g.bench_function(id, |b| {
        b.iter(|| {
            let f = black_box(&f);
            let cb = f
                .add_callback(Box::new(|| {}))
                .expect("fence is unsignalled");
            black_box(f.remove_callback(cb))
        })
    });
}

fn signal<I: Implementation, M: ThreadMeasurement>(g: &mut Group<'_, M>, id: &str) {
    let tl = timeline::<I>();
    g.bench_function(id, |b| {
        b.iter_batched(
            || tl.create(),
            |f| {
                f.signal();
                f // put outside the timed part
            },
            BatchSize::SmallInput,
        )
    });
}

fn create_signal_put<I: Implementation, M: ThreadMeasurement>(g: &mut Group<'_, M>, id: &str) {
    let tl = timeline::<I>();
    g.bench_function(id, |b| {
        b.iter(|| {
            let f = black_box(tl.create());
            f.signal();
            drop(f)
        })
    });
}

fn wait_poll_signaled<I: Implementation, M: ThreadMeasurement>(g: &mut Group<'_, M>, id: &str) {
    let tl = timeline::<I>();
    let f = signalled::<I>(&tl);
    g.bench_function(id, |b| {
        b.iter(|| black_box(black_box(&f).wait(Duration::ZERO)))
    });
}

fn wait_1s_signaled<I: Implementation, M: ThreadMeasurement>(g: &mut Group<'_, M>, id: &str) {
    let tl = timeline::<I>();
    let f = signalled::<I>(&tl);
    g.bench_function(id, |b| {
        b.iter(|| black_box(black_box(&f).wait(Duration::from_secs(1))))
    });
}

fn get_put<I: Implementation, M: ThreadMeasurement>(g: &mut Group<'_, M>, id: &str) {
    let tl = timeline::<I>();
    let f = tl.create();
    g.bench_function(id, |b| b.iter(|| drop(black_box(black_box(&f).clone()))));
}

/// One pinned reader (measured) and one pinned signaller running the `describe`
/// workload's operations, reused across criterion's samples. Each sample: both wait on
/// `start`; the reader waits until the signaller is signalling, reads its clock (or
/// counter), does `iters` reader ops, reads it again, stops the signaller; both wait on
/// `done`. The threads are pinned to the first two cores (on a 2-vCPU VM: all of them);
/// criterion's thread only sleeps in the barriers meanwhile.
struct Pair<M: ThreadMeasurement> {
    shared: Arc<Shared<M>>,
    threads: Vec<JoinHandle<()>>,
}

struct Shared<M: ThreadMeasurement> {
    start: Barrier,
    done: Barrier,
    iters: AtomicU64,
    signalling: AtomicBool,
    stop: AtomicBool,
    exit: AtomicBool,
    result: Mutex<Option<M::Value>>,
}

impl<M: ThreadMeasurement> Pair<M> {
    fn new<I: Implementation>(m: &M) -> Self {
        let params = Params {
            threads: 2,
            signallers: Some(1),
            ..Params::default()
        };
        let workload = Arc::new(Describe::<I>::new(&params).expect("describe with 2 threads"));
        let shared = Arc::new(Shared {
            start: Barrier::new(3),
            done: Barrier::new(3),
            iters: AtomicU64::new(0),
            signalling: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            exit: AtomicBool::new(false),
            result: Mutex::new(None),
        });
        let cores = core_affinity::get_core_ids().unwrap_or_default();
        let core = |i: usize| (!cores.is_empty()).then(|| cores[i % cores.len()]);

        let (w, sh, reader_core, m) = (workload.clone(), shared.clone(), core(0), m.fresh());
        let reader = std::thread::spawn(move || {
            if let Some(c) = reader_core {
                core_affinity::set_for_current(c);
            }
            let _abort = AbortOnPanic;
            if let Err(why) = m.prepare_thread() {
                eprintln!(
                    "fencebench benches: the counter cannot open on the reader thread: {why}"
                );
                std::process::exit(1);
            }
            let never = AtomicBool::new(false);
            let ctx = Ctx::new(&never);
            let mut worker = w.worker(0, 0);
            loop {
                sh.start.wait();
                if sh.exit.load(Ordering::Acquire) {
                    break;
                }
                let iters = sh.iters.load(Ordering::Relaxed);
                while !sh.signalling.load(Ordering::Acquire) {
                    std::thread::yield_now();
                }
                let t = m.start();
                for _ in 0..iters {
                    w.op(&mut worker, &ctx);
                }
                let v = m.end(t);
                sh.stop.store(true, Ordering::Release);
                *sh.result.lock().unwrap() = Some(v);
                sh.done.wait();
            }
            w.finish(worker);
        });

        let (w, sh, signaller_core) = (workload, shared.clone(), core(1));
        let signaller = std::thread::spawn(move || {
            let _abort = AbortOnPanic;
            if let Some(c) = signaller_core {
                core_affinity::set_for_current(c);
            }
            let never = AtomicBool::new(false);
            let ctx = Ctx::new(&never);
            let mut worker = w.worker(1, 0);
            loop {
                sh.start.wait();
                if sh.exit.load(Ordering::Acquire) {
                    break;
                }
                w.op(&mut worker, &ctx);
                sh.signalling.store(true, Ordering::Release);
                while !sh.stop.load(Ordering::Acquire) {
                    w.op(&mut worker, &ctx);
                }
                sh.done.wait();
            }
            w.finish(worker);
        });
        Pair {
            shared,
            threads: vec![reader, signaller],
        }
    }

    /// One sample: the reader's measurement over `iters` ops.
    fn run(&self, iters: u64) -> M::Value {
        let sh = &self.shared;
        sh.iters.store(iters, Ordering::Relaxed);
        sh.signalling.store(false, Ordering::Relaxed);
        sh.stop.store(false, Ordering::Relaxed);
        sh.start.wait();
        sh.done.wait();
        let value = sh.result.lock().unwrap().take();
        value.expect("the reader reports every sample")
    }
}

impl<M: ThreadMeasurement> Drop for Pair<M> {
    fn drop(&mut self) {
        self.shared.exit.store(true, Ordering::Release);
        self.shared.start.wait();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// A panicking worker would leave criterion's thread waiting in a barrier forever.
struct AbortOnPanic;

impl Drop for AbortOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("fencebench benches: a describe_contended thread panicked; aborting");
            std::process::abort();
        }
    }
}

fn describe_contended<I: Implementation, M: ThreadMeasurement>(
    g: &mut Group<'_, M>,
    id: &str,
    m: &M,
) {
    // Threads start only if the filter selects this benchmark, and stop when it is done.
    let pair = OnceLock::new();
    g.bench_function(id, |b| {
        let pair = pair.get_or_init(|| Pair::new::<I>(m));
        b.iter_custom(|iters| pair.run(iters))
    });
}

/// Runs `$f::<I, M>(group, name, extra args)` for every implementation in one criterion
/// group named `$op`, settling each implementation's reclamation backlog afterwards so it
/// does not run into the next measurement.
macro_rules! per_impl {
    ($c:expr, $op:literal, $f:ident $(, $arg:expr)*) => {{
        let mut group = $c.benchmark_group($op);
        per_impl!(@each group, $f $(, $arg)*);
        group.finish();
    }};
    (@each $group:ident, $f:ident $(, $arg:expr)*) => {
        for &name in IMPLEMENTATIONS {
            for_each_impl!(name, I => match I::unavailable() {
                Some(why) => eprintln!("{name}: skipped: {why}"),
                None => {
                    $f::<I, _>(&mut $group, name $(, $arg)*);
                    I::quiesce();
                }
            })
            .unwrap_or_else(|| panic!("IMPLEMENTATIONS lists {name}, for_each_impl! lacks it"));
        }
    };
}

fn benches<M: ThreadMeasurement>(c: &mut Criterion<M>, m: &M) {
    let mut group = c.benchmark_group("section");
    bare_loop(&mut group);
    per_impl!(@each group, section);
    group.finish();
    per_impl!(c, "unload", unload);
    per_impl!(c, "describe", describe);
    per_impl!(c, "driver_name", driver_name);
    per_impl!(c, "timeline_name", timeline_name);
    per_impl!(c, "describe_signaled", describe_signaled);
    per_impl!(c, "is_signaled", is_signaled);
    per_impl!(c, "add_remove_callback", add_remove_callback);
    per_impl!(c, "signal", signal);
    per_impl!(c, "create_signal_put", create_signal_put);
    per_impl!(c, "wait_poll_signaled", wait_poll_signaled);
    per_impl!(c, "wait_1s_signaled", wait_1s_signaled);
    per_impl!(c, "get_put", get_put);

    // Samples are long (a share of the measurement time each) and a sample costs two
    // barrier round trips, so flat sampling: every sample the same iteration count.
    let mut group = c.benchmark_group("describe_contended");
    group.sampling_mode(SamplingMode::Flat);
    per_impl!(@each group, describe_contended, m);
    group.finish();
}

/// The defaults, or `FENCEBENCH_QUICK_BENCH=1`'s shorter ones; command-line flags win.
/// Plots are off: criterion's plotters backend spends ~6 s of CPU per benchmark on its
/// bootstrap-distribution charts, more than the measurement itself (on a 2-vCPU VM the
/// suite would take over 10 minutes); `-- --plotting-backend plotters` turns them on.
fn configure<M: ThreadMeasurement>(c: Criterion<M>) -> Criterion<M> {
    let quick = std::env::var("FENCEBENCH_QUICK_BENCH").is_ok_and(|v| !v.is_empty() && v != "0");
    let c = c.without_plots();
    let c = if quick {
        c.warm_up_time(Duration::from_millis(100))
            .measurement_time(Duration::from_millis(300))
            .sample_size(10)
            .nresamples(10_000)
    } else {
        c.warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_millis(1500))
            .sample_size(50)
    };
    c.configure_from_args()
}

fn run<M: ThreadMeasurement>(mut c: Criterion<M>, m: M) {
    benches(&mut c, &m);
    c.final_summary();
}

fn main() {
    match PerfCounter::from_env() {
        None => run(configure(Criterion::default()), WallTime),
        Some(counter) => run(
            configure(
                Criterion::default()
                    .with_measurement(counter)
                    .output_directory(&counter.output_directory()),
            ),
            counter,
        ),
    }
}

//! Behavioural conformance of every implementation to the dma-fence contract.
//!
//! The cases port the kernel's own KUnit suite (`drivers/dma-buf/st-dma-fence.c`,
//! `dma-buf-fence`) and add what fencebench relies on beyond it: names before and after
//! signal, tracepoints, release with pending callbacks, and pool accounting. Each case is
//! written once, generic over [`Implementation`], and [`conformance_suite!`] instantiates
//! it for every implementation, so a difference in behaviour between implementations is a
//! test failure rather than a silent difference in what the benchmarks measure.

#![cfg(not(fencebench_loom))]

mod common;

use common::{SetOnDrop, DRIVER, TIMELINE};
use fencebench_impls::published::{Cells, Published};
use fencebench_impls::trace::{TraceEvent, TraceRecord, TraceSink};
use fencebench_impls::{
    now_ns, AlreadySignaled, Callback, Fence, Generation, Implementation, Name, NameKind,
    PoolStats, Timeline, TimelineConfig, WaitOutcome, DETACHED_DRIVER, MIN_REMAINING,
    SIGNALED_TIMELINE,
};
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::Barrier;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// Instantiates every case for each row of the implementation table: a module per
/// implementation with one `#[test]` per case, so failures name both. A row that needs
/// a device skips every case with the reason: the kernel's suite is [`kernel`].
macro_rules! conformance_suite {
    (() $($name:literal $ident:ident [$($alias:literal),*] $ty:path;)*) => {$(
        mod $ident {
            conformance_suite!(@cases $ty;
                sanitycheck, signaling, add_callback, late_add_callback, rm_callback,
                late_rm_callback, status, error, wait, wait_timeout, stub,
                race_signal_callback, timestamp, callback_sees_detached_names, shared_stub,
                driver_signaled_op, ref_count, release_with_pending_callback,
                names, tracepoints, pool_accounting, unload, info_takes_the_fence_lock,
                signal_order, driver_kinds, signal_api, wait_tests_the_bit,
                name_helpers_test_on_their_own, reclaims_once_readers_leave,
            );
        }
    )*};
    (@cases $impl:ty; $($case:ident),+ $(,)?) => {$(
        #[test]
        fn $case() {
            super::case_or_skip::<$impl>(super::$case::<$impl>)
        }
    )+};
}

fencebench_impls::__implementation_table!(self::conformance_suite!());

/// Runs `case` on `I`, or says why this suite cannot.
fn case_or_skip<I: Implementation>(case: fn()) {
    match I::NEEDS_DEVICE {
        Some(device) => eprintln!("{}: skipped: needs {device}; see `kernel`", I::NAME),
        None => case(),
    }
}

/// The real kernel (`kernel`) names its fences after vgem and cannot reach callbacks,
/// errors or the refcount, so the cases above do not apply to it: it runs the kernel
/// conformance suite, which checks what the uapi shows against the model of the running
/// kernel's generation. Fails without a vgem device, so it runs only where one is
/// (`--include-ignored`).
#[test]
#[ignore = "needs vgem (/dev/dri): run with --include-ignored where the vgem module is loaded"]
fn kernel() {
    let report = fencebench_impls::kernel_check::run(None)
        .unwrap_or_else(|reason| panic!("kernel: cannot run: {reason}"));
    assert!(report.passed(), "{report}");
}

/// `-EIO`.
const EIO: i32 = -5;

/// A safety deadline for waits that must succeed: long enough never to expire on a
/// loaded machine, so reaching it means a lost wake-up, never slowness.
const DEADLINE: Duration = Duration::from_secs(10);

fn timeline<I: Implementation>() -> I::Timeline {
    I::timeline(TimelineConfig::new(DRIVER, TIMELINE))
}

/// A callback that counts its runs, and the counter.
fn counting_callback() -> (Arc<AtomicUsize>, Callback) {
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    (
        runs,
        Box::new(move || {
            r.fetch_add(1, Relaxed);
        }),
    )
}

fn runs(counter: &AtomicUsize) -> usize {
    counter.load(Relaxed)
}

/// The pool counters the accounting checks compare: `(live, retained, freed, violations)`.
fn settled(stats: PoolStats) -> (u64, u64, u64, u64) {
    (stats.live, stats.retained, stats.freed, stats.violations)
}

/// The `dma_fence_describe` line the implementation's kernel generation prints, written
/// out independently of the implementation's formatter.
fn describe<I: Implementation>(f: &I::Fence, signalled: bool) -> String {
    let (c, s) = (f.context(), f.seqno());
    match (I::GENERATION, signalled) {
        (Generation::V6_17, false) => format!("{DRIVER} {TIMELINE} seq {s} unsignalled"),
        (Generation::V6_17, true) => {
            format!("{DETACHED_DRIVER} {SIGNALED_TIMELINE} seq {s} signalled")
        }
        (Generation::V7, false) => format!("{c}:{s} {TIMELINE} {DRIVER} unsignalled"),
        (Generation::V7, true) => format!("{c}:{s}   signalled"),
    }
}

fn sanitycheck<I: Implementation>() {
    let tl = timeline::<I>();
    let f = tl.create();
    f.enable_signaling();
    assert!(!f.check_and_signal());
    drop(f);
    I::quiesce();
    assert_eq!(settled(tl.pool().stats()), (0, 0, 1, 0));
}

fn signaling<I: Implementation>() {
    let tl = timeline::<I>();
    let f = tl.create();
    assert!(!f.is_signaled());
    assert!(!f.check_and_signal());
    assert!(f.is_signaled());
    assert!(f.check_and_signal());
    assert!(f.is_signaled());
}

fn add_callback<I: Implementation>() {
    let f = timeline::<I>().create();
    let (count, cb) = counting_callback();
    assert!(f.add_callback(cb).is_ok());
    assert_eq!(runs(&count), 0, "callback ran before signal");
    f.signal();
    assert_eq!(runs(&count), 1);
    assert!(f.check_and_signal());
    assert_eq!(runs(&count), 1, "a second signal reran the callback");
}

fn late_add_callback<I: Implementation>() {
    let f = timeline::<I>().create();
    f.signal();
    let (count, cb) = counting_callback();
    assert_eq!(f.add_callback(cb), Err(AlreadySignaled));
    drop(f);
    assert_eq!(runs(&count), 0, "a rejected callback ran");
}

fn rm_callback<I: Implementation>() {
    let f = timeline::<I>().create();
    let (removed, cb) = counting_callback();
    let id = f.add_callback(cb).unwrap();
    let (kept, cb) = counting_callback();
    f.add_callback(cb).unwrap();
    assert!(f.remove_callback(id));
    assert!(!f.remove_callback(id), "removed the same callback twice");
    f.signal();
    assert_eq!(runs(&removed), 0, "a removed callback ran");
    assert_eq!(runs(&kept), 1, "removal took the wrong callback");
}

fn late_rm_callback<I: Implementation>() {
    let f = timeline::<I>().create();
    let (count, cb) = counting_callback();
    let id = f.add_callback(cb).unwrap();
    f.signal();
    assert_eq!(runs(&count), 1);
    assert!(
        !f.remove_callback(id),
        "removed a callback that already ran"
    );
    assert_eq!(runs(&count), 1);
}

fn status<I: Implementation>() {
    let f = timeline::<I>().create();
    assert_eq!(f.status(), 0);
    f.signal();
    assert_eq!(f.status(), 1);
}

fn error<I: Implementation>() {
    let f = timeline::<I>().create();
    assert_eq!(f.set_error(EIO), Ok(()));
    assert_eq!(f.status(), 0, "error visible before signal");
    assert!(!f.is_signaled(), "set_error signalled the fence");
    f.signal();
    assert_eq!(f.status(), EIO);
    assert_eq!(f.info().status, EIO);
    assert_eq!(f.info().to_string(), describe::<I>(&f, true));
    assert_eq!(f.set_error(EIO), Err(AlreadySignaled));
    assert_eq!(f.status(), EIO);
}

/// The kernel's `wait`: a poll returns 0 before the signal and 1 after (a signalled
/// fence never reports 0 remaining time, which would read as a timeout).
fn wait<I: Implementation>() {
    let f = timeline::<I>().create();
    assert_eq!(f.wait(Duration::ZERO), WaitOutcome::TimedOut);
    f.signal();
    assert_eq!(f.wait(Duration::ZERO), WaitOutcome::Signaled(MIN_REMAINING));
    match f.wait(Duration::from_millis(1)) {
        WaitOutcome::Signaled(left) => assert!(left >= MIN_REMAINING),
        WaitOutcome::TimedOut => panic!("a signalled fence timed out"),
    }
}

/// Linux 7.x detaches the data under the fence lock right after `SIGNALED` and before the
/// callbacks run, so a callback that reads the names during `signal()` sees the detached
/// constants, under every generation's implementation.
fn callback_sees_detached_names<I: Implementation>() {
    if I::READERS_BLOCK_SIGNAL {
        eprintln!(
            "skipped {}: its readers take the fence lock, which signal holds while callbacks \
             run, so a callback cannot read its own fence's names",
            I::NAME
        );
        return;
    }
    let f = timeline::<I>().create();
    let seen = Arc::new(Mutex::new(None));
    let (g, s) = (f.clone(), seen.clone());
    f.add_callback(Box::new(move || {
        *s.lock().unwrap() = Some((g.driver_name(), g.timeline_name(), g.section()));
    }))
    .unwrap();
    f.signal();
    let (d, t, section) = seen.lock().unwrap().take().expect("callback did not run");
    assert_eq!(
        (d.as_str(), t.as_str()),
        (DETACHED_DRIVER, SIGNALED_TIMELINE)
    );
    assert_eq!(
        section, None,
        "a callback's read section found the data attached"
    );
}

/// A driver with a `signaled` op: `is_signaled` asks it while the bit is clear, and when
/// the hardware has passed the fence's seqno it signals the fence from the reader's side
/// (callbacks run, the data is detached and retired), as `dma_fence_is_signaled` does;
/// `info` asks it too, as `sync_file`'s info asks `dma_fence_get_status`.
fn driver_signaled_op<I: Implementation>() {
    let hw = Arc::new(AtomicU64::new(0));
    let tl = I::timeline(TimelineConfig::new(DRIVER, TIMELINE).with_hw_seqno(hw.clone()));
    let (f, g) = (tl.create(), tl.create());
    let (count, cb) = counting_callback();
    f.add_callback(cb).unwrap();
    assert!(!f.is_signaled());
    assert_eq!(f.status(), 0);
    hw.store(f.seqno(), Release);
    assert!(f.is_signaled(), "the driver's op was not asked");
    assert_eq!(
        runs(&count),
        1,
        "the reader-side signal did not run the callback"
    );
    assert!(f.check_and_signal());
    assert_eq!(f.driver_name().as_str(), DETACHED_DRIVER);
    assert!(f.timestamp().is_some());
    assert_eq!(g.wait(Duration::ZERO), WaitOutcome::TimedOut);
    hw.store(g.seqno(), Release);
    assert_eq!(g.status(), 1, "status did not ask the driver's op");
    // sync_file's info asks dma_fence_get_status(): the op signals from the reader's
    // side, after the names were read while the fence was still unsignalled.
    let h = tl.create();
    assert_eq!(h.info().status, 0);
    hw.store(h.seqno(), Release);
    let info = h.info();
    assert_eq!(info.status, 1, "info did not ask the driver's op");
    assert!(info.timestamp_ns > 0, "info reports no signal time");
    assert_eq!(info.driver_name.as_str(), DRIVER);
    assert!(h.check_and_signal(), "info did not signal the fence");
    assert_eq!(h.info().driver_name.as_str(), DETACHED_DRIVER);
    drop((f, g, h));
    I::quiesce();
    assert_eq!(settled(tl.pool().stats()), (0, 0, 3, 0));
}

/// `dma_fence_get_stub`: one shared, always-signalled fence.
fn shared_stub<I: Implementation>() {
    let (a, b) = (timeline::<I>().stub(), timeline::<I>().stub());
    assert_eq!(
        (a.context(), a.seqno()),
        (b.context(), b.seqno()),
        "two stubs"
    );
    assert!(
        a.ref_count() >= 3,
        "the stub is not shared (refs {})",
        a.ref_count()
    );
    assert!(a.is_signaled() && b.is_signaled());
}

fn wait_timeout<I: Implementation>() {
    let f = timeline::<I>().create();
    assert_eq!(f.wait(Duration::from_millis(1)), WaitOutcome::TimedOut);
    // The kernel arms a timer; a thread signalling after a delay makes the waiter park.
    let signaller = {
        let f = f.clone();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(10));
            f.signal();
        })
    };
    match f.wait(DEADLINE) {
        WaitOutcome::Signaled(left) => assert!(
            left > Duration::ZERO && left < DEADLINE,
            "remaining time {left:?} outside (0, {DEADLINE:?})"
        ),
        WaitOutcome::TimedOut => panic!("wait missed the signal"),
    }
    signaller.join().unwrap();
}

fn stub<I: Implementation>() {
    let f = timeline::<I>().stub();
    assert!(f.is_signaled());
    assert_eq!(f.status(), 1);
    let (count, cb) = counting_callback();
    assert_eq!(f.add_callback(cb), Err(AlreadySignaled));
    // A poll already reports it: waiting never has to block.
    assert!(f.wait(Duration::ZERO).is_signaled());
    assert!(f.wait(DEADLINE).is_signaled());
    assert_eq!(f.driver_name().as_str(), DETACHED_DRIVER);
    assert_eq!(f.timeline_name().as_str(), SIGNALED_TIMELINE);
    drop(f);
    assert_eq!(runs(&count), 0);
}

/// Passes per direction (signal before / after add_callback) per thread. Bounded by
/// operations, not time; each pass is one add_callback-vs-signal race.
const RACE_PASSES: usize = 2_000;

/// One thread of the kernel's `thread_signal_callback`: publish a fence of its own,
/// take a reference to the peer's current fence, and race `add_callback` on it against
/// the peer signalling it. Returns, per pass, whether the add succeeded and how often the
/// callback ran (read after both threads finished, when every signal has returned).
fn race_thread<I: Implementation>(
    tl: &I::Timeline,
    slots: &[Published<I::Fence>; 2],
    done: &[AtomicBool; 2],
    id: usize,
    before: bool,
    peer_context: u64,
) -> Vec<(bool, Arc<AtomicUsize>)> {
    let _done = SetOnDrop(&done[id]);
    let peer = 1 - id;
    let mut last_peer_seqno = 0;
    let mut outcomes = Vec::with_capacity(RACE_PASSES);
    for _ in 0..RACE_PASSES {
        let f1 = tl.create();
        f1.enable_signaling();
        slots[id].publish(Some(f1.clone()));
        // The kernel's `dma_fence_get_rcu_safe(&fences[!id])` spins until the peer has
        // published. Waiting for a fence not raced before keeps the threads in step, so
        // (unlike the kernel's time-bounded loop) most passes race a live fence; stop
        // once the peer has finished its passes.
        let f2 = loop {
            if let Some(f) = slots[peer].get_rcu_safe() {
                // A reused cell handed over without the re-check would be our own fence.
                assert_eq!(
                    f.context(),
                    peer_context,
                    "get_rcu_safe returned another fence"
                );
                if f.seqno() > last_peer_seqno {
                    last_peer_seqno = f.seqno();
                    break Some(f);
                }
            }
            if done[peer].load(Acquire) {
                break None;
            }
            thread::yield_now();
        };
        if before {
            f1.signal();
        }
        let (count, cb) = counting_callback();
        let added = f2.as_ref().is_some_and(|f2| f2.add_callback(cb).is_ok());
        if !before {
            f1.signal();
        }
        if added {
            let f2 = f2.as_ref().unwrap();
            assert!(
                f2.wait(DEADLINE).is_signaled(),
                "peer fence never signalled"
            );
        }
        outcomes.push((added, count));
        slots[id].publish(None);
    }
    outcomes
}

/// The kernel's `race_signal_callback`: two threads, each with its own timeline,
/// publish fences and race `add_callback` on the other's fence against its signal, with
/// the signal before and after the add. Every callback that was added must run exactly
/// once; one whose add reported "already signalled" must never run.
///
/// The fences are published in [`Published`] pointers to type-stable cells recycled at
/// once, shared by both threads, and taken with `get_rcu_safe` (load, get-unless-zero,
/// re-check), as the kernel test does with `dma_fence_get_rcu_safe`.
fn race_signal_callback<I: Implementation>() {
    let pool = fencebench_impls::Pool::new();
    let timelines: [I::Timeline; 2] = std::array::from_fn(|i| {
        let config = TimelineConfig::new(DRIVER, &format!("{TIMELINE}.{i}"));
        I::timeline(config.with_pool(pool.clone()))
    });
    for before in [false, true] {
        let cells = Cells::new();
        let slots: [Published<I::Fence>; 2] = std::array::from_fn(|_| Published::new(&cells));
        let contexts = [timelines[0].context(), timelines[1].context()];
        let done: [AtomicBool; 2] = Default::default();
        let outcomes: Vec<_> = thread::scope(|s| {
            let handles: Vec<_> = (0..2)
                .map(|id| {
                    let (tl, slots, done) = (&timelines[id], &slots, &done);
                    let peer_context = contexts[1 - id];
                    s.spawn(move || race_thread::<I>(tl, slots, done, id, before, peer_context))
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect()
        });
        let added = outcomes.iter().filter(|(added, _)| *added).count();
        for (pass, (added, count)) in outcomes.iter().enumerate() {
            let expected = usize::from(*added);
            assert_eq!(
                runs(count),
                expected,
                "pass {pass} (signal {} add): add {} but callback ran {} times",
                if before { "before" } else { "after" },
                if *added { "succeeded" } else { "failed" },
                runs(count)
            );
        }
        eprintln!(
            "{}: signal {} add_callback: {added}/{} callbacks added",
            I::NAME,
            if before { "before" } else { "after" },
            outcomes.len()
        );
    }
    I::quiesce();
    let stats = pool.stats();
    assert_eq!((stats.live, stats.retained), (0, 0));
    assert_eq!(stats.freed, 4 * RACE_PASSES as u64);
    if I::PROTECTS_READERS {
        assert_eq!(
            stats.violations, 0,
            "protected implementation read freed data"
        );
    }
}

fn timestamp<I: Implementation>() {
    let f = timeline::<I>().create();
    assert_eq!(f.timestamp(), None);
    assert_eq!(f.info().timestamp_ns, 0);
    let before = now_ns();
    f.signal();
    let after = now_ns();
    let ts = f.timestamp().expect("no timestamp after signal");
    assert!(
        (before..=after).contains(&ts),
        "timestamp {ts} not taken during signal ({before}..={after})"
    );
    assert_eq!(f.info().timestamp_ns, ts);
}

fn ref_count<I: Implementation>() {
    let f = timeline::<I>().create();
    assert_eq!(f.ref_count(), 1);
    let g = f.clone();
    let h = g.clone();
    assert_eq!((f.ref_count(), g.ref_count(), h.ref_count()), (3, 3, 3));
    drop(g);
    assert_eq!(f.ref_count(), 2);
    f.signal();
    drop(h);
    assert_eq!(f.ref_count(), 1);
}

/// `dma_fence_release` of an unsignalled fence with callbacks queued signals it (with
/// `-EDEADLK`), so the callback still runs exactly once and the driver data is retired
/// and freed like any other.
fn release_with_pending_callback<I: Implementation>() {
    let tl = timeline::<I>();
    let f = tl.create();
    let (count, cb) = counting_callback();
    f.add_callback(cb).unwrap();
    let (removed, cb) = counting_callback();
    let id = f.add_callback(cb).unwrap();
    assert!(f.remove_callback(id));
    let extra = f.clone();
    drop(f);
    assert_eq!(runs(&count), 0, "dropping a non-last reference signalled");
    drop(extra);
    assert_eq!(runs(&count), 1, "release did not run the pending callback");
    assert_eq!(runs(&removed), 0);
    I::quiesce();
    assert_eq!(settled(tl.pool().stats()), (0, 0, 1, 0));
}

fn names<I: Implementation>() {
    let f = timeline::<I>().create();
    assert_ne!(f.driver_name(), f.timeline_name());
    assert!(
        f.section().is_some(),
        "the read section found a live fence detached"
    );
    assert_eq!(f.driver_name().as_str(), DRIVER);
    assert_eq!(f.timeline_name().as_str(), TIMELINE);
    let info = f.info();
    assert_eq!(info.driver_name.as_str(), DRIVER);
    assert_eq!(info.obj_name.as_str(), TIMELINE);
    assert_eq!((info.context, info.seqno, info.status), (f.context(), 1, 0));
    assert_eq!(info.to_string(), describe::<I>(&f, false));
    assert_eq!(f.describe(), describe::<I>(&f, false));

    f.signal();
    assert_eq!(
        f.section(),
        None,
        "the read section used a signalled fence's data"
    );
    assert_eq!(f.driver_name().as_str(), DETACHED_DRIVER);
    assert_eq!(f.timeline_name().as_str(), SIGNALED_TIMELINE);
    let info = f.info();
    assert_eq!(info.driver_name.as_str(), DETACHED_DRIVER);
    assert_eq!(info.obj_name.as_str(), SIGNALED_TIMELINE);
    assert_eq!(info.status, 1);
    assert_eq!(info.to_string(), describe::<I>(&f, true));
    assert_eq!(f.describe(), describe::<I>(&f, true));
}

fn tracepoints<I: Implementation>() {
    let records = Arc::new(Mutex::new(Vec::<TraceRecord>::new()));
    let sink: TraceSink = {
        let records = records.clone();
        Arc::new(move |r: &TraceRecord| records.lock().unwrap().push(*r))
    };
    let config = TimelineConfig::new(DRIVER, TIMELINE).with_trace(sink);
    let tl = I::timeline(config.clone().with_enable_signaling_op());
    let live = (Name::new(DRIVER), Name::new(TIMELINE));
    let detached = (Name::new(DETACHED_DRIVER), Name::new(SIGNALED_TIMELINE));
    // Takes the records so far and compares them with `want`, all for fence `id`.
    let check = |id: (u64, u64), want: &[(TraceEvent, (Name, Name))]| {
        let got: Vec<_> = std::mem::take(&mut *records.lock().unwrap())
            .into_iter()
            .map(|r| {
                assert_eq!((r.context, r.seqno), id, "{:?} for another fence", r.event);
                (r.event, (r.driver, r.timeline))
            })
            .collect();
        assert_eq!(got, want);
    };
    let id = |f: &I::Fence| (f.context(), f.seqno());

    let f = tl.create();
    check(id(&f), &[(TraceEvent::Init, live)]);
    f.emit();
    check(id(&f), &[(TraceEvent::Emit, live)]);
    let (_, cb) = counting_callback();
    f.add_callback(cb).unwrap();
    check(id(&f), &[(TraceEvent::EnableSignal, live)]);
    // Signalling is already enabled, so the wait only brackets itself.
    assert_eq!(f.wait(Duration::ZERO), WaitOutcome::TimedOut);
    check(
        id(&f),
        &[(TraceEvent::WaitStart, live), (TraceEvent::WaitEnd, live)],
    );
    f.signal();
    check(id(&f), &[(TraceEvent::Signaled, live)]);
    // `emit` reads the names through the safe helpers (the `dma_fence` event class).
    f.emit();
    check(id(&f), &[(TraceEvent::Emit, detached)]);
    assert!(f.wait(Duration::ZERO).is_signaled());
    check(
        id(&f),
        &[
            (TraceEvent::WaitStart, detached),
            (TraceEvent::WaitEnd, detached),
        ],
    );
    let (g, fence) = (f.clone(), id(&f));
    drop(f);
    check(fence, &[]);
    drop(g);
    check(fence, &[(TraceEvent::Destroy, detached)]);

    // A fence released unsignalled (no callbacks) still has its driver data.
    let f = tl.create();
    let fence = id(&f);
    check(fence, &[(TraceEvent::Init, live)]);
    drop(f);
    check(fence, &[(TraceEvent::Destroy, live)]);

    // `enable_signal` fires only for a driver with an `enable_signaling` op.
    let tl = I::timeline(config);
    let f = tl.create();
    check(id(&f), &[(TraceEvent::Init, live)]);
    f.enable_signaling();
    let (_, cb) = counting_callback();
    f.add_callback(cb).unwrap();
    check(id(&f), &[]);
    f.signal();
    check(id(&f), &[(TraceEvent::Signaled, live)]);
}

/// `info()` reads the status as `dma_fence_get_status()` does, with the fence's lock
/// held: while another thread holds it (here: enabling signalling, whose tracepoint runs
/// under the lock and stalls), describe of the unsignalled fence waits for it.
fn info_takes_the_fence_lock<I: Implementation>() {
    const HOLD: Duration = Duration::from_millis(100);
    let in_sink = Arc::new(AtomicBool::new(false));
    let sink_done = Arc::new(AtomicBool::new(false));
    let sink: TraceSink = {
        let (in_sink, sink_done) = (in_sink.clone(), sink_done.clone());
        Arc::new(move |r: &TraceRecord| {
            if r.event == TraceEvent::EnableSignal {
                in_sink.store(true, Release);
                thread::sleep(HOLD);
                sink_done.store(true, Release);
            }
        })
    };
    let tl = I::timeline(
        TimelineConfig::new(DRIVER, TIMELINE)
            .with_trace(sink)
            .with_enable_signaling_op(),
    );
    let f = tl.create();
    thread::scope(|s| {
        let describer = s.spawn(|| {
            while !in_sink.load(Acquire) {
                thread::yield_now();
            }
            let info = f.info();
            (info.status, sink_done.load(Acquire))
        });
        f.enable_signaling();
        let (status, waited) = describer.join().unwrap();
        assert_eq!(status, 0);
        assert!(waited, "info() read the status without the fence's lock");
    });
    f.signal();
}

/// How long the 7.x half of [`signal_order`] gives a reader to get past
/// `dma_fence_timestamp()` while the `signaled` tracepoint runs: the reader cannot, as
/// 7.1+ sets `TIMESTAMP` only after the tracepoint, so the time only bounds how long a
/// wrong order could go unseen.
const TRACEPOINT_HOLD: Duration = Duration::from_millis(200);

/// The order of `dma_fence_signal_timestamp_locked` as a reader sees it from another
/// thread while the `signaled` tracepoint runs: 6.17 stored the timestamp and set
/// `TIMESTAMP` before the tracepoint, so a reader waiting in `dma_fence_timestamp()`
/// returns while it runs; 7.1+ fires the tracepoint first (then clears `ops` and takes the
/// callbacks) and sets `TIMESTAMP` after, so that reader is still spinning.
fn signal_order<I: Implementation>() {
    let in_tracepoint = Arc::new(AtomicBool::new(false));
    let read_timestamp = Arc::new(AtomicBool::new(false));
    let returned_during_tracepoint = Arc::new(Mutex::new(None));
    let sink: TraceSink = {
        let (in_tp, read, seen) = (
            in_tracepoint.clone(),
            read_timestamp.clone(),
            returned_during_tracepoint.clone(),
        );
        Arc::new(move |r: &TraceRecord| {
            if r.event != TraceEvent::Signaled {
                return;
            }
            in_tp.store(true, Release);
            let hold = match I::GENERATION {
                Generation::V6_17 => DEADLINE,
                Generation::V7 => TRACEPOINT_HOLD,
            };
            let start = std::time::Instant::now();
            while !read.load(Acquire) && start.elapsed() < hold {
                thread::yield_now();
            }
            *seen.lock().unwrap() = Some(read.load(Acquire));
        })
    };
    let tl = I::timeline(TimelineConfig::new(DRIVER, TIMELINE).with_trace(sink));
    let f = tl.create();
    thread::scope(|s| {
        s.spawn(|| {
            while !in_tracepoint.load(Acquire) {
                thread::yield_now();
            }
            assert!(f.timestamp().is_some());
            read_timestamp.store(true, Release);
        });
        f.signal();
    });
    let returned = returned_during_tracepoint.lock().unwrap().take();
    match I::GENERATION {
        Generation::V6_17 => assert_eq!(
            returned,
            Some(true),
            "6.17 sets TIMESTAMP before the signaled tracepoint"
        ),
        Generation::V7 => assert_eq!(
            returned,
            Some(false),
            "7.1+ sets TIMESTAMP after the signaled tracepoint"
        ),
    }
}

/// The two kinds of driver on 7.x: signal clears `ops` only for a driver with neither a
/// `release` nor a `wait` op, whose data then goes after a grace period; a driver with one
/// keeps its ops (and its module) until the fence is released, so its data stays and
/// unload reports it pinned. Both report the detached names once signalled. The 6.17
/// generation never clears `ops`: both kinds behave as the implementation always does.
fn driver_kinds<I: Implementation>() {
    for release_op in [false, true] {
        let config = TimelineConfig::new(DRIVER, TIMELINE);
        let tl = I::timeline(if release_op {
            config.with_release_op()
        } else {
            config
        });
        let f = tl.create();
        f.signal();
        assert_eq!(f.driver_name().as_str(), DETACHED_DRIVER);
        assert_eq!(f.timeline_name().as_str(), SIGNALED_TIMELINE);
        assert_eq!(
            f.section(),
            None,
            "a signalled fence's data read as attached"
        );
        assert_eq!(f.info().to_string(), describe::<I>(&f, true));
        let kept = (release_op && I::GENERATION == Generation::V7) || !I::RECLAIMS_AT_SIGNAL;
        let u = tl.unload();
        assert_eq!(
            u.pinned_objects,
            u64::from(kept),
            "release op {release_op}: data pinned at unload"
        );
        drop(f);
        I::quiesce();
        assert_eq!(settled(tl.pool().stats()), (0, 0, 1, 0));
    }
}

/// Linux 7.0's signal API: `dma_fence_signal()` returns nothing and does nothing on a
/// signalled fence; `dma_fence_check_and_signal()` signals and reports whether the fence
/// was already signalled; `dma_fence_test_signaled_flag()` is the bit alone, never the
/// driver's `signaled` op (which `is_signaled` asks, and which may signal from there).
fn signal_api<I: Implementation>() {
    let hw = Arc::new(AtomicU64::new(0));
    let tl = I::timeline(TimelineConfig::new(DRIVER, TIMELINE).with_hw_seqno(hw.clone()));
    let (f, g) = (tl.create(), tl.create());
    hw.store(g.seqno(), Release);
    assert!(!f.test_signaled_flag() && !g.test_signaled_flag());
    let (count, cb) = counting_callback();
    f.add_callback(cb).unwrap();
    assert!(
        !f.check_and_signal(),
        "a first signal reported already signalled"
    );
    assert_eq!(runs(&count), 1);
    assert!(f.test_signaled_flag());
    assert!(f.check_and_signal(), "a second signal did not report it");
    f.signal();
    assert_eq!(
        runs(&count),
        1,
        "a signal of a signalled fence reran the callback"
    );
    // The driver's op says g is done, but nobody signalled it yet.
    assert!(
        !g.test_signaled_flag(),
        "test_signaled_flag asked the driver's op"
    );
    assert!(g.is_signaled(), "is_signaled did not ask the driver's op");
    assert!(
        g.test_signaled_flag(),
        "the op's completion did not signal the fence"
    );
    assert!(g.check_and_signal());
}

/// `dma_fence_default_wait` tests the `SIGNALED` bit alone (a poll included, which
/// `dma_fence_wait_timeout` no longer short-cuts to `dma_fence_is_signaled`): the driver's
/// `signaled` op reporting completion does not end a wait until someone signals.
fn wait_tests_the_bit<I: Implementation>() {
    let hw = Arc::new(AtomicU64::new(0));
    let tl = I::timeline(TimelineConfig::new(DRIVER, TIMELINE).with_hw_seqno(hw.clone()));
    let f = tl.create();
    hw.store(f.seqno(), Release);
    assert_eq!(f.wait(Duration::ZERO), WaitOutcome::TimedOut);
    assert_eq!(f.wait(Duration::from_millis(1)), WaitOutcome::TimedOut);
    assert!(
        !f.test_signaled_flag(),
        "the wait signalled from the driver's op"
    );
    assert!(f.is_signaled());
    assert_eq!(f.wait(Duration::ZERO), WaitOutcome::Signaled(MIN_REMAINING));
}

/// Each name helper tests the signalled state on its own, so a signal between two
/// helpers in one section gives one real name and one constant: FILE_INFO reads the
/// driver name first (a real driver name with `signaled-timeline`); `dma_fence_describe`
/// reads the timeline name first (6.19: a real timeline name, `detached-driver` and
/// "unsignalled", as it asked `dma_fence_is_signaled` before the names; 6.17: the
/// detached driver, the real timeline and "signalled", as it asks after). The driver's
/// name op parks the reader inside its section while the fence is signalled.
fn name_helpers_test_on_their_own<I: Implementation>() {
    if !I::PROTECTS_READERS || I::READERS_BLOCK_SIGNAL {
        eprintln!(
            "skipped {}: its reader cannot stay in a section while the fence signals",
            I::NAME
        );
        return;
    }
    let armed = Arc::new(Mutex::new(None::<NameKind>));
    let barrier = Arc::new(Barrier::new(2));
    let op = {
        let (armed, barrier) = (armed.clone(), barrier.clone());
        Arc::new(move |kind: NameKind| {
            let park = {
                let mut armed = armed.lock().unwrap();
                let park = *armed == Some(kind);
                if park {
                    *armed = None;
                }
                park
            };
            if park {
                barrier.wait();
                barrier.wait();
            }
        })
    };
    let tl = I::timeline(TimelineConfig::new(DRIVER, TIMELINE).with_name_op(op));
    // Runs `read` on another thread, parked in the `kind` name op while the fence signals.
    let race = |kind: NameKind, read: &(dyn Fn(&I::Fence) -> String + Sync)| {
        let f = tl.create();
        *armed.lock().unwrap() = Some(kind);
        thread::scope(|s| {
            let reader = s.spawn(|| read(&f));
            barrier.wait();
            f.signal();
            barrier.wait();
            let seen = reader.join().unwrap();
            (seen, f.context(), f.seqno())
        })
    };
    let (seen, _, _) = race(NameKind::Driver, &|f| {
        let info = f.info();
        format!("{} {} {}", info.driver_name, info.obj_name, info.status)
    });
    assert_eq!(seen, format!("{DRIVER} {SIGNALED_TIMELINE} 1"), "FILE_INFO");
    let (seen, c, s) = race(NameKind::Timeline, &|f| f.describe());
    let want = match I::GENERATION {
        Generation::V6_17 => format!("{DETACHED_DRIVER} {TIMELINE} seq {s} signalled"),
        Generation::V7 => format!("{c}:{s} {TIMELINE} {DETACHED_DRIVER} unsignalled"),
    };
    assert_eq!(seen, want, "describe");
}

/// Fences created, signalled and released leave nothing live or retained once the
/// implementation quiesces. Between signal and release the implementations differ:
/// under the contract the data can be reclaimed while fences are still held; refcounting
/// keeps every signalled fence's data until the fence goes.
fn pool_accounting<I: Implementation>() {
    // More than one reclamation batch (RCU batches and hazard-pointer scans take 64).
    const N: u64 = 200;
    let tl = timeline::<I>();
    let fences: Vec<_> = (0..N).map(|_| tl.create()).collect();
    let stats = tl.pool().stats();
    assert_eq!(settled(stats), (N, 0, 0, 0));
    assert!(stats.capacity >= N);
    for f in &fences {
        f.signal();
    }
    I::quiesce();
    let held = if I::RECLAIMS_AT_SIGNAL {
        (0, 0, N, 0)
    } else {
        (0, N, 0, 0)
    };
    assert_eq!(settled(tl.pool().stats()), held, "signalled, fences held");
    drop(fences);
    I::quiesce();
    assert_eq!(settled(tl.pool().stats()), (0, 0, N, 0), "fences released");
}

/// Retirements while a reader holds a section, then after it left.
const RETIRED_UNDER_READER: u64 = 200;
const RETIRED_AFTER_READER: u64 = 3_000;
/// Most objects any scheme may keep retired, readers gone, without a quiesce: haphazard
/// scans only once more than 1,000 are retired; the hand-written schemes hand off or scan
/// every 64.
const BACKLOG_MAX: u64 = 1_200;

/// Reclamation that must finish. A reader holds a section while fences are retired,
/// then leaves; retiring goes on. Without any quiesce, what is retired must then be
/// freed down to [`BACKLOG_MAX`] (a reclaimer that never runs, or a full batch never
/// handed to it, leaves everything retired); a quiesce must then free the rest. It takes
/// milliseconds; the work runs on a thread of its own, so if it stalls the test fails at
/// [`DEADLINE`], saying where, instead of hanging.
fn reclaims_once_readers_leave<I: Implementation>() {
    let stage = Arc::new(Mutex::new(String::from("starting")));
    let (done_tx, done) = std::sync::mpsc::channel();
    let worker_stage = stage.clone();
    thread::spawn(move || {
        let set = |s: String| *worker_stage.lock().unwrap_or_else(|e| e.into_inner()) = s;
        let tl = timeline::<I>();
        // Signalling each fence as it is created, announcing a quiescent state between
        // operations as the workloads do (`rcu-qsbr`).
        let retire = |n: u64| {
            for _ in 0..n {
                let f = tl.create();
                f.signal();
                drop(f);
                I::quiescent_state();
            }
        };
        // A fence of its own, not signalled until the reader left: `lock`'s readers
        // hold the fence's lock.
        let parked = tl.create();
        let (release, reader) = park_reader_on::<I>(parked.clone());
        set("retiring under a reader".into());
        retire(RETIRED_UNDER_READER);
        release.send(()).unwrap();
        reader.join().unwrap();
        parked.signal();
        drop(parked);
        set("retiring after the reader left".into());
        retire(RETIRED_AFTER_READER);
        let total = RETIRED_UNDER_READER + RETIRED_AFTER_READER + 1;
        // Offline: a blocking wait (`rcu-qsbr`'s grace periods must not wait for it).
        I::offline(|| loop {
            let st = tl.pool().stats();
            set(format!(
                "waiting, without a quiesce, for the backlog to drop to {BACKLOG_MAX}: {st:?}"
            ));
            if st.retained <= BACKLOG_MAX {
                break;
            }
            thread::sleep(Duration::from_millis(1));
        });
        set("quiescing".into());
        I::quiesce();
        let st = tl.pool().stats();
        set(format!("quiesced: {st:?}"));
        let _ = done_tx.send(settled(st) == (0, 0, total, 0));
    });
    let outcome = done.recv_timeout(DEADLINE);
    let stage = stage.lock().unwrap_or_else(|e| e.into_inner()).clone();
    match outcome {
        Ok(settled) => assert!(settled, "{}: quiesce left data unfreed: {stage}", I::NAME),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!(
            "{}: reclamation did not finish within {DEADLINE:?}: {stage}",
            I::NAME
        ),
        Err(e) => panic!("{}: the worker failed ({e}): {stage}", I::NAME),
    }
}

/// Module unload while the driver's signalled fences are still held elsewhere: every
/// implementation that reclaims at signal returns with all the driver's memory freed;
/// refcounting cannot block and reports the memory pinned until the last fence goes.
fn unload<I: Implementation>() {
    const N: u64 = 100;
    let tl = timeline::<I>();
    let held: Vec<_> = (0..N).map(|_| tl.create()).collect();
    let holder = thread::spawn({
        let held = held.clone();
        move || held
    });
    for f in &held {
        f.signal();
    }
    drop(held);
    let u = tl.unload();
    assert!(u.requested_ns <= u.returned_ns);
    let held = holder.join().unwrap();
    for f in &held {
        assert_eq!(f.driver_name().as_str(), DETACHED_DRIVER);
        assert!(f.info().status == 1);
    }
    if I::RECLAIMS_AT_SIGNAL {
        assert_eq!((u.pinned_objects, u.pinned_bytes), (0, 0));
        assert_eq!(u.freed_ns(), Some(u.returned_ns));
        assert_eq!(settled(tl.pool().stats()), (0, 0, N, 0));
    } else {
        let bytes = N * fencebench_impls::pool::OBJECT_BYTES as u64;
        assert_eq!((u.pinned_objects, u.pinned_bytes), (N, bytes));
        assert_eq!(u.latency_ns(), None);
        drop(held);
        assert_eq!(settled(tl.pool().stats()), (0, 0, N, 0));
    }
}

/// A reader parked inside a section on a fence of `driver` until `release` is sent (or
/// dropped). Returns once the section has begun.
fn park_reader<I: Implementation>(
    driver: &I::Timeline,
) -> (std::sync::mpsc::Sender<()>, thread::JoinHandle<()>) {
    park_reader_on::<I>(driver.create())
}

/// As [`park_reader`], on `fence`.
fn park_reader_on<I: Implementation>(
    fence: I::Fence,
) -> (std::sync::mpsc::Sender<()>, thread::JoinHandle<()>) {
    let (inside_tx, inside) = std::sync::mpsc::channel();
    let (release, release_rx) = std::sync::mpsc::channel::<()>();
    let reader = thread::spawn(move || {
        fence.with_names(|_, _| {
            inside_tx.send(()).unwrap();
            let _ = release_rx.recv();
        })
    });
    inside.recv().unwrap();
    (release, reader)
}

/// `srcu`'s point: one domain per driver. A reader sleeping inside a section on driver
/// A's fence does not hold up the unload of driver B (under `rcu`, whose one domain
/// covers every driver, this unload would wait for the reader).
fn unload_waits_for_its_own_driver_only<I: Implementation>() {
    const N: u64 = 100;
    let (a, b) = (timeline::<I>(), timeline::<I>());
    let (release, reader) = park_reader::<I>(&a);
    let fences: Vec<_> = (0..N).map(|_| b.create()).collect();
    for f in &fences {
        f.signal();
    }
    let u = b.unload();
    assert_eq!(u.pinned_objects, 0);
    assert_eq!(settled(b.pool().stats()), (0, 0, N, 0));
    release.send(()).unwrap();
    reader.join().unwrap();
}

/// The stall workload's claim for per-driver domains, without a clock: with a reader
/// parked in a section on driver A, signalling on driver B alone completes B's grace
/// periods (each batch of retirements advances B's domain) and frees B's data, while A's
/// data retired under the reader stays. A domain shared by the two drivers would free
/// nothing of B's until the reader leaves: `rcu`, whose one domain covers every driver,
/// is the check that this test can fail (`per_driver` false).
fn other_drivers_reclaim_beside_a_stalled_one<I: Implementation>(per_driver: bool) {
    const N: u64 = 300;
    let (a, b) = (timeline::<I>(), timeline::<I>());
    let (release, reader) = park_reader::<I>(&a);
    let a_fences: Vec<_> = (0..N).map(|_| a.create()).collect();
    for f in &a_fences {
        f.signal();
    }
    let b_fences: Vec<_> = (0..N).map(|_| b.create()).collect();
    for f in &b_fences {
        f.signal();
    }
    let (sa, sb) = (a.pool().stats(), b.pool().stats());
    if per_driver {
        assert!(
            sb.freed > 0,
            "driver B freed nothing while a reader sat in driver A's section: {sb:?}"
        );
    } else {
        assert_eq!(
            sb.freed, 0,
            "one domain, yet B's grace period ended: {sb:?}"
        );
    }
    assert_eq!(sa.freed, 0, "driver A freed data under its reader: {sa:?}");
    release.send(()).unwrap();
    reader.join().unwrap();
    drop((a_fences, b_fences));
    I::quiesce();
    let sa = a.pool().stats();
    assert_eq!((sa.retained, sa.violations), (0, 0), "{sa:?}");
}

#[test]
fn srcu_unload_waits_for_its_own_driver_only() {
    unload_waits_for_its_own_driver_only::<fencebench_impls::Srcu>();
}

#[test]
fn srcu_fast_unload_waits_for_its_own_driver_only() {
    unload_waits_for_its_own_driver_only::<fencebench_impls::SrcuFast>();
}

#[test]
fn srcu_other_drivers_reclaim_beside_a_stalled_one() {
    other_drivers_reclaim_beside_a_stalled_one::<fencebench_impls::Srcu>(true);
}

#[test]
fn srcu_fast_other_drivers_reclaim_beside_a_stalled_one() {
    other_drivers_reclaim_beside_a_stalled_one::<fencebench_impls::SrcuFast>(true);
}

#[test]
fn rcu_holds_every_driver_behind_a_stalled_one() {
    other_drivers_reclaim_beside_a_stalled_one::<fencebench_impls::Rcu>(false);
}

/// The one table in `lib.rs`: every name dispatches to the implementation of that name,
/// every alias to its implementation, and nothing else dispatches.
#[test]
fn table_dispatches_every_name_and_alias() {
    use fencebench_impls::{canonical_name, for_each_impl, ALIASES, IMPLEMENTATIONS};
    for &name in IMPLEMENTATIONS {
        assert_eq!(for_each_impl!(name, I => I::NAME), Some(name));
        assert_eq!(canonical_name(name), Some(name));
    }
    for &(alias, name) in ALIASES {
        assert_eq!(
            for_each_impl!(alias, I => I::NAME),
            Some(name),
            "alias {alias}"
        );
        assert_eq!(canonical_name(alias), Some(name));
    }
    assert_eq!(for_each_impl!("no-such-implementation", I => I::NAME), None);
    assert_eq!(canonical_name("no-such-implementation"), None);
}

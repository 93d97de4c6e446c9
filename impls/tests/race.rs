//! The describe-vs-signal race: readers copy fence names (`info()`, as the `sync_file`
//! info ioctl and `dma_fence_describe` do, and `with_names`, which holds the section
//! while the caller uses the names) while the exporter signals those fences and reclaims
//! their driver data. The pool detects every read that overlapped a free, so the
//! protected implementations must count zero violations, and the unprotected baseline
//! must count at least one: proof that the detector, and this test, can see the
//! use-after-free the contract prevents.
//!
//! Everything is bounded by operation counts. Readers sit on the very fence that is
//! signalled next; the signaller waits (bounded) until a reader is inside a section on
//! it before signalling. One reader per core *holds* that section until the signaller
//! has signalled [`HOLD_SIGNALS`] more fences (bounded by [`HOLD_NAPS`] short sleeps), so
//! any reclamation that does not wait for it (a free at signal, a skipped or short grace
//! period, a scan that ignores hazards) frees data a reader is still using, whatever the
//! scheduling. Two per core poll `info()`, racing each signal (and, preempted inside a
//! section, the reclamation after it). Every reader also describes the fence signalled
//! [`GRAVEYARD`] signals ago, long reclaimed: data freed while a fence still points at
//! it shows there. Each implementation fails on its first violation, or passes after
//! [`ROUNDS`] clean rounds (CI's planted bugs get more, see [`rounds`]).
//!
//! Violations and coverage are apart. A violation (a late or torn read) fails the test at
//! once, with [`VIOLATION`] in its message, which `.ci/plants.sh` requires of a caught
//! plant. Coverage (some read saw a live fence; where readers do not block the signaller,
//! some held section spanned its fence's signal) is summed over the rounds: a loaded
//! machine can deschedule the signaller through a whole hold, which says nothing about
//! the implementation, so rounds go on until coverage is met, up to [`COVERAGE_ROUNDS`].
//! A run that still lacks it passes as a skip, saying why on stderr, and never counts as
//! a violation.

#![cfg(not(fencebench_loom))]

mod common;

use arc_swap::{ArcSwap, ArcSwapOption};
use common::{SetOnDrop, DRIVER, TIMELINE};
use fencebench_impls::{
    qsbr, rcu, srcu, Fence, Implementation, Name, Pool, PoolStats, Timeline, TimelineConfig,
    Unprotected, DETACHED_DRIVER, SIGNALED_TIMELINE,
};
use std::io::Write;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// In-flight fences, signalled round-robin.
const SLOTS: usize = 4;
/// Fences signalled and replaced per round: a round's length.
const SIGNALS_PER_ROUND: usize = 1_000;
/// Rounds per protected implementation; each must be clean. `FENCEBENCH_RACE_ROUNDS`
/// overrides it: the planted-bug CI runs more, since it stops at the first violation.
const ROUNDS: usize = 3;

fn rounds() -> usize {
    std::env::var("FENCEBENCH_RACE_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(ROUNDS)
}
/// The most rounds an implementation runs while its coverage is not met (when
/// [`rounds`] asks for fewer): enough that a round the machine's load left uncovered is
/// made up for, few enough that a run that cannot be covered ends in seconds.
const COVERAGE_ROUNDS: usize = 12;
/// Starts the message of every violation, the failure this suite exists for:
/// `.ci/plants.sh` counts a plant as caught only when a run failed with it.
const VIOLATION: &str = "RACE VIOLATION";
/// How long the signaller waits for a reader to be inside a section on the fence it is
/// about to signal, in spin iterations (yielding every [`YIELD_EVERY`]). Bounded, so a
/// descheduled reader only costs that fence its race.
const PACING_SPINS: usize = 4_000;
const YIELD_EVERY: usize = 64;
/// A holding reader stays in its section until this many more fences were signalled:
/// more than two reclamation batches (RCU batches and hazard-pointer scans take 64).
const HOLD_SIGNALS: usize = 160;
/// ... or until it has slept this many times [`NAP`], so a stalled grace period only
/// costs time. Sleeping leaves the cores to the signaller and the pollers.
const HOLD_NAPS: usize = 200;
const NAP: Duration = Duration::from_micros(20);
/// Spins a reader holds a section for where readers block the signaller (`lock`): there
/// holding cannot let anything be freed, it only delays the signal.
const BLOCKING_HOLD_SPINS: usize = 64;
/// Signalled fences kept for describing: each reader describes the one signalled this
/// many signals ago, whose data every scheme has reclaimed by then (several batches).
const GRAVEYARD: usize = 256;

/// The race tests take this lock so their threads do not compete with each other's.
static SERIAL: Mutex<()> = Mutex::new(());

/// The pool of the round in progress, for [`report_violations_on_panic`].
static ROUND_POOL: Mutex<Option<Arc<Pool>>> = Mutex::new(None);

/// Makes every panic first report, with [`VIOLATION`], the late reads the running round's
/// pool has counted. Data freed under a reader can make that reader's later `put` free a
/// reused slot and panic, or abort the process, before the round ends and its count is
/// checked: the violation must still be what the run reports.
fn report_violations_on_panic() {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let pool = ROUND_POOL.try_lock().ok().and_then(|p| p.clone());
            let late = pool.map_or(0, |p| p.stats().violations);
            if late > 0 {
                // Past libtest's capture: the process may abort before it prints.
                let _ = writeln!(
                    std::io::stderr(),
                    "{VIOLATION}: {late} late reads counted before this panic"
                );
            }
            default(info);
        }));
    });
}

/// What one round observed.
#[derive(Debug)]
struct Round {
    stats: PoolStats,
    /// Reads made (`info()` calls and held sections).
    reads: u64,
    /// Reads that returned the live (configured) names.
    live_reads: u64,
    /// Reads whose names were neither the live nor the detached pair nor the one mix
    /// FILE_INFO can return (the live driver name, then `signaled-timeline`: each name
    /// helper tests the state on its own, the driver's first): a torn or poisoned copy,
    /// which only an unprotected read can produce.
    torn_reads: u64,
    /// Held sections during which the signaller signalled the fence held.
    held_over_signal: u64,
}

/// Spins (yielding now and then, so an oversubscribed core runs the others) until
/// `done()` or `spins` iterations.
fn spin_until(spins: usize, mut done: impl FnMut() -> bool) {
    for n in 0..spins {
        if done() {
            return;
        }
        if n % YIELD_EVERY == YIELD_EVERY - 1 {
            thread::yield_now();
        } else {
            std::hint::spin_loop();
        }
    }
}

/// Holds the caller's section until `done()`, within the bounds above.
fn hold<I: Implementation>(mut done: impl FnMut() -> bool) {
    if I::READERS_BLOCK_SIGNAL {
        return spin_until(BLOCKING_HOLD_SPINS, done);
    }
    for _ in 0..HOLD_NAPS {
        if done() {
            return;
        }
        thread::sleep(NAP);
    }
}

/// Readers: one holder and two pollers per core beside the signaller, so pollers are
/// preempted, sometimes inside a section. Implementations whose readers block the
/// signaller get one holder per core but one, so the signaller has a core of its own and
/// the spinlock stays fair.
fn reader_count<I: Implementation>() -> usize {
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    if I::READERS_BLOCK_SIGNAL {
        cores.saturating_sub(1).max(1)
    } else {
        3 * cores
    }
}

/// A thread's panic, resumed once the round's pool was checked for violations.
type Panic = Box<dyn std::any::Any + Send>;

/// One round: a signaller cycles through the slots, signalling each fence and replacing
/// it with a new one, while readers take a reference to the fence it signals next and
/// describe it, holding or polling. A thread's panic comes back beside the round, so a
/// violation the round counted is reported before it (a freed slot can make a reader's
/// later `put` or free panic).
fn round<I: Implementation>() -> (Round, Option<Panic>) {
    // The driver has a `signaled` op: readers' `is_signaled` may signal a fence the
    // "hardware" completed before the signaller gets to it.
    let hw = Arc::new(AtomicU64::new(0));
    let tl = I::timeline(TimelineConfig::new(DRIVER, TIMELINE).with_hw_seqno(hw.clone()));
    report_violations_on_panic();
    *ROUND_POOL.lock().unwrap_or_else(|e| e.into_inner()) = Some(tl.pool().clone());
    let slots: Vec<ArcSwap<I::Fence>> = (0..SLOTS)
        .map(|_| ArcSwap::from_pointee(tl.create()))
        .collect();
    // Per slot, the highest seqno of a fence there that a reader is inside a section on.
    let inside: Vec<AtomicU64> = (0..SLOTS).map(|_| AtomicU64::new(0)).collect();
    let next = AtomicUsize::new(0);
    let signalled = AtomicUsize::new(0);
    let done = AtomicBool::new(false);
    let counts: [AtomicU64; 4] = Default::default();
    let live = (Name::new(DRIVER), Name::new(TIMELINE));
    let detached = (Name::new(DETACHED_DRIVER), Name::new(SIGNALED_TIMELINE));
    let mixed = (live.0, detached.1);
    let graveyard: Vec<ArcSwapOption<I::Fence>> =
        (0..GRAVEYARD).map(|_| Default::default()).collect();

    // Threads are joined explicitly: a scope's implicit join can return before a
    // thread's thread-local destructors hand its retired data to the reclaimer, which
    // `quiesce` below must see.
    // Offline while it waits for the round (`rcu-qsbr` grace periods need not wait for it).
    let panic = I::offline(|| {
        thread::scope(|s| {
            let signaller = s.spawn(|| {
                let _done = SetOnDrop(&done);
                for n in 0..SIGNALS_PER_ROUND {
                    // Between operations: `rcu-qsbr`'s quiescent state.
                    I::quiescent_state();
                    let i = n % SLOTS;
                    next.store(i, Relaxed);
                    let target = slots[i].load().seqno();
                    spin_until(PACING_SPINS, || inside[i].load(Relaxed) >= target);
                    let old = slots[i].swap(Arc::new(tl.create()));
                    hw.store(old.seqno(), Release);
                    // A reader may have signalled it first, through the driver's op.
                    old.signal();
                    graveyard[n % GRAVEYARD].store(Some(old));
                    signalled.fetch_add(1, Release);
                }
            });
            let readers: Vec<_> = (0..reader_count::<I>())
                .map(|r| {
                    let (slots, inside, next, signalled, done, counts, graveyard) = (
                        &slots, &inside, &next, &signalled, &done, &counts, &graveyard,
                    );
                    let holder = r % 3 == 0 || I::READERS_BLOCK_SIGNAL;
                    s.spawn(move || {
                        let (mut n, mut live_n, mut torn_n, mut held_n) = (0, 0, 0, 0);
                        let mut check = |names: (Name, Name)| {
                            if names == live {
                                live_n += 1;
                            } else if names != detached && names != mixed {
                                torn_n += 1;
                            }
                        };
                        while !done.load(Acquire) {
                            I::quiescent_state();
                            let i = next.load(Relaxed);
                            // A reference of our own, held while describing, as real readers do.
                            let f = I::Fence::clone(&slots[i].load());
                            // The oldest fence in the graveyard, signalled long ago.
                            let oldest = signalled.load(Acquire) % GRAVEYARD;
                            if let Some(o) = &*graveyard[oldest].load() {
                                n += 1;
                                let info = o.info();
                                check((info.driver_name, info.obj_name));
                            }
                            if holder {
                                n += 1;
                                let names = f.with_names(|d, t| {
                                    inside[i].fetch_max(f.seqno(), Relaxed);
                                    let from = signalled.load(Acquire);
                                    hold::<I>(|| {
                                        signalled.load(Acquire) >= from + HOLD_SIGNALS
                                            || done.load(Relaxed)
                                    });
                                    (*d, *t)
                                });
                                check(names);
                                held_n += u64::from(f.is_signaled());
                            } else {
                                loop {
                                    n += 1;
                                    let info = f.info();
                                    check((info.driver_name, info.obj_name));
                                    if info.status != 0 || f.is_signaled() {
                                        break;
                                    }
                                    inside[i].fetch_max(f.seqno(), Relaxed);
                                    if next.load(Relaxed) != i || done.load(Relaxed) {
                                        break;
                                    }
                                }
                            }
                        }
                        for (c, v) in counts.iter().zip([n, live_n, torn_n, held_n]) {
                            c.fetch_add(v, Relaxed);
                        }
                    })
                })
                .collect();
            let mut panics = vec![signaller.join()];
            panics.extend(readers.into_iter().map(|r| r.join()));
            panics.into_iter().find_map(Result::err)
        })
    });
    for slot in &slots {
        slot.load().signal();
    }
    drop((slots, graveyard));
    I::quiesce();
    let [reads, live_reads, torn_reads, held_over_signal] = counts.map(AtomicU64::into_inner);
    let round = Round {
        stats: tl.pool().stats(),
        reads,
        live_reads,
        torn_reads,
        held_over_signal,
    };
    *ROUND_POOL.lock().unwrap_or_else(|e| e.into_inner()) = None;
    (round, panic)
}

/// What the rounds so far covered, summed.
#[derive(Default)]
struct Coverage {
    rounds: usize,
    live_reads: u64,
    held_over_signal: u64,
}

impl Coverage {
    fn add(&mut self, r: &Round) {
        self.rounds += 1;
        self.live_reads += r.live_reads;
        self.held_over_signal += r.held_over_signal;
    }

    /// Why the rounds so far tested less than the race, if they did.
    fn missing<I: Implementation>(&self) -> Option<&'static str> {
        if self.live_reads == 0 {
            Some("no read overlapped a live fence")
        } else if !I::READERS_BLOCK_SIGNAL && self.held_over_signal == 0 {
            // Where readers do not hold the signaller up, some section must have spanned
            // the signal of the fence it held, or the rounds tested nothing.
            Some("no held section spanned its fence's signal")
        } else {
            None
        }
    }
}

/// Fails with [`VIOLATION`] if round `n` read freed or torn data.
fn assert_no_violation<I: Implementation>(n: usize, r: &Round) {
    assert!(
        r.stats.violations == 0 && r.torn_reads == 0,
        "{VIOLATION}: {} read freed driver data in round {n}: {} late reads, {} torn names",
        I::NAME,
        r.stats.violations,
        r.torn_reads
    );
}

/// [`rounds`] clean rounds, then more while coverage is missing, up to
/// [`COVERAGE_ROUNDS`]; each must be violation-free and leave the pool settled.
fn assert_protected<I: Implementation>() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut coverage = Coverage::default();
    let bound = rounds().max(COVERAGE_ROUNDS);
    for n in 1..=bound {
        if n > rounds() && coverage.missing::<I>().is_none() {
            break;
        }
        let start = Instant::now();
        let (r, panic) = round::<I>();
        eprintln!("{} round {n} ({:?}): {r:?}", I::NAME, start.elapsed());
        assert_no_violation::<I>(n, &r);
        if let Some(panic) = panic {
            std::panic::resume_unwind(panic);
        }
        coverage.add(&r);
        assert_eq!((r.stats.live, r.stats.retained), (0, 0));
        assert_eq!(r.stats.freed, (SIGNALS_PER_ROUND + SLOTS) as u64);
    }
    eprintln!(
        "{}: {} clean rounds; coverage: {} live reads, {} held sections spanned their signal",
        I::NAME,
        coverage.rounds,
        coverage.live_reads,
        coverage.held_over_signal
    );
    if let Some(why) = coverage.missing::<I>() {
        // Past libtest's capture, which would hide a passing test's output: a skip must
        // be seen.
        let _ = writeln!(
            std::io::stderr(),
            "{}: skipped: coverage not reached in {} rounds ({why}); no violation seen",
            I::NAME,
            coverage.rounds
        );
    }
}

/// One test per row of the implementation table, `<row>_never_reads_freed_data`. A row
/// whose readers are unprotected, or that needs a device, is skipped with the reason: the
/// baseline's test is [`unprotected_reads_freed_data`], the kernel's
/// [`kernel_describe_racing_signal_stays_valid`].
macro_rules! race_suite {
    (() $($name:literal $ident:ident [$($alias:literal),*] $ty:path;)*) => {
        pastey::paste! {$(
            #[test]
            fn [<$ident _never_reads_freed_data>]() {
                protected_or_skip::<$ty>();
            }
        )*}
    };
}

fencebench_impls::__implementation_table!(self::race_suite!());

/// [`assert_protected`], or why this suite cannot run `I`.
fn protected_or_skip<I: Implementation>() {
    if let Some(device) = I::NEEDS_DEVICE {
        return eprintln!("{}: skipped: needs {device}", I::NAME);
    }
    if !I::PROTECTS_READERS {
        return eprintln!(
            "{}: skipped: does not protect readers (unprotected_reads_freed_data)",
            I::NAME
        );
    }
    assert_protected::<I>();
}

/// The baseline frees at signal, so a holding reader sees the free in its first round.
#[test]
fn unprotected_reads_freed_data() {
    const { assert!(!Unprotected::PROTECTS_READERS) };
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (r, panic) = round::<Unprotected>();
    eprintln!("unprotected: {r:?}");
    if let Some(panic) = panic {
        std::panic::resume_unwind(panic);
    }
    assert!(
        r.stats.violations > 0,
        "no violation in a round ({} reads): the detector is blind",
        r.reads
    );
    assert_eq!((r.stats.live, r.stats.retained), (0, 0));
}

/// The real kernel cannot count violations (kernel memory is not observable): its race
/// check is that every FILE_INFO racing VGEM_FENCE_SIGNAL succeeds with valid names, in
/// the kernel conformance suite. Fails without a vgem device, so it runs only where one
/// is (`--include-ignored`).
#[test]
#[ignore = "needs vgem (/dev/dri): run with --include-ignored where the vgem module is loaded"]
fn kernel_describe_racing_signal_stays_valid() {
    let report = fencebench_impls::kernel_check::run(None)
        .unwrap_or_else(|reason| panic!("kernel: cannot run: {reason}"));
    let race = report
        .checks
        .iter()
        .find(|c| c.name.contains("racing signal"))
        .expect("the suite races FILE_INFO against signal");
    assert!(race.outcome.is_ok(), "{report}");
}

// ---------------------------------------------------------------------------------------
// Stale readers across grace periods: one reader inside one section while grace periods
// that began before it published itself complete. A grace period waits for the readers it
// can see; a reader that read the counter (or the index) just before one began, and was
// preempted before publishing it, is in none of that one's waits, so the next must wait
// for it. One that judges readers by a phase or parity bit instead of the whole counter
// takes the stale snapshot for a current one: the mistake liburcu's two phase flips exist
// to prevent, which no other race above can reach (a preemption in a window of a few
// instructions, during a whole grace period). Each mechanism's `*_after` hook stands in
// for the preemption. The peers' grace periods are their libraries', not ours; `rcu` and
// `rcu-detach` share the `rcu` domain tested here.

/// How long the stale reader holds its section for a grace period that does not wait for
/// it to free the data: long enough that, on a loaded machine, such a grace period and the
/// free after it have run (they take microseconds); a correct one waits it out.
const STALE_HOLD: Duration = Duration::from_secs(1);
/// A safety bound on the hand-offs that must happen (the first grace period, which sees
/// no reader, and the reader's entry): reaching it means a lost hand-off, not slowness.
const HANDOFF_BOUND: Duration = Duration::from_secs(30);

/// Waits for `flag`, at most `bound`; whether it was set.
fn wait_for(flag: &AtomicBool, bound: Duration) -> bool {
    let start = Instant::now();
    while !flag.load(Acquire) {
        if start.elapsed() > bound {
            return false;
        }
        thread::sleep(Duration::from_micros(50));
    }
    true
}

/// A reader runs `section(between, body)`: a read-side section of the mechanism under
/// test that runs `between` after taking its snapshot and before publishing it, then
/// `body` inside the section. The exporter runs one grace period while the reader is in
/// `between`, signals and retires data the reader, inside its section, saw unsignalled,
/// runs a second grace period and frees the data. The reader reads the data again after
/// [`STALE_HOLD`] or once it was freed: the second grace period must have waited for it.
fn stale_reader_outlives_its_data(
    name: &str,
    section: impl Fn(&mut dyn FnMut(), &mut dyn FnMut()) + Sync,
    synchronize: impl Fn() + Sync,
) {
    let pool = Pool::new();
    let data = pool.alloc(&Name::new(DRIVER), &Name::new(TIMELINE), 0);
    let [snapshot_taken, first_done, inside, signalled, freed] =
        std::array::from_fn(|_| AtomicBool::new(false));
    let data = &data;
    thread::scope(|s| {
        s.spawn(|| {
            section(
                &mut || {
                    snapshot_taken.store(true, Release);
                    assert!(
                        wait_for(&first_done, HANDOFF_BOUND),
                        "{name}: a grace period waited for a reader that had not published itself"
                    );
                },
                &mut || {
                    // The contract's test inside the section; the exporter signals only
                    // once this reader is inside.
                    if !signalled.load(Acquire) {
                        assert!(data.read_names().2, "{VIOLATION}: {name}: freed on entry");
                        inside.store(true, Release);
                        wait_for(&freed, STALE_HOLD);
                        // A late read counts a violation in the pool.
                        data.read_names();
                    }
                },
            );
        });
        let handoff = |flag: &AtomicBool, what: &str| {
            assert!(wait_for(flag, HANDOFF_BOUND), "{name}: {what}");
        };
        handoff(&snapshot_taken, "the reader never took its snapshot");
        synchronize();
        first_done.store(true, Release);
        handoff(&inside, "the reader never entered its section");
        signalled.store(true, Release);
        data.retire(0);
        synchronize();
        data.free();
        freed.store(true, Release);
    });
    let st = pool.stats();
    assert_eq!(
        st.violations, 0,
        "{VIOLATION}: {name}: the second grace period did not wait for a reader whose snapshot predates the first"
    );
    assert_eq!((st.live, st.retained, st.freed), (0, 0, 1));
}

#[test]
fn rcu_stale_reader_outlives_its_data() {
    let domain = rcu::Domain::new();
    stale_reader_outlives_its_data(
        "rcu",
        |between, body| {
            let reader = domain.register();
            let _section = reader.lock_after(between);
            body();
        },
        || domain.synchronize(),
    );
}

#[test]
fn rcu_qsbr_stale_reader_outlives_its_data() {
    let domain = qsbr::Domain::new();
    stale_reader_outlives_its_data(
        "rcu-qsbr",
        |between, body| {
            let rec = domain.register();
            // Offline, then back online with the stale snapshot (a blocking wait's end).
            domain.offline(&rec);
            domain.online_after(&rec, between);
            body();
            domain.unregister(&rec);
        },
        || domain.synchronize(),
    );
}

fn srcu_stale_reader<F: srcu::Flavor>() {
    let domain = srcu::Domain::<F>::new();
    stale_reader_outlives_its_data(
        F::NAME,
        |between, body| srcu::with_slot(|slot| domain.read_after(slot, between, body)),
        || domain.synchronize(),
    );
}

#[test]
fn srcu_stale_reader_outlives_its_data() {
    srcu_stale_reader::<srcu::Classic>();
}

#[test]
fn srcu_fast_stale_reader_outlives_its_data() {
    srcu_stale_reader::<srcu::Fast>();
}

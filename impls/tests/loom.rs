//! Loom models of the dma-fence safe-access protocol: readers that test `SIGNALED` inside
//! a read-side section race an exporter that sets the bit and then reclaims the driver
//! data. The models run the crate's own `pool`, `rcu`, `hazptr` and `inline_lock` code, built against
//! loom's atomics, fences and mutex under `cfg(fencebench_loom)`, so loom explores the protocols as
//! they are benchmarked (with `membarrier::{light, heavy}` modelled as `fence(SeqCst)`).
//!
//! Every model asserts that a reader which saw the fence unsignalled read valid names (the
//! pool validates each read against the slot generation), that the pool counted no
//! violation, and that the data was freed in the end. Planted bugs check that the models
//! can fail: they are `should_panic` tests, so the suite fails if loom stops catching them.
//!
//! Run with
//! `RUSTFLAGS="--cfg fencebench_loom" CARGO_TARGET_DIR=target/loom cargo test -p fencebench-impls --test loom --release`
//! (add `-- --nocapture` to see how many interleavings each model took).

#![cfg(fencebench_loom)]

use fencebench_impls::inline_lock::InlineLock;
use fencebench_impls::pool::{DriverRef, Name, Pool};
use fencebench_impls::published::{Cells, Published};
use fencebench_impls::{hazptr, qsbr, rcu, srcu};
use fencebench_impls::{
    Fence as _, Implementation, Timeline as _, TimelineConfig, DETACHED_DRIVER, SIGNALED_TIMELINE,
};
use loom::sync::atomic::{AtomicBool, AtomicUsize};
use loom::thread::{self, JoinHandle};
use std::cell::Cell;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Release};
use std::sync::Arc;

/// Driver and timeline names differ so that reading the wrong field would show (the 6.17
/// `dma_fence_timeline_name()` bug).
const DRIVER: &str = "xe";
const TIMELINE: &str = "gt0-rcs0";

/// Start of the panic message of a late read; the planted-bug tests expect it.
const LATE_READ: &str = "late read";

thread_local! {
    /// Interleavings explored by the running `check` (loom only logs its own count). Loom
    /// runs a model's threads as coroutines on the test's OS thread, so this is per test
    /// even when the test harness runs several tests at once.
    static ITERATIONS: Cell<usize> = const { Cell::new(0) };
}

/// The interleaving being explored, for failure messages.
fn iteration() -> usize {
    ITERATIONS.with(Cell::get)
}

/// Runs `f` under every interleaving loom explores and reports how many there were.
/// Two-thread models are explored exhaustively.
fn check(name: &str, f: impl Fn() + Sync + Send + 'static) {
    check_bounded(name, None, f);
}

/// Preemption bound of the three-thread models. Exhaustive exploration takes 70 s
/// (hazptr, 650 thousand interleavings) to well over 100 s (rcu); bound 5 explores 78
/// and 120 thousand in 8 and 14 s. Set `LOOM_MAX_PREEMPTIONS` to go deeper.
const THREE_THREAD_PREEMPTIONS: Option<usize> = Some(5);

/// As [`check`], with at most `preemptions` preemptions per interleaving unless the
/// `LOOM_MAX_PREEMPTIONS` environment variable says otherwise.
fn check_bounded(name: &str, preemptions: Option<usize>, f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    // The fence-model models run long paths (names, the pool, a grace period).
    builder.max_branches = 20_000;
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = preemptions;
    }
    ITERATIONS.with(|i| i.set(0));
    builder.check(move || {
        ITERATIONS.with(|i| i.set(i.get() + 1));
        f()
    });
    eprintln!(
        "loom model {name}: {} interleavings (preemption bound {:?})",
        iteration(),
        builder.preemption_bound
    );
}

/// The fence as the models see it: its driver data and its `SIGNALED` bit.
#[derive(Clone)]
struct Fence {
    pool: Arc<Pool>,
    data: DriverRef,
    signaled: Arc<AtomicBool>,
    /// Model the exporter's lock too: the exporter signals under it and readers take it
    /// as `with_lock` does. Its spin loop multiplies the interleavings, so only some
    /// models include it.
    exporter_lock: bool,
}

impl Fence {
    fn new(exporter_lock: bool) -> Self {
        let pool = Pool::new();
        let data = pool.alloc(&Name::new(DRIVER), &Name::new(TIMELINE), 1);
        Fence {
            pool,
            data,
            signaled: Arc::new(AtomicBool::new(false)),
            exporter_lock,
        }
    }

    fn is_signaled(&self) -> bool {
        self.signaled.load(Acquire)
    }

    /// The exporter's side up to reclamation, as `GuardedFence::signal` does it:
    /// `fetch_or(SIGNALED, AcqRel)`, under the exporter's lock if that is modelled, then
    /// hand the data to retirement.
    fn signal(&self) {
        let lock = self
            .exporter_lock
            .then(|| self.data.lock().expect("the exporter's own data is live"));
        assert!(!self.signaled.fetch_or(true, AcqRel), "signalled twice");
        drop(lock);
        self.data.retire(0);
    }

    /// Uses the driver data as a reader that saw the fence unsignalled may: copy both
    /// names and, if modelled, take the exporter's lock as `with_lock` does. Both must find
    /// the data live; a lock freed while held counts a violation when it is dropped.
    fn use_data(&self) {
        let (driver, timeline, ok) = self.data.read_names();
        assert!(
            ok,
            "{LATE_READ}: names freed under a reader (interleaving {})",
            iteration()
        );
        assert_eq!((driver.as_str(), timeline.as_str()), (DRIVER, TIMELINE));
        if self.exporter_lock {
            let lock = self.data.lock();
            assert!(
                lock.is_some(),
                "{LATE_READ}: exporter lock freed under a reader"
            );
        }
    }

    /// A read-side section's body: test `SIGNALED` inside it and use the data only while
    /// it is clear (contract rule 3).
    fn read_if_unsignalled(&self) {
        if !self.is_signaled() {
            self.use_data();
        }
    }

    /// Final checks once every thread has joined: no late read, nothing left retained.
    fn assert_reclaimed(&self) {
        let st = self.pool.stats();
        assert_eq!(st.violations, 0, "{LATE_READ}: the pool counted violations");
        assert!(!self.data.is_live(), "driver data never freed");
        assert_eq!((st.live, st.retained, st.freed), (0, 0, 1));
    }
}

/// The size of a model: reader threads (besides the exporter, the main thread), read-side
/// sections per reader, whether the exporter's lock is modelled, and whether a grace
/// period completes before the signal.
#[derive(Clone, Copy)]
struct Shape {
    readers: usize,
    sections: usize,
    exporter_lock: bool,
    /// Two grace periods back to back: one before the signal, then the one the free
    /// waits for. A reader that took its snapshot (the counter, the index) just before
    /// the first began, and published it only after the first finished its scan, is in
    /// none of the first's waits; the second must still wait for it. A grace period that
    /// judges readers by a phase or parity bit, not the whole counter, takes that stale
    /// snapshot for a current one (the mistake liburcu's two phase flips prevent).
    earlier_grace_period: bool,
}

/// The smallest model: one reader, one section, no exporter lock, one grace period.
const ONE: Shape = Shape {
    readers: 1,
    sections: 1,
    exporter_lock: false,
    earlier_grace_period: false,
};

/// [`ONE`] with a grace period completed before the signal.
const ONE_AFTER_A_GRACE_PERIOD: Shape = Shape {
    earlier_grace_period: true,
    ..ONE
};

/// Spawns `threads` reader threads, each running `body` on its own clone of `ctx`.
fn spawn_readers<C: Clone + Send + 'static>(
    threads: usize,
    ctx: &C,
    body: impl Fn(&C) + Clone + Send + 'static,
) -> Vec<JoinHandle<()>> {
    (0..threads)
        .map(|_| {
            let (ctx, body) = (ctx.clone(), body.clone());
            thread::spawn(move || body(&ctx))
        })
        .collect()
}

fn join(readers: Vec<JoinHandle<()>>) {
    for r in readers {
        r.join().unwrap();
    }
}

// ---------------------------------------------------------------------------------------
// RCU: the 6.17 contract.

/// How the RCU exporter or reader deviates from the contract (planted bugs).
#[derive(Clone, Copy, PartialEq, Eq)]
enum RcuBug {
    None,
    /// The exporter frees right after signalling, without a grace period (rule 1).
    NoGracePeriod,
    /// The reader tests `SIGNALED` before `lock()` and uses the data inside (rule 2).
    TestOutsideSection,
}

/// Readers register with the domain and run `sections` read-side sections each; the
/// exporter (the model's main thread) signals, waits for a grace period, frees.
fn rcu_model(shape: Shape, bug: RcuBug) {
    let fence = Fence::new(shape.exporter_lock);
    let domain = Arc::new(rcu::Domain::new());

    let handles = spawn_readers(
        shape.readers,
        &(fence.clone(), domain.clone()),
        move |(fence, domain)| {
            let r = domain.register();
            for _ in 0..shape.sections {
                if bug == RcuBug::TestOutsideSection {
                    let unsignalled = !fence.is_signaled();
                    let _section = r.lock();
                    if unsignalled {
                        fence.use_data();
                    }
                } else {
                    let _section = r.lock();
                    fence.read_if_unsignalled();
                }
            }
        },
    );

    if shape.earlier_grace_period {
        domain.synchronize();
    }
    fence.signal();
    if bug != RcuBug::NoGracePeriod {
        domain.synchronize();
    }
    fence.data.free();

    join(handles);
    fence.assert_reclaimed();
}

#[test]
fn rcu_one_reader() {
    check("rcu 1 reader", || rcu_model(ONE, RcuBug::None));
}

/// Two grace periods back to back against one reader (see [`Shape::earlier_grace_period`]).
#[test]
fn rcu_two_grace_periods() {
    check("rcu 1 reader, 2 grace periods", || {
        rcu_model(ONE_AFTER_A_GRACE_PERIOD, RcuBug::None)
    });
}

/// A reader's second section reuses its record with the grace-period counter it reads
/// then: a scan must neither miss it nor wait on it forever.
#[test]
fn rcu_one_reader_two_sections() {
    check("rcu 1 reader x 2 sections", || {
        rcu_model(Shape { sections: 2, ..ONE }, RcuBug::None)
    });
}

/// The full signal path: the exporter signals under its lock, the reader takes it.
#[test]
fn rcu_exporter_lock() {
    let shape = Shape {
        exporter_lock: true,
        ..ONE
    };
    check("rcu exporter lock", move || rcu_model(shape, RcuBug::None));
}

#[test]
fn rcu_two_readers() {
    check_bounded("rcu 2 readers", THREE_THREAD_PREEMPTIONS, || {
        rcu_model(Shape { readers: 2, ..ONE }, RcuBug::None)
    });
}

/// Planted bug: reclaim without waiting for readers. Loom must find the interleaving in
/// which the reader sees the fence unsignalled and the free lands before its read.
#[test]
#[should_panic(expected = "late read")]
fn planted_rcu_free_without_grace_period_is_caught() {
    check("rcu no grace period", || {
        rcu_model(ONE, RcuBug::NoGracePeriod)
    });
}

/// Planted bug: `SIGNALED` tested before the section begins, so a whole grace period can
/// pass between the test and the use.
#[test]
#[should_panic(expected = "late read")]
fn planted_rcu_test_outside_section_is_caught() {
    check("rcu test outside section", || {
        rcu_model(ONE, RcuBug::TestOutsideSection)
    });
}

// ---------------------------------------------------------------------------------------
// SRCU: per-domain two-half counters.

/// Readers run `sections` sections each on a domain of flavour `F`, reader `i` counting
/// in slot `i` (the domain has two); the exporter signals, waits for a full grace period
/// (both scans and the flip), frees. Without the grace period (`bug`), loom must find the
/// late read.
fn srcu_model<F: srcu::Flavor>(shape: Shape, bug: bool) {
    let fence = Fence::new(shape.exporter_lock);
    let domain = Arc::new(srcu::Domain::<F>::new());
    let slot = Arc::new(AtomicUsize::new(0));
    let handles = spawn_readers(
        shape.readers,
        &(fence.clone(), domain.clone(), slot),
        move |(fence, domain, slot)| {
            let s = slot.fetch_add(1, AcqRel);
            for _ in 0..shape.sections {
                domain.read(s, || fence.read_if_unsignalled());
            }
        },
    );
    if shape.earlier_grace_period {
        domain.synchronize();
    }
    fence.signal();
    if !bug {
        domain.synchronize();
    }
    fence.data.free();
    join(handles);
    fence.assert_reclaimed();
}

#[test]
fn srcu_one_reader() {
    check("srcu 1 reader", || srcu_model::<srcu::Classic>(ONE, false));
}

/// Two grace periods back to back against one reader: a reader that read the index
/// before the first's flip counts in the half the second flips back to, so the second
/// must wait for that half before its flip (see [`Shape::earlier_grace_period`]).
#[test]
fn srcu_two_grace_periods() {
    check("srcu 1 reader, 2 grace periods", || {
        srcu_model::<srcu::Classic>(ONE_AFTER_A_GRACE_PERIOD, false)
    });
}

/// The second section may count in the other half, after the exporter's flip.
#[test]
fn srcu_one_reader_two_sections() {
    check("srcu 1 reader x 2 sections", || {
        srcu_model::<srcu::Classic>(Shape { sections: 2, ..ONE }, false)
    });
}

#[test]
fn srcu_two_readers() {
    check_bounded("srcu 2 readers", THREE_THREAD_PREEMPTIONS, || {
        srcu_model::<srcu::Classic>(Shape { readers: 2, ..ONE }, false)
    });
}

/// Planted bug: free without a grace period of the domain.
#[test]
#[should_panic(expected = "late read")]
fn planted_srcu_free_without_grace_period_is_caught() {
    check("srcu no grace period", || {
        srcu_model::<srcu::Classic>(ONE, true)
    });
}

// SRCU-fast: the same domain with `srcu_read_lock_fast` readers. Loom has no compiler
// barrier, so the reader's light barrier and the scans' heavy one are both
// `fence(SeqCst)` here; what the model checks is that the barriers the fast flavour keeps
// (the reader's two, the scans' two, none at the flip) suffice, and that without the
// scans' (`srcu-fast-no-heavy`) a reader's late read is found.

#[test]
fn srcu_fast_one_reader() {
    check("srcu-fast 1 reader", || {
        srcu_model::<srcu::Fast>(ONE, false)
    });
}

/// As [`srcu_two_grace_periods`], with fast readers.
#[test]
fn srcu_fast_two_grace_periods() {
    check("srcu-fast 1 reader, 2 grace periods", || {
        srcu_model::<srcu::Fast>(ONE_AFTER_A_GRACE_PERIOD, false)
    });
}

/// The second section may count in the other half, after the exporter's flip.
#[test]
fn srcu_fast_one_reader_two_sections() {
    check("srcu-fast 1 reader x 2 sections", || {
        srcu_model::<srcu::Fast>(Shape { sections: 2, ..ONE }, false)
    });
}

#[test]
fn srcu_fast_two_readers() {
    check_bounded("srcu-fast 2 readers", THREE_THREAD_PREEMPTIONS, || {
        srcu_model::<srcu::Fast>(Shape { readers: 2, ..ONE }, false)
    });
}

/// Under loom as outside it, a thread's first section gives it its index and its later
/// sections take the hot path with it; the asymmetric flavour has none (loom has no light
/// barrier). The models above pass either way (the cold path takes the same index), so
/// this checks the loom-only index code itself.
#[test]
fn srcu_hot_slot_after_the_first_section() {
    check("srcu hot slot", || {
        assert!(
            srcu::hot_slot::<srcu::Classic>().is_none(),
            "a hot slot before any section"
        );
        srcu::with_slot(|_| ());
        assert!(
            srcu::hot_slot::<srcu::Classic>().is_some(),
            "no hot slot after a section"
        );
        assert!(
            srcu::hot_slot::<srcu::Fast>().is_none(),
            "a light hot slot under loom"
        );
    });
}

// ---------------------------------------------------------------------------------------
// QSBR: empty sections, quiescent states between them.

/// Readers register (online), run `sections` sections each with a quiescent state after
/// each, and unregister; the exporter signals, waits for a grace period, frees. The
/// second section of a reader runs after its announcement, against the grace period.
/// With `offline`, a reader goes offline and back online (a blocking wait) between its
/// sections instead of announcing: the scan may see it offline while it comes back.
fn qsbr_model(shape: Shape, offline: bool) {
    let fence = Fence::new(shape.exporter_lock);
    let domain = Arc::new(qsbr::Domain::new());
    let handles = spawn_readers(
        shape.readers,
        &(fence.clone(), domain.clone()),
        move |(fence, domain)| {
            let rec = domain.register();
            for _ in 0..shape.sections {
                fence.read_if_unsignalled();
                if offline {
                    domain.offline(&rec);
                    domain.online(&rec);
                } else {
                    domain.quiescent_state(&rec);
                }
            }
            domain.unregister(&rec);
        },
    );
    if shape.earlier_grace_period {
        domain.synchronize();
    }
    fence.signal();
    domain.synchronize();
    fence.data.free();
    join(handles);
    fence.assert_reclaimed();
}

#[test]
fn qsbr_one_reader() {
    check("qsbr 1 reader", || qsbr_model(ONE, false));
}

#[test]
fn qsbr_one_reader_two_sections() {
    check("qsbr 1 reader x 2 sections", || {
        qsbr_model(Shape { sections: 2, ..ONE }, false)
    });
}

/// Two grace periods back to back against one reader coming online: one that read the
/// counter before the first began and published it after the first's scan saw it offline
/// (see [`Shape::earlier_grace_period`]).
#[test]
fn qsbr_two_grace_periods() {
    check("qsbr 1 reader, 2 grace periods", || {
        qsbr_model(ONE_AFTER_A_GRACE_PERIOD, false)
    });
}

/// A section after coming back online, against a scan that saw the reader offline.
#[test]
fn qsbr_offline_then_online() {
    check("qsbr 1 reader, offline and online", || {
        qsbr_model(Shape { sections: 2, ..ONE }, true)
    });
}

// ---------------------------------------------------------------------------------------
// Hazard pointers. No grace period, so no model of two back to back: a scan reads the
// hazards as they are now and keeps nothing of an earlier scan, so there is no stale
// snapshot for a second one to misjudge. `hazptr_model` scans twice all the same, the
// second time after the readers left.

/// Readers acquire a record and, per section, publish the data's address, then test
/// `SIGNALED` (the re-validation) and use the data, then clear; the exporter signals,
/// retires and scans, and scans again once the readers are done. With `validate_first`
/// (the planted bug) readers test the bit before publishing.
fn hazptr_model(shape: Shape, validate_first: bool) {
    let fence = Fence::new(shape.exporter_lock);
    let domain = Arc::new(hazptr::Domain::new());

    let handles = spawn_readers(
        shape.readers,
        &(fence.clone(), domain.clone()),
        move |(fence, domain)| {
            let rec = domain.acquire();
            for _ in 0..shape.sections {
                if validate_first {
                    let unsignalled = !fence.is_signaled();
                    rec.protect(fence.data.addr());
                    if unsignalled {
                        fence.use_data();
                    }
                } else {
                    rec.protect(fence.data.addr());
                    fence.read_if_unsignalled();
                }
                rec.clear();
            }
            domain.release(&rec);
        },
    );

    fence.signal();
    let mut retired = vec![fence.data.clone()];
    domain.scan(&mut retired);

    join(handles);
    // A reader's hazard may have kept the data; with every hazard cleared, a scan frees it.
    domain.scan(&mut retired);
    assert!(
        retired.is_empty(),
        "a scan with no hazards kept retired data"
    );
    fence.assert_reclaimed();
}

#[test]
fn hazptr_one_reader() {
    check("hazptr 1 reader", || hazptr_model(ONE, false));
}

#[test]
fn hazptr_one_reader_two_sections() {
    check("hazptr 1 reader x 2 sections", || {
        hazptr_model(Shape { sections: 2, ..ONE }, false)
    });
}

/// The full signal path: the exporter signals under its lock, the reader takes it.
#[test]
fn hazptr_exporter_lock() {
    let shape = Shape {
        exporter_lock: true,
        ..ONE
    };
    check("hazptr exporter lock", move || hazptr_model(shape, false));
}

/// Two readers: the second may reuse the record the first released.
#[test]
fn hazptr_two_readers() {
    check_bounded("hazptr 2 readers", THREE_THREAD_PREEMPTIONS, || {
        hazptr_model(Shape { readers: 2, ..ONE }, false)
    });
}

/// Planted bug: a reader that tests `SIGNALED` before publishing its hazard is missed by
/// a scan that runs in between.
#[test]
#[should_panic(expected = "late read")]
fn planted_hazptr_validate_before_publish_is_caught() {
    check("hazptr validate first", || hazptr_model(ONE, true));
}

// ---------------------------------------------------------------------------------------
// Reference counting: the rejected design.

/// The fence holds the reference `alloc` set up; readers take one with get-unless-zero
/// and use the data only while holding it; the fence's last put frees. No `SIGNALED` test
/// is needed: data cannot be freed under a reference.
fn refcount_model(shape: Shape) {
    let fence = Fence::new(shape.exporter_lock);

    let handles = spawn_readers(shape.readers, &fence, move |fence| {
        for _ in 0..shape.sections {
            if fence.data.try_get() {
                fence.use_data();
                fence.data.put();
            }
        }
    });

    // The fence's release: retire the data, then drop the fence's own reference.
    fence.signal();
    fence.data.put();

    join(handles);
    fence.assert_reclaimed();
}

#[test]
fn refcount_one_reader() {
    check("refcount 1 reader", || refcount_model(ONE));
}

#[test]
fn refcount_exporter_lock() {
    let shape = Shape {
        exporter_lock: true,
        ..ONE
    };
    check("refcount exporter lock", move || refcount_model(shape));
}

/// Two readers: the last put may be either reader's rather than the fence's.
#[test]
fn refcount_two_readers() {
    check("refcount 2 readers", || {
        refcount_model(Shape { readers: 2, ..ONE })
    });
}

// ---------------------------------------------------------------------------------------
// rcu-detach: the 7.1 contract. Readers test the `ops` pointer, not `SIGNALED`.

/// Signal clears the pointer (after setting the bit); a grace period; then the free.
/// With `unpublish_late`, the planted bug: the grace period runs before the pointer is
/// cleared, so a reader entering in between still finds it and reads freed data.
fn rcu_detach_model(unpublish_late: bool) {
    check("rcu-detach", move || {
        let fence = Fence::new(false);
        let domain = Arc::new(rcu::Domain::new());
        let ops = Arc::new(AtomicUsize::new(fence.data.addr()));
        let ctx = (fence.clone(), domain.clone(), ops.clone());
        let readers = spawn_readers(1, &ctx, |(fence, domain, ops)| {
            let reader = domain.register();
            let _section = reader.lock();
            if ops.load(Acquire) != 0 {
                fence.use_data();
            }
        });
        fence.signal();
        if unpublish_late {
            domain.synchronize();
            ops.store(0, Release);
        } else {
            ops.store(0, Release);
            domain.synchronize();
        }
        fence.data.free();
        join(readers);
        fence.assert_reclaimed();
    });
}

#[test]
fn rcu_detach_one_reader() {
    rcu_detach_model(false);
}

#[test]
#[should_panic(expected = "late read")]
fn planted_rcu_detach_grace_period_before_unpublish_is_caught() {
    rcu_detach_model(true);
}

// ---------------------------------------------------------------------------------------
// lock: readers and the exporter take the fence's inline lock; data freed at signal.

/// With `unlocked_test`, the planted bug: the reader tests `SIGNALED` before taking the
/// lock, so signal and free can run between the test and the read.
fn inline_lock_model(unlocked_test: bool) {
    check("inline-lock", move || {
        let fence = Fence::new(false);
        let lock = Arc::new(InlineLock::default());
        let ctx = (fence.clone(), lock.clone());
        let readers = spawn_readers(1, &ctx, move |(fence, lock)| {
            if unlocked_test {
                if !fence.is_signaled() {
                    let _held = lock.lock();
                    fence.use_data();
                }
            } else {
                let _held = lock.lock();
                fence.read_if_unsignalled();
            }
        });
        {
            let _held = lock.lock();
            fence.signal();
        }
        fence.data.free();
        join(readers);
        fence.assert_reclaimed();
    });
}

#[test]
fn inline_lock_one_reader() {
    inline_lock_model(false);
}

#[test]
#[should_panic(expected = "late read")]
fn planted_inline_lock_test_outside_lock_is_caught() {
    inline_lock_model(true);
}

// The real fence model. `GuardedFence<Rcu>` and `GuardedFence<RcuDetach>` run
// `model/fence.rs` itself (signal under the lock, the 7.x detach point, `info`'s section,
// the second signaller's check) and the benchmarked scheme glue (`schemes/rcu.rs`,
// `schemes/rcu_detach.rs`) on `rcu::Domain` and the pool; only where the domain comes
// from differs (`reclaim/rcu.rs`: one per execution, a reader record per section, a
// synchronous grace period and free). `GuardedFence<Hazptr>` does the same with
// `schemes/hazptr.rs` on `hazptr::Domain` (a record per section, a scan per retirement),
// and the `srcu`, `srcu-fast` and `rcu-qsbr` models with their glue on their domains.
// `refcount` and `lock` have no domain: their models are their benchmarked code whole.
// Every hand-written scheme but the unprotected baseline has one.

/// Preemption bound of the fence-model models: every `info()` and `signal()` is dozens of
/// atomic operations (names, generation checks, the lock, the grace period).
const FENCE_MODEL_PREEMPTIONS: Option<usize> = Some(3);

/// A reader describes the fence while the exporter signals it (and, racing, a second
/// exporter thread signals it too); the reader must see the live names, the detached
/// pair, or the real driver name with the detached timeline (the helpers test the state
/// one after the other), never a torn or freed copy, and exactly one signal must win.
fn fence_model<I: Implementation>(name: &str) {
    check_bounded(name, FENCE_MODEL_PREEMPTIONS, || {
        let tl = I::timeline(TimelineConfig::new(DRIVER, TIMELINE));
        let fence = tl.create();
        let reader = {
            let f = fence.clone();
            thread::spawn(move || {
                let info = f.info();
                let names = (info.driver_name.as_str(), info.obj_name.as_str());
                // Each name helper tests the state on its own, driver name first: a
                // signal between them gives the one mix FILE_INFO can return.
                assert!(
                    names == (DRIVER, TIMELINE)
                        || names == (DRIVER, SIGNALED_TIMELINE)
                        || names == (DETACHED_DRIVER, SIGNALED_TIMELINE),
                    "{LATE_READ}: torn names {names:?} (iteration {})",
                    iteration()
                );
            })
        };
        assert!(!fence.check_and_signal(), "the exporter's signal lost");
        assert!(fence.check_and_signal(), "signalled twice");
        reader.join().unwrap();
        drop(fence);
        I::quiesce();
        let stats = tl.pool().stats();
        assert_eq!(
            stats.violations, 0,
            "{LATE_READ}: the pool counted a violation"
        );
        assert_eq!((stats.live, stats.retained, stats.freed), (0, 0, 1));
    });
}

#[test]
fn fence_model_rcu() {
    fence_model::<fencebench_impls::Rcu>("guarded rcu");
}

#[test]
fn fence_model_rcu_detach() {
    fence_model::<fencebench_impls::RcuDetach>("guarded rcu-detach");
}

#[test]
fn fence_model_srcu() {
    fence_model::<fencebench_impls::Srcu>("guarded srcu");
}

#[test]
fn fence_model_srcu_fast() {
    fence_model::<fencebench_impls::SrcuFast>("guarded srcu-fast");
}

#[test]
fn fence_model_hazptr() {
    fence_model::<fencebench_impls::Hazptr>("guarded hazptr");
}

#[test]
fn fence_model_rcu_qsbr() {
    fence_model::<fencebench_impls::RcuQsbr>("guarded rcu-qsbr");
}

#[test]
fn fence_model_refcount() {
    fence_model::<fencebench_impls::Refcount>("guarded refcount");
}

#[test]
fn fence_model_lock() {
    fence_model::<fencebench_impls::Lock>("guarded lock");
}

/// `dma_fence_get_rcu_safe` against type-stable reuse: one thread takes a reference to
/// what slot 0 publishes while another unpublishes it and publishes into slot 1, which
/// reuses the freed cell at once. The taker must get slot 0's fence or nothing, never
/// slot 1's: the re-check of the pointer after get-unless-zero is what guarantees it.
#[test]
fn get_rcu_safe_rechecks() {
    check("get_rcu_safe", || {
        let cells = Cells::<u64>::new();
        let slots = Arc::new([Published::new(&cells), Published::new(&cells)]);
        slots[0].publish(Some(0));
        let taker = {
            let slots = slots.clone();
            thread::spawn(move || {
                let got = slots[0].get_rcu_safe();
                assert!(
                    got.is_none() || got == Some(0),
                    "{LATE_READ}: slot 0 handed out slot 1's fence {got:?} (iteration {})",
                    iteration()
                );
            })
        };
        slots[0].publish(None);
        slots[1].publish(Some(1));
        taker.join().unwrap();
    });
}

//! Tests that kill the mutants cargo-mutants found surviving the other suites
//! (`scripts/mutants.sh`, [docs/mutants.md](../../docs/mutants.md)): each checks one
//! behaviour the race and conformance suites cannot see, because those end every round
//! with a barrier that hides how and when reclamation happened before it.
//!
//! None fails when nothing is broken: each waits for a barrier or a grace period and
//! asserts no time, and one that does not end within [`STALL`] fails the test (a stalled
//! reclaimer) instead of hanging it.

#![cfg(not(fencebench_loom))]

use fencebench_impls::pool::DriverRef;
use fencebench_impls::published::{Cells, Published};
use fencebench_impls::srcu::{self, Classic, Fast, Flavor, Registered};
use fencebench_impls::{
    hazptr, membarrier, now_ns, qsbr, rcu, Fence, Implementation, Lock, Name, Pool, RcuQsbr,
    Refcount, Timeline, TimelineConfig,
};
use std::cell::RefCell;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

/// How long a test may take before it calls reclamation stalled: with no reader left in
/// a section a grace period is a few system calls, so only one that never ends comes
/// near it.
const STALL: Duration = Duration::from_secs(10);

/// How long a reader stays inside (or online) after telling the test it is: a grace
/// period that does not wait for it returns first unless its caller is descheduled that
/// long, so a broken build can slip through on a loaded machine, a correct one never fails.
const HOLD: Duration = Duration::from_millis(50);

/// Driver data allocated and retired, as a fence's signal retires it.
fn retired(pool: &Arc<Pool>) -> DriverRef {
    let d = pool.alloc(&Name::new("driver"), &Name::new("timeline"), 0);
    d.retire(0);
    d
}

/// Runs `body` on a thread of its own and fails if it has not returned within [`STALL`];
/// a panic in it fails the test with its message.
fn within_stall_bound(body: impl FnOnce() + Send + 'static) {
    let (tx, rx) = mpsc::channel();
    let t = thread::spawn(move || {
        body();
        let _ = tx.send(());
    });
    match rx.recv_timeout(STALL) {
        Ok(()) => {}
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(panic) = t.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("not done within {STALL:?}: a barrier or grace period stalled")
        }
    }
}

/// Asserts that all `n` objects the test retired to `pool` were freed, none retained.
#[track_caller]
fn all_freed(pool: &Pool, n: u64) {
    let st = pool.stats();
    assert_eq!((st.retained, st.freed), (0, n), "{st:?}");
}

/// `rcu_barrier` on a thread of its own, whose batch is empty: it waits only for what
/// other threads already handed to the reclaimer.
fn barrier_elsewhere() {
    thread::spawn(rcu::rcu_barrier).join().unwrap();
}

/// A thread that keeps retiring has its full batches freed without ever calling a
/// barrier itself: batching defers the hand-off, it must not defer it forever (a
/// signaller thread that never exits would otherwise retain everything it retired).
#[test]
fn full_batches_are_freed_without_the_retiring_threads_barrier() {
    within_stall_bound(|| {
        let pool = Pool::new();
        // Far more than a batch: whatever the batch length, some batches are full.
        for _ in 0..4096 {
            rcu::call_rcu_free(retired(&pool));
        }
        barrier_elsewhere();
        let st = pool.stats();
        assert!(
            st.freed > 0,
            "nothing freed of 4096 retired: no full batch reached the reclaimer ({st:?})"
        );
    });
}

/// Retired data waits in the retiring thread's batch until the batch is full or the
/// thread flushes it: a hand-off per signal is the cost batching exists to avoid. The
/// thread's own barrier then frees it.
#[test]
fn a_partial_batch_waits_for_its_threads_barrier() {
    within_stall_bound(|| {
        let pool = Pool::new();
        rcu::call_rcu_free(retired(&pool));
        barrier_elsewhere();
        assert_eq!(
            pool.stats().freed,
            0,
            "one retired object was handed to the reclaimer before its batch was full"
        );
        rcu::rcu_barrier();
        all_freed(&pool, 1);
    });
}

/// A thread's partial batch is handed to the reclaimer when the thread exits, so a barrier
/// on any thread then frees it: threads that exit without a barrier of their own (a run's
/// readers, which retire what their `is_signaled` signals) leak nothing.
#[test]
fn an_exiting_threads_batch_is_freed_by_the_next_barrier() {
    within_stall_bound(|| {
        let pool = Pool::new();
        let data = retired(&pool);
        thread::spawn(move || rcu::call_rcu_free(data))
            .join()
            .unwrap();
        barrier_elsewhere();
        all_freed(&pool, 1);
    });
}

/// A grace period waits for a reader that was inside a section when it began, and
/// returns once that reader leaves. The reader stays inside for [`HOLD`] after the
/// grace period's caller learns it is inside, so a grace period that does not wait
/// returns while it is (unless the caller is descheduled that long); one that waits
/// passes whatever the scheduling.
#[test]
fn a_grace_period_waits_for_a_reader_inside_a_section() {
    static DOMAIN: rcu::Domain = rcu::Domain::new();
    within_stall_bound(|| {
        let left = AtomicBool::new(false);
        let (inside_tx, inside_rx) = mpsc::channel();
        thread::scope(|s| {
            s.spawn(|| {
                let reader = DOMAIN.register();
                let section = reader.lock();
                inside_tx.send(()).unwrap();
                thread::sleep(HOLD);
                left.store(true, SeqCst);
                drop(section);
            });
            inside_rx.recv().unwrap();
            DOMAIN.synchronize();
            assert!(
                left.load(SeqCst),
                "synchronize returned while a reader that was inside a section before it began still was"
            );
        });
    });
}

/// A grace period waits for a reader inside a nested section, and for one that left its
/// inner section but is still in the outer one: the depth counts every level, and only
/// the outermost unlock ends the section. As in
/// `a_grace_period_waits_for_a_reader_inside_a_section`, the reader stays for [`HOLD`]
/// after the caller learns it is inside.
#[test]
fn a_grace_period_waits_for_a_reader_inside_a_nested_section() {
    static DOMAIN: rcu::Domain = rcu::Domain::new();
    within_stall_bound(|| {
        for leave_inner_first in [false, true] {
            let left = AtomicBool::new(false);
            let (inside_tx, inside_rx) = mpsc::channel();
            thread::scope(|s| {
                s.spawn(|| {
                    let reader = DOMAIN.register();
                    let outer = reader.lock();
                    let inner = reader.lock();
                    if leave_inner_first {
                        drop(inner);
                        inside_tx.send(()).unwrap();
                        thread::sleep(HOLD);
                        left.store(true, SeqCst);
                    } else {
                        inside_tx.send(()).unwrap();
                        thread::sleep(HOLD);
                        left.store(true, SeqCst);
                        drop(inner);
                    }
                    drop(outer);
                });
                inside_rx.recv().unwrap();
                DOMAIN.synchronize();
                assert!(
                    left.load(SeqCst),
                    "synchronize returned while a reader was inside a nested section (inner left first: {leave_inner_first})"
                );
            });
        }
    });
}

/// Sections nest as deep as the word's depth bits count (65,535) and no deeper: one more
/// panics with nothing written, where a depth that overflowed into the grace-period
/// counter would corrupt both.
#[test]
fn nesting_deeper_than_the_depth_bits_panics() {
    static DOMAIN: rcu::Domain = rcu::Domain::new();
    let reader = DOMAIN.register();
    let mut guards = Vec::with_capacity(65_535);
    for _ in 0..65_535 {
        guards.push(reader.lock());
    }
    let deeper = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| reader.lock()));
    assert!(deeper.is_err(), "a section nested 65,536 deep was allowed");
    drop(guards);
    // The reader is quiescent again: a grace period does not wait for it.
    within_stall_bound(|| DOMAIN.synchronize());
}

/// The process domain (the one the `rcu` scheme reads in): `synchronize_rcu` waits for a
/// thread inside `read_section`, and the reclaimer frees what `call_rcu_free` retired
/// only after that reader left; a thread's sections, outermost and nested, end, so a
/// grace period after them returns. The reader stays inside for [`HOLD`] after the
/// caller learns it is inside, as in `a_grace_period_waits_for_a_reader_inside_a_section`.
#[test]
fn the_process_domain_waits_for_read_sections() {
    within_stall_bound(|| {
        let pool = Pool::new();
        let left = AtomicBool::new(false);
        let (inside_tx, inside_rx) = mpsc::channel();
        thread::scope(|s| {
            s.spawn(|| {
                // The first section registers the thread; the later ones are inline.
                rcu::read_section(|| rcu::read_section(|| ()));
                rcu::read_section(|| {
                    inside_tx.send(()).unwrap();
                    thread::sleep(HOLD);
                    left.store(true, SeqCst);
                });
            });
            inside_rx.recv().unwrap();
            rcu::synchronize_rcu();
            assert!(
                left.load(SeqCst),
                "synchronize_rcu returned while a thread was inside read_section"
            );
        });
        let left = AtomicBool::new(false);
        let (inside_tx, inside_rx) = mpsc::channel();
        thread::scope(|s| {
            s.spawn(|| {
                rcu::read_section(|| {
                    inside_tx.send(()).unwrap();
                    thread::sleep(HOLD);
                    left.store(true, SeqCst);
                });
            });
            inside_rx.recv().unwrap();
            rcu::call_rcu_free(retired(&pool));
            rcu::rcu_barrier();
            assert!(
                left.load(SeqCst),
                "the reclaimer freed retired data while a thread was inside read_section"
            );
        });
        rcu::read_section(|| rcu::read_section(|| ()));
        rcu::synchronize_rcu();
        assert_eq!(pool.stats().freed, 1);
    });
}

/// Unregistering a thread drops the registry's reference to its record, and only that
/// one: a registry that kept exited threads' records would grow, and every grace period
/// scan with it, for each thread a run starts; one that dropped others would stop
/// waiting for live readers.
#[test]
fn unregistering_drops_that_record_and_no_other() {
    let domain = qsbr::Domain::new();
    let (a, b) = (domain.register(), domain.register());
    assert_eq!((Arc::strong_count(&a), Arc::strong_count(&b)), (2, 2));
    domain.unregister(&a);
    assert_eq!(
        (Arc::strong_count(&a), Arc::strong_count(&b)),
        (1, 2),
        "the registry's references to (unregistered, registered) records"
    );
    domain.unregister(&b);
    assert_eq!(Arc::strong_count(&b), 1);
}

/// A published pointer holds its fence (one reference, in its cell) until it publishes
/// another or is dropped, and `get_rcu_safe` takes no reference it does not return:
/// otherwise a fence, and what it keeps alive, would outlive every pointer to it.
#[test]
fn published_fences_are_released() {
    within_stall_bound(|| {
        let cells = Cells::new();
        let fence = Arc::new(7);
        let p = Published::new(&cells);
        p.publish(Some(fence.clone()));
        assert_eq!(Arc::strong_count(&fence), 2);
        assert_eq!(p.get_rcu_safe(), Some(fence.clone()));
        assert_eq!(
            Arc::strong_count(&fence),
            2,
            "get_rcu_safe kept a reference"
        );
        p.publish(None);
        assert_eq!(
            Arc::strong_count(&fence),
            1,
            "the cell kept the unpublished fence"
        );
        assert_eq!(p.get_rcu_safe(), None);
        p.publish(Some(fence.clone()));
        drop(p);
        assert_eq!(
            Arc::strong_count(&fence),
            1,
            "dropping the pointer kept its fence"
        );
    });
}

/// A hazard-pointer scan frees the retired data no hazard covers and keeps what one
/// covers; a released record covers nothing and is the one the next `acquire` reuses (a
/// domain that kept claimed records would add one per thread a run starts, and every
/// scan would read them all).
#[test]
fn a_hazard_scan_frees_the_uncovered_and_keeps_the_covered() {
    let pool = Pool::new();
    let domain = hazptr::Domain::new();
    let (covered, uncovered) = (retired(&pool), retired(&pool));
    let record = domain.acquire();
    record.protect(covered.addr());
    let mut list = vec![uncovered, covered.clone()];
    domain.scan(&mut list);
    let kept: Vec<usize> = list.iter().map(|d| d.addr()).collect();
    assert_eq!(
        (kept, pool.stats().freed),
        (vec![covered.addr()], 1),
        "(kept, freed) after a scan with one of two objects covered"
    );
    domain.release(&record);
    domain.scan(&mut list);
    assert_eq!(
        (list.len(), pool.stats().freed),
        (0, 2),
        "(kept, freed) after the covering record was released"
    );
    assert!(
        Arc::ptr_eq(&domain.acquire(), &record),
        "a released record was not reused"
    );
}

/// The process's hazard sections keep their data through scans, the first record's
/// (the inline path) and a nested one's alike, and what a thread retired is freed by its
/// `scan_retired` once no section covers it.
#[test]
fn hazard_sections_keep_their_data_until_they_end() {
    within_stall_bound(|| {
        let pool = Pool::new();
        // The thread's first section registers its records; the next ones are inline.
        hazptr::protected(1, |_| ());
        let (outer, inner) = (retired(&pool), retired(&pool));
        let (outer_addr, inner_addr) = (outer.addr(), inner.addr());
        hazptr::protected(outer_addr, |_| {
            hazptr::protected(inner_addr, |_| {
                hazptr::retire(outer);
                hazptr::retire(inner);
                hazptr::scan_retired();
                assert_eq!(
                    pool.stats().freed,
                    0,
                    "a scan freed data that sections (first record, nested) covered"
                );
            });
        });
        hazptr::scan_retired();
        all_freed(&pool, 2);
    });
}

/// A thread's retired data waits for its scan threshold or its `scan_retired` (a scan per
/// retirement is the cost the batch exists to avoid), and a thread that keeps retiring
/// has its full batches freed without a `scan_retired` of its own.
#[test]
fn hazard_retirement_is_batched_and_full_batches_are_scanned() {
    within_stall_bound(|| {
        let pool = Pool::new();
        hazptr::retire(retired(&pool));
        assert_eq!(
            pool.stats().freed,
            0,
            "one retired object was scanned before its batch was full"
        );
        hazptr::scan_retired();
        assert_eq!(pool.stats().freed, 1);
        // Far more than a batch: whatever the threshold, some batches fill.
        for _ in 0..4096 {
            hazptr::retire(retired(&pool));
        }
        let st = pool.stats();
        assert!(
            st.freed > 1,
            "nothing of 4096 retired was freed without scan_retired: no full batch was scanned ({st:?})"
        );
    });
}

/// A thread that exits with retired data below its scan threshold leaves it to the next
/// scan of another thread: threads that exit without scanning leak nothing.
#[test]
fn an_exiting_threads_hazard_retirements_are_freed_by_the_next_scan() {
    within_stall_bound(|| {
        let pool = Pool::new();
        let data = retired(&pool);
        thread::spawn(move || hazptr::retire(data)).join().unwrap();
        hazptr::scan_retired();
        all_freed(&pool, 1);
    });
}

/// A section run by a thread-local destructor after the thread's hazard records were
/// released (on a record taken for it alone) releases that record when it ends: its
/// hazard does not outlive it. Thread-local destructors run in the reverse order of
/// their registration, so a destructor registered before the hazard records' runs after
/// theirs.
#[test]
fn a_late_destructors_hazard_section_leaves_no_hazard() {
    struct Late(usize);
    impl Drop for Late {
        fn drop(&mut self) {
            hazptr::protected(self.0, |_| ());
        }
    }
    thread_local! {
        static LATE: RefCell<Option<Late>> = const { RefCell::new(None) };
    }
    within_stall_bound(|| {
        let pool = Pool::new();
        let data = retired(&pool);
        let addr = data.addr();
        thread::spawn(move || {
            LATE.with(|l| *l.borrow_mut() = Some(Late(addr)));
            hazptr::protected(1, |_| ());
        })
        .join()
        .unwrap();
        hazptr::retire(data);
        hazptr::scan_retired();
        all_freed(&pool, 1);
    });
}

/// A QSBR grace period waits for an online reader until it announces a quiescent state,
/// and returns once it has announced one after the grace period began: registering puts
/// a thread online, and the wait compares its announced counter with the new one. The
/// reader stays online without announcing for [`HOLD`] after the grace period's caller
/// learns it registered, so a grace period that does not wait returns first (unless the
/// caller is descheduled that long); the reader then announces until the grace period
/// returns, so one that waits passes whatever the scheduling, and one that never sees
/// the announcement stalls.
#[test]
fn a_qsbr_grace_period_waits_for_an_online_reader_until_it_announces() {
    within_stall_bound(|| {
        let domain = qsbr::Domain::new();
        let (announcing, done) = (AtomicBool::new(false), AtomicBool::new(false));
        let (online_tx, online_rx) = mpsc::channel();
        thread::scope(|s| {
            s.spawn(|| {
                let reader = domain.register();
                online_tx.send(()).unwrap();
                thread::sleep(HOLD);
                announcing.store(true, SeqCst);
                while !done.load(SeqCst) {
                    domain.quiescent_state(&reader);
                    thread::yield_now();
                }
                domain.unregister(&reader);
            });
            online_rx.recv().unwrap();
            domain.synchronize();
            done.store(true, SeqCst);
            assert!(
                announcing.load(SeqCst),
                "synchronize returned while a registered reader had announced no quiescent state since it began"
            );
        });
    });
}

/// A QSBR grace period does not wait for a registered thread that went offline (a
/// thread blocked in `wait` must not hold up reclamation), and waits again once it is
/// back online (HOLD-style: it goes offline again [`HOLD`] after the caller learns it is
/// online).
#[test]
fn a_qsbr_grace_period_skips_an_offline_reader_until_it_is_online() {
    within_stall_bound(|| {
        let domain = qsbr::Domain::new();
        let reader = domain.register();
        domain.offline(&reader);
        domain.synchronize();
        domain.online(&reader);
        let back_offline = AtomicBool::new(false);
        let (online_tx, online_rx) = mpsc::channel();
        thread::scope(|s| {
            s.spawn(|| {
                online_tx.send(()).unwrap();
                thread::sleep(HOLD);
                back_offline.store(true, SeqCst);
                domain.offline(&reader);
            });
            online_rx.recv().unwrap();
            domain.synchronize();
            assert!(
                back_offline.load(SeqCst),
                "synchronize returned while a reader that came back online had announced nothing"
            );
        });
        domain.unregister(&reader);
    });
}

/// Data deferred on the process's QSBR domain is freed by `reclaimer_barrier`, and not
/// before a reader inside a section has left it and announced a quiescent state: the
/// reader's first section registers it online (its thread is new), the barrier's caller
/// is registered too and goes offline for the wait. HOLD-style as
/// [`a_grace_period_waits_for_a_reader_inside_a_section`].
#[test]
fn qsbr_deferred_data_is_freed_after_the_readers_in_sections() {
    within_stall_bound(|| {
        let pool = Pool::new();
        let left = AtomicBool::new(false);
        let (inside_tx, inside_rx) = mpsc::channel();
        thread::scope(|s| {
            s.spawn(|| {
                qsbr::read_section(|| {
                    inside_tx.send(()).unwrap();
                    thread::sleep(HOLD);
                    left.store(true, SeqCst);
                });
                qsbr::quiescent_state();
            });
            qsbr::read_section(|| ());
            inside_rx.recv().unwrap();
            qsbr::defer_free(retired(&pool));
            qsbr::reclaimer_barrier();
            assert!(
                left.load(SeqCst),
                "the barrier returned while a reader that was inside a section before the free was deferred still was"
            );
            all_freed(&pool, 1);
        });
    });
}

/// A thread that stays registered does not hold up the process's QSBR grace periods as
/// long as it announces quiescent states, and one that exited holds up none: its record
/// goes when the thread does. Nested sections end with the thread out of every section,
/// so it may go offline (debug builds check it).
#[test]
fn qsbr_announcing_and_exited_threads_do_not_hold_up_grace_periods() {
    within_stall_bound(|| {
        thread::spawn(|| qsbr::read_section(|| qsbr::read_section(|| ())))
            .join()
            .unwrap();
        let done = AtomicBool::new(false);
        thread::scope(|s| {
            s.spawn(|| {
                qsbr::read_section(|| ());
                while !done.load(SeqCst) {
                    qsbr::quiescent_state();
                    thread::yield_now();
                }
            });
            let pool = Pool::new();
            qsbr::read_section(|| qsbr::read_section(|| ()));
            qsbr::offline(|| ());
            qsbr::defer_free(retired(&pool));
            qsbr::reclaimer_barrier();
            done.store(true, SeqCst);
            all_freed(&pool, 1);
        });
    });
}

/// Waits for `domain`'s grace period while a reader is inside a section that began
/// before it, and checks that it returned only after the reader left. The reader is
/// whichever of two live threads has the larger record index (not 0, so a scan that
/// summed only the first record would miss it), and stays inside for [`HOLD`] after the
/// caller learns it is inside: HOLD-style, never failing when the grace period waits.
fn srcu_synchronize_waits_for_a_reader<F: Flavor>(domain: &srcu::Domain<F>) {
    let left = AtomicBool::new(false);
    let (inside_tx, inside_rx) = mpsc::channel();
    let slots = [AtomicUsize::new(0), AtomicUsize::new(0)];
    let both = Barrier::new(2);
    thread::scope(|s| {
        for i in 0..2 {
            let (left, slots, both, inside_tx) = (&left, &slots, &both, inside_tx.clone());
            s.spawn(move || {
                srcu::with_slot(|own| {
                    slots[i].store(own, SeqCst);
                    both.wait();
                    if own > slots[1 - i].load(SeqCst) {
                        domain.read(own, || {
                            inside_tx.send(()).unwrap();
                            thread::sleep(HOLD);
                            left.store(true, SeqCst);
                        });
                    }
                })
            });
        }
        inside_rx.recv().unwrap();
        domain.synchronize();
        assert!(
            left.load(SeqCst),
            "{}: synchronize returned while a reader that was inside a section before it began still was",
            F::NAME
        );
    });
}

/// An SRCU grace period waits for a reader counted in either half of the index: the
/// first grace period's for one in the half new readers start in, the second's (after
/// one flip) for one in the other. For both flavours: `srcu-fast`'s scans compare the
/// sums before their RCU grace period.
#[test]
fn srcu_grace_periods_wait_for_readers_in_either_half() {
    within_stall_bound(|| {
        let classic = srcu::Domain::<Classic>::new();
        srcu_synchronize_waits_for_a_reader(&classic);
        srcu_synchronize_waits_for_a_reader(&classic);
        let fast = srcu::Domain::<Fast>::new();
        srcu_synchronize_waits_for_a_reader(&fast);
        srcu_synchronize_waits_for_a_reader(&fast);
    });
}

/// An SRCU grace period ends while new readers keep entering sections, one always inside
/// before the last leaves: they count in the half the grace period does not wait for
/// (after the flip, in the one it no longer waits for). The two halves exist for this; a
/// grace period that waited for the half new readers count in would never end. The
/// readers take the hot path (`read_hot`), as the scheme's sections do.
#[test]
fn an_srcu_grace_period_ends_while_new_readers_keep_arriving() {
    within_stall_bound(|| {
        let domain = srcu::Domain::<Classic>::new();
        let (turn, done) = (AtomicUsize::new(0), AtomicBool::new(false));
        thread::scope(|s| {
            for first in 0..2 {
                let (domain, turn, done) = (&domain, &turn, &done);
                s.spawn(move || {
                    srcu::with_slot(|_| ());
                    // Turn `t` is this thread's: it enters a section, passes the turn on
                    // and stays inside until the other thread is inside its next one.
                    for t in (first..).step_by(2) {
                        while turn.load(SeqCst) != t {
                            if done.load(SeqCst) {
                                return;
                            }
                            thread::yield_now();
                        }
                        let slot = srcu::hot_slot::<Classic>().expect("a hot slot after with_slot");
                        domain.read_hot(slot, || {
                            turn.store(t + 1, SeqCst);
                            while turn.load(SeqCst) < t + 2 && !done.load(SeqCst) {
                                thread::yield_now();
                            }
                        });
                    }
                });
            }
            while turn.load(SeqCst) < 2 {
                thread::yield_now();
            }
            domain.synchronize();
            done.store(true, SeqCst);
        });
    });
}

/// SRCU retirements wait in their domain's queue until a batch has collected (a grace
/// period per retirement is the cost batching exists to avoid); a full batch starts a
/// grace period without a barrier, so a driver that keeps signalling has its data freed;
/// `barrier` frees the rest.
#[test]
fn srcu_retirements_are_batched_and_freed() {
    within_stall_bound(|| {
        let pool = Pool::new();
        let domain = srcu::Domain::<Classic>::new();
        domain.call_srcu_free(retired(&pool));
        assert_eq!(
            pool.stats().freed,
            0,
            "one retired object started a grace period before its batch was full"
        );
        domain.barrier();
        assert_eq!(pool.stats().freed, 1);
        // Far more than a batch: whatever the batch length, some batches are full.
        for _ in 0..4096 {
            domain.call_srcu_free(retired(&pool));
        }
        let st = pool.stats();
        assert!(
            st.freed > 1,
            "nothing of 4096 retired was freed without a barrier: no full batch started a grace period ({st:?})"
        );
        domain.barrier();
        all_freed(&pool, 4097);
    });
}

/// Two SRCU readers around a grace period of `domain`. The first enters a section and
/// holds it while 4096 retirements (far more than a batch) start a grace period that
/// waits for it, then `retired` runs; the second enters after that grace period's flip
/// and stays inside for [`HOLD`] once the caller learns it is inside (HOLD-style), the
/// first leaves, and `wait` runs. Returns whether the second had left when `wait`
/// returned.
fn srcu_reader_after_a_flip(
    domain: &srcu::Domain<Classic>,
    pool: &Arc<Pool>,
    retired_all: impl FnOnce(),
    wait: impl FnOnce(),
) -> bool {
    let left = AtomicBool::new(false);
    let (inside_tx, inside_rx) = mpsc::channel();
    let (leave_tx, leave_rx) = mpsc::channel::<()>();
    thread::scope(|s| {
        let left = &left;
        let first_inside = inside_tx.clone();
        s.spawn(move || {
            srcu::with_slot(|slot| {
                domain.read(slot, || {
                    first_inside.send(()).unwrap();
                    leave_rx.recv().unwrap();
                })
            })
        });
        inside_rx.recv().unwrap();
        for _ in 0..4096 {
            domain.call_srcu_free(retired(pool));
        }
        retired_all();
        s.spawn(move || {
            srcu::with_slot(|slot| {
                domain.read(slot, || {
                    inside_tx.send(()).unwrap();
                    thread::sleep(HOLD);
                    left.store(true, SeqCst);
                })
            })
        });
        inside_rx.recv().unwrap();
        leave_tx.send(()).unwrap();
        wait();
        left.load(SeqCst)
    })
}

/// An SRCU reader inside a section holds up the grace period that retirements start
/// (nothing is freed while it is inside). `barrier` then waits for that grace period and
/// for the one behind it, which the queued rest starts, and which a second reader holds
/// up: it entered after the first grace period's flip, so only the second waits for it
/// (a barrier that counted one grace period would return once the first reader left).
/// Dropping the domain frees what is still queued: the driver is gone, so no section can
/// be in progress.
#[test]
fn srcu_barrier_waits_for_the_grace_periods_under_way_and_queued_and_drop_frees() {
    within_stall_bound(|| {
        let pool = Pool::new();
        let domain = srcu::Domain::<Classic>::new();
        let left = srcu_reader_after_a_flip(
            &domain,
            &pool,
            || {
                assert_eq!(
                    pool.stats().freed,
                    0,
                    "freed while a reader that was inside before the data was retired still was"
                )
            },
            || domain.barrier(),
        );
        let st = pool.stats();
        assert_eq!(
            (left, st.retained, st.freed),
            (true, 0, 4096),
            "(second reader left, retained, freed) after the barrier"
        );
        domain.call_srcu_free(retired(&pool));
        drop(domain);
        let st = pool.stats();
        assert_eq!((st.retained, st.freed), (0, 4097), "after the drop: {st:?}");
    });
}

/// `synchronize` called while a grace period is under way waits for the next one too:
/// the one under way flipped before the call, and a reader that began after the flip
/// counts in the half it no longer waits for. Here the first reader holds a grace period
/// (started by retirements) in its second scan; the second reader enters after its flip.
#[test]
fn srcu_synchronize_during_a_grace_period_waits_for_readers_after_its_flip() {
    within_stall_bound(|| {
        let pool = Pool::new();
        let domain = srcu::Domain::<Classic>::new();
        assert!(
            srcu_reader_after_a_flip(&domain, &pool, || {}, || domain.synchronize()),
            "synchronize returned while a reader that entered after the flip of the grace period under way still was inside"
        );
    });
}

/// A thread has no hot record index before its first section (that section takes its
/// index out of line) and has one after, the index `with_slot` gives it every time:
/// `srcu`'s always, `srcu-fast`'s only where membarrier is registered (its section then
/// has no full fence to choose). Sections return what their closure returns.
#[test]
fn srcu_record_indices_and_hot_slots() {
    within_stall_bound(|| {
        assert!(
            srcu::hot_slot::<Classic>().is_none() && srcu::hot_slot::<Fast>().is_none(),
            "a hot slot on a thread that never read"
        );
        let slot = srcu::with_slot(Some).expect("with_slot did not run its closure");
        assert!(slot < srcu::SLOTS);
        assert_eq!(
            srcu::with_slot(Some),
            Some(slot),
            "with_slot gave this thread another index"
        );
        let domain = srcu::Domain::<Classic>::new();
        assert_eq!(domain.read(slot, || Some(7)), Some(7));
        let hot = srcu::hot_slot::<Classic>().expect("no srcu hot slot after with_slot");
        assert_eq!(domain.read_hot(hot, || Some(8)), Some(8));
        let light = membarrier::mode() == membarrier::BarrierMode::Membarrier;
        assert_eq!(
            srcu::hot_slot::<Fast>().is_some(),
            light,
            "srcu-fast hot slot after with_slot, with membarrier {light}"
        );
    });
}

/// Threads that exit give their record index back for the next thread: a run starts
/// threads without bound, and the domains have [`srcu::SLOTS`] records.
#[test]
fn srcu_record_indices_of_exited_threads_are_reused() {
    within_stall_bound(|| {
        for _ in 0..=srcu::SLOTS {
            thread::spawn(|| srcu::with_slot(|_| ())).join().unwrap();
        }
    });
}

/// Each flavour has one list of its domains, so `quiesce` finds every domain a driver
/// registered in it.
#[test]
fn srcu_domain_lists_are_one_per_flavour() {
    assert!(std::ptr::eq(Classic::domains(), Classic::domains()));
    assert!(std::ptr::eq(Fast::domains(), Fast::domains()));
}

/// Driver data released unsignalled is retired at its release, not at a timestamp the
/// fence never got: the retire-to-free delay a delay-tracking pool records (the `stall`
/// workload's signal-to-free figure) lies within the release. `refcount` frees at the
/// release, so the whole delay is inside the two clock reads.
#[test]
fn an_unsignalled_fences_data_is_retired_at_its_release() {
    let pool = Pool::with_delay_tracking();
    let timeline =
        Refcount::timeline(TimelineConfig::new("driver", "timeline").with_pool(pool.clone()));
    let fence = timeline.create();
    // The clock's epoch at least 20 ms back: a retire time of 0, the unset timestamp,
    // would show as a delay of at least that.
    now_ns();
    thread::sleep(Duration::from_millis(20));
    let before = now_ns();
    drop(fence);
    let after = now_ns();
    let delay = pool.stats().free_delay;
    assert_eq!(delay.count, 1, "{delay:?}");
    assert!(
        delay.max_ns <= after - before,
        "retired {} ns before a free within a release of {} ns",
        delay.max_ns,
        after - before
    );
}

/// The fence model reports its scheme's read-side mechanism (the result files' column).
#[test]
fn implementations_name_their_read_side_mechanism() {
    assert_eq!(Refcount::read_side_mechanism(), "atomic-rmw");
    assert_eq!(Lock::read_side_mechanism(), "spinlock");
}

/// `Implementation::quiescent_state` is the QSBR reader's announcement: a reader thread
/// online in the process's QSBR domain (its first section put it there) that announces
/// only through it lets the reclaimer's barrier finish, which otherwise stalls.
#[test]
fn qsbr_readers_announce_through_the_implementation() {
    within_stall_bound(|| {
        let timeline = RcuQsbr::timeline(TimelineConfig::new("driver", "timeline"));
        let fence = timeline.create();
        let done = AtomicBool::new(false);
        let (online_tx, online_rx) = mpsc::channel();
        thread::scope(|s| {
            s.spawn(|| {
                assert!(fence.section().is_some());
                online_tx.send(()).unwrap();
                while !done.load(SeqCst) {
                    RcuQsbr::quiescent_state();
                    thread::yield_now();
                }
            });
            online_rx.recv().unwrap();
            fence.signal();
            RcuQsbr::quiesce();
            done.store(true, SeqCst);
        });
        all_freed(timeline.pool(), 1);
    });
}

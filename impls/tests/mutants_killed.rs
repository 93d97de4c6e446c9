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
use fencebench_impls::{hazptr, qsbr, rcu, Name, Pool};
use std::cell::RefCell;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// How long a test may take before it calls reclamation stalled: with no reader left in
/// a section a grace period is a few system calls, so only one that never ends comes
/// near it.
const STALL: Duration = Duration::from_secs(10);

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
        let st = pool.stats();
        assert_eq!((st.retained, st.freed), (0, 1), "{st:?}");
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
        let st = pool.stats();
        assert_eq!((st.retained, st.freed), (0, 1), "{st:?}");
    });
}

/// A grace period waits for a reader that was inside a section when it began, and
/// returns once that reader leaves. The reader stays inside for [`HOLD`] after the
/// grace period's caller learns it is inside, so a grace period that does not wait
/// returns while it is (unless the caller is descheduled that long); one that waits
/// passes whatever the scheduling.
#[test]
fn a_grace_period_waits_for_a_reader_inside_a_section() {
    const HOLD: Duration = Duration::from_millis(50);
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
    const HOLD: Duration = Duration::from_millis(50);
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
    const HOLD: Duration = Duration::from_millis(50);
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
        let st = pool.stats();
        assert_eq!((st.retained, st.freed), (0, 2), "{st:?}");
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
        let st = pool.stats();
        assert_eq!((st.retained, st.freed), (0, 1), "{st:?}");
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
        let st = pool.stats();
        assert_eq!((st.retained, st.freed), (0, 1), "{st:?}");
    });
}

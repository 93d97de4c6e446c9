//! Quiescent-state-based RCU in the style of liburcu's "qsbr" flavour, which the
//! `rcu-qsbr` scheme builds on: the userspace analogue of the kernel's non-preemptible
//! RCU, where a context switch is the quiescent state.
//!
//! Read side: nothing (a load and a test of the thread's registration, no store, no
//! barrier). Instead each thread announces a quiescent state between operations
//! ([`crate::Implementation::quiescent_state`], called at the workloads' poll points: an
//! acquire load and a release store, no fence) and
//! goes offline while it blocks (parked in `wait`, waiting in `quiesce` or `unload`). A
//! grace period waits until every online thread announced a quiescent state after it
//! began. A thread that stays online without announcing one holds up every grace period:
//! the price of free read sections. Sections must not block (as in the kernel's
//! non-preemptible RCU); debug builds check it.

use crate::reclaim::registry::Registry;
use crate::sync::backoff::Backoff;
use crate::sync::{const_unless_loom, fence, AtomicU64, Mutex};
use crossbeam_utils::CachePadded;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release, SeqCst};
use std::sync::Arc;

/// A thread's published state: 0 offline, otherwise the grace-period counter it saw at
/// its last quiescent state.
pub struct Record {
    ctr: CachePadded<AtomicU64>,
}

/// A QSBR domain: the grace-period counter and the registered threads.
pub struct Domain {
    gp: CachePadded<AtomicU64>,
    readers: Registry<Record>,
    gp_lock: Mutex<()>,
}

impl Default for Domain {
    fn default() -> Self {
        Self::new()
    }
}

impl Domain {
    const_unless_loom! {
        pub fn new() -> Self {
            Domain {
                gp: CachePadded::new(AtomicU64::new(1)),
                readers: Registry::new(),
                gp_lock: Mutex::new(()),
            }
        }
    }

    /// Registers the calling thread, online.
    pub fn register(&self) -> Arc<Record> {
        let rec = Arc::new(Record {
            ctr: CachePadded::new(AtomicU64::new(0)),
        });
        self.readers.add(rec.clone());
        self.online(&rec);
        rec
    }

    /// Unregisters a thread's record; it goes offline first, so a scan in progress
    /// (holding the list) stops waiting for it.
    pub fn unregister(&self, rec: &Arc<Record>) {
        self.offline(rec);
        self.readers.remove(rec);
    }

    /// `rcu_quiescent_state`: the thread is in no read-side section. No fence: the
    /// thread is online, so a scan waits for a counter at least its target, and a
    /// counter read that new was written after everything the grace period waits for.
    /// An offline thread stays offline (coming online takes [`online`](Self::online)'s fence).
    #[inline]
    pub fn quiescent_state(&self, rec: &Record) {
        // Relaxed: only this thread writes its record.
        if rec.ctr.load(Relaxed) == 0 {
            return;
        }
        // Acquire: pairs with the fence before the increment in `synchronize`: a thread
        // that read the new counter sees what was retired before it in its next sections.
        // A stale counter only delays the grace period until the next announcement.
        let (load, store) = (Acquire, Release);
        // Planted: relaxed, so neither side's ordering reaches the other.
        #[cfg(fencebench_plant = "qsbr-relaxed-announce")]
        let (load, store) = (Relaxed, Relaxed);
        let gp = self.gp.load(load);
        // Planted: the announcement says "offline", so a grace period stops waiting for
        // this thread although it goes on reading.
        #[cfg(fencebench_plant = "qsbr-announce-offline")]
        let gp = 0;
        // Release: pairs with the scan's Acquire load: the sections before happen before
        // the free that the announcement lets go ahead.
        rec.ctr.store(gp, store);
    }

    /// `rcu_thread_offline`: grace periods stop waiting for the thread.
    pub fn offline(&self, rec: &Record) {
        // Release: pairs with the scan's Acquire load: the sections before are over.
        rec.ctr.store(0, Release);
    }

    /// `rcu_thread_online`. Unlike a quiescent state this needs a fence: a scan may have
    /// seen the thread offline and be freeing while the thread reads a stale counter.
    pub fn online(&self, rec: &Record) {
        self.online_after(rec, || {});
    }

    /// [`online`](Self::online), running `between` after reading the counter and before
    /// publishing it: a test's thread preempted there, whose snapshot the grace periods
    /// that run meanwhile see offline, and the next must wait for.
    #[doc(hidden)]
    #[inline(always)]
    pub fn online_after(&self, rec: &Record, between: impl FnOnce()) {
        // Relaxed: ordered before the next sections by the fence below.
        let gp = self.gp.load(Relaxed);
        between();
        rec.ctr.store(gp, Relaxed);
        // SeqCst fence: the store above is visible before the sections' loads, so either
        // the scan (after its own fence) sees the thread online and waits, or the
        // sections see what the grace period's caller retired before its fence.
        #[cfg(not(fencebench_plant = "qsbr-no-barrier"))]
        fence(SeqCst);
    }

    /// Waits for a grace period: every online thread announced a quiescent state (or
    /// went offline) after the call began. The caller must not be online in this domain.
    pub fn synchronize(&self) {
        let _gp = self.gp_lock.lock().unwrap();
        // SeqCst fence: what the caller retired is seen by sections after a quiescent
        // state that reads the new counter (pairs with the fence that ends it).
        fence(SeqCst);
        // Relaxed: ordered by the fence above; readers only copy it.
        let target = self.gp.fetch_add(1, Relaxed) + 1;
        // One registered after the scan's snapshot read the new counter (the list's lock
        // orders it after the increment), so it needs no waiting for.
        self.readers.wait_for_each(Backoff::new(0, 64), |r| {
            // Acquire: pairs with the fence before a quiescent state's store and the
            // Release store of going offline.
            let c = r.ctr.load(Acquire);
            c == 0 || c >= target
        });
        // SeqCst fence: the frees that follow come after every load the scan saw end.
        fence(SeqCst);
    }
}

#[cfg(not(fencebench_loom))]
pub use process::{defer_free, offline, quiescent_state, read_section, reclaimer_barrier};

/// The process's QSBR domain: a record per thread, online from its first section, and
/// a background reclaimer.
#[cfg(not(fencebench_loom))]
mod process {
    use super::{Domain, Record};
    use crate::memory::pool::DriverRef;
    use crate::reclaim::process::deferred::{Batch, Reclaimer};
    use crate::reclaim::process::thread_record::{RecordPtr, Registration};
    use std::cell::Cell;
    use std::sync::Arc;

    static DOMAIN: Domain = Domain::new();

    /// A thread's record, online from its first section until the thread exits.
    struct Online(Arc<Record>);

    impl Drop for Online {
        fn drop(&mut self) {
            DOMAIN.unregister(&self.0);
        }
    }

    thread_local! {
        /// This thread's registered record: see [`RecordPtr`]. A read section is one
        /// load and a test.
        static RECORD: RecordPtr<Record> = const { RecordPtr::new() };
        /// Sections in progress (debug builds only): a thread must not go offline
        /// inside one.
        static DEPTH: Cell<u32> = const { Cell::new(0) };
        static REGISTRATION: Registration<Record, Online> = {
            let rec = DOMAIN.register();
            Registration::new(rec.clone(), Online(rec), &RECORD)
        };
        static BATCH: Batch = const { Batch::new(&RECLAIMER) };
    }

    /// Runs `f` with this thread's registered record, if it has one.
    #[inline]
    fn with_record<R>(f: impl FnOnce(&Record) -> R) -> Option<R> {
        RecordPtr::with(&RECORD, |rec| rec.map(f))
    }

    /// Runs `f` inside one read-side section: nothing to do once the thread is
    /// registered (online). The first section of a thread registers it; one called from
    /// a thread-local destructor after the registration went uses a record of its own,
    /// online for the section only.
    #[inline]
    pub fn read_section<R>(f: impl FnOnce() -> R) -> R {
        if !RecordPtr::is_set(&RECORD) {
            return register_then_section(f);
        }
        if cfg!(debug_assertions) {
            DEPTH.set(DEPTH.get() + 1);
            let r = f();
            DEPTH.set(DEPTH.get() - 1);
            return r;
        }
        f()
    }

    #[cold]
    #[inline(never)]
    fn register_then_section<R>(f: impl FnOnce() -> R) -> R {
        if Registration::publish(&REGISTRATION) {
            return read_section(f);
        }
        let rec = DOMAIN.register();
        let r = f();
        DOMAIN.unregister(&rec);
        r
    }

    /// Runs `f` offline: a blocking wait that must not hold up grace periods.
    pub fn offline<R>(f: impl FnOnce() -> R) -> R {
        debug_assert_eq!(DEPTH.get(), 0, "rcu-qsbr: blocking inside a section");
        if with_record(|rec| DOMAIN.offline(rec)).is_none() {
            return f();
        }
        let r = f();
        with_record(|rec| DOMAIN.online(rec));
        r
    }

    /// The background thread (never registered, so never waited for) that runs grace
    /// periods and frees.
    static RECLAIMER: Reclaimer = Reclaimer::new("fencebench-qsbr", grace_period);

    fn grace_period() {
        #[cfg(not(fencebench_plant = "qsbr-skip-synchronize"))]
        DOMAIN.synchronize();
    }

    /// `call_rcu(kfree)` on the QSBR domain: freed by the reclaimer after a grace period.
    pub fn defer_free(data: DriverRef) {
        #[cfg(fencebench_plant = "qsbr-free-at-once")]
        return data.free();
        #[cfg_attr(fencebench_plant = "qsbr-free-at-once", allow(unreachable_code))]
        RECLAIMER.defer(&BATCH, data);
    }

    /// Announces a quiescent state for this thread, if it is registered.
    #[inline]
    pub fn quiescent_state() {
        with_record(|rec| DOMAIN.quiescent_state(rec));
    }

    /// `rcu_barrier()`, offline: the reclaimer's grace period must not wait for this
    /// thread.
    pub fn reclaimer_barrier() {
        let seq = RECLAIMER.flush(&BATCH);
        offline(|| RECLAIMER.wait_for(seq));
    }
}

#[cfg(fencebench_loom)]
pub use per_execution::{defer_free, offline, quiescent_state, read_section, reclaimer_barrier};

/// Under loom, the same calls on a domain created afresh for each execution: each
/// section is online on a record of its own, and `defer_free` waits for a grace period
/// and frees in the caller (no thread-local record, no reclaimer thread).
#[cfg(fencebench_loom)]
mod per_execution {
    use super::Domain;
    use crate::memory::pool::DriverRef;

    loom::lazy_static! {
        static ref DOMAIN: Domain = Domain::new();
    }

    /// A section on a record registered (online) for it alone.
    pub fn read_section<R>(f: impl FnOnce() -> R) -> R {
        let rec = DOMAIN.register();
        let r = f();
        DOMAIN.unregister(&rec);
        r
    }

    /// A grace period, then the free.
    pub fn defer_free(data: DriverRef) {
        DOMAIN.synchronize();
        data.free();
    }

    /// No record outlives its section: nothing to announce.
    pub fn quiescent_state() {}

    /// No record outlives its section: nothing to take offline.
    pub fn offline<R>(f: impl FnOnce() -> R) -> R {
        f()
    }

    /// Every free already happened in its caller.
    pub fn reclaimer_barrier() {}
}

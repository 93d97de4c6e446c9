//! Quiescent-state-based RCU in the style of liburcu's "qsbr" flavour, and the `rcu-qsbr`
//! implementation of the contract on top of it: the userspace analogue of the kernel's
//! non-preemptible RCU, where a context switch is the quiescent state.
//!
//! Read side: nothing (the thread-local record's registration check, no store, no
//! barrier). Instead each thread announces a quiescent state between operations
//! ([`crate::Implementation::quiescent_state`], called at the workloads' poll points) and
//! goes offline while it blocks (parked in `wait`, waiting in `quiesce` or `unload`). A
//! grace period waits until every online thread announced a quiescent state after it
//! began. A thread that stays online without announcing one holds up every grace period:
//! the price of free read sections. Sections must not block (as in the kernel's
//! non-preemptible RCU); debug builds check it.

use crate::sync::{fence, AtomicU64, Mutex};
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
    readers: Mutex<Vec<Arc<Record>>>,
    gp_lock: Mutex<()>,
}

impl Default for Domain {
    fn default() -> Self {
        Self::new()
    }
}

impl Domain {
    #[cfg(not(fencebench_loom))]
    pub const fn new() -> Self {
        Domain {
            gp: CachePadded::new(AtomicU64::new(1)),
            readers: Mutex::new(Vec::new()),
            gp_lock: Mutex::new(()),
        }
    }

    #[cfg(fencebench_loom)]
    pub fn new() -> Self {
        Domain {
            gp: CachePadded::new(AtomicU64::new(1)),
            readers: Mutex::new(Vec::new()),
            gp_lock: Mutex::new(()),
        }
    }

    /// Registers the calling thread, online.
    pub fn register(&self) -> Arc<Record> {
        let rec = Arc::new(Record {
            ctr: CachePadded::new(AtomicU64::new(0)),
        });
        self.readers.lock().unwrap().push(rec.clone());
        self.online(&rec);
        rec
    }

    /// Unregisters a thread's record; it goes offline first, so a scan in progress
    /// (holding the list) stops waiting for it.
    pub fn unregister(&self, rec: &Arc<Record>) {
        self.offline(rec);
        self.readers
            .lock()
            .unwrap()
            .retain(|r| !Arc::ptr_eq(r, rec));
    }

    /// `rcu_quiescent_state`: the thread is in no read-side section.
    #[inline]
    pub fn quiescent_state(&self, rec: &Record) {
        // SeqCst fence: the sections before happen before the announcement (pairs with
        // the scan's Acquire load, which then lets the free go ahead).
        fence(SeqCst);
        // Relaxed: a stale counter only delays the grace period until the next one.
        #[cfg(not(fencebench_plant = "qsbr-announce-offline"))]
        rec.ctr.store(self.gp.load(Relaxed), Relaxed);
        // Planted: the announcement says "offline", so a grace period stops waiting for
        // this thread although it goes on reading.
        #[cfg(fencebench_plant = "qsbr-announce-offline")]
        rec.ctr.store(0, Relaxed);
        // SeqCst fence: the sections after see what was retired before the grace period
        // whose counter was read above (pairs with the fence before its increment).
        #[cfg(not(fencebench_plant = "qsbr-no-barrier"))]
        fence(SeqCst);
    }

    /// `rcu_thread_offline`: grace periods stop waiting for the thread.
    pub fn offline(&self, rec: &Record) {
        // Release: pairs with the scan's Acquire load: the sections before are over.
        rec.ctr.store(0, Release);
    }

    /// `rcu_thread_online`.
    pub fn online(&self, rec: &Record) {
        // Relaxed: ordered before the next sections by the fence below.
        rec.ctr.store(self.gp.load(Relaxed), Relaxed);
        // SeqCst fence: as after a quiescent state.
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
        // A snapshot: the list's lock is not held while waiting, so threads register
        // and exit meanwhile. One registered after the snapshot read the new counter
        // (the lock orders it after the increment), so it needs no waiting for.
        let readers: Vec<_> = self.readers.lock().unwrap().clone();
        for r in readers.iter() {
            let mut spins = 0u32;
            loop {
                // Acquire: pairs with the fence before a quiescent state's store and the
                // Release store of going offline.
                let c = r.ctr.load(Acquire);
                if c == 0 || c >= target {
                    break;
                }
                spins += 1;
                if spins < 64 || cfg!(fencebench_loom) {
                    crate::sync::yield_now();
                } else {
                    #[cfg(not(fencebench_loom))]
                    std::thread::sleep(std::time::Duration::from_micros(50));
                }
            }
        }
        // SeqCst fence: the frees that follow come after every load the scan saw end.
        fence(SeqCst);
    }
}

#[cfg(not(fencebench_loom))]
pub use global::RcuQsbr;

#[cfg(not(fencebench_loom))]
mod global {
    use super::{Domain, Record};
    use crate::pool::DriverRef;
    use crate::scheme::{FenceView, Scheme};
    use std::cell::{Cell, RefCell};
    use std::sync::{Arc, Condvar, Mutex, OnceLock};

    static DOMAIN: Domain = Domain::new();

    /// The thread's registration, online from its first use until it exits.
    struct Thread {
        rec: Arc<Record>,
        /// Sections in progress (debug builds only): a thread must not go offline
        /// inside one.
        depth: Cell<u32>,
    }

    impl Drop for Thread {
        fn drop(&mut self) {
            DOMAIN.unregister(&self.rec);
        }
    }

    thread_local! {
        static THREAD: Thread = Thread { rec: DOMAIN.register(), depth: Cell::new(0) };
        static BATCH: Batch = const { Batch(RefCell::new(Vec::new())) };
    }

    const BATCH_LEN: usize = 64;

    /// Runs `f` offline: a blocking wait that must not hold up grace periods.
    pub fn offline<R>(f: impl FnOnce() -> R) -> R {
        let t = THREAD.try_with(|t| {
            debug_assert_eq!(t.depth.get(), 0, "rcu-qsbr: blocking inside a section");
            DOMAIN.offline(&t.rec);
            t.rec.clone()
        });
        let r = f();
        if let Ok(rec) = t {
            DOMAIN.online(&rec);
        }
        r
    }

    struct Batch(RefCell<Vec<DriverRef>>);

    impl Drop for Batch {
        fn drop(&mut self) {
            reclaimer().submit(std::mem::take(self.0.get_mut()));
        }
    }

    struct Queue {
        pending: Vec<DriverRef>,
        submitted: u64,
        completed: u64,
    }

    /// The background thread (never registered, so never waited for) that runs grace
    /// periods and frees.
    struct Reclaimer {
        queue: Mutex<Queue>,
        work: Condvar,
        done: Condvar,
    }

    fn reclaimer() -> &'static Reclaimer {
        static R: OnceLock<&'static Reclaimer> = OnceLock::new();
        R.get_or_init(|| {
            let r: &'static Reclaimer = Box::leak(Box::new(Reclaimer {
                queue: Mutex::new(Queue {
                    pending: Vec::new(),
                    submitted: 0,
                    completed: 0,
                }),
                work: Condvar::new(),
                done: Condvar::new(),
            }));
            std::thread::Builder::new()
                .name("fencebench-qsbr".into())
                .spawn(move || r.run())
                .expect("spawning the QSBR reclaimer thread");
            r
        })
    }

    impl Reclaimer {
        fn submit(&self, batch: Vec<DriverRef>) -> u64 {
            let mut q = self.queue.lock().unwrap();
            if !batch.is_empty() {
                q.pending.extend(batch);
                q.submitted += 1;
                self.work.notify_one();
            }
            q.submitted
        }

        fn run(&self) {
            loop {
                let (batch, seq) = {
                    let mut q = self.queue.lock().unwrap();
                    while q.pending.is_empty() {
                        q = self.work.wait(q).unwrap();
                    }
                    (std::mem::take(&mut q.pending), q.submitted)
                };
                #[cfg(not(fencebench_plant = "qsbr-skip-synchronize"))]
                DOMAIN.synchronize();
                for d in batch {
                    d.free();
                }
                self.queue.lock().unwrap().completed = seq;
                self.done.notify_all();
            }
        }

        /// Waits, offline, until batch `seq` was freed.
        fn wait_for(&self, seq: u64) {
            offline(|| {
                let mut q = self.queue.lock().unwrap();
                while q.completed < seq {
                    q = self.done.wait(q).unwrap();
                }
            })
        }
    }

    fn call_rcu_free(data: DriverRef) {
        let mut data = Some(data);
        let _ = BATCH.try_with(|b| {
            let mut b = b.0.borrow_mut();
            b.extend(data.take());
            if b.len() >= BATCH_LEN {
                reclaimer().submit(std::mem::take(&mut *b));
            }
        });
        if let Some(data) = data {
            reclaimer().submit(vec![data]);
        }
    }

    /// QSBR: free sections, quiescent states between operations.
    pub enum RcuQsbr {}

    impl Scheme for RcuQsbr {
        const NAME: &'static str = "rcu-qsbr";
        const SUMMARY: &'static str =
            "the 6.17 contract on QSBR RCU: empty read sections, quiescent states between operations";
        type Driver = ();
        type PerFence = ();

        fn per_fence(_: &(), _: &DriverRef) {}

        #[inline]
        fn section<R>(_: FenceView<'_, ()>, f: impl FnOnce(bool) -> R) -> R {
            match THREAD.try_with(|t| {
                if cfg!(debug_assertions) {
                    t.depth.set(t.depth.get() + 1);
                }
                t as *const Thread
            }) {
                Ok(t) => {
                    let r = f(true);
                    if cfg!(debug_assertions) {
                        // SAFETY: `t` is this thread's live registration: thread-locals
                        // are destroyed only at thread exit, after this frame or, in the
                        // destructor loop, one at a time.
                        let t = unsafe { &*t };
                        t.depth.set(t.depth.get() - 1);
                    }
                    r
                }
                // From a thread-local destructor after the registration went: a record
                // of its own, online for the section only.
                Err(_) => {
                    let rec = DOMAIN.register();
                    let r = f(true);
                    DOMAIN.unregister(&rec);
                    r
                }
            }
        }

        fn reclaim(_: &(), data: &DriverRef) {
            #[cfg(fencebench_plant = "qsbr-free-at-once")]
            return data.free();
            #[cfg_attr(fencebench_plant = "qsbr-free-at-once", allow(unreachable_code))]
            call_rcu_free(data.clone());
        }

        fn quiescent_state() {
            let _ = THREAD.try_with(|t| DOMAIN.quiescent_state(&t.rec));
        }

        fn offline<R>(f: impl FnOnce() -> R) -> R {
            offline(f)
        }

        fn quiesce() {
            let batch = BATCH
                .try_with(|b| std::mem::take(&mut *b.0.borrow_mut()))
                .unwrap_or_default();
            let r = reclaimer();
            r.wait_for(r.submit(batch));
        }

        fn mechanism() -> &'static str {
            "none"
        }
    }
}

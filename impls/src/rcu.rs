//! Userspace RCU in the style of liburcu's "memb" flavour, and the `rcu` implementation
//! of the kernel contract on top of it.
//!
//! Read side: one relaxed store of the current grace-period counter into the thread's
//! record, a compiler barrier, the section, a compiler barrier, one relaxed store of zero.
//! No atomic read-modify-write and no CPU fence. The writer side pays instead:
//! [`Domain::synchronize`] issues `membarrier()` before and after scanning the readers
//! (see [`crate::membarrier`]). Retired driver data is batched per thread and freed by a
//! background reclaimer after one grace period per batch, off the signaller's hot path.

use crate::membarrier;
use crate::sync::{AtomicU64, Mutex};
use crossbeam_utils::CachePadded;
use std::cell::Cell;
use std::sync::atomic::Ordering::{Acquire, Relaxed};
use std::sync::Arc;

/// A reader thread's published state: 0 when quiescent, otherwise the grace-period
/// counter it saw when its outermost section began.
pub struct ReaderRecord {
    ctr: CachePadded<AtomicU64>,
}

/// An RCU domain: the grace-period counter and the registered readers.
pub struct Domain {
    gp: CachePadded<AtomicU64>,
    readers: Mutex<Vec<Arc<ReaderRecord>>>,
    gp_lock: Mutex<()>,
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

    /// Registers a reader thread. Registration waits for an in-flight scan, and a new
    /// record starts quiescent, so it never delays a grace period already under way.
    pub fn register(&self) -> Reader<'_> {
        let rec = Arc::new(ReaderRecord {
            ctr: CachePadded::new(AtomicU64::new(0)),
        });
        self.readers.lock().unwrap().push(rec.clone());
        Reader {
            domain: self,
            rec,
            nesting: Cell::new(0),
        }
    }

    /// Waits for a grace period: every read-side section that began before this call has
    /// ended when it returns. Sections that begin during the call need not be waited for,
    /// because the first barrier orders the caller's earlier stores before their loads.
    pub fn synchronize(&self) {
        let _gp = self.gp_lock.lock().unwrap();
        #[cfg(not(fencebench_plant = "rcu-no-writer-barrier"))]
        membarrier::heavy();
        // Relaxed: the heavy barriers around the scan order it; readers only compare it.
        let target = self.gp.fetch_add(1, Relaxed) + 1;
        // Planted: readers that began in the period just ended are not waited for.
        #[cfg(fencebench_plant = "rcu-gp-early")]
        let target = target - 1;
        {
            let readers = self.readers.lock().unwrap();
            for r in readers.iter() {
                let mut backoff = Backoff::default();
                loop {
                    // Acquire: pairs with the Release store of 0 in `ReadGuard::drop`, so a section seen
                    // ended has finished its loads before the caller frees.
                    let c = r.ctr.load(Acquire);
                    if c == 0 || c >= target {
                        break;
                    }
                    backoff.wait();
                }
            }
        }
        membarrier::heavy();
    }
}

impl Default for Domain {
    fn default() -> Self {
        Self::new()
    }
}

/// Spin, then yield, then sleep: a stalled reader (the `stall` workload holds one for
/// 100 ms) must not make the grace-period thread burn a core.
#[derive(Default)]
struct Backoff(u32);

impl Backoff {
    fn wait(&mut self) {
        self.0 += 1;
        if self.0 < 64 {
            crate::sync::spin_hint();
        } else if self.0 < 256 || cfg!(fencebench_loom) {
            crate::sync::yield_now();
        } else {
            #[cfg(not(fencebench_loom))]
            std::thread::sleep(std::time::Duration::from_micros(50));
        }
    }
}

/// One thread's handle on a domain. Neither `Send` nor `Sync` (its nesting count is
/// thread-local), so neither it nor a [`ReadGuard`] borrowing it can reach another thread.
pub struct Reader<'d> {
    domain: &'d Domain,
    rec: Arc<ReaderRecord>,
    nesting: Cell<u32>,
}

/// One read-side section (`rcu_read_lock` … `rcu_read_unlock`): it ends when the guard
/// drops, exactly once, on the reader's thread, and cannot outlive the [`Reader`] it
/// borrows. There is no other way to end a section.
///
/// A guard cannot end its section twice:
/// ```compile_fail
/// let domain = fencebench_impls::rcu::Domain::new();
/// let reader = domain.register();
/// let guard = reader.lock();
/// drop(guard);
/// drop(guard);
/// ```
/// nor be unlocked by hand (there is no `unlock`):
/// ```compile_fail
/// let domain = fencebench_impls::rcu::Domain::new();
/// let reader = domain.register();
/// let _guard = reader.lock();
/// reader.unlock();
/// ```
/// nor end on another thread:
/// ```compile_fail
/// let domain = fencebench_impls::rcu::Domain::new();
/// let reader = domain.register();
/// let guard = reader.lock();
/// std::thread::scope(|s| {
///     s.spawn(move || drop(guard));
/// });
/// ```
/// nor outlive its reader record, for example in a thread-local whose destructor runs
/// after the record's:
/// ```compile_fail
/// use fencebench_impls::rcu::{Domain, ReadGuard};
/// use std::cell::RefCell;
/// static DOMAIN: Domain = Domain::new();
/// thread_local! {
///     static KEPT: RefCell<Option<ReadGuard<'static>>> = const { RefCell::new(None) };
/// }
/// let reader = DOMAIN.register();
/// KEPT.with(|k| *k.borrow_mut() = Some(reader.lock()));
/// ```
pub struct ReadGuard<'r> {
    reader: &'r Reader<'r>,
}

impl Reader<'_> {
    /// `rcu_read_lock`: begins a section, nested or outermost.
    #[inline]
    pub fn lock(&self) -> ReadGuard<'_> {
        let n = self.nesting.get();
        if n == 0 {
            // Relaxed store: ordered before the section's loads by the light barrier
            // below, which pairs with the first heavy barrier in `synchronize`.
            self.rec.ctr.store(self.domain.gp.load(Relaxed), Relaxed);
            #[cfg(not(fencebench_plant = "rcu-no-reader-barrier"))]
            membarrier::light();
        }
        self.nesting.set(n + 1);
        ReadGuard { reader: self }
    }
}

impl Drop for ReadGuard<'_> {
    /// `rcu_read_unlock`.
    #[inline]
    fn drop(&mut self) {
        let r = self.reader;
        let n = r.nesting.get() - 1;
        r.nesting.set(n);
        if n == 0 {
            membarrier::light();
            // Release: pairs with the Acquire load in `synchronize`, so the section's
            // loads happen before the grace period ends (and the data is freed).
            r.rec.ctr.store(0, std::sync::atomic::Ordering::Release);
        }
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        debug_assert_eq!(
            self.nesting.get(),
            0,
            "reader thread exited inside a read-side section"
        );
        self.domain
            .readers
            .lock()
            .unwrap()
            .retain(|r| !Arc::ptr_eq(r, &self.rec));
    }
}

#[cfg(not(fencebench_loom))]
pub use global::{call_rcu_free, rcu_barrier, read_section, synchronize_rcu, Rcu};

#[cfg(not(fencebench_loom))]
mod global {
    use super::{Domain, Reader};
    use crate::pool::DriverRef;
    use crate::scheme::{FenceView, Scheme};
    use std::cell::RefCell;
    use std::sync::{Condvar, Mutex, OnceLock};

    /// The process's RCU domain, like the kernel's single RCU.
    static DOMAIN: Domain = Domain::new();

    thread_local! {
        static READER: Reader<'static> = {
            crate::membarrier::mode();
            DOMAIN.register()
        };
        static BATCH: LocalBatch = const { LocalBatch(RefCell::new(Vec::new())) };
    }

    /// Retired objects are handed to the reclaimer in batches of this many.
    const BATCH_LEN: usize = 64;

    /// Runs `f` inside one read-side section of the process domain. Closure-scoped, so
    /// the section ends exactly once, on this thread, while the thread's reader record
    /// lives. Called from a thread-local destructor that runs after that record's, it
    /// uses a temporary record instead of touching the destroyed one.
    #[inline]
    pub fn read_section<R>(f: impl FnOnce() -> R) -> R {
        // The record's address leaves the `try_with` closure so that `f`'s result is
        // returned directly, not moved through `try_with`'s `Result` (a copy per call).
        match READER.try_with(|r| r as *const Reader<'static>) {
            Ok(reader) => {
                // SAFETY: `reader` points to this thread's live record. A thread-local
                // is destroyed only when its thread exits: after this frame returned,
                // or in the destructor loop, which runs one destructor at a time, so
                // the record cannot be destroyed while `f` (or its caller) runs.
                let _section = unsafe { &*reader }.lock();
                f()
            }
            Err(_) => with_temporary_reader(f),
        }
    }

    /// A section on a reader record registered for it alone.
    #[cold]
    fn with_temporary_reader<R>(f: impl FnOnce() -> R) -> R {
        let reader = DOMAIN.register();
        let _section = reader.lock();
        f()
    }

    /// Waits for a grace period of the process domain.
    pub fn synchronize_rcu() {
        crate::membarrier::mode();
        DOMAIN.synchronize();
    }

    struct LocalBatch(RefCell<Vec<DriverRef>>);

    impl Drop for LocalBatch {
        fn drop(&mut self) {
            reclaimer().submit(std::mem::take(self.0.get_mut()));
        }
    }

    struct Queue {
        pending: Vec<DriverRef>,
        submitted: u64,
        completed: u64,
    }

    /// The background thread that runs grace periods and frees retired data.
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
                .name("fencebench-rcu".into())
                .spawn(move || r.run())
                .expect("spawning the RCU reclaimer thread");
            r
        })
    }

    impl Reclaimer {
        /// Queues a batch; returns the sequence number that covers it.
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
                #[cfg(not(fencebench_plant = "rcu-skip-synchronize"))]
                synchronize_rcu();
                for d in batch {
                    d.free();
                }
                self.queue.lock().unwrap().completed = seq;
                self.done.notify_all();
            }
        }

        fn wait_for(&self, seq: u64) {
            let mut q = self.queue.lock().unwrap();
            while q.completed < seq {
                q = self.done.wait(q).unwrap();
            }
        }
    }

    /// `call_rcu(kfree)`: free after a grace period, batched.
    pub fn call_rcu_free(data: DriverRef) {
        #[cfg(fencebench_plant = "rcu-free-at-once")]
        return data.free();
        #[cfg_attr(fencebench_plant = "rcu-free-at-once", allow(unreachable_code))]
        let mut data = Some(data);
        let _ = BATCH.try_with(|b| {
            let mut b = b.0.borrow_mut();
            b.extend(data.take());
            if b.len() >= BATCH_LEN {
                reclaimer().submit(std::mem::take(&mut *b));
            }
        });
        // From a thread-local destructor that runs after this thread's batch was
        // handed off: a batch of one.
        if let Some(data) = data {
            reclaimer().submit(vec![data]);
        }
    }

    /// `rcu_barrier()`: waits until everything this thread (and exited threads) handed
    /// to [`call_rcu_free`] has been freed.
    pub fn rcu_barrier() {
        let batch = BATCH
            .try_with(|b| std::mem::take(&mut *b.0.borrow_mut()))
            .unwrap_or_default();
        let r = reclaimer();
        r.wait_for(r.submit(batch));
    }

    /// The kernel contract: readers in one RCU section check `SIGNALED`; the exporter's
    /// data is freed only after a grace period.
    pub enum Rcu {}

    impl Scheme for Rcu {
        const NAME: &'static str = "rcu";
        const SUMMARY: &'static str =
            "the 6.17 contract: RCU read section, free after a grace period (membarrier RCU)";
        type Driver = ();
        type PerFence = ();

        fn per_fence(_: &(), _: &DriverRef) {}

        #[inline]
        fn section<R>(_: FenceView<'_, ()>, f: impl FnOnce(bool) -> R) -> R {
            read_section(|| f(true))
        }

        fn reclaim(_: &(), data: &DriverRef) {
            call_rcu_free(data.clone());
        }

        fn quiesce() {
            rcu_barrier();
        }

        fn mechanism() -> &'static str {
            crate::membarrier::mode().label()
        }
    }
}

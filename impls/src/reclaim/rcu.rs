//! Userspace RCU in the style of liburcu's "memb" flavour, which the `rcu` and
//! `rcu-detach` schemes build on.
//!
//! Read side: the thread's record holds the grace-period counter its outermost section
//! saw and, in its low bits, the nesting depth (liburcu's layout), so entering is a load,
//! a test and a store, then a compiler barrier; leaving is a load and a release store of
//! the word minus one. No atomic read-modify-write and no CPU fence. The writer side pays
//! instead: [`Domain::synchronize`] issues `membarrier()` before and after scanning the readers
//! (see [`crate::sync::membarrier`]). Retired driver data is batched per thread and freed by a
//! background reclaimer after one grace period per batch, off the signaller's hot path.

use crate::reclaim::registry::Registry;
use crate::sync::backoff::Backoff;
use crate::sync::membarrier;
use crate::sync::{const_unless_loom, AtomicU64, Mutex};
use crossbeam_utils::CachePadded;
use std::marker::PhantomData;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::Arc;

/// Bits of a record's word that count nested sections; the grace-period counter lives
/// above them and advances in steps of [`GP_ONE`].
const NEST_MASK: u64 = (1 << 16) - 1;
/// Set in the domain's counter when readers must issue a full fence (no membarrier):
/// the reader tests the word it loads anyway instead of loading the mode.
const FULL_FENCE: u64 = 1 << 16;
/// One grace period in the counter's units.
const GP_ONE: u64 = 1 << 17;
// The word's three parts do not overlap: a snapshot of the counter plus one is a depth of
// one, and the mode bit is neither depth nor grace periods.
const _: () = assert!(NEST_MASK != 0 && NEST_MASK & FULL_FENCE == 0 && FULL_FENCE != 0);
const _: () = assert!(GP_ONE > FULL_FENCE && GP_ONE & (NEST_MASK | FULL_FENCE) == 0);

/// Whether a counter value carries the full-fence mode bit: the reader's barrier is then
/// a full fence.
#[inline(always)]
fn full_fence_in(gp: u64) -> bool {
    gp & FULL_FENCE != 0
}

/// A reader thread's published state: the grace-period counter it saw when its outermost
/// section began, plus its nesting depth in the low bits. A depth of 0 is quiescent.
pub struct ReaderRecord {
    ctr: CachePadded<AtomicU64>,
}

impl ReaderRecord {
    /// `rcu_read_lock` on this thread's record. The caller owns the record (only its
    /// thread writes it) and ends the section with [`unlock`](Self::unlock).
    #[inline]
    fn lock(&self, domain: &Domain) {
        self.lock_after(domain, || {});
    }

    /// [`lock`](Self::lock), running `between` after an outermost section read the
    /// counter and before it publishes it (a no-op but in tests: [`Reader::lock_after`]).
    #[inline(always)]
    fn lock_after(&self, domain: &Domain, between: impl FnOnce()) {
        if !self.lock_outermost(domain, between) {
            let nested = self.lock_nested();
            assert!(nested, "read sections nested too deep");
        }
    }

    /// Begins an outermost section, running `between` (see [`lock_after`](Self::lock_after))
    /// after the counter's snapshot; false, with nothing written, inside a section (or
    /// on the process domain's stand-in record of an unregistered thread, whose word
    /// reads as nested): then [`lock_nested`](Self::lock_nested). The one test of the
    /// depth is all the process domain's inline read side pays before the section.
    #[inline]
    fn lock_outermost(&self, domain: &Domain, between: impl FnOnce()) -> bool {
        // Relaxed: only this thread writes its record.
        let c = self.ctr.load(Relaxed);
        if c & NEST_MASK != 0 {
            return false;
        }
        // Relaxed: the counter (and the mode bit, set at registration) is only copied.
        let gp = domain.gp.load(Relaxed);
        between();
        // Relaxed store: ordered before the section's loads by the light barrier below,
        // which pairs with the first heavy barrier in `synchronize`.
        self.ctr.store(gp + 1, Relaxed);
        #[cfg(not(fencebench_plant = "rcu-no-reader-barrier"))]
        membarrier::light_in(full_fence_in(gp));
        true
    }

    /// Begins a section nested in one of this thread's (after
    /// [`lock_outermost`](Self::lock_outermost) refused); false, with nothing written,
    /// at depth `NEST_MASK`: nested that deep, or the stand-in record.
    fn lock_nested(&self) -> bool {
        // Relaxed: only this thread writes its record.
        let c = self.ctr.load(Relaxed);
        debug_assert!(c & NEST_MASK != 0, "not inside a section");
        if c & NEST_MASK == NEST_MASK {
            return false;
        }
        self.ctr.store(c + 1, Relaxed);
        true
    }

    /// `rcu_read_unlock`: one level less; depth 0 ends the section.
    #[inline]
    fn unlock(&self) {
        let c = self.ctr.load(Relaxed);
        // Release: pairs with the Acquire load in `synchronize`, so the section's loads
        // happen before a grace period that sees it ended (and the data is freed). No
        // barrier is needed here: a release store orders the loads before it.
        self.ctr.store(c - 1, Release);
    }
}

/// An RCU domain: the grace-period counter and the registered readers.
pub struct Domain {
    gp: CachePadded<AtomicU64>,
    readers: Registry<ReaderRecord>,
    gp_lock: Mutex<()>,
}

impl Domain {
    const_unless_loom! {
        pub fn new() -> Self {
            Domain {
                gp: CachePadded::new(AtomicU64::new(GP_ONE)),
                readers: Registry::new(),
                gp_lock: Mutex::new(()),
            }
        }
    }

    /// Registers a reader thread. A new record starts quiescent, so it never delays a
    /// grace period already under way, and a grace period never delays registration
    /// (scans work on a snapshot of the list).
    pub fn register(&self) -> Reader<'_> {
        #[cfg(not(fencebench_loom))]
        if membarrier::mode() != membarrier::BarrierMode::Membarrier {
            // Relaxed: this thread's own loads of the counter see its read-modify-write;
            // every other reader sets the bit when it registers.
            self.gp.fetch_or(FULL_FENCE, Relaxed);
        }
        let rec = Arc::new(ReaderRecord {
            ctr: CachePadded::new(AtomicU64::new(0)),
        });
        self.readers.add(rec.clone());
        Reader {
            domain: self,
            rec,
            _not_send: PhantomData,
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
        let target = self.gp.fetch_add(GP_ONE, Relaxed) + GP_ONE;
        // Planted: readers that began in the period just ended are not waited for.
        #[cfg(fencebench_plant = "rcu-gp-early")]
        let target = target - GP_ONE;
        // One that registers after the scan's snapshot read the new counter (the list's
        // lock orders it after the increment) and began after the first barrier, so it
        // needs no waiting for.
        self.readers.wait_for_each(Backoff::new(64, 256), |r| {
            // Acquire: pairs with the Release store in `ReaderRecord::unlock`, so a
            // section seen ended has finished its loads before the caller frees.
            let c = r.ctr.load(Acquire);
            c & NEST_MASK == 0 || c >= target
        });
        membarrier::heavy();
    }
}

impl Default for Domain {
    fn default() -> Self {
        Self::new()
    }
}

/// One thread's handle on a domain. Neither `Send` nor `Sync` (only its thread may write
/// its record), so neither it nor a [`ReadGuard`] borrowing it can reach another thread.
pub struct Reader<'d> {
    domain: &'d Domain,
    rec: Arc<ReaderRecord>,
    _not_send: PhantomData<*const ()>,
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
        self.rec.lock(self.domain);
        ReadGuard { reader: self }
    }

    /// [`lock`](Self::lock), running `between` after the section read the grace-period
    /// counter and before it publishes it: a test's reader preempted there, whose
    /// snapshot the grace periods that run meanwhile cannot see, and the next must wait
    /// for.
    #[doc(hidden)]
    pub fn lock_after(&self, between: impl FnOnce()) -> ReadGuard<'_> {
        self.rec.lock_after(self.domain, between);
        ReadGuard { reader: self }
    }
}

impl Drop for ReadGuard<'_> {
    /// `rcu_read_unlock`.
    #[inline]
    fn drop(&mut self) {
        self.reader.rec.unlock();
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        debug_assert_eq!(
            self.rec.ctr.load(Relaxed) & NEST_MASK,
            0,
            "reader thread exited inside a read-side section"
        );
        self.domain.readers.remove(&self.rec);
    }
}

#[cfg(fencebench_loom)]
pub use per_execution::{call_rcu_free, rcu_barrier, read_section, synchronize_rcu};
#[cfg(not(fencebench_loom))]
pub use process::{call_rcu_free, rcu_barrier, read_section, synchronize_rcu};

/// The process's domain, like the kernel's single RCU: a reader record per thread and
/// a background reclaimer.
#[cfg(not(fencebench_loom))]
mod process {
    use super::{Domain, Reader, ReaderRecord};
    use crate::memory::pool::DriverRef;
    use crate::reclaim::process::deferred::{Batch, Reclaimer};
    use crate::reclaim::process::thread_record::{Registration, StandInPtr};
    use crate::sync::AtomicU64;
    use crossbeam_utils::CachePadded;

    /// The process's RCU domain, like the kernel's single RCU.
    static DOMAIN: Domain = Domain::new();

    /// The record of a thread not registered (yet, or any more): in no domain, never
    /// written, nested `NEST_MASK` deep, so both
    /// [`ReaderRecord::lock_outermost`] and [`ReaderRecord::lock_nested`] refuse it.
    static IDLE: ReaderRecord = ReaderRecord {
        ctr: CachePadded::new(AtomicU64::new(super::NEST_MASK)),
    };

    thread_local! {
        /// This thread's registered record, [`IDLE`] while it has none: see
        /// [`StandInPtr`].
        static RECORD: StandInPtr<ReaderRecord> = const { StandInPtr::new(&IDLE) };
        static REGISTRATION: Registration<ReaderRecord, Reader<'static>, StandInPtr<ReaderRecord>> = {
            let reader = DOMAIN.register();
            Registration::new(reader.rec.clone(), reader, &RECORD)
        };
        static BATCH: Batch = const { Batch::new(&RECLAIMER) };
    }

    /// Ends the section on drop, also on unwind.
    struct Section<'r>(&'r ReaderRecord);

    impl Drop for Section<'_> {
        #[inline]
        fn drop(&mut self) {
            self.0.unlock();
        }
    }

    /// Runs `f` inside one read-side section of the process domain. Closure-scoped, so
    /// the section ends exactly once, on this thread, while the thread's reader record
    /// lives. Inline: the outermost section of a registered thread; a nested section, the
    /// thread's first (which registers it) and one from a thread-local destructor after
    /// the registration was destroyed (on a temporary record) go out of line.
    #[inline]
    pub fn read_section<R>(f: impl FnOnce() -> R) -> R {
        StandInPtr::with(&RECORD, |rec| {
            if !rec.lock_outermost(&DOMAIN, || {}) {
                return nested_or_registering(rec, f);
            }
            let _section = Section(rec);
            f()
        })
    }

    /// The section [`ReaderRecord::lock_outermost`] refused: nested in one of this
    /// thread's, or on the stand-in record (registers the thread, or runs on a temporary
    /// record when the registration is already destroyed).
    #[cold]
    #[inline(never)]
    fn nested_or_registering<R>(rec: &ReaderRecord, f: impl FnOnce() -> R) -> R {
        if rec.lock_nested() {
            let _section = Section(rec);
            return f();
        }
        assert!(std::ptr::eq(rec, &IDLE), "read sections nested too deep");
        if Registration::publish(&REGISTRATION) {
            return read_section(f);
        }
        with_temporary_reader(f)
    }

    /// A section on a reader record registered for it alone.
    #[cold]
    #[inline(never)]
    fn with_temporary_reader<R>(f: impl FnOnce() -> R) -> R {
        let reader = DOMAIN.register();
        let _section = reader.lock();
        f()
    }

    /// Waits for a grace period of the process domain.
    pub fn synchronize_rcu() {
        crate::sync::membarrier::mode();
        DOMAIN.synchronize();
    }

    /// The background thread that runs grace periods and frees retired data.
    static RECLAIMER: Reclaimer = Reclaimer::new("fencebench-rcu", grace_period);

    fn grace_period() {
        #[cfg(not(fencebench_plant = "rcu-skip-synchronize"))]
        synchronize_rcu();
    }

    /// `call_rcu(kfree)`: free after a grace period, batched.
    pub fn call_rcu_free(data: DriverRef) {
        #[cfg(fencebench_plant = "rcu-free-at-once")]
        return data.free();
        #[cfg_attr(fencebench_plant = "rcu-free-at-once", allow(unreachable_code))]
        RECLAIMER.defer(&BATCH, data);
    }

    /// `rcu_barrier()`: waits until everything this thread (and exited threads) handed
    /// to [`call_rcu_free`] has been freed.
    pub fn rcu_barrier() {
        RECLAIMER.wait_for(RECLAIMER.flush(&BATCH));
    }
}

/// Under loom, the same calls on a domain created afresh for each execution loom
/// explores: each section registers a reader record of its own, and `call_rcu_free`
/// waits for a grace period and frees in the caller (no thread-local record, no
/// reclaimer thread, which loom cannot model).
#[cfg(fencebench_loom)]
mod per_execution {
    use super::Domain;
    use crate::memory::pool::DriverRef;

    loom::lazy_static! {
        static ref DOMAIN: Domain = Domain::new();
    }

    /// A section on a reader record registered for it.
    pub fn read_section<R>(f: impl FnOnce() -> R) -> R {
        let reader = DOMAIN.register();
        let _section = reader.lock();
        f()
    }

    /// Waits for a grace period of the execution's domain.
    pub fn synchronize_rcu() {
        DOMAIN.synchronize();
    }

    /// `call_rcu(kfree)`, synchronously: a grace period, then the free.
    pub fn call_rcu_free(data: DriverRef) {
        synchronize_rcu();
        data.free();
    }

    /// Nothing is left to wait for: every free already happened in its caller.
    pub fn rcu_barrier() {}
}

#[cfg(all(test, not(fencebench_loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering::SeqCst;

    /// The domain's counter carries the full-fence bit exactly when the process has no
    /// membarrier: set where it is not needed, every reader pays a full fence; missing
    /// where it is, readers issue only a compiler barrier against grace periods that
    /// issue no heavy one.
    #[test]
    fn registration_sets_the_full_fence_bit_only_without_membarrier() {
        let domain = Domain::new();
        let _reader = domain.register();
        assert_eq!(
            domain.gp.load(SeqCst) & FULL_FENCE != 0,
            membarrier::mode() != membarrier::BarrierMode::Membarrier
        );
    }

    /// A grace period does not wait for a section that began after it did: a reader that
    /// keeps entering sections would otherwise hold it up for as long as it reads. The
    /// reader leaves its first section, and enters its second, only once the grace
    /// period has advanced the counter, and holds the second until the grace period
    /// returns; one that waits for it too never returns, and the reader gives up after
    /// [`STALL`](std::time::Duration), failing the test.
    #[test]
    fn a_grace_period_does_not_wait_for_sections_that_began_after_it() {
        use std::sync::atomic::AtomicBool;
        use std::sync::mpsc;
        use std::time::{Duration, Instant};
        const STALL: Duration = Duration::from_secs(10);
        static DOMAIN: Domain = Domain::new();
        // Static, for the grace period's thread: detached, so a grace period that never
        // returns fails the test instead of hanging it.
        static RETURNED: AtomicBool = AtomicBool::new(false);
        let returned = &RETURNED;
        let (inside_tx, inside_rx) = mpsc::channel();
        let (begun_tx, begun_rx) = mpsc::channel();
        std::thread::scope(|s| {
            let reader = s.spawn(move || {
                let reader = DOMAIN.register();
                let first = reader.lock();
                inside_tx.send(()).unwrap();
                begun_rx.recv().unwrap();
                drop(first);
                let _second = reader.lock();
                let deadline = Instant::now() + STALL;
                while !returned.load(SeqCst) && Instant::now() < deadline {
                    std::thread::yield_now();
                }
                returned.load(SeqCst)
            });
            inside_rx.recv().unwrap();
            let before = DOMAIN.gp.load(SeqCst) & !FULL_FENCE;
            std::thread::spawn(move || {
                DOMAIN.synchronize();
                returned.store(true, SeqCst);
            });
            // The grace period cannot return before the reader left its first section.
            while DOMAIN.gp.load(SeqCst) & !FULL_FENCE == before && !returned.load(SeqCst) {
                std::thread::yield_now();
            }
            let advanced = DOMAIN.gp.load(SeqCst) & !FULL_FENCE != before;
            begun_tx.send(()).unwrap();
            assert!(
                advanced,
                "synchronize returned without advancing the grace-period counter"
            );
            assert!(
                reader.join().unwrap(),
                "the grace period waited for a section that began after it"
            );
        });
    }

    /// Dropping a reader takes its record out of the domain: a domain that kept exited
    /// threads' records would grow, and every grace period's scan with it, for each
    /// thread a run starts.
    #[test]
    fn dropping_a_reader_unregisters_its_record() {
        let domain = Domain::new();
        let reader = domain.register();
        let record = reader.rec.clone();
        assert_eq!(Arc::strong_count(&record), 3, "reader, registry, this test");
        drop(reader);
        assert_eq!(
            Arc::strong_count(&record),
            1,
            "the registry kept the record"
        );
    }
}

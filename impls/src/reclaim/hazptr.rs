//! Hazard pointers, which the `hazptr` scheme builds on.
//!
//! Read side: publish the driver-data address in a per-thread hazard record, a compiler
//! barrier ([`membarrier::light`]), then check `SIGNALED` — the re-validation — and use
//! the data; clear the record. The signaller sets `SIGNALED` before retiring, and a scan
//! issues [`membarrier::heavy`] before reading the records, so a reader that saw the fence
//! unsignalled is always seen by the scan. Unlike RCU, a stalled reader pins only the
//! one object it protects: retained memory stays bounded.

use crate::memory::pool::DriverRef;
use crate::sync::membarrier;
use crate::sync::{const_unless_loom, AtomicBool, AtomicUsize, Mutex};
use crossbeam_utils::CachePadded;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::Arc;

/// One published hazard: the address a reader is using, or 0.
pub struct HazardRecord {
    ptr: CachePadded<AtomicUsize>,
    active: AtomicBool,
}

impl HazardRecord {
    /// Publishes `addr`. The caller must re-validate (check that the object was not
    /// retired) after this returns before using the object.
    #[inline]
    pub fn protect(&self, addr: usize) {
        // Relaxed: ordered before the caller's re-validation by the light barrier, which
        // pairs with the heavy barrier at the start of `Domain::scan`.
        self.ptr.store(addr, Relaxed);
        membarrier::light();
    }

    /// [`protect`](Self::protect) for a caller that knows the barrier mode: `full` when
    /// it is not membarrier. Saves the read side a load of the mode.
    #[inline]
    pub fn protect_in(&self, addr: usize, full: bool) {
        // Relaxed: as in `protect`.
        self.ptr.store(addr, Relaxed);
        membarrier::light_in(full);
    }

    /// Ends the protection; orders the reader's loads before a scanner's free.
    #[inline]
    pub fn clear(&self) {
        // Release: pairs with the Acquire load in `scan`: the reader's loads of the object
        // happen before a scan that sees 0 frees it.
        self.ptr.store(0, Release);
    }
}

/// The set of hazard records that scans consult.
pub struct Domain {
    records: Mutex<Vec<Arc<HazardRecord>>>,
}

impl Domain {
    const_unless_loom! {
        pub fn new() -> Self {
            Domain {
                records: Mutex::new(Vec::new()),
            }
        }
    }

    /// A record for this thread: an inactive one is reused, otherwise a new one is added.
    pub fn acquire(&self) -> Arc<HazardRecord> {
        let mut records = self.records.lock().unwrap();
        for r in records.iter() {
            if r.active
                // Acquire: pairs with the Release in `release`: the previous owner's clear is seen.
                .compare_exchange(false, true, Acquire, Relaxed)
                .is_ok()
            {
                return r.clone();
            }
        }
        let r = Arc::new(HazardRecord {
            ptr: CachePadded::new(AtomicUsize::new(0)),
            active: AtomicBool::new(true),
        });
        records.push(r.clone());
        r
    }

    /// Returns a record for reuse by another thread.
    pub fn release(&self, rec: &HazardRecord) {
        rec.clear();
        // Release: pairs with the Acquire claim in `acquire`.
        rec.active.store(false, Release);
    }

    /// Frees every retired object no hazard covers; keeps the rest in `retired`.
    pub fn scan(&self, retired: &mut Vec<DriverRef>) {
        if retired.is_empty() {
            return;
        }
        #[cfg(not(fencebench_plant = "hazptr-scan-no-barrier"))]
        membarrier::heavy();
        let mut hazards: Vec<usize> = {
            let records = self.records.lock().unwrap();
            records
                .iter()
                // Acquire: pairs with the Release clear in `HazardRecord::clear`.
                .map(|r| r.ptr.load(Acquire))
                .filter(|&p| p != 0)
                .collect()
        };
        #[cfg(fencebench_plant = "hazptr-scan-ignores-hazards")]
        hazards.clear();
        hazards.sort_unstable();
        retired.retain(|d| {
            let protected = hazards.binary_search(&d.addr()).is_ok();
            if !protected {
                d.free();
            }
            protected
        });
    }
}

impl Default for Domain {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(fencebench_loom)]
pub use per_execution::{protected, retire, scan_retired};
#[cfg(not(fencebench_loom))]
pub use process::{protected, retire, scan_retired};

/// The process's hazard domain: records per thread, the first reached through a constant
/// thread-local, and per-thread retired lists scanned in batches.
#[cfg(not(fencebench_loom))]
mod process {
    use super::{Domain, HazardRecord};
    use crate::memory::pool::DriverRef;
    use crate::sync::membarrier::{self, BarrierMode};
    use crate::sync::{AtomicBool, AtomicUsize};
    use crossbeam_utils::CachePadded;
    use std::cell::{Cell, RefCell};
    use std::sync::atomic::Ordering::Relaxed;
    use std::sync::{Arc, Mutex};

    static DOMAIN: Domain = Domain::new();
    /// Retired objects left behind by exited threads, adopted by the next scan.
    static ORPHANS: Mutex<Vec<DriverRef>> = Mutex::new(Vec::new());

    /// Records per thread: the depth of nested read sections supported.
    const DEPTH: usize = 4;
    /// A thread scans once it has this many retired objects: retained memory is bounded
    /// by threads × (SCAN_AT + protected objects).
    const SCAN_AT: usize = 64;

    /// A record in no domain, never written, whose hazard is never 0: [`FIRST`] of a
    /// thread whose first record is not free for the inline path (none registered yet,
    /// registration destroyed, or a full-fence barrier mode). The inline path's one test,
    /// "is the first record free", sends such a thread out of line.
    static NOT_INLINE: HazardRecord = HazardRecord {
        ptr: CachePadded::new(AtomicUsize::new(usize::MAX)),
        active: AtomicBool::new(true),
    };

    /// The thread's records and retired objects. Dropping it points [`FIRST`] away from
    /// the records before they go.
    struct Local {
        records: [Arc<HazardRecord>; DEPTH],
        retired: RefCell<Vec<DriverRef>>,
    }

    impl Drop for Local {
        fn drop(&mut self) {
            FIRST.set(&raw const NOT_INLINE);
            for r in &self.records {
                DOMAIN.release(r);
            }
            let mut retired = std::mem::take(self.retired.get_mut());
            DOMAIN.scan(&mut retired);
            ORPHANS.lock().unwrap().extend(retired);
        }
    }

    thread_local! {
        static LOCAL: Local = {
            let mode = membarrier::mode();
            let local = Local {
                records: std::array::from_fn(|_| DOMAIN.acquire()),
                retired: RefCell::new(Vec::with_capacity(SCAN_AT)),
            };
            // The inline path issues only a compiler barrier: it is open to a thread's
            // first record only when the scans' heavy barrier is membarrier (the mode is
            // detected once and never changes).
            if mode == BarrierMode::Membarrier {
                FIRST.set(Arc::as_ptr(&local.records[0]));
            }
            local
        };
        /// The address of [`LOCAL`]'s first record while it is alive and the barrier
        /// mode is membarrier, [`NOT_INLINE`] otherwise: a constant thread-local without
        /// destructor, so the read side reaches its record with one load and no
        /// lazy-initialisation check.
        static FIRST: Cell<*const HazardRecord> = const { Cell::new(&raw const NOT_INLINE) };
    }

    /// Clears a published hazard on drop (also on unwind).
    struct Published<'r>(&'r HazardRecord);

    impl Drop for Published<'_> {
        #[inline]
        fn drop(&mut self) {
            self.0.clear();
        }
    }

    /// Publishes `addr` in the thread's next free record and runs `f` with it protected.
    /// Inline: the first record, when it is free (the outermost section of a registered
    /// thread in membarrier mode); a nested section, the first of a thread, one in
    /// full-fence mode and one from a late thread-local destructor go out of line.
    /// Always inlined: out of line, `f`'s result (a whole `FenceInfo`) is returned
    /// through memory.
    #[inline(always)]
    pub fn protected<R>(addr: usize, f: impl FnOnce(bool) -> R) -> R {
        // SAFETY: `FIRST` holds `NOT_INLINE` (a static) or the first record of `LOCAL`
        // (an `Arc` `LOCAL` holds), set by `LOCAL`'s initialiser and reset by its
        // destructor before the `Arc` is released; thread-local destructors run only at
        // thread exit, one at a time, so the record outlives `f`.
        let record = unsafe { &*FIRST.get() };
        // Relaxed: only this thread writes its records (and nobody `NOT_INLINE`); 0 is
        // free, as a cleared hazard is (a published address is never 0).
        if record.ptr.load(Relaxed) != 0 {
            return protected_out_of_line(addr, f);
        }
        // Membarrier mode (`FIRST` is a real record only then): the compiler barrier is
        // the light half of the pair.
        record.protect_in(addr, false);
        let _published = Published(record);
        f(true)
    }

    /// The sections [`protected`] does not take inline: a nested one on the next free
    /// record, the thread's first (registering its records), one in full-fence mode,
    /// and one from a thread-local destructor after the records were released (on a
    /// temporary record).
    #[cold]
    #[inline(never)]
    fn protected_out_of_line<R>(addr: usize, f: impl FnOnce(bool) -> R) -> R {
        let mut f = Some(f);
        let run = |l: &Local| {
            let Some(record) = l.records.iter().find(|r| r.ptr.load(Relaxed) == 0) else {
                panic!("hazard-pointer sections nested deeper than {DEPTH}");
            };
            record.protect(addr);
            let _published = Published(record);
            f.take().expect("runs once")(true)
        };
        match LOCAL.try_with(run) {
            Ok(r) => r,
            Err(_) => with_temporary_record(addr, f.take().expect("not run")),
        }
    }

    /// A section on a record acquired for it alone: a thread-local destructor that runs
    /// after this thread's records were released.
    #[cold]
    fn with_temporary_record<R>(addr: usize, f: impl FnOnce(bool) -> R) -> R {
        struct Released(Arc<HazardRecord>);
        impl Drop for Released {
            fn drop(&mut self) {
                DOMAIN.release(&self.0);
            }
        }
        let rec = Released(DOMAIN.acquire());
        rec.0.protect(addr);
        f(true)
    }

    /// Queues `data` for this thread's next scan; from a thread-local destructor that
    /// runs after this thread's records were released, hands it to the orphans instead.
    pub fn retire(data: DriverRef) {
        let mut data = Some(data);
        let _ = LOCAL.try_with(|l| {
            let Some(data) = data.take() else { return };
            let mut retired = l.retired.borrow_mut();
            retired.push(data);
            if retired.len() >= SCAN_AT {
                if let Ok(mut orphans) = ORPHANS.try_lock() {
                    retired.append(&mut orphans);
                }
                DOMAIN.scan(&mut retired);
            }
        });
        if let Some(data) = data {
            ORPHANS.lock().unwrap().push(data);
        }
    }

    /// Scans this thread's and orphaned retired objects; what a reader still protects
    /// goes back to the orphans for a later scan.
    pub fn scan_retired() {
        let mut all = LOCAL.with(|l| std::mem::take(&mut *l.retired.borrow_mut()));
        all.append(&mut ORPHANS.lock().unwrap());
        DOMAIN.scan(&mut all);
        ORPHANS.lock().unwrap().extend(all);
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use std::sync::atomic::Ordering::SeqCst;

        /// The inline path is open only on a registered thread's own free first record,
        /// and only in membarrier mode; nested sections take the next records.
        #[test]
        fn first_record_is_inline_only_when_registered_in_membarrier_mode() {
            std::thread::spawn(|| {
                assert_eq!(FIRST.get(), &raw const NOT_INLINE);
                let depth =
                    |l: &Local| l.records.iter().filter(|r| r.ptr.load(SeqCst) != 0).count();
                protected(8, |_| {
                    protected(16, |_| {
                        assert_eq!(LOCAL.with(depth), 2);
                    });
                    assert_eq!(LOCAL.with(depth), 1);
                });
                assert_eq!(LOCAL.with(depth), 0);
                let first = LOCAL.with(|l| Arc::as_ptr(&l.records[0]));
                let inline = membarrier::mode() == BarrierMode::Membarrier;
                assert_eq!(FIRST.get() == first, inline);
                assert_eq!(FIRST.get() == &raw const NOT_INLINE, !inline);
            })
            .join()
            .unwrap();
        }
    }
}

/// Under loom, the same calls on a domain created afresh for each execution: a record
/// acquired per section, and a scan at every retirement.
#[cfg(fencebench_loom)]
mod per_execution {
    use super::Domain;
    use crate::memory::pool::DriverRef;
    use crate::sync::Mutex;

    loom::lazy_static! {
        static ref DOMAIN: Domain = Domain::new();
        /// Retired objects a scan found protected, for the next scan.
        static ref RETIRED: Mutex<Vec<DriverRef>> = Mutex::new(Vec::new());
    }

    /// Publishes `addr` in a record acquired for this section and runs `f` with it
    /// protected.
    pub fn protected<R>(addr: usize, f: impl FnOnce(bool) -> R) -> R {
        let record = DOMAIN.acquire();
        record.protect(addr);
        let result = f(true);
        DOMAIN.release(&record);
        result
    }

    /// Retires `data` and scans at once.
    pub fn retire(data: DriverRef) {
        let mut retired = RETIRED.lock().unwrap();
        retired.push(data);
        DOMAIN.scan(&mut retired);
    }

    /// Scans what earlier scans left (call once the readers are done).
    pub fn scan_retired() {
        DOMAIN.scan(&mut RETIRED.lock().unwrap());
    }
}

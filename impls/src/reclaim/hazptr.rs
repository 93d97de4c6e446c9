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

/// The process's hazard domain: records per thread, reached through a constant
/// thread-local, and per-thread retired lists scanned in batches.
#[cfg(not(fencebench_loom))]
mod process {
    use super::{Domain, HazardRecord};
    use crate::memory::pool::DriverRef;
    use std::cell::{Cell, RefCell};
    use std::ptr::null;
    use std::sync::{Arc, Mutex};

    static DOMAIN: Domain = Domain::new();
    /// Retired objects left behind by exited threads, adopted by the next scan.
    static ORPHANS: Mutex<Vec<DriverRef>> = Mutex::new(Vec::new());

    /// Records per thread: the depth of nested read sections supported.
    const DEPTH: usize = 4;
    /// A thread scans once it has this many retired objects: retained memory is bounded
    /// by threads × (SCAN_AT + protected objects).
    const SCAN_AT: usize = 64;

    /// The thread's records and retired objects. Dropping it unregisters the records
    /// from [`struct@SLOTS`] before they go.
    struct Local {
        records: [Arc<HazardRecord>; DEPTH],
        retired: RefCell<Vec<DriverRef>>,
    }

    impl Drop for Local {
        fn drop(&mut self) {
            SLOTS.with(|s| {
                s.in_use.set(UNREGISTERED);
                s.records.iter().for_each(|p| p.set(null()));
            });
            for r in &self.records {
                DOMAIN.release(r);
            }
            let mut retired = std::mem::take(self.retired.get_mut());
            DOMAIN.scan(&mut retired);
            ORPHANS.lock().unwrap().extend(retired);
        }
    }

    /// [`Slots::in_use`] of a thread without registered records: no slot is free, so
    /// the read side's one bounds test also sends it to registration.
    const UNREGISTERED: usize = DEPTH;

    /// The addresses of [`LOCAL`]'s records (null while it is not alive) and how many
    /// are in use: a constant thread-local without destructor, so the read side reaches
    /// a record with two loads and no lazy-initialisation check.
    struct Slots {
        in_use: Cell<usize>,
        records: [Cell<*const HazardRecord>; DEPTH],
    }

    thread_local! {
        static LOCAL: Local = {
            crate::sync::membarrier::mode();
            let local = Local {
                records: std::array::from_fn(|_| DOMAIN.acquire()),
                retired: RefCell::new(Vec::with_capacity(SCAN_AT)),
            };
            SLOTS.with(|s| {
                for (p, rec) in s.records.iter().zip(&local.records) {
                    p.set(Arc::as_ptr(rec));
                }
                s.in_use.set(0);
            });
            local
        };
        static SLOTS: Slots = const {
            Slots {
                in_use: Cell::new(UNREGISTERED),
                records: [const { Cell::new(null()) }; DEPTH],
            }
        };
    }

    /// The innermost published hazard of a thread; cleared on drop (also on unwind).
    struct Published<'r> {
        record: &'r HazardRecord,
        depth: usize,
    }

    impl Drop for Published<'_> {
        #[inline]
        fn drop(&mut self) {
            self.record.clear();
            SLOTS.with(|s| s.in_use.set(self.depth));
        }
    }

    /// A section that found no free slot: registers the thread's records first, or
    /// runs on a temporary record when they are already destroyed (thread exit).
    #[cold]
    #[inline(never)]
    fn register_then_section<R>(addr: usize, f: impl FnOnce(bool) -> R) -> R {
        if SLOTS.with(|s| s.records[0].get().is_null()) {
            if LOCAL.try_with(|_| ()).is_ok() {
                return protected(addr, f);
            }
            return with_temporary_record(addr, f);
        }
        panic!("hazard-pointer sections nested deeper than {DEPTH}");
    }

    /// Publishes `addr` in the thread's next free record and runs `f` with it protected.
    /// The thread-local is reached twice, in closures small enough to inline, so that
    /// `f` is not moved into one (which keeps `LocalKey::with` out of line). Always
    /// inlined: out of line, `f`'s result (a whole `FenceInfo`) is returned through memory.
    #[inline(always)]
    pub fn protected<R>(addr: usize, f: impl FnOnce(bool) -> R) -> R {
        let next = SLOTS.with(|s| {
            let depth = s.in_use.get();
            (depth < DEPTH).then(|| (s.records[depth].get(), depth))
        });
        let Some((record, depth)) = next else {
            return register_then_section(addr, f);
        };
        // SAFETY: `depth` is below `UNREGISTERED`, so `LOCAL` is alive and the slot
        // points to one of its records (an `Arc` it holds): its destructor resets
        // `in_use` before releasing them, and thread-local destructors run only at
        // thread exit, one at a time, so the record outlives `f`.
        let record = unsafe { &*record };
        record.protect(addr);
        SLOTS.with(|s| s.in_use.set(depth + 1));
        let _published = Published { record, depth };
        f(true)
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

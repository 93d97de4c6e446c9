//! `sdd`: the 6.17 contract on `sdd` (the delayed-deallocation collector behind `scc`),
//! with one `sdd::PrivateCollector` per driver, the crate's analogue of `srcu`'s
//! per-driver domain.
//!
//! What it models: the read-side section is an `sdd::Guard`, inside which the fence's
//! `SIGNALED` bit is tested; the exporter retires the driver data through its driver's
//! private collector (`collect_owned`), and sdd frees it once the global epoch has moved on
//! far enough that no section that could have seen the fence unsignalled is still open.
//! The reader publishes its epoch with a `SeqCst` swap (a `lock xchg`, a full barrier, on
//! x86; a store and a `SeqCst` fence elsewhere) before testing the bit, and the retiring
//! thread's own guard issues the same barrier after `SIGNALED` was set, so a reader
//! either sees the bit or is seen active by the scan that would advance the epoch, the
//! argument `crossbeam-epoch` rests on too.
//!
//! How faithful, and where sdd forces a deviation:
//! - **A private collector is not a private domain.** sdd 4.8 has one global epoch and
//!   one kind of guard (`Guard::new()` names no collector): a `PrivateCollector` only
//!   files the garbage it collects in per-collector bags on the retiring thread, which
//!   rotate with the same global epoch as everything else. So a reader stalled in *one*
//!   driver's section stops the epoch and with it the reclamation of *every* driver's
//!   data, and `unload` waits for that global epoch, as for `rcu`, not for the driver's
//!   own readers, as for `srcu`. What the per-driver collector does give is a bound on
//!   lifetime: dropping it frees everything it still holds at once, without waiting for
//!   the epoch. The collector is shared by the driver's timeline and every fence of it
//!   (`Arc`), so it is dropped only when the last of them is, when no reader can be in a
//!   section on any of the driver's fences any more: the driver's retired data cannot
//!   outlive its last fence.
//! - Retirement boxes a handle to the data (`sdd::Owned`, one allocation per signal), and
//!   `collect_owned` takes a short lock on the retiring thread's private-bag map.
//! - Reclamation is driven by the retiring thread: its bags rotate only when it enters a
//!   guard and finds the epoch moved on, and an epoch advance is tried once every 128
//!   guards a thread with garbage drops. Retained memory is therefore bounded by how
//!   often the signallers enter guards. An exited thread's private bags are rotated by
//!   whichever thread advances the epoch next.
//! - sdd reaches its thread state through a thread-local with a destructor, so a guard
//!   cannot be entered from a thread-local destructor that runs after sdd's: as with
//!   seize, a fence used that late panics instead of reading.

use super::backlog::{Backlog, RetiredData, ThreadBacklog};
use crate::memory::pool::DriverRef;
use crate::model::scheme::{FenceView, Scheme};
use ::sdd::{Guard, Owned, PrivateCollector};
use std::sync::Arc;

/// Exited threads need no drain of their own: the next epoch advance rotates an exited
/// thread's private bags.
static BACKLOG: Backlog = Backlog::new(Sdd::NAME, None);

thread_local! {
    static LOCAL: ThreadBacklog = BACKLOG.register();
}

/// One round of sdd's collection on this thread: entering a guard rotates this thread's
/// bags if the epoch moved on since its last guard (freeing the oldest), and leaving it
/// after `accelerate` tries to advance the epoch (which fails while a thread is still in
/// a section of the previous epoch). Three advances free what was retired before them.
fn collect() {
    Guard::new().accelerate();
}

/// A driver's private collector: created with its timeline, shared by its fences.
#[derive(Default)]
pub struct DriverCollector(Arc<PrivateCollector>);

pub enum Sdd {}

impl Scheme for Sdd {
    const NAME: &'static str = "sdd";
    const SUMMARY: &'static str =
        "the 6.17 contract on sdd: guard + SIGNALED, free retired to the driver's private collector";

    type Driver = DriverCollector;

    type PerFence = Arc<PrivateCollector>;

    fn per_fence(driver: &DriverCollector, _: &DriverRef) -> Arc<PrivateCollector> {
        driver.0.clone()
    }

    #[inline]
    fn section<R>(_: FenceView<'_, Arc<PrivateCollector>>, f: impl FnOnce(bool) -> R) -> R {
        let _guard = Guard::new();
        f(true)
    }

    #[cfg_attr(fencebench_plant = "sdd-free-at-once", allow(unused_variables))]
    fn reclaim(collector: &Arc<PrivateCollector>, data: &DriverRef) {
        let retired = RetiredData::new(data.clone(), BACKLOG.ticket(&LOCAL));
        // Planted: the free is not retired to the collector.
        #[cfg(fencebench_plant = "sdd-free-at-once")]
        return drop(retired);
        #[cfg_attr(fencebench_plant = "sdd-free-at-once", allow(unreachable_code))]
        let guard = Guard::new();
        // SAFETY: `collect_owned` asks that the collector outlive every `Ptr`/`RawPtr` to
        // the collected memory and that `T` be `Send`. No `Ptr` ever points into the box:
        // readers reach the driver data through the fence, never through sdd. Dropping the
        // collector frees the box (and so the data) at once, but the collector is an `Arc`
        // held by the driver's timeline and each of its fences, including the one being
        // reclaimed, so it is dropped only after the last fence of the driver is gone, and
        // a reader in a section holds a reference to the fence it reads. `RetiredData` is
        // `Send`. Otherwise the data is freed after the epoch advances past every section
        // that was open when this guard published its epoch, and SIGNALED was set before.
        unsafe { collector.collect_owned(Owned::new(retired), &guard) };
    }

    /// Drives sdd's collection until everything this thread and exited threads retired
    /// has been freed. A reader in a section (of any driver) stops the epoch: then this
    /// gives up after a deadline, with a warning.
    fn quiesce() {
        BACKLOG.settle(&LOCAL, collect);
    }

    /// One round of collection: the epoch is global, so a reader in another driver's
    /// section delays this driver's unload too.
    fn unload(_: &DriverCollector) {
        collect();
    }

    fn mechanism() -> &'static str {
        "sdd"
    }
}

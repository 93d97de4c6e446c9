//! `arcswap`: driver data behind `arc_swap::ArcSwapOption`, the "atomically swappable
//! `Arc`" a Rust user reaches for to publish data that writers replace.
//!
//! What it models: the 7.1 detachable `ops` pointer. Each fence holds an
//! `ArcSwapOption<Holder>`; a reader's section is the [`arc_swap::Guard`] that `load`
//! returns (`None` = detached, so readers test the pointer, never `SIGNALED`), and
//! signalling stores `None`. There is no deferred reclamation: the holder, which frees the
//! driver data on drop, goes with the last of the swap's own reference and the readers'
//! guards, on whichever thread drops it.
//!
//! How faithful, and where the crate forces a deviation:
//! - It is reference counting underneath, made cheap for readers: a `load` parks the
//!   pointer in one of the thread's eight debt slots (an atomic swap, `SeqCst` loads
//!   before and after) instead of incrementing the count, and `store` pays every
//!   outstanding debt on the old pointer, turning those readers' guards into real
//!   references. A reader holding a guard therefore keeps the data alive, as refcounting
//!   does, but only for the section: the fence itself does not pin the data, so a signalled
//!   fence held indefinitely does not retain it (the objection that sank refcounting).
//! - One extra heap object per fence (the `Arc`'d holder), and the store scans every
//!   thread's debt slots, so signalling costs grow with the number of reader threads.
//! - A thread with more than eight guards alive falls back to a real reference count.
//!
//! The exporter's lock stays in driver data, as for `hazptr`.

use crate::memory::pool::DriverRef;
use crate::model::scheme::{FenceView, Scheme};
use arc_swap::ArcSwapOption;

/// What the fence's pointer designates: frees the driver data when the last reference goes.
pub struct Holder(DriverRef);

impl Drop for Holder {
    fn drop(&mut self) {
        // Planted: the data was already freed at signal.
        #[cfg(not(fencebench_plant = "arcswap-free-at-once"))]
        self.0.free();
    }
}

pub enum ArcSwapped {}

impl Scheme for ArcSwapped {
    const NAME: &'static str = "arcswap";
    const SUMMARY: &'static str =
        "arc-swap: driver data in an ArcSwapOption, reader guard as section, None at signal";

    type Driver = ();

    type PerFence = ArcSwapOption<Holder>;

    fn per_fence(_: &(), data: &DriverRef) -> ArcSwapOption<Holder> {
        ArcSwapOption::from_pointee(Holder(data.clone()))
    }

    #[inline]
    fn section<R>(fence: FenceView<'_, ArcSwapOption<Holder>>, f: impl FnOnce(bool) -> R) -> R {
        let guard = fence.per_fence.load();
        f(guard.is_some())
    }

    const CHECKS_SIGNALED_BIT: bool = false;
    const GENERATION: crate::contract::Generation = crate::contract::Generation::V7;

    /// The 7.x detach point: dropping the swap's own reference frees the data unless a
    /// reader's guard still holds the holder; then that guard's drop frees it.
    fn detach(holder: &ArcSwapOption<Holder>) {
        holder.store(None);
    }

    fn reclaim(_: &ArcSwapOption<Holder>, _data: &DriverRef) {
        // Planted: the data is freed without waiting for readers' guards.
        #[cfg(fencebench_plant = "arcswap-free-at-once")]
        _data.free();
    }

    /// Nothing is ever deferred: `reclaim` frees the data unless a reader holds a guard,
    /// and that reader frees it when the guard drops.
    fn quiesce() {}

    fn mechanism() -> &'static str {
        "arc-swap"
    }
}

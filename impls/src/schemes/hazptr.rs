//! `hazptr`: the Linux 6.17 contract on the hazard pointers of [`crate::reclaim::hazptr`],
//! re-validated by `SIGNALED`.

use crate::memory::pool::DriverRef;
use crate::model::scheme::{FenceView, Scheme};
use crate::reclaim::hazptr::{protected, retire, scan_retired};

/// Hazard pointers with asymmetric fences, written for this model.
pub enum Hazptr {}

impl Scheme for Hazptr {
    const NAME: &'static str = "hazptr";
    const SUMMARY: &'static str =
        "hazard pointer on the driver data, re-validated by SIGNALED; retire at signal";
    type Driver = ();
    type PerFence = ();

    fn per_fence(_: &(), _: &DriverRef) {}

    #[inline]
    fn section<R>(fence: FenceView<'_, ()>, f: impl FnOnce(bool) -> R) -> R {
        protected(fence.data.addr(), f)
    }

    fn reclaim(_: &(), data: &DriverRef) {
        retire(data.clone());
    }

    /// Scans this thread's and orphaned retired objects.
    fn quiesce() {
        scan_retired();
    }

    fn mechanism() -> &'static str {
        crate::sync::membarrier::mode().label()
    }
}

//! The rejected alternative: every fence holds a counted reference to its driver data,
//! and every read-side access takes and drops one (get-unless-zero). Readers pay two
//! atomic read-modify-writes on a shared line; the data lives until the last fence
//! reference goes, so a long-held signalled fence pins the driver.

use crate::memory::pool::DriverRef;
use crate::model::scheme::{FenceView, Scheme};

pub enum Refcount {}

/// A held reference; dropped at the end of the read section (also on unwind).
struct RefGuard<'a>(&'a DriverRef);

impl Drop for RefGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        self.0.put();
    }
}

impl Scheme for Refcount {
    const NAME: &'static str = "refcount";
    const SUMMARY: &'static str =
        "driver data refcounted by fences and readers; freed on the last fence put";
    type Driver = ();
    type PerFence = ();

    fn per_fence(_: &(), _: &DriverRef) {}

    #[inline]
    fn section<R>(fence: FenceView<'_, ()>, f: impl FnOnce(bool) -> R) -> R {
        if fence.data.try_get() {
            let _reference = RefGuard(fence.data);
            f(true)
        } else {
            f(false)
        }
    }

    const RECLAIM_AT_SIGNAL: bool = cfg!(fencebench_plant = "refcount-free-at-signal");

    /// Drops the fence's own reference at release.
    fn reclaim(_: &(), data: &DriverRef) {
        // Planted: freed at signal, whatever references readers hold.
        #[cfg(fencebench_plant = "refcount-free-at-signal")]
        return data.free();
        #[cfg_attr(fencebench_plant = "refcount-free-at-signal", allow(unreachable_code))]
        data.put();
    }

    fn quiesce() {}

    fn mechanism() -> &'static str {
        "atomic-rmw"
    }
}

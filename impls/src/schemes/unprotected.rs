//! The baseline: no read-side protection, driver data freed the moment the fence
//! signals. Its read cost is the floor every other implementation is a ratio to, and
//! its violation count is the use-after-free the contract exists to prevent.

use crate::memory::pool::DriverRef;
use crate::model::scheme::{FenceView, Scheme};

pub enum Unprotected {}

impl Scheme for Unprotected {
    const NAME: &'static str = "unprotected";
    const SUMMARY: &'static str =
        "no protection; frees driver data at signal (the baseline, and the bug)";
    const PROTECTS_READERS: bool = false;
    type Driver = ();
    type PerFence = ();

    fn per_fence(_: &(), _: &DriverRef) {}

    #[inline]
    fn section<R>(_: FenceView<'_, ()>, f: impl FnOnce(bool) -> R) -> R {
        f(true)
    }

    fn reclaim(_: &(), data: &DriverRef) {
        data.free();
    }

    fn quiesce() {}

    fn mechanism() -> &'static str {
        "none"
    }
}

//! `lock`: an inline per-fence lock that readers and the signaller both take — the
//! lock-based reader of refscale's table. No external driver lock and no deferred
//! reclamation: a reader holding the lock saw the fence unsignalled, and signal cannot
//! set `SIGNALED` (let alone free the data) until the reader lets go, so the data is
//! freed the moment the fence signals. Every reader writes the lock's cache line.
//! Callbacks run under this lock, as in the kernel, so a callback must not describe
//! its own fence.

use crate::memory::pool::DriverRef;
use crate::model::scheme::{FenceView, Scheme};

pub enum Lock {}

impl Scheme for Lock {
    const NAME: &'static str = "lock";
    const SUMMARY: &'static str =
        "inline per-fence spinlock taken by readers and signal; frees at signal";

    const READERS_BLOCK_SIGNAL: bool = true;
    type Driver = ();
    type PerFence = ();

    fn per_fence(_: &(), _: &DriverRef) {}

    #[inline]
    fn section<R>(fence: FenceView<'_, ()>, f: impl FnOnce(bool) -> R) -> R {
        // Planted: readers do not take the lock.
        #[cfg(fencebench_plant = "lock-reader-unlocked")]
        let _ = fence;
        #[cfg(not(fencebench_plant = "lock-reader-unlocked"))]
        let _held = fence.inline.lock();
        f(true)
    }

    const INLINE_LOCK: bool = true;
    const SECTION_HOLDS_LOCK: bool = true;

    fn reclaim(_: &(), data: &DriverRef) {
        data.free();
    }

    fn quiesce() {}

    fn mechanism() -> &'static str {
        "spinlock"
    }
}

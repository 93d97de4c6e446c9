//! `lock`: an inline per-fence lock that readers and the signaller both take — the
//! lock-based reader of refscale's table. No external driver lock and no deferred
//! reclamation: a reader holding the lock saw the fence unsignalled, and signal cannot
//! set `SIGNALED` (let alone free the data) until the reader lets go, so the data is
//! freed the moment the fence signals. Every reader writes the lock's cache line.
//! Callbacks run under this lock, as in the kernel, so a callback must not describe
//! its own fence.

use crate::pool::DriverRef;
use crate::scheme::{FenceView, InlineGuard, Scheme};

pub enum Lock {}

impl Scheme for Lock {
    const NAME: &'static str = "lock";
    const SUMMARY: &'static str =
        "inline per-fence spinlock taken by readers and signal; frees at signal";

    const READERS_BLOCK_SIGNAL: bool = true;
    type PerFence = ();

    fn per_fence(_: &DriverRef) {}

    type Guard<'a> = Option<InlineGuard<'a>>;

    #[inline]
    fn protect<'a>(fence: FenceView<'a, ()>) -> Option<Option<InlineGuard<'a>>> {
        // Planted: readers do not take the lock.
        if cfg!(fencebench_plant = "lock-reader-unlocked") {
            return Some(None);
        }
        Some(Some(fence.inline.lock()))
    }

    const INLINE_LOCK: bool = true;

    fn reclaim(_: &(), data: &DriverRef) {
        data.free();
    }

    fn quiesce() {}

    fn mechanism() -> &'static str {
        "spinlock"
    }
}

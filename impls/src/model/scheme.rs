//! How an implementation protects driver data from readers and when it reclaims it.
//! The generic fence in [`crate::model::fence`] calls these hooks; each implementation module
//! provides one.

use crate::memory::pool::DriverRef;
pub use crate::model::inline_lock::InlineLock;

/// What a scheme sees of a fence when a reader enters a section.
pub struct FenceView<'a, P> {
    pub data: &'a DriverRef,
    /// The scheme's own per-fence state.
    pub per_fence: &'a P,
    /// The fence's inline lock (used by schemes with [`Scheme::INLINE_LOCK`]).
    pub inline: &'a InlineLock,
}

pub trait Scheme: Send + Sync + 'static {
    const NAME: &'static str;
    const SUMMARY: &'static str;
    /// See [`crate::Implementation::PROTECTS_READERS`].
    const PROTECTS_READERS: bool = true;
    /// See [`crate::Implementation::READERS_BLOCK_SIGNAL`].
    const READERS_BLOCK_SIGNAL: bool = false;
    /// See [`crate::Implementation::GENERATION`].
    const GENERATION: crate::contract::Generation = crate::contract::Generation::V6_17;

    /// Per-driver state, one per timeline (the driver that owns it): `srcu`'s domain;
    /// `()` for schemes whose protection is process-wide.
    type Driver: Send + Sync + Default;

    /// Per-fence state: a detachable pointer, an `ArcSwap`, or nothing.
    type PerFence: Send + Sync;

    /// Builds the per-fence state for newly allocated driver data of `driver`.
    fn per_fence(driver: &Self::Driver, data: &DriverRef) -> Self::PerFence;

    /// Runs `f` inside one read-side section. `f(false)` means the data must be treated
    /// as detached: it could not be protected (a failed get-unless-zero) or, for schemes
    /// that detach by pointer, the pointer was already cleared. Closure-scoped, so no
    /// caller can end a section twice, on another thread, or after the thread's reader
    /// state is gone.
    fn section<R>(fence: FenceView<'_, Self::PerFence>, f: impl FnOnce(bool) -> R) -> R;

    /// Whether the fence checks `SIGNALED` inside the section (the 6.17 contract) after
    /// [`section`](Self::section) protected the data. Schemes that detach by clearing a pointer
    /// (the 7.1 design, `ArcSwap`, library hazard pointers) test the pointer instead.
    const CHECKS_SIGNALED_BIT: bool = true;

    /// Whether the exporter's lock is an inline per-fence lock (7.1) instead of the
    /// lock in driver data (6.17).
    const INLINE_LOCK: bool = false;

    /// Whether [`section`](Self::section) itself holds the exporter's (inline) lock, so
    /// code inside a section that needs the lock (`info()`'s `dma_fence_get_status`)
    /// must not take it again.
    const SECTION_HOLDS_LOCK: bool = false;

    /// Whether [`reclaim`](Self::reclaim) runs at signal (the contract) or only when the
    /// fence itself is released (refcounting).
    const RECLAIM_AT_SIGNAL: bool = true;

    /// Detaches the driver data from the fence, for schemes that detach by pointer (the
    /// 7.x generation): called under the fence lock right after `SIGNALED` is set and
    /// before callbacks run, as `dma_fence_signal_timestamp_locked` clears `ops`; also at
    /// release of a fence that was never signalled. Schemes that test `SIGNALED` do nothing.
    fn detach(_per_fence: &Self::PerFence) {}

    /// Takes the exporter's retired (and detached) data and frees it now, after a grace
    /// period, once no hazard covers it, or on the last reference, per the scheme.
    fn reclaim(per_fence: &Self::PerFence, data: &DriverRef);

    /// See [`crate::Implementation::quiesce`].
    fn quiesce();

    /// See [`crate::Implementation::quiescent_state`].
    #[inline]
    fn quiescent_state() {}

    /// See [`crate::Implementation::offline`].
    #[inline]
    fn offline<R>(f: impl FnOnce() -> R) -> R {
        f()
    }

    /// One step of [`crate::Timeline::unload`] for `driver`, whose fences were all
    /// signalled on this thread: pushes the driver's retired data towards its free
    /// (a grace period of the driver's domain, a hazard scan). The caller repeats it
    /// until the driver's pool holds no retired data. Default: [`quiesce`](Self::quiesce).
    fn unload(_driver: &Self::Driver) {
        Self::quiesce()
    }

    /// See [`crate::Implementation::read_side_mechanism`].
    fn mechanism() -> &'static str;
}

//! How an implementation protects driver data from readers and when it reclaims it.
//! The generic fence in [`crate::guarded`] calls these hooks; each implementation module
//! (`unprotected`, `rcu`, `refcount`, `hazptr`) provides one.

use crate::pool::DriverRef;

pub trait Scheme: Send + Sync + 'static {
    const NAME: &'static str;
    const SUMMARY: &'static str;

    /// Held for the duration of one read-side section.
    type Guard<'a>;

    /// Enters a read-side section for `data`. `None` means the data could not be
    /// protected and must be treated as detached (a failed get-unless-zero).
    /// Callers check `SIGNALED` *after* this returns, inside the section.
    fn protect(data: &DriverRef) -> Option<Self::Guard<'_>>;

    /// Whether [`reclaim`](Self::reclaim) runs at signal (the contract) or only when the
    /// fence itself is released (refcounting).
    const RECLAIM_AT_SIGNAL: bool;

    /// Takes the exporter's retired data: free it now, after a grace period, once no
    /// hazard covers it, or on the last reference, per the scheme.
    fn reclaim(data: &DriverRef);

    /// See [`crate::Implementation::quiesce`].
    fn quiesce();

    /// See [`crate::Implementation::read_side_mechanism`].
    fn mechanism() -> &'static str;
}

//! `rcu-qsbr`: the Linux 6.17 contract on the QSBR RCU of [`crate::reclaim::qsbr`].

use crate::memory::pool::DriverRef;
use crate::model::scheme::{FenceView, Scheme};
use crate::reclaim::qsbr::{defer_free, offline, quiescent_state, read_section, reclaimer_barrier};

/// QSBR: free sections, quiescent states between operations.
pub enum RcuQsbr {}

impl Scheme for RcuQsbr {
    const NAME: &'static str = "rcu-qsbr";
    const SUMMARY: &'static str =
        "the 6.17 contract on QSBR RCU: empty read sections, quiescent states between operations";
    type Driver = ();
    type PerFence = ();

    fn per_fence(_: &(), _: &DriverRef) {}

    #[inline]
    fn section<R>(_: FenceView<'_, ()>, f: impl FnOnce(bool) -> R) -> R {
        read_section(|| f(true))
    }

    fn reclaim(_: &(), data: &DriverRef) {
        defer_free(data.clone());
    }

    #[inline]
    fn quiescent_state() {
        quiescent_state();
    }

    fn offline<R>(f: impl FnOnce() -> R) -> R {
        offline(f)
    }

    fn quiesce() {
        reclaimer_barrier();
    }

    fn mechanism() -> &'static str {
        "none"
    }
}

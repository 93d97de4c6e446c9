//! `rcu`: the Linux 6.17 contract on the membarrier RCU of [`crate::reclaim::rcu`].

use crate::memory::pool::DriverRef;
use crate::model::scheme::{FenceView, Scheme};
use crate::reclaim::rcu::{call_rcu_free, rcu_barrier, read_section};

/// The kernel contract: readers in one RCU section check `SIGNALED`; the exporter's
/// data is freed only after a grace period.
pub enum Rcu {}

impl Scheme for Rcu {
    const NAME: &'static str = "rcu";
    const SUMMARY: &'static str =
        "the 6.17 contract: RCU read section, free after a grace period (membarrier RCU)";
    type Driver = ();
    type PerFence = ();

    fn per_fence(_: &(), _: &DriverRef) {}

    #[inline]
    fn section<R>(_: FenceView<'_, ()>, f: impl FnOnce(bool) -> R) -> R {
        read_section(|| f(true))
    }

    fn reclaim(_: &(), data: &DriverRef) {
        call_rcu_free(data.clone());
    }

    fn quiesce() {
        rcu_barrier();
    }

    fn mechanism() -> &'static str {
        crate::sync::membarrier::mode().label()
    }
}

//! `rcu-detach`: the Linux 7.1 generation of the contract. `fence->ops` is an
//! RCU-protected pointer that signalling clears; readers load it with acquire inside the
//! RCU section and treat NULL as detached, instead of testing `SIGNALED` (which can
//! reorder against the clear on weakly ordered CPUs: the June 2026 fix). The exporter's
//! lock is inline in the fence, so taking it never touches driver data. Freed after a
//! grace period, on the same membarrier RCU as `rcu`.

use crate::memory::pool::DriverRef;
use crate::model::scheme::{FenceView, Scheme};
use crate::reclaim::rcu::{call_rcu_free, rcu_barrier, read_section};
use crate::sync::AtomicUsize;
use std::sync::atomic::Ordering::{Acquire, Release};

pub enum RcuDetach {}

/// The fence's `ops` pointer: the driver data's address, 0 once detached.
pub struct OpsPtr(AtomicUsize);

impl Scheme for RcuDetach {
    const NAME: &'static str = "rcu-detach";
    const SUMMARY: &'static str =
        "the 7.1 contract: ops pointer cleared at signal, tested under RCU; inline lock";

    type Driver = ();

    type PerFence = OpsPtr;

    fn per_fence(_: &(), data: &DriverRef) -> OpsPtr {
        OpsPtr(AtomicUsize::new(data.addr()))
    }

    #[inline]
    fn section<R>(fence: FenceView<'_, OpsPtr>, f: impl FnOnce(bool) -> R) -> R {
        // Acquire: pairs with the Release clear in `detach` (and the pointer's
        // publication at creation); 0 means detached.
        read_section(|| f(fence.per_fence.0.load(Acquire) != 0))
    }

    const CHECKS_SIGNALED_BIT: bool = false;
    const GENERATION: crate::contract::Generation = crate::contract::Generation::V7;
    const INLINE_LOCK: bool = true;

    /// Pairs with the reader's `Acquire` load: a reader that loads 0 takes nothing from
    /// the data; one that loads the address entered its RCU section before the grace
    /// period that `reclaim` waits for.
    fn detach(ops: &OpsPtr) {
        // Planted: the pointer is left set (as if cleared only at release) while the data
        // is freed after a grace period.
        #[cfg(not(fencebench_plant = "detach-free-before-clear"))]
        ops.0.store(0, Release);
        #[cfg(fencebench_plant = "detach-free-before-clear")]
        let _ = ops;
    }

    fn reclaim(_: &OpsPtr, data: &DriverRef) {
        call_rcu_free(data.clone());
    }

    fn quiesce() {
        rcu_barrier();
    }

    fn mechanism() -> &'static str {
        crate::sync::membarrier::mode().label()
    }
}

//! `srcu` and `srcu-fast`: the Linux 6.17 contract on the driver's own SRCU domain
//! ([`crate::reclaim::srcu`]), with classic or fast readers.

use crate::memory::pool::DriverRef;
use crate::model::scheme::{FenceView, Scheme};
use crate::reclaim::srcu::{hot_slot, with_slot, Classic, Domain, Fast, Flavor, Registered};
use std::marker::PhantomData;
use std::sync::{Arc, Weak};

/// A driver's domain: created with its timeline, shared by its fences.
pub struct DriverDomain<F: Flavor>(Arc<Domain<F>>);

impl<F: Registered> Default for DriverDomain<F> {
    fn default() -> Self {
        let d = Arc::new(Domain::new());
        let mut all = F::domains().lock().unwrap();
        all.retain(|w| w.strong_count() > 0);
        all.push(Arc::downgrade(&d));
        DriverDomain(d)
    }
}

/// Sleepable RCU with readers of flavour `F`, one domain per driver.
pub struct Sleepable<F>(PhantomData<F>);

/// The classic read side: a full barrier in lock and in unlock.
pub type Srcu = Sleepable<Classic>;
/// `srcu_read_lock_fast`: no reader barrier, the grace period's scans pay.
pub type SrcuFast = Sleepable<Fast>;

impl<F: Registered> Scheme for Sleepable<F> {
    const NAME: &'static str = F::NAME;
    const SUMMARY: &'static str = F::SUMMARY;
    type Driver = DriverDomain<F>;
    type PerFence = Arc<Domain<F>>;

    fn per_fence(driver: &DriverDomain<F>, _: &DriverRef) -> Arc<Domain<F>> {
        driver.0.clone()
    }

    #[inline]
    fn section<R>(fence: FenceView<'_, Arc<Domain<F>>>, f: impl FnOnce(bool) -> R) -> R {
        match hot_slot::<F>() {
            Some(slot) => fence.per_fence.read_hot(slot, || f(true)),
            None => first_section(fence.per_fence, f),
        }
    }

    fn reclaim(domain: &Arc<Domain<F>>, data: &DriverRef) {
        // Planted: `srcu-fast` frees without waiting for its readers.
        #[cfg(fencebench_plant = "srcu-fast-free-at-once")]
        if F::ASYMMETRIC {
            return data.free();
        }
        domain.call_srcu_free(data.clone());
    }

    fn quiesce() {
        let all: Vec<_> = F::domains()
            .lock()
            .unwrap()
            .iter()
            .filter_map(Weak::upgrade)
            .collect();
        for d in all {
            d.barrier();
        }
    }

    /// Only the driver's own domain: a reader stalled in another driver's section
    /// does not delay it.
    fn unload(driver: &DriverDomain<F>) {
        driver.0.barrier();
    }

    /// `srcu-fast`'s scans wait for an RCU grace period, whose barriers are the
    /// membarrier mode's.
    fn mechanism() -> &'static str {
        if F::ASYMMETRIC {
            crate::sync::membarrier::mode().label()
        } else {
            "full-fence"
        }
    }
}

/// A section of a thread that has no record index yet (or gave it back in a thread-local
/// destructor), or of `srcu-fast` without membarrier: out of line, so the common section
/// sets up nothing for it.
#[cold]
#[inline(never)]
fn first_section<F: Flavor, R>(domain: &Domain<F>, f: impl FnOnce(bool) -> R) -> R {
    with_slot(|slot| domain.read(slot, || f(true)))
}

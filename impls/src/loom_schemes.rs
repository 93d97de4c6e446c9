//! Under loom, the `rcu`, `rcu-detach`, `hazptr`, `srcu` and `srcu-fast` schemes on
//! state created afresh for each execution loom explores (`loom::lazy_static`, or the
//! driver's own SRCU domain), so the models run the real fence model (`guarded.rs`:
//! signal, the 7.x detach point, the read sections of `info` and `with_names`) and the
//! real `rcu::Domain`/`Reader`, `hazptr::Domain` and `srcu::Domain`. What differs from
//! the benchmarked glue: each section registers a reader record of its own (the
//! thread-local record and the batching reclaimer thread are left out), and reclamation
//! waits for a grace period and frees synchronously in the signaller.

use crate::pool::DriverRef;
use crate::rcu::Domain;
use crate::scheme::{FenceView, Scheme};
use crate::srcu::Flavor;
use crate::sync::AtomicUsize;
use std::sync::atomic::Ordering::{Acquire, Release};

loom::lazy_static! {
    static ref DOMAIN: Domain = Domain::new();
}

/// A section on a reader record registered for it.
fn read_section<R>(f: impl FnOnce() -> R) -> R {
    let reader = DOMAIN.register();
    let _section = reader.lock();
    f()
}

/// `call_rcu(kfree)`, synchronously: a grace period, then the free.
fn free_after_grace_period(data: &DriverRef) {
    DOMAIN.synchronize();
    data.free();
}

/// The 6.17 contract: `SIGNALED` tested inside the section.
pub enum Rcu {}

impl Scheme for Rcu {
    const NAME: &'static str = "rcu";
    const SUMMARY: &'static str = "loom: the 6.17 contract on a per-execution RCU domain";
    type Driver = ();
    type PerFence = ();

    fn per_fence(_: &(), _: &DriverRef) {}

    fn section<R>(_: FenceView<'_, ()>, f: impl FnOnce(bool) -> R) -> R {
        read_section(|| f(true))
    }

    fn reclaim(_: &(), data: &DriverRef) {
        free_after_grace_period(data);
    }

    fn quiesce() {}

    fn mechanism() -> &'static str {
        "loom"
    }
}

/// The fence's `ops` pointer: the driver data's address, 0 once detached.
pub struct OpsPtr(AtomicUsize);

/// The 7.x contract: the `ops` pointer cleared under the fence lock at signal.
pub enum RcuDetach {}

impl Scheme for RcuDetach {
    const NAME: &'static str = "rcu-detach";
    const SUMMARY: &'static str = "loom: the 7.x contract on a per-execution RCU domain";
    const GENERATION: crate::Generation = crate::Generation::V7;
    const CHECKS_SIGNALED_BIT: bool = false;
    const INLINE_LOCK: bool = true;
    type Driver = ();
    type PerFence = OpsPtr;

    fn per_fence(_: &(), data: &DriverRef) -> OpsPtr {
        OpsPtr(AtomicUsize::new(data.addr()))
    }

    fn section<R>(fence: FenceView<'_, OpsPtr>, f: impl FnOnce(bool) -> R) -> R {
        // Acquire: pairs with the Release clear in `detach`.
        read_section(|| f(fence.per_fence.0.load(Acquire) != 0))
    }

    fn detach(ops: &OpsPtr) {
        // Release: pairs with the reader's Acquire load.
        ops.0.store(0, Release);
    }

    fn reclaim(_: &OpsPtr, data: &DriverRef) {
        free_after_grace_period(data);
    }

    fn quiesce() {}

    fn mechanism() -> &'static str {
        "loom"
    }
}

loom::lazy_static! {
    static ref HAZARDS: crate::hazptr::Domain = crate::hazptr::Domain::new();
    /// Retired objects a scan found protected, for the next scan.
    static ref RETIRED: crate::sync::Mutex<Vec<DriverRef>> = crate::sync::Mutex::new(Vec::new());
}

/// Hazard pointers re-validated by `SIGNALED` (the 6.17 contract), on the real
/// `hazptr::Domain`: a record acquired per section, and a scan at every retirement.
pub enum Hazptr {}

impl Scheme for Hazptr {
    const NAME: &'static str = "hazptr";
    const SUMMARY: &'static str = "loom: hazard pointers on a per-execution domain";
    type Driver = ();
    type PerFence = ();

    fn per_fence(_: &(), _: &DriverRef) {}

    fn section<R>(fence: FenceView<'_, ()>, f: impl FnOnce(bool) -> R) -> R {
        let record = HAZARDS.acquire();
        record.protect(fence.data.addr());
        let result = f(true);
        HAZARDS.release(&record);
        result
    }

    fn reclaim(_: &(), data: &DriverRef) {
        let mut retired = RETIRED.lock().unwrap();
        retired.push(data.clone());
        HAZARDS.scan(&mut retired);
    }

    /// Scans what earlier scans left (call once the readers are done).
    fn quiesce() {
        HAZARDS.scan(&mut RETIRED.lock().unwrap());
    }

    fn mechanism() -> &'static str {
        "loom"
    }
}

/// The driver's SRCU domain, made with its timeline inside the execution.
pub struct SrcuDomain<F: Flavor>(std::sync::Arc<crate::srcu::Domain<F>>);

impl<F: Flavor> Default for SrcuDomain<F> {
    fn default() -> Self {
        SrcuDomain(Default::default())
    }
}

/// Sleepable RCU with readers of flavour `F` on the real `srcu::Domain`, one per driver;
/// reclamation waits for a grace period of the driver's domain and frees synchronously
/// in the signaller.
pub struct Srcu<F>(std::marker::PhantomData<F>);

impl<F: Flavor> Scheme for Srcu<F> {
    const NAME: &'static str = F::NAME;
    const SUMMARY: &'static str = "loom: SRCU on the driver's own domain";
    type Driver = SrcuDomain<F>;
    type PerFence = std::sync::Arc<crate::srcu::Domain<F>>;

    fn per_fence(driver: &SrcuDomain<F>, _: &DriverRef) -> Self::PerFence {
        driver.0.clone()
    }

    fn section<R>(fence: FenceView<'_, Self::PerFence>, f: impl FnOnce(bool) -> R) -> R {
        fence.per_fence.read(0, || f(true))
    }

    fn reclaim(domain: &Self::PerFence, data: &DriverRef) {
        domain.synchronize();
        data.free();
    }

    fn quiesce() {}

    fn mechanism() -> &'static str {
        "loom"
    }
}

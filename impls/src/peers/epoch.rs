//! `rcu-crossbeam`: the 6.17 contract on `crossbeam-epoch`, the epoch-based reclamation
//! a Rust user reaches for first.
//!
//! What it models: the read-side section is a pinned [`crossbeam_epoch::Guard`]
//! (`rcu_read_lock` … `rcu_read_unlock`), inside which the fence's `SIGNALED` bit is
//! tested; the exporter's free is deferred on a pinned guard (`call_rcu(kfree)`) and runs
//! once the global epoch has advanced twice past it, i.e. after every section that could
//! have seen the fence unsignalled has ended. Faithful: the reader publishes its epoch and
//! then issues a full fence (`pin` is a `lock cmpxchg` on x86-64) before testing the bit,
//! and the writer's deferral sits behind the `SeqCst` fence crossbeam issues when it seals
//! a bag, so a reader either sees `SIGNALED` or is seen pinned by the epoch advance.
//!
//! Where the library differs from kernel RCU: the reader pays a full fence per section
//! (no asymmetric barrier), the deferral itself needs a pinned guard on the signaller, and
//! there is no grace-period thread. Deferred frees sit in the retiring thread's bag (up to
//! 64) until it fills, and bags are collected opportunistically, 8 per collection, by
//! threads that pin (every 128th pin) or flush, readers included, so a reader sometimes
//! pays for frees. Retained memory is bounded only by how often someone pins, and a
//! stalled reader stops the epoch and with it all reclamation, exactly as it stops an RCU
//! grace period.

use super::backlog::{Backlog, RetiredData, ThreadBacklog};
use crate::memory::pool::DriverRef;
use crate::model::scheme::{FenceView, Scheme};

/// Exited threads need no drain of their own: crossbeam pushes a thread's bag to the
/// global queue when the thread exits, where any later flush collects it.
static BACKLOG: Backlog = Backlog::new(RcuCrossbeam::NAME, None);

thread_local! {
    static LOCAL: ThreadBacklog = BACKLOG.register();
}

pub enum RcuCrossbeam {}

impl Scheme for RcuCrossbeam {
    const NAME: &'static str = "rcu-crossbeam";
    const SUMMARY: &'static str =
        "the 6.17 contract on crossbeam-epoch: pinned guard + SIGNALED, deferred free";

    type Driver = ();

    type PerFence = ();

    fn per_fence(_: &(), _: &DriverRef) {}

    #[inline]
    fn section<R>(_: FenceView<'_, ()>, f: impl FnOnce(bool) -> R) -> R {
        let _pinned = crossbeam_epoch::pin();
        f(true)
    }

    /// Defers the free on a pinned guard. The closure owns its own `DriverRef`, so it is
    /// `Send + 'static` and the safe `defer` suffices (no `defer_unchecked`).
    fn reclaim(_: &(), data: &DriverRef) {
        let retired = RetiredData::new(data.clone(), BACKLOG.ticket(&LOCAL));
        // Planted: the free is not deferred on the epoch.
        #[cfg(fencebench_plant = "crossbeam-free-at-once")]
        return drop(retired);
        #[cfg_attr(fencebench_plant = "crossbeam-free-at-once", allow(unreachable_code))]
        crossbeam_epoch::pin().defer(move || drop(retired));
    }

    /// Pins and flushes until everything this thread and exited threads deferred has run.
    /// Each flush pushes this thread's bag to the global queue, tries to advance the epoch
    /// and collects up to 8 expired bags, so a large backlog takes many rounds. Exited
    /// threads' bags reach the global queue at their exit, where any flush collects them;
    /// a live thread's bag is its own to flush. A reader pinned throughout stops the epoch:
    /// then this gives up after a deadline, with a warning.
    fn quiesce() {
        BACKLOG.settle(&LOCAL, || crossbeam_epoch::pin().flush());
    }

    fn mechanism() -> &'static str {
        "crossbeam-epoch"
    }
}

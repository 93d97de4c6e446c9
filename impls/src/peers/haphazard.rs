//! `hazptr-haphazard`: hazard pointers from the `haphazard` crate (a port of folly's),
//! applied the way the library requires: to a pointer that writers clear.
//!
//! What it models: the 7.1 detachable `ops` pointer. Each fence holds a haphazard
//! [`AtomicPtr`] to a heap [`Holder`] that owns a handle to the driver data; a reader
//! protects that pointer with one of its thread's hazard pointers (null = detached, so
//! readers test the pointer, never `SIGNALED`), and signalling swaps it to null and
//! retires the holder, whose drop frees the driver data once no hazard covers it.
//!
//! How faithful, and where the crate forces a deviation:
//! - haphazard protects what it loaded from an `AtomicPtr` and validates by reloading
//!   that pointer, so the fence needs a pointer to clear. The 6.17 variant (protect, then
//!   re-validate with `SIGNALED`) would mean `protect_raw` plus a hand-written fence,
//!   bypassing the library's protocol. That makes this the 7.1 design, with an extra heap
//!   object per fence (the holder) and a second allocation per retirement (haphazard's
//!   retired-list node).
//! - haphazard 0.1.8 has no asymmetric barrier: protecting is a store, a `SeqCst` fence
//!   and a reload, so every read-side section pays a full fence where the hand-written
//!   `hazptr` pays a compiler barrier.
//! - Reclamation is global and lazy: the domain scans only once more objects are retired
//!   than max(1000, 2 × hazard pointers), or on a retirement two seconds after the last
//!   scan. Up to ~1000 freed-at-signal objects therefore wait at any time, independent
//!   of readers; a stalled reader still pins only the one holder it protects.
//! - Readers keep their hazard pointers in a thread-local stack: creating one per
//!   section would measure the domain's record allocation, not protection.
//!
//! The exporter's lock stays in driver data, as for `hazptr`, so the two differ only in
//! the library and in pointer-versus-bit detach.

use super::backlog::{Backlog, ThreadBacklog, Ticket};
use crate::memory::pool::DriverRef;
use crate::model::scheme::{FenceView, Scheme};
use haphazard::{AtomicPtr, Domain, HazardPointer};
use std::cell::{Cell, RefCell};
use std::sync::OnceLock;

/// Hazard pointers per thread: the depth of nested read sections supported.
const SLOTS: usize = 4;

/// Haphazard reclaims retired holders globally, so exited threads need no drain.
static BACKLOG: Backlog = Backlog::new(HazptrHaphazard::NAME, None);

/// The object the fence's pointer designates; haphazard frees it, and it frees the data.
pub struct Holder {
    data: DriverRef,
    /// Counts the holder in its retiring thread's backlog; set once, at retirement.
    ticket: OnceLock<Ticket>,
}

impl Drop for Holder {
    fn drop(&mut self) {
        // Planted: the data was already freed at signal.
        #[cfg(not(fencebench_plant = "haphazard-free-at-once"))]
        self.data.free();
    }
}

/// The fence's detachable `ops` pointer: its holder, null once detached.
pub struct OpsPtr(AtomicPtr<Holder>);

struct Hazards {
    slots: [RefCell<HazardPointer<'static>>; SLOTS],
    depth: Cell<usize>,
}

thread_local! {
    static HAZARDS: Hazards = Hazards {
        slots: std::array::from_fn(|_| RefCell::new(HazardPointer::new())),
        depth: Cell::new(0),
    };
    static LOCAL: ThreadBacklog = BACKLOG.register();
}

/// The innermost protected holder of a thread; the hazard is reset on drop (also on
/// unwind). Borrows the thread's hazard pointers, so it cannot outlive them.
struct Protected<'h>(&'h Hazards);

impl Drop for Protected<'_> {
    #[inline]
    fn drop(&mut self) {
        let d = self.0.depth.get() - 1;
        self.0.slots[d].borrow_mut().reset_protection();
        self.0.depth.set(d);
    }
}

/// A section on a hazard pointer made for it alone: a thread-local destructor that runs
/// after this thread's hazard pointers were dropped.
#[cold]
fn with_temporary_hazard<R>(ops: &OpsPtr, f: impl FnOnce(bool) -> R) -> R {
    let mut hazard = HazardPointer::new();
    let attached = ops.0.safe_load(&mut hazard).is_some();
    f(attached)
}

pub enum HazptrHaphazard {}

impl Scheme for HazptrHaphazard {
    const NAME: &'static str = "hazptr-haphazard";
    const SUMMARY: &'static str =
        "haphazard hazard pointer on a detachable ops pointer, cleared and retired at signal";

    type Driver = ();

    type PerFence = OpsPtr;

    fn per_fence(_: &(), data: &DriverRef) -> OpsPtr {
        OpsPtr(AtomicPtr::from(Box::new(Holder {
            data: data.clone(),
            ticket: OnceLock::new(),
        })))
    }

    #[inline]
    fn section<R>(fence: FenceView<'_, OpsPtr>, f: impl FnOnce(bool) -> R) -> R {
        // As in `rcu::read_section`: the result is returned directly.
        match HAZARDS.try_with(|h| h as *const Hazards) {
            Ok(hazards) => {
                // SAFETY: `hazards` points to this thread's live hazard pointers,
                // destroyed only when the thread exits: after this frame returned, or in
                // the destructor loop, one destructor at a time.
                let h = unsafe { &*hazards };
                let d = h.depth.get();
                assert!(
                    d < SLOTS,
                    "hazard-pointer sections nested deeper than {SLOTS}"
                );
                // The protection outlives the returned reference: it lasts until
                // `Protected` resets this slot.
                let attached = fence
                    .per_fence
                    .0
                    .safe_load(&mut h.slots[d].borrow_mut())
                    .is_some();
                h.depth.set(d + 1);
                let _protected = Protected(h);
                f(attached)
            }
            Err(_) => with_temporary_hazard(fence.per_fence, f),
        }
    }

    const CHECKS_SIGNALED_BIT: bool = false;
    const GENERATION: crate::contract::Generation = crate::contract::Generation::V7;

    /// The 7.x detach point: the pointer is cleared and the holder retired; it frees
    /// the data once no hazard covers it.
    fn detach(ops: &OpsPtr) {
        // SAFETY: null is a valid value for a haphazard `AtomicPtr` (see `AtomicPtr::new`).
        let Some(old) = (unsafe { ops.0.swap_ptr(std::ptr::null_mut()) }) else {
            return;
        };
        // SAFETY: the holder is still allocated: only the `retire` below hands it over.
        let holder = unsafe { (*old).as_ref() };
        let _ = holder.ticket.set(BACKLOG.ticket(&LOCAL));
        // Planted: the data is freed without waiting for readers' hazards.
        #[cfg(fencebench_plant = "haphazard-free-at-once")]
        holder.data.free();
        // SAFETY: the pointer is null from here on and a holder is stored only once, at
        // fence creation, so no later load returns it; the swap gave it to this call
        // alone, so it is retired once.
        unsafe { old.retire() };
    }

    /// Nothing left to do: [`detach`](Scheme::detach) retired the holder.
    fn reclaim(_: &OpsPtr, _: &DriverRef) {}

    /// Reclaims every retired holder no hazard covers, until everything this thread and
    /// exited threads retired is freed: another thread's scan may hold some of them for a
    /// moment, and a reader that keeps a holder protected makes this give up after a
    /// deadline, with a warning.
    fn quiesce() {
        BACKLOG.settle(&LOCAL, || {
            Domain::global().eager_reclaim();
        });
    }

    fn mechanism() -> &'static str {
        "haphazard"
    }
}

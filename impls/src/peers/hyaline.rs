//! `hyaline-seize`: the 6.17 contract on `seize`, the Hyaline reference-counted
//! reclamation scheme as a Rust user gets it.
//!
//! What it models: the read-side section is a seize guard (`Collector::enter`), inside
//! which the fence's `SIGNALED` bit is tested; the exporter retires the driver data to the
//! collector, which frees it once every thread that was inside a section when it was
//! handed off has left. One process-wide collector, like the kernel's single RCU.
//!
//! How faithful, and where seize forces a deviation:
//! - The pool's driver data is not a heap object seize can own, so each retirement boxes
//!   a handle to it (one allocation per signal) and seize frees the box, which frees the
//!   data. Readers never touch the box.
//! - seize's reader side is a relaxed store and a compiler barrier on `enter` and one
//!   atomic swap on leave; retirement issues the heavy barrier (`membarrier`, or an
//!   `mprotect` IPI on x86 where the syscall is refused). Under those strategies the
//!   `SIGNALED` test may be the fence's ordinary acquire load. seize's own
//!   `Guard::protect` loads with `SeqCst`, which only its fallback strategy (no
//!   membarrier on a non-x86 CPU) relies on; the fence's bit test cannot be routed
//!   through `protect`, so on such a machine this would be weaker than seize intends.
//! - Retirements are batched per thread: nothing is reclaimed until a thread has 32
//!   (or, with more CPUs, the CPU count rounded up to a power of two), and a batch is
//!   handed off only when it holds at least as many objects as threads are then inside
//!   sections. The last of those threads to leave frees the batch, often a reader. A
//!   batch handed off while a reader is stalled (or preempted inside its section) is held
//!   until that reader leaves, so, as with RCU, a stalled reader retains everything
//!   retired during its stall: seize implements Hyaline-1, not the robust Hyaline-1S.
//! - seize 0.5 keeps an exited thread's unflushed batch under its thread ID until a new
//!   thread reuses the ID, so an exiting thread here flushes its batch and waits
//!   (bounded) for it to be freed; this lengthens thread exit, not measured operations.
//!   `Collector::reclaim_all` is never used: it is sound only while no thread is in a
//!   section anywhere, which quiesce cannot promise.

use super::backlog::{Backlog, RetiredData, ThreadBacklog};
use crate::memory::pool::DriverRef;
use crate::model::scheme::{FenceView, Scheme};
use seize::{reclaim, Collector, Guard};
use std::sync::LazyLock;

static COLLECTOR: LazyLock<Collector> = LazyLock::new(Collector::new);

static BACKLOG: Backlog = Backlog::new(HyalineSeize::NAME, Some(flush));

thread_local! {
    static LOCAL: ThreadBacklog = {
        // Registers seize's own thread-local (the thread ID) first: thread-local
        // destructors run in reverse order of registration, so the exit drain below still
        // finds this thread's seize ID, and its batch.
        drop(COLLECTOR.enter());
        BACKLOG.register()
    };
}

/// Hands this thread's batch to seize's reference counting (if it holds at least as many
/// objects as threads are in sections); the batch is freed when the last of those threads
/// leaves, which may be this one as the guard drops.
fn flush() {
    COLLECTOR.enter().flush();
}

pub enum HyalineSeize {}

impl Scheme for HyalineSeize {
    const NAME: &'static str = "hyaline-seize";
    const SUMMARY: &'static str =
        "the 6.17 contract on seize (Hyaline): guard + SIGNALED, batched reference-counted free";

    type Driver = ();

    type PerFence = ();

    fn per_fence(_: &(), _: &DriverRef) {}

    #[inline]
    fn section<R>(_: FenceView<'_, ()>, f: impl FnOnce(bool) -> R) -> R {
        let _entered = COLLECTOR.enter();
        f(true)
    }

    fn reclaim(_: &(), data: &DriverRef) {
        let retired = Box::new(RetiredData::new(data.clone(), BACKLOG.ticket(&LOCAL)));
        // Planted: the free is not retired to seize.
        #[cfg(fencebench_plant = "seize-free-at-once")]
        return drop(retired);
        // SAFETY: the box is this call's alone and never shared, so no thread can reach it
        // after retirement; what readers can still reach is the driver data, and the fence
        // set SIGNALED before retiring, so a section entered after this retirement's heavy
        // barrier sees it and stays off the data, while one already inside is counted by
        // the batch. The pointer comes from `Box::into_raw`, as `reclaim::boxed` requires,
        // and seize runs the reclaimer once.
        unsafe { COLLECTOR.retire(Box::into_raw(retired), reclaim::boxed::<RetiredData>) };
    }

    /// Flushes this thread's batch until everything this thread and exited threads
    /// retired has been freed (exited threads flushed their own at exit). A flush fails
    /// while more threads are in sections than the batch holds objects, and a handed-off
    /// batch waits for every reader it was attached to; a reader that never leaves makes
    /// this give up after a deadline, with a warning.
    fn quiesce() {
        BACKLOG.settle(&LOCAL, flush);
    }

    fn mechanism() -> &'static str {
        "seize"
    }
}

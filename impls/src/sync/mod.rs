//! The lowest layer: atomics, fences and locks, switched to loom's models under
//! `cfg(fencebench_loom)` so the reclamation protocols can be model-checked with the
//! exact code that is benchmarked; the asymmetric barriers; the backoff of every wait
//! loop; the clock.

pub mod backoff;
pub mod clock;
pub mod membarrier;

#[cfg(fencebench_loom)]
pub(crate) use loom::sync::atomic::{
    fence, AtomicBool, AtomicI32, AtomicPtr, AtomicU64, AtomicUsize,
};
#[cfg(fencebench_loom)]
pub(crate) use loom::sync::Mutex;

#[cfg(not(fencebench_loom))]
pub(crate) use std::sync::atomic::{
    fence, AtomicBool, AtomicI32, AtomicPtr, AtomicU64, AtomicUsize,
};
#[cfg(not(fencebench_loom))]
pub(crate) use std::sync::Mutex;

/// Spin-wait hint that lets loom schedule another thread instead of spinning forever.
#[inline]
pub(crate) fn spin_hint() {
    #[cfg(fencebench_loom)]
    loom::thread::yield_now();
    #[cfg(not(fencebench_loom))]
    std::hint::spin_loop();
}

/// Yield the CPU while waiting for another thread (grace periods, contended locks).
#[inline]
pub(crate) fn yield_now() {
    #[cfg(fencebench_loom)]
    loom::thread::yield_now();
    #[cfg(not(fencebench_loom))]
    std::thread::yield_now();
}

/// Declares a constructor `const` where the atomics allow it: loom's have no
/// `const fn new`, so under loom the same body is a plain `fn`, written once for both.
macro_rules! const_unless_loom {
    ($(#[$m:meta])* $vis:vis fn $name:ident() -> $ret:ty $body:block) => {
        #[cfg(not(fencebench_loom))]
        $(#[$m])*
        $vis const fn $name() -> $ret $body

        #[cfg(fencebench_loom)]
        $(#[$m])*
        $vis fn $name() -> $ret $body
    };
}
pub(crate) use const_unless_loom;

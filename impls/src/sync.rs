//! Atomics, fences and locks, switched to loom's models under `cfg(fencebench_loom)` so the
//! reclamation protocols can be model-checked with the exact code that is benchmarked.

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

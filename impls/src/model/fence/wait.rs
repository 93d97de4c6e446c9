//! `dma_fence_default_wait`: spin on the `SIGNALED` bit, then park on a wake-up callback.

use super::GuardedFence;
use crate::contract::{AlreadySignaled, Fence, WaitOutcome, MIN_REMAINING};
use crate::model::scheme::Scheme;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::{Acquire, Release};
use std::sync::Arc;
use std::thread::Thread;
use std::time::Instant;

/// Spins of [`Fence::wait`] before it parks.
const WAIT_SPINS: u32 = 256;

/// The waiter's side of [`Fence::wait`]: woken by a callback queued on the fence.
struct Waiter {
    thread: Thread,
    woken: AtomicBool,
}

impl<S: Scheme> GuardedFence<S> {
    /// `dma_fence_default_wait`: spin briefly, then queue a wake-up callback and park.
    pub(super) fn wait_until(&self, deadline: Instant) -> WaitOutcome {
        let signaled = || {
            let left = deadline.saturating_duration_since(Instant::now());
            WaitOutcome::Signaled(left.max(MIN_REMAINING))
        };
        for _ in 0..WAIT_SPINS {
            // The bit alone, as `dma_fence_default_wait` tests it.
            if self.test_signaled_flag() {
                return signaled();
            }
            if Instant::now() >= deadline {
                return WaitOutcome::TimedOut;
            }
            std::hint::spin_loop();
        }
        let waiter = Arc::new(Waiter {
            thread: std::thread::current(),
            woken: AtomicBool::new(false),
        });
        let w = waiter.clone();
        let id = match self.add_callback(Box::new(move || {
            // Release: pairs with the waiter's Acquire load of `woken`.
            w.woken.store(true, Release);
            w.thread.unpark();
        })) {
            Ok(id) => id,
            Err(AlreadySignaled) => return signaled(),
        };
        loop {
            // Acquire: pairs with the callback's Release store.
            if waiter.woken.load(Acquire) || self.signaled() {
                return signaled();
            }
            let now = Instant::now();
            if now >= deadline {
                return if self.remove_callback(id) {
                    WaitOutcome::TimedOut
                } else {
                    signaled()
                };
            }
            S::offline(|| std::thread::park_timeout(deadline - now));
        }
    }
}

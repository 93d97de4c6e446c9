//! A per-fence spinlock: the Linux 7.1 inline fence lock, and the `lock`
//! implementation's reader lock. Compiled under loom too, so its protocol is modelled.

use crate::sync::{spin_hint, AtomicBool};
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};

/// A per-fence spinlock: the 7.1 inline lock, and the `lock` implementation's reader
/// lock. Test-and-test-and-set; holders never block.
#[derive(Default)]
pub struct InlineLock(AtomicBool);

/// The inline lock, held; released on drop.
pub struct InlineGuard<'a>(&'a InlineLock);

impl InlineLock {
    #[inline]
    pub fn lock(&self) -> InlineGuard<'_> {
        loop {
            if self
                .0
                // Acquire: pairs with the Release unlock: the critical section sees the last holder's writes.
                .compare_exchange_weak(false, true, Acquire, Relaxed)
                .is_ok()
            {
                return InlineGuard(self);
            }
            // Relaxed: only a hint to retry; the compare-exchange decides.
            while self.0.load(Relaxed) {
                spin_hint();
            }
        }
    }
}

impl Drop for InlineGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        // Release: pairs with the next holder's Acquire compare-exchange.
        self.0 .0.store(false, Release);
    }
}

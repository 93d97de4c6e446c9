//! Signal and retirement: `SIGNALED` set under the exporter's lock, the timestamp, the
//! 7.x detach point, the callbacks, and the driver data handed to the scheme once.

use super::{Inner, Locked, ENABLE_SIGNAL, RETIRED, SIGNALED, TIMESTAMP};
use crate::contract::AlreadySignaled;
use crate::model::scheme::Scheme;
use crate::sync::clock::now_ns;
use crate::trace::TraceEvent;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};

impl<S: Scheme> Inner<S> {
    /// `__dma_fence_enable_signaling`, called with the lock held: true if unsignalled.
    pub(super) fn enable_signaling_locked(&self) -> bool {
        // AcqRel: set ENABLE_SIGNAL before testing SIGNALED (the kernel's order), pairing
        // with signal's AcqRel set of SIGNALED.
        let was_set = self.flags.fetch_or(ENABLE_SIGNAL, AcqRel) & ENABLE_SIGNAL != 0;
        if self.signaled() {
            return false;
        }
        if !was_set {
            self.trace_direct(TraceEvent::EnableSignal);
        }
        true
    }

    /// `dma_fence_signal_timestamp_locked`. As in Linux 7.x, the data is detached right
    /// after `SIGNALED` is set and before callbacks run, so a callback that reads the
    /// names already sees the detached constants under every implementation.
    pub(super) fn signal_locked(&self, locked: &mut Locked) -> Result<(), AlreadySignaled> {
        // AcqRel: the Release half pairs with readers' Acquire test of the bit; the
        // Acquire half orders this after an earlier signaller's (there is none but us).
        if self.flags.fetch_or(SIGNALED, AcqRel) & SIGNALED != 0 {
            return Err(AlreadySignaled);
        }
        // Relaxed: published by the Release set of TIMESTAMP below.
        self.timestamp.store(now_ns(), Relaxed);
        // Release: pairs with the Acquire load of TIMESTAMP in `timestamp()`.
        self.flags.fetch_or(TIMESTAMP, Release);
        self.trace_direct(TraceEvent::Signaled);
        self.retire();
        for (_, cb) in std::mem::take(&mut locked.callbacks) {
            cb();
        }
        Ok(())
    }

    /// Hands driver data to retirement once (at signal, or at release of a fence never
    /// signalled) and detaches it; [`reclaim`](Scheme::reclaim) follows outside the lock.
    pub(super) fn retire(&self) {
        // AcqRel: exactly one caller retires; orders against the other's TIMESTAMP.
        if self.flags.fetch_or(RETIRED, AcqRel) & RETIRED == 0 {
            // Acquire: pairs with the Release set of TIMESTAMP; the timestamp below is then valid.
            let signaled_at = self.flags.load(Acquire) & TIMESTAMP != 0;
            let at = if signaled_at {
                // Relaxed: ordered by the Acquire load of TIMESTAMP above.
                self.timestamp.load(Relaxed)
            } else {
                now_ns()
            };
            self.data.retire(at);
            S::detach(&self.per_fence);
        }
    }

    /// `dma_fence_signal`. The lock is taken as [`with_lock`](Self::with_lock) takes it:
    /// a lock in driver data only inside a read-side section, after seeing the fence
    /// unsignalled, so a second signaller racing the first never touches data the first
    /// retired.
    pub(super) fn signal_fence(&self) -> Result<(), AlreadySignaled> {
        self.with_lock(|locked| self.signal_locked(locked))
            .unwrap_or(Err(AlreadySignaled))?;
        self.reclaim_at_signal();
        Ok(())
    }

    /// Schemes that reclaim at signal get the retired data now.
    pub(super) fn reclaim_at_signal(&self) {
        if S::RECLAIM_AT_SIGNAL {
            S::reclaim(&self.per_fence, &self.data);
        }
    }
}

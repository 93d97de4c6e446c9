//! Signal and retirement: `SIGNALED` set under the exporter's lock, the timestamp, the
//! 7.x detach point, the callbacks, in each generation's order, and the driver data
//! handed to the scheme once.

use super::{Inner, Locked, ENABLE_SIGNAL, RETIRED, SIGNALED, TIMESTAMP};
use crate::contract::{AlreadySignaled, Generation};
use crate::model::scheme::Scheme;
use crate::sync::clock::now_ns;
use crate::trace::TraceEvent;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};

impl<S: Scheme> Inner<S> {
    /// `__dma_fence_enable_signaling`, called with the lock held: true if unsignalled.
    /// The `enable_signal` tracepoint fires only for a driver with an `enable_signaling`
    /// op, which is then called (the model's op always agrees to signal later).
    pub(super) fn enable_signaling_locked(&self) -> bool {
        // AcqRel: set ENABLE_SIGNAL before testing SIGNALED (the kernel's order), pairing
        // with signal's AcqRel set of SIGNALED.
        let was_set = self.flags.fetch_or(ENABLE_SIGNAL, AcqRel) & ENABLE_SIGNAL != 0;
        if self.signaled() {
            return false;
        }
        if !was_set && self.enable_signaling_op {
            self.trace_direct(TraceEvent::EnableSignal);
        }
        true
    }

    /// `dma_fence_signal_timestamp_locked`, in its generation's order. 6.17: set
    /// `SIGNALED`, take the callbacks, store the timestamp and set `TIMESTAMP`, the
    /// `signaled` tracepoint, then (the model's exporter) retire the data. 7.1+: set
    /// `SIGNALED`, the `signaled` tracepoint (names read through `ops` before it can go),
    /// detach (clear `ops`, unless the driver keeps them), take the callbacks, then the
    /// timestamp and `TIMESTAMP`. Callbacks run last in both, so one that reads the names
    /// already sees the detached constants.
    pub(super) fn signal_locked(&self, locked: &mut Locked) -> Result<(), AlreadySignaled> {
        // AcqRel: the Release half pairs with readers' Acquire test of the bit; the
        // Acquire half orders this after an earlier signaller's (there is none but us).
        if self.flags.fetch_or(SIGNALED, AcqRel) & SIGNALED != 0 {
            return Err(AlreadySignaled);
        }
        let callbacks = match S::GENERATION {
            Generation::V6_17 => {
                let callbacks = std::mem::take(&mut locked.callbacks);
                self.stamp();
                self.trace_direct(TraceEvent::Signaled);
                self.retire();
                callbacks
            }
            Generation::V7 => {
                self.trace_direct(TraceEvent::Signaled);
                self.retire();
                let callbacks = std::mem::take(&mut locked.callbacks);
                self.stamp();
                callbacks
            }
        };
        for (_, cb) in callbacks {
            cb();
        }
        Ok(())
    }

    /// Stores the signal time and sets `TIMESTAMP`, which publishes it.
    fn stamp(&self) {
        // Relaxed: published by the Release set of TIMESTAMP below.
        self.timestamp.store(now_ns(), Relaxed);
        // Release: pairs with the Acquire load of TIMESTAMP in `timestamp()`.
        self.flags.fetch_or(TIMESTAMP, Release);
    }

    /// Hands driver data to retirement once (at signal, or at release of a fence never
    /// signalled) and detaches it, unless the driver keeps its ops (then release
    /// detaches it); [`reclaim`](Scheme::reclaim) follows outside the lock.
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
            if !(self.keeps_ops && self.signaled()) {
                S::detach(&self.per_fence);
            }
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

    /// Schemes that reclaim at signal get the retired data now, unless the driver keeps
    /// its ops (then the fence's release reclaims it).
    pub(super) fn reclaim_at_signal(&self) {
        if S::RECLAIM_AT_SIGNAL && !self.keeps_ops {
            S::reclaim(&self.per_fence, &self.data);
        }
    }
}

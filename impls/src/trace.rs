//! Tracepoint-style records. With tracing on, every fence event copies both names into a
//! record, as the kernel's `dma_fence` trace events do, so the access contract sits on
//! the hot path of every operation.

use crate::memory::pool::Name;
use std::sync::Arc;

/// The kernel's `dma_fence` trace events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TraceEvent {
    Init,
    Emit,
    EnableSignal,
    Signaled,
    WaitStart,
    WaitEnd,
    Destroy,
}

impl TraceEvent {
    /// Whether the event reads the names through the safe (protected, detached-aware)
    /// helpers, the `dma_fence` event class of `include/trace/events/dma_fence.h`: `emit`,
    /// `wait_start`, `wait_end`, `destroy`. `init`, `enable_signal` and `signaled` (the
    /// `dma_fence_ops` class) cannot race with signalling (before publication, under the
    /// fence lock having seen the fence unsignalled, in signal before `ops` is cleared)
    /// and call the driver's name ops directly.
    pub fn may_race_signal(self) -> bool {
        matches!(
            self,
            TraceEvent::Emit | TraceEvent::WaitStart | TraceEvent::WaitEnd | TraceEvent::Destroy
        )
    }
}

/// One trace record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceRecord {
    pub event: TraceEvent,
    pub driver: Name,
    pub timeline: Name,
    pub context: u64,
    pub seqno: u64,
}

/// Receives trace records; shared by all fences of a timeline.
pub type TraceSink = Arc<dyn Fn(&TraceRecord) + Send + Sync>;

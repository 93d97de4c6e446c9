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
    /// Whether the event can race with signalling, so must read the names through the
    /// safe (protected, detached-aware) helpers. `init`, `emit`, `enable_signal` and
    /// `signaled` fire from the exporter or under the fence lock and read them directly.
    pub fn may_race_signal(self) -> bool {
        matches!(
            self,
            TraceEvent::WaitStart | TraceEvent::WaitEnd | TraceEvent::Destroy
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

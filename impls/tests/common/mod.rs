//! Helpers shared by the integration tests.

use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Release;

/// Driver and timeline names differ, so an implementation that returns one for the other
/// (6.17's `dma_fence_timeline_name()` called the driver-name op) fails.
pub const DRIVER: &str = "fb-driver";
pub const TIMELINE: &str = "fb-timeline-7";

/// Sets its flag when dropped, so a thread that panics still releases the threads
/// waiting on it and the test fails instead of hanging.
pub struct SetOnDrop<'a>(pub &'a AtomicBool);

impl Drop for SetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Release);
    }
}

//! The process's clock: fence timestamps, the pool's retirement ages and the kernel
//! check's signal windows all read it.

use std::sync::OnceLock;
use std::time::Instant;

/// Nanoseconds since the process's clock epoch: the fence timestamp.
pub fn now_ns() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let epoch = *EPOCH.get_or_init(Instant::now);
    epoch.elapsed().as_nanos() as u64
}

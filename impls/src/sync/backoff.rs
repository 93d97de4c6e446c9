//! The one backoff policy of every wait loop: spin, then yield, then sleep, with the
//! limits each loop chooses. A stalled reader (the `stall` workload holds one for
//! 100 ms) must not make a grace period, a scan or an unload burn a core.

use std::time::Duration;

/// Counts a loop's waits and picks the cheapest pause that still lets the waited-for
/// thread run.
#[derive(Clone, Copy)]
pub struct Backoff {
    waits: u32,
    spins: u32,
    yields: u32,
    sleep: Duration,
}

impl Backoff {
    /// Spin-hints while fewer than `spins` waits happened, then yields while fewer than
    /// `yields`, then sleeps 50 µs per wait.
    #[inline]
    pub const fn new(spins: u32, yields: u32) -> Self {
        Backoff {
            waits: 0,
            spins,
            yields,
            sleep: Duration::from_micros(50),
        }
    }

    /// Never sleeps: past the spins, yields for good.
    #[inline]
    pub const fn spin_then_yield(spins: u32) -> Self {
        Self::new(spins, u32::MAX)
    }

    /// The same with `sleep` per wait once the yields are spent.
    #[inline]
    pub const fn sleeping(self, sleep: Duration) -> Self {
        Backoff { sleep, ..self }
    }

    /// One pause.
    #[inline]
    pub fn wait(&mut self) {
        self.waits = self.waits.saturating_add(1);
        if self.waits < self.spins {
            super::spin_hint();
        } else if self.waits < self.yields {
            super::yield_now();
        } else {
            sleep(self.sleep);
        }
    }
}

#[cfg(not(fencebench_loom))]
use std::thread::sleep;

/// Loom has no time: a sleep is a yield, which lets loom schedule another thread.
#[cfg(fencebench_loom)]
fn sleep(_: Duration) {
    super::yield_now();
}

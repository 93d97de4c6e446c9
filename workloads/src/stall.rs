//! `stall`: one reader holds its read-side protection for a long time (default 100 ms
//! per stall) while signallers run at full rate. What the reclamation scheme then holds
//! back is the point: RCU cannot end a grace period, so everything retired during the
//! stall waits; a hazard pointer pins only the one object it covers; refcounting pins
//! what fence references (here, the staller's snapshot) keep alive. The pools track
//! retire-to-free delay; the harness samples retained objects over time.
//!
//! By default each signaller drives a driver (a timeline) of its own and the staller
//! stalls on each in turn. With `--drivers N` there are N drivers, every signaller signals
//! on all of them in turn, and the staller holds its sections on driver 0 only: the
//! harness then reports the stalled driver's retained data apart from the others', which
//! is what separates per-driver domains (`srcu`: only driver 0's data waits) from one
//! process-wide domain (`rcu`: every driver's data waits).

use crate::ring::{Ring, Snapshot};
use crate::{split, Ctx, Params, Role, Unsupported, WorkerReport, Workload};
use fencebench_impls::{Fence, Implementation, Operation, Pool, Timeline, TimelineConfig};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The most drivers `--drivers` accepts: each is a timeline with a ring per signaller.
pub const MAX_DRIVERS: usize = 64;

pub struct Stall<I: Implementation> {
    timelines: Vec<I::Timeline>,
    /// Ring `d * signallers + s` is signaller `s`'s on driver `d`, so the stalled
    /// driver's rings come first.
    rings: Vec<Ring<I::Fence>>,
    /// The timeline each ring's fences come from.
    ring_timeline: Vec<usize>,
    /// Rings per signaller: the drivers it signals on.
    drivers: usize,
    signallers: usize,
    /// `--drivers` given: the first pool is the stalled driver's.
    split: bool,
    roles: [Role; 2],
    stall: Duration,
}

pub enum Worker<F> {
    Signaller {
        index: usize,
        /// The driver signalled next, and the ring position on each.
        driver: usize,
        pos: Vec<usize>,
    },
    Staller {
        snapshot: Snapshot<F>,
    },
}

impl<I: Implementation> Workload<I> for Stall<I> {
    const NAME: &'static str = "stall";
    const POLL_EVERY: u32 = 1;
    type Worker = Worker<I::Fence>;

    fn new(p: &Params) -> Result<Self, Unsupported> {
        Unsupported::check::<I>(Operation::HoldNames)?;
        Unsupported::need_threads("stall", 2, "a signaller and the stalled reader", p.threads)?;
        let (signallers, stallers) = split("stall", p.threads, p.signallers, |t| t - 1, 1)?;
        if signallers == 0 {
            return Err(Unsupported::NoSignaller { workload: "stall" });
        }
        if let Some(d) = p.drivers.filter(|d| !(1..=MAX_DRIVERS).contains(d)) {
            return Err(Unsupported::OutOfRange {
                what: "stall --drivers",
                value: d,
                min: 1,
                max: MAX_DRIVERS,
            });
        }
        let (timelines, ring_timeline): (Vec<I::Timeline>, Vec<usize>) = match p.drivers {
            // Today's shape: a driver per signaller, one ring each.
            None => (
                (0..signallers)
                    .map(|i| timeline::<I>("fb-gpu", i))
                    .collect(),
                (0..signallers).collect(),
            ),
            Some(drivers) => (
                (0..drivers)
                    .map(|d| timeline::<I>(&format!("fb-gpu-{d}"), d))
                    .collect(),
                (0..drivers * signallers).map(|r| r / signallers).collect(),
            ),
        };
        let rings = ring_timeline
            .iter()
            .map(|&t| Ring::new(&timelines[t], p.in_flight.max(1)))
            .collect();
        Ok(Stall {
            timelines,
            rings,
            ring_timeline,
            drivers: p.drivers.unwrap_or(1),
            signallers,
            split: p.drivers.is_some(),
            roles: [
                Role {
                    name: "signaller",
                    threads: signallers,
                    primary: true,
                },
                Role {
                    name: "staller",
                    threads: stallers,
                    primary: false,
                },
            ],
            stall: p.stall,
        })
    }

    fn roles(&self) -> &[Role] {
        &self.roles
    }

    fn worker(&self, role: usize, index: usize) -> Self::Worker {
        match role {
            0 => Worker::Signaller {
                index,
                driver: 0,
                pos: vec![0; self.drivers],
            },
            _ => Worker::Staller {
                snapshot: Snapshot::new(1, index),
            },
        }
    }

    fn op(&self, w: &mut Self::Worker, ctx: &Ctx) {
        match w {
            Worker::Signaller { index, driver, pos } => {
                let ring = *driver * self.signallers + *index;
                let timeline = &self.timelines[self.ring_timeline[ring]];
                let old = self.rings[ring].advance(timeline, &mut pos[*driver]);
                *driver = (*driver + 1) % self.drivers;
                old.signal();
            }
            Worker::Staller { snapshot } => {
                // Driver 0's rings (every ring when each signaller has its own driver).
                let fences = snapshot.get(&self.rings[..self.signallers]);
                // The newest fences are the least likely to be signalled mid-stall.
                let fence = fences
                    .iter()
                    .rev()
                    .find(|f| !f.is_signaled())
                    .unwrap_or(&fences[0]);
                let end = Instant::now() + self.stall;
                fence.with_names(|_, _| {
                    while !ctx.stopping() {
                        let left = end.saturating_duration_since(Instant::now());
                        if left.is_zero() {
                            break;
                        }
                        std::thread::sleep(left.min(Duration::from_millis(1)));
                    }
                });
            }
        }
    }

    fn finish(&self, _: Self::Worker) -> WorkerReport {
        WorkerReport::default()
    }

    fn pools(&self) -> Vec<Arc<Pool>> {
        self.timelines.iter().map(|t| t.pool().clone()).collect()
    }

    fn stalled_pools(&self) -> Option<usize> {
        self.split.then_some(1)
    }
}

/// Driver `driver`'s timeline `fb-ring-<index>`, whose pool tracks retire-to-free delay.
fn timeline<I: Implementation>(driver: &str, index: usize) -> I::Timeline {
    let config = TimelineConfig::new(driver, &format!("fb-ring-{index}"))
        .with_pool(Pool::with_delay_tracking());
    I::timeline(config)
}

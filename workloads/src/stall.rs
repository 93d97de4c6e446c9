//! `stall`: one reader holds its read-side protection for a long time (default 100 ms
//! per stall) while signallers run at full rate. What the reclamation scheme then holds
//! back is the point: RCU cannot end a grace period, so everything retired during the
//! stall waits; a hazard pointer pins only the one object it covers; refcounting pins
//! what fence references (here, the staller's snapshot) keep alive. The pools track
//! retire-to-free delay; the harness samples retained objects over time.

use crate::ring::{Ring, Snapshot};
use crate::{split, Ctx, Params, Role, Unsupported, WorkerReport, Workload};
use fencebench_impls::{Fence, Implementation, Operation, Pool, Timeline, TimelineConfig};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct Stall<I: Implementation> {
    timelines: Vec<I::Timeline>,
    rings: Vec<Ring<I::Fence>>,
    roles: [Role; 2],
    stall: Duration,
}

pub enum Worker<F> {
    Signaller { index: usize, pos: usize },
    Staller { snapshot: Snapshot<F> },
}

impl<I: Implementation> Workload<I> for Stall<I> {
    const NAME: &'static str = "stall";
    const POLL_EVERY: u32 = 1;
    type Worker = Worker<I::Fence>;

    fn new(p: &Params) -> Result<Self, Unsupported> {
        if let Some(reason) = I::unsupported(Operation::HoldNames) {
            return Err(Unsupported(format!("{}: {reason}", I::NAME)));
        }
        if p.threads < 2 {
            return Err(Unsupported(format!(
                "stall needs at least 2 threads (a signaller and the stalled reader), got {}",
                p.threads
            )));
        }
        let (signallers, stallers) = split("stall", p.threads, p.signallers, |t| t - 1, 1)?;
        if signallers == 0 {
            return Err(Unsupported("stall needs at least 1 signaller".into()));
        }
        let timelines: Vec<I::Timeline> = (0..signallers)
            .map(|i| {
                let config = TimelineConfig::new("fb-gpu", &format!("fb-ring-{i}"))
                    .with_pool(Pool::with_delay_tracking());
                I::timeline(config)
            })
            .collect();
        let rings = timelines
            .iter()
            .map(|t| Ring::new(t, p.in_flight.max(1)))
            .collect();
        Ok(Stall {
            timelines,
            rings,
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
            0 => Worker::Signaller { index, pos: 0 },
            _ => Worker::Staller {
                snapshot: Snapshot::new(1, index),
            },
        }
    }

    fn op(&self, w: &mut Self::Worker, ctx: &Ctx) {
        match w {
            Worker::Signaller { index, pos } => {
                let old = self.rings[*index].advance(&self.timelines[*index], pos);
                let _ = old.signal();
            }
            Worker::Staller { snapshot } => {
                let fences = snapshot.get(&self.rings);
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
}

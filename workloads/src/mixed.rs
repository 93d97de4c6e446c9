//! `mixed`: every thread runs the same operation mix (default 90% describe, 9% wait
//! poll, 1% signal by operation), on its own timeline's ring and snapshots of the others'.

use crate::ring::{rings_for, Ring, Snapshot};
use crate::{Ctx, Mix, Params, Rng, Role, Unsupported, WorkerReport, Workload};
use fencebench_impls::{Fence, Implementation, Pool, Timeline};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

pub struct Mixed<I: Implementation> {
    timelines: Vec<I::Timeline>,
    rings: Vec<Ring<I::Fence>>,
    roles: [Role; 1],
    mix: Mix,
    refresh_every: u32,
}

pub struct Worker<F> {
    index: usize,
    pos: usize,
    snapshot: Snapshot<F>,
    rng: Rng,
}

impl<I: Implementation> Workload<I> for Mixed<I> {
    const NAME: &'static str = "mixed";
    type Worker = Worker<I::Fence>;

    fn new(p: &Params) -> Result<Self, Unsupported> {
        let (timelines, rings) = rings_for::<I>(p.threads, p.in_flight, |_, c| c);
        Ok(Mixed {
            timelines,
            rings,
            roles: [Role {
                name: "mixed",
                threads: p.threads,
                primary: true,
            }],
            mix: p.mix,
            refresh_every: p.refresh_every,
        })
    }

    fn roles(&self) -> &[Role] {
        &self.roles
    }

    fn worker(&self, _role: usize, index: usize) -> Self::Worker {
        Worker {
            index,
            pos: 0,
            snapshot: Snapshot::new(self.refresh_every, index + 1),
            rng: Rng::new(index as u64 + 101),
        }
    }

    #[inline]
    fn op(&self, w: &mut Self::Worker, _: &Ctx) {
        let pick = (w.rng.next() % 100) as u8;
        if pick < self.mix.describe + self.mix.wait {
            let fences = w.snapshot.get(&self.rings);
            let fence = &fences[w.rng.below(fences.len())];
            if pick < self.mix.describe {
                black_box(fence.info());
            } else {
                black_box(fence.wait(Duration::ZERO));
            }
        } else {
            let old = self.rings[w.index].advance(&self.timelines[w.index], &mut w.pos);
            old.signal();
        }
    }

    fn finish(&self, _: Self::Worker) -> WorkerReport {
        WorkerReport::default()
    }

    fn pools(&self) -> Vec<Arc<Pool>> {
        self.timelines.iter().map(|t| t.pool().clone()).collect()
    }
}

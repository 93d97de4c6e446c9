//! `signal`: a GPU ring's completion path at full rate. Every thread owns a timeline and
//! loops create → emit → signal → put, so each operation includes handing the driver
//! data to the implementation's reclamation (free, defer, retire, or unref).

use crate::{Ctx, Params, Role, Unsupported, WorkerReport, Workload};
use fencebench_impls::{Fence, Implementation, Pool, Timeline, TimelineConfig};
use std::sync::Arc;

pub struct Signal<I: Implementation> {
    timelines: Vec<I::Timeline>,
    roles: [Role; 1],
}

impl<I: Implementation> Workload<I> for Signal<I> {
    const NAME: &'static str = "signal";
    type Worker = usize;

    fn new(p: &Params) -> Result<Self, Unsupported> {
        Ok(Signal {
            timelines: (0..p.threads)
                .map(|i| I::timeline(TimelineConfig::new("fb-gpu", &format!("fb-ring-{i}"))))
                .collect(),
            roles: [Role {
                name: "signaller",
                threads: p.threads,
                primary: true,
            }],
        })
    }

    fn roles(&self) -> &[Role] {
        &self.roles
    }

    fn worker(&self, _role: usize, index: usize) -> usize {
        index
    }

    #[inline]
    fn op(&self, &mut i: &mut usize, _: &Ctx) {
        let fence = self.timelines[i].create();
        fence.emit();
        fence.signal();
    }

    fn finish(&self, _: usize) -> WorkerReport {
        WorkerReport::default()
    }

    fn pools(&self) -> Vec<Arc<Pool>> {
        self.timelines.iter().map(|t| t.pool().clone()).collect()
    }
}

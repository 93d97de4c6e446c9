//! `section`: refscale's reader. One operation is one read-side section and nothing
//! else ([`Fence::section`]: enter protection, test `SIGNALED` or load the detachable
//! pointer, read one word of driver data, leave), so the figure is what protection costs
//! a reader, not what a whole `describe` costs.
//!
//! By default every thread is a reader on fences nobody signals (refscale's setting):
//! each reader walks its own snapshot of one ring round robin, taken once, so the loop
//! holds no lock, no refcount traffic and no random number. With `--signallers N`,
//! signallers retire driver data under the readers as `describe`'s do; readers then
//! refresh their snapshot every `refresh_every` operations (a lock and one reference per
//! fence, amortised) and sections on fences signalled since return `None`.

use crate::ring::{readers_and_signallers, rings_for, Ring, Snapshot};
use crate::{split, Ctx, Params, Role, Unsupported, WorkerReport, Workload};
use fencebench_impls::{Fence, Implementation, Pool, Timeline};
use std::hint::black_box;
use std::sync::Arc;

pub struct Section<I: Implementation> {
    timelines: Vec<I::Timeline>,
    rings: Vec<Ring<I::Fence>>,
    roles: [Role; 2],
    refresh_every: u32,
    signalled: bool,
}

pub enum Worker<F> {
    Reader { snapshot: Snapshot<F>, pos: usize },
    Signaller { index: usize, pos: usize },
}

impl<I: Implementation> Workload<I> for Section<I> {
    const NAME: &'static str = "section";
    type Worker = Worker<I::Fence>;

    fn new(p: &Params) -> Result<Self, Unsupported> {
        let (signallers, readers) = split("section", p.threads, p.signallers, |_| 0, 1)?;
        let (timelines, rings) = rings_for::<I>(signallers.max(1), p.in_flight, |_, c| c);
        Ok(Section {
            timelines,
            rings,
            roles: readers_and_signallers(readers, signallers),
            // Without signallers nothing changes: one snapshot serves the whole run.
            refresh_every: if signallers == 0 {
                u32::MAX
            } else {
                p.refresh_every
            },
            signalled: signallers > 0,
        })
    }

    fn roles(&self) -> &[Role] {
        &self.roles
    }

    fn worker(&self, role: usize, index: usize) -> Self::Worker {
        match role {
            0 => {
                let mut snapshot = Snapshot::new(self.refresh_every, index);
                if !self.signalled {
                    // Taken here, outside the measured loop.
                    snapshot.get(&self.rings);
                }
                Worker::Reader { snapshot, pos: 0 }
            }
            _ => Worker::Signaller { index, pos: 0 },
        }
    }

    #[inline]
    fn op(&self, w: &mut Self::Worker, _: &Ctx) {
        match w {
            Worker::Reader { snapshot, pos } => {
                let fences = if self.signalled {
                    snapshot.get(&self.rings)
                } else {
                    &snapshot.fences
                };
                black_box(fences[*pos].section());
                *pos += 1;
                if *pos >= fences.len() {
                    *pos = 0;
                }
            }
            Worker::Signaller { index, pos } => {
                let old = self.rings[*index].advance(&self.timelines[*index], pos);
                old.signal();
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

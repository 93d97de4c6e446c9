//! `describe` and `trace`: readers read in-flight fences while signallers signal them.
//!
//! `describe` readers do what the `sync_file` info ioctl does: copy both names, seqno
//! and status out of a fence in one protected section, the status read with the fence's
//! lock held (as `dma_fence_get_status()` takes it), then the names again in a second
//! section (`sync_file_get_name()`); so readers contend with the signaller on that lock. `trace` turns tracing on, so every
//! event (init, emit, signaled, destroy on the signaller; enable_signal, wait_start,
//! wait_end on the readers' polls) copies both names into a record: the contract on the
//! hot path of every operation. Readers pick fences at random from a snapshot of a
//! signaller's ring; the signaller signals the oldest fence as it publishes a new one.
//!
//! The driver has a `signaled` op backed by a "hardware" seqno that the signaller advances
//! just before it signals, as a GPU completes a job before its interrupt is handled: a
//! reader's info (which asks `dma_fence_get_status()`) or poll in that window signals the
//! fence from the reader's side, as in the kernel.

use crate::ring::{readers_and_signallers, rings_for, Ring, Snapshot};
use crate::{split, Ctx, Params, Rng, Role, Unsupported, WorkerReport, Workload};
use fencebench_impls::trace::TraceSink;
use fencebench_impls::{Fence, Implementation, Operation, Pool, Timeline};
use std::cell::Cell;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering::Release};
use std::sync::Arc;
use std::time::Duration;

/// `describe` (`TRACE = false`) and `trace` (`TRACE = true`).
pub struct ReadRace<I: Implementation, const TRACE: bool> {
    timelines: Vec<I::Timeline>,
    /// Per timeline, the seqno its "hardware" completed (the driver's `signaled` op).
    hw: Vec<Arc<AtomicU64>>,
    rings: Vec<Ring<I::Fence>>,
    roles: [Role; 2],
    refresh_every: u32,
}

pub type Describe<I> = ReadRace<I, false>;
pub type Trace<I> = ReadRace<I, true>;

pub enum Worker<F> {
    Signaller { index: usize, pos: usize },
    Reader { snapshot: Snapshot<F>, rng: Rng },
}

thread_local! {
    /// Trace records this thread emitted (the sink is shared, the count is not).
    static RECORDS: Cell<u64> = const { Cell::new(0) };
}

/// A sink that counts records per thread; the record (names copied) is built before the
/// indirect call, so the copy cannot be optimised away.
fn counting_sink() -> TraceSink {
    Arc::new(|rec| {
        black_box(rec);
        RECORDS.with(|c| c.set(c.get() + 1));
    })
}

impl<I: Implementation, const TRACE: bool> Workload<I> for ReadRace<I, TRACE> {
    const NAME: &'static str = if TRACE { "trace" } else { "describe" };
    type Worker = Worker<I::Fence>;

    fn new(p: &Params) -> Result<Self, Unsupported> {
        let name = <Self as Workload<I>>::NAME;
        if TRACE {
            Unsupported::check::<I>(Operation::Tracing)?;
        }
        // One signaller per four threads; a single thread only reads (the refscale-like
        // pure reader cost), from one ring that nobody signals.
        let (signallers, readers) = split(
            name,
            p.threads,
            p.signallers,
            |t| if t >= 2 { (t / 4).max(1) } else { 0 },
            1,
        )?;
        let hw: Vec<Arc<AtomicU64>> = (0..signallers.max(1)).map(|_| Arc::default()).collect();
        let (timelines, rings) = rings_for::<I>(hw.len(), p.in_flight, |i, config| {
            let config = config.with_hw_seqno(hw[i].clone());
            if TRACE {
                config.with_trace(counting_sink())
            } else {
                config
            }
        });
        Ok(ReadRace {
            timelines,
            hw,
            rings,
            roles: readers_and_signallers(readers, signallers),
            refresh_every: p.refresh_every,
        })
    }

    fn roles(&self) -> &[Role] {
        &self.roles
    }

    fn worker(&self, role: usize, index: usize) -> Self::Worker {
        match role {
            0 => Worker::Reader {
                snapshot: Snapshot::new(self.refresh_every, index),
                rng: Rng::new(index as u64 + 1),
            },
            _ => Worker::Signaller { index, pos: 0 },
        }
    }

    #[inline]
    fn op(&self, w: &mut Self::Worker, _: &Ctx) {
        match w {
            Worker::Reader { snapshot, rng } => {
                let fences = snapshot.get(&self.rings);
                let fence = &fences[rng.below(fences.len())];
                if TRACE {
                    black_box(fence.wait(Duration::ZERO));
                } else {
                    black_box(fence.info());
                }
            }
            Worker::Signaller { index, pos } => {
                let old = self.rings[*index].advance(&self.timelines[*index], pos);
                // The hardware completes the job, then its interrupt signals the fence; a
                // reader may signal it first, through the op. Release: pairs with the op's
                // Acquire load.
                self.hw[*index].store(old.seqno(), Release);
                old.signal();
            }
        }
    }

    fn finish(&self, _: Self::Worker) -> WorkerReport {
        WorkerReport {
            trace_records: RECORDS.with(|c| c.replace(0)),
            ..Default::default()
        }
    }

    fn pools(&self) -> Vec<Arc<Pool>> {
        self.timelines.iter().map(|t| t.pool().clone()).collect()
    }
}

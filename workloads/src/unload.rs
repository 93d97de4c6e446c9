//! `unload`: the case the contract leaves out. A driver (its ops table and all its
//! driver data) goes away while its fences live on, held by other threads that keep
//! describing and polling them.
//!
//! The unloader owns a few driver slots. One operation swaps one slot's driver: it loads
//! a new driver (a timeline and [`FENCES_PER_DRIVER`] fences, published to the readers),
//! signals the old driver's fences (on this thread, as a driver errors its fences before
//! its module goes) and unloads it: [`Timeline::unload`] returns once no reader can reach
//! the old driver's data. The unloader records each unload's latency, from the request
//! (after the driver's last fence was signalled) to [`Timeline::unload`] returning with the
//! driver's memory freed, in a histogram of its own ([`WorkerReport::unload_latency`]):
//! its ns/op also holds loading the next driver and signalling. Readers hold references to the fences
//! of every slot (refreshed every `refresh_every` operations) and describe and poll them:
//! under `refcount` those references pin the unloaded driver's data, which shows as
//! retained objects and as the free delay (retire to free: how long it stays pinned).
//! `unprotected` frees at signal, so its readers' late reads count as violations.

use crate::{split, Ctx, Params, Role, Unsupported, WorkerReport, Workload};
use fencebench_impls::{Fence, Implementation, Operation, Pool, Timeline, TimelineConfig};
use hdrhistogram::Histogram;
use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Fences each driver creates before it is unloaded.
pub const FENCES_PER_DRIVER: usize = 4;
/// Driver slots, each with a pool of its own that successive drivers reuse.
const SLOTS: usize = 4;

struct Driver<I: Implementation> {
    timeline: I::Timeline,
    /// The driver's own references to its fences, signalled at unload.
    fences: Vec<I::Fence>,
}

pub struct Unload<I: Implementation> {
    pools: Vec<Arc<Pool>>,
    drivers: Vec<Mutex<Driver<I>>>,
    /// What readers see of each slot: the current driver's fences.
    published: Vec<Mutex<Vec<I::Fence>>>,
    roles: [Role; 2],
    refresh_every: u32,
}

pub enum Worker<F> {
    Unloader {
        next: usize,
        step: usize,
        /// Request to driver memory freed, ns, one sample per unload that freed it
        /// (`refcount` returns with its data pinned: no sample).
        latency: Histogram<u64>,
    },
    Reader {
        fences: Vec<F>,
        pos: usize,
        countdown: u32,
    },
}

impl<I: Implementation> Unload<I> {
    fn load(pool: &Arc<Pool>, slot: usize) -> Driver<I> {
        let timeline = I::timeline(
            TimelineConfig::new("fb-module", &format!("fb-driver-{slot}")).with_pool(pool.clone()),
        );
        let fences = (0..FENCES_PER_DRIVER)
            .map(|_| {
                let f = timeline.create();
                f.emit();
                f
            })
            .collect();
        Driver { timeline, fences }
    }

    fn refresh(&self, into: &mut Vec<I::Fence>) {
        into.clear();
        for slot in &self.published {
            into.extend(slot.lock().unwrap().iter().cloned());
        }
    }
}

impl<I: Implementation> Workload<I> for Unload<I> {
    const NAME: &'static str = "unload";
    /// An unload waits for a grace period: check the stop flag after every operation.
    const POLL_EVERY: u32 = 1;
    type Worker = Worker<I::Fence>;

    fn new(p: &Params) -> Result<Self, Unsupported> {
        Unsupported::check::<I>(Operation::Unload)?;
        Unsupported::need_threads(
            "unload",
            2,
            "an unloader and a reader holding fences",
            p.threads,
        )?;
        let (unloaders, readers) = split("unload", p.threads, p.signallers, |_| 1, 1)?;
        if unloaders == 0 || unloaders > SLOTS {
            return Err(Unsupported::OutOfRange {
                what: "unload --signallers (unloaders)",
                value: unloaders,
                min: 1,
                max: SLOTS,
            });
        }
        let pools: Vec<Arc<Pool>> = (0..SLOTS).map(|_| Pool::with_delay_tracking()).collect();
        let drivers: Vec<Driver<I>> = pools
            .iter()
            .enumerate()
            .map(|(slot, pool)| Self::load(pool, slot))
            .collect();
        let published = drivers
            .iter()
            .map(|d| Mutex::new(d.fences.clone()))
            .collect();
        Ok(Unload {
            pools,
            drivers: drivers.into_iter().map(Mutex::new).collect(),
            published,
            roles: [
                Role {
                    name: "unloader",
                    threads: unloaders,
                    primary: true,
                },
                Role {
                    name: "reader",
                    threads: readers,
                    primary: false,
                },
            ],
            refresh_every: p.refresh_every.max(1),
        })
    }

    fn roles(&self) -> &[Role] {
        &self.roles
    }

    fn worker(&self, role: usize, index: usize) -> Self::Worker {
        match role {
            // Unloader i owns slots i, i + unloaders, …: no two unload the same driver.
            0 => Worker::Unloader {
                next: index,
                step: self.roles[0].threads,
                latency: crate::latency_histogram(),
            },
            _ => {
                let mut fences = Vec::new();
                self.refresh(&mut fences);
                Worker::Reader {
                    fences,
                    pos: index,
                    countdown: self.refresh_every,
                }
            }
        }
    }

    fn op(&self, w: &mut Self::Worker, _: &Ctx) {
        match w {
            Worker::Unloader {
                next,
                step,
                latency,
            } => {
                let slot = *next;
                *next = (*next + *step) % SLOTS;
                let new = Self::load(&self.pools[slot], slot);
                *self.published[slot].lock().unwrap() = new.fences.clone();
                let old = std::mem::replace(&mut *self.drivers[slot].lock().unwrap(), new);
                for f in &old.fences {
                    f.signal();
                }
                drop(old.fences);
                // Two clock reads per unload (inside `unload`): milliseconds, not a hot path.
                if let Some(ns) = black_box(old.timeline.unload()).latency_ns() {
                    latency.saturating_record(ns);
                }
            }
            Worker::Reader {
                fences,
                pos,
                countdown,
            } => {
                *countdown -= 1;
                if *countdown == 0 {
                    *countdown = self.refresh_every;
                    self.refresh(fences);
                }
                let fence = &fences[*pos % fences.len()];
                *pos = pos.wrapping_add(1);
                black_box(fence.info());
                black_box(fence.wait(Duration::ZERO));
            }
        }
    }

    fn finish(&self, w: Self::Worker) -> WorkerReport {
        match w {
            Worker::Unloader { latency, .. } => WorkerReport {
                unload_latency: Some(latency),
                ..Default::default()
            },
            Worker::Reader { .. } => WorkerReport::default(),
        }
    }

    fn pools(&self) -> Vec<Arc<Pool>> {
        self.pools.clone()
    }
}

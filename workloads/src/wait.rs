//! `wait`: waiter threads block on fences that signaller threads complete.
//!
//! Each signaller publishes one fence at a time to its waiters, waits until all of them
//! have taken it (so they are in `wait()` when it signals), then signals it. A waiter
//! records signal-to-wake latency as `now - fence timestamp`: the signal path stores the
//! timestamp anyway, so each wake-up costs the waiter one clock read, negligible against
//! a µs-scale hand-off. A wait that reaches its deadline although its fence is signalled
//! is a lost wake-up. One whose fence is still unsignalled then is a *late signal*: the
//! signaller was held off the CPU for the whole timeout (an overloaded machine), which the
//! run flags rather than blaming the implementation. A correct fence cannot tell a waiter
//! "timed out" once it signalled (the wait's final `remove_callback` would fail), so a
//! signalled fence behind a timeout is the implementation's bug.

use crate::{split, Ctx, Params, Role, Unsupported, WorkerReport, Workload};
use fencebench_impls::{
    now_ns, Backoff, Fence, Implementation, Pool, Timeline, TimelineConfig, WaitOutcome,
};
use hdrhistogram::Histogram;
use std::sync::atomic::{AtomicU64, Ordering::*};
use std::sync::{Arc, Mutex};
use std::time::Duration;

struct Mailbox<F> {
    fence: Mutex<Option<F>>,
    /// Sequence number of the published fence; waiters wait for it to move.
    seq: AtomicU64,
    /// Waiters that took the current fence.
    taken: AtomicU64,
    waiters: u64,
}

pub struct Wait<I: Implementation> {
    timelines: Vec<I::Timeline>,
    mailboxes: Vec<Mailbox<I::Fence>>,
    roles: [Role; 2],
    timeout: Duration,
}

pub enum Worker {
    Waiter {
        mailbox: usize,
        seen: u64,
        lost: u64,
        late: u64,
        latency: Histogram<u64>,
    },
    Signaller {
        index: usize,
    },
}

/// Spin, then yield: waiting for the partner thread must not starve it on two cores.
fn pause() -> Backoff {
    Backoff::spin_then_yield(128)
}

impl<I: Implementation> Workload<I> for Wait<I> {
    const NAME: &'static str = "wait";
    const POLL_EVERY: u32 = 1;
    type Worker = Worker;

    fn new(p: &Params) -> Result<Self, Unsupported> {
        Unsupported::need_threads("wait", 2, "a signaller and a waiter", p.threads)?;
        let (signallers, waiters) = split("wait", p.threads, p.signallers, |t| t / 2, 1)?;
        if signallers == 0 {
            return Err(Unsupported::NoSignaller { workload: "wait" });
        }
        let timelines: Vec<I::Timeline> = (0..signallers)
            .map(|i| I::timeline(TimelineConfig::new("fb-gpu", &format!("fb-ring-{i}"))))
            .collect();
        let mailboxes = (0..signallers)
            .map(|s| Mailbox {
                fence: Mutex::new(None),
                seq: AtomicU64::new(0),
                taken: AtomicU64::new(0),
                waiters: (s..waiters).step_by(signallers).count() as u64,
            })
            .collect();
        Ok(Wait {
            timelines,
            mailboxes,
            roles: [
                Role {
                    name: "waiter",
                    threads: waiters,
                    primary: true,
                },
                Role {
                    name: "signaller",
                    threads: signallers,
                    primary: false,
                },
            ],
            timeout: p.wait_timeout,
        })
    }

    fn roles(&self) -> &[Role] {
        &self.roles
    }

    fn worker(&self, role: usize, index: usize) -> Worker {
        match role {
            0 => Worker::Waiter {
                mailbox: index % self.mailboxes.len(),
                seen: 0,
                lost: 0,
                late: 0,
                latency: crate::latency_histogram(),
            },
            _ => Worker::Signaller { index },
        }
    }

    fn op(&self, w: &mut Worker, ctx: &Ctx) {
        match w {
            Worker::Signaller { index } => {
                let mb = &self.mailboxes[*index];
                let fence = self.timelines[*index].create();
                fence.emit();
                *mb.fence.lock().unwrap() = Some(fence.clone());
                let seq = mb.seq.fetch_add(1, Release) + 1;
                let mut backoff = pause();
                while mb.taken.load(Acquire) < seq * mb.waiters && !ctx.stopping() {
                    backoff.wait();
                }
                fence.signal();
            }
            Worker::Waiter {
                mailbox,
                seen,
                lost,
                late,
                latency,
            } => {
                let mb = &self.mailboxes[*mailbox];
                let mut backoff = pause();
                while mb.seq.load(Acquire) == *seen {
                    if ctx.stopping() {
                        return;
                    }
                    backoff.wait();
                }
                *seen = mb.seq.load(Acquire);
                let fence = mb.fence.lock().unwrap().clone().expect("published fence");
                mb.taken.fetch_add(1, Release);
                match fence.wait(self.timeout) {
                    WaitOutcome::Signaled(_) => {
                        let ts = fence.timestamp().expect("signalled fence has a timestamp");
                        latency.saturating_record(now_ns().saturating_sub(ts));
                    }
                    WaitOutcome::TimedOut if fence.is_signaled() => *lost += 1,
                    WaitOutcome::TimedOut => *late += 1,
                }
            }
        }
    }

    fn finish(&self, w: Worker) -> WorkerReport {
        match w {
            Worker::Waiter {
                lost,
                late,
                latency,
                ..
            } => WorkerReport {
                lost_wakeups: lost,
                late_signals: late,
                wake_latency: Some(latency),
                ..Default::default()
            },
            Worker::Signaller { .. } => WorkerReport::default(),
        }
    }

    fn pools(&self) -> Vec<Arc<Pool>> {
        self.timelines.iter().map(|t| t.pool().clone()).collect()
    }
}

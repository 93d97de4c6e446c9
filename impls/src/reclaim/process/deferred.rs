//! Batched freeing after a grace period, shared by the RCU flavours (`rcu`, `rcu-detach`,
//! `rcu-qsbr`): retired driver data collects in a per-thread [`Batch`]; a full batch goes
//! to the flavour's background thread, which waits for one grace period per batch and
//! frees it, off the signaller's hot path (the kernel's `call_rcu` callbacks run from
//! softirq, not from the caller).

use crate::memory::pool::DriverRef;
use std::cell::RefCell;
use std::sync::{Condvar, Mutex, OnceLock};
use std::thread::LocalKey;

/// Retired objects are handed to the reclaimer in batches of this many.
const BATCH_LEN: usize = 64;

struct Queue {
    pending: Vec<DriverRef>,
    submitted: u64,
    completed: u64,
}

/// One flavour's background thread and its queue of submitted batches.
pub(crate) struct Reclaimer {
    thread_name: &'static str,
    /// Waits for a grace period of the flavour's domain.
    grace_period: fn(),
    queue: Mutex<Queue>,
    work: Condvar,
    done: Condvar,
    started: OnceLock<()>,
}

impl Reclaimer {
    /// A reclaimer whose thread starts with the first batch.
    pub(crate) const fn new(thread_name: &'static str, grace_period: fn()) -> Self {
        Reclaimer {
            thread_name,
            grace_period,
            queue: Mutex::new(Queue {
                pending: Vec::new(),
                submitted: 0,
                completed: 0,
            }),
            work: Condvar::new(),
            done: Condvar::new(),
            started: OnceLock::new(),
        }
    }

    /// Queues a batch; returns the sequence number that covers it (and everything
    /// submitted before it).
    fn submit(&'static self, batch: Vec<DriverRef>) -> u64 {
        self.started.get_or_init(|| {
            std::thread::Builder::new()
                .name(self.thread_name.into())
                .spawn(move || self.run())
                .expect("spawning an RCU reclaimer thread");
        });
        let mut q = self.queue.lock().unwrap();
        if !batch.is_empty() {
            q.pending.extend(batch);
            q.submitted += 1;
            self.work.notify_one();
        }
        q.submitted
    }

    #[cold]
    #[inline(never)]
    fn submit_full(&'static self, items: &mut Vec<DriverRef>) {
        self.submit(std::mem::take(items));
    }

    fn run(&self) {
        loop {
            let (batch, seq) = {
                let mut q = self.queue.lock().unwrap();
                while q.pending.is_empty() {
                    q = self.work.wait(q).unwrap();
                }
                (std::mem::take(&mut q.pending), q.submitted)
            };
            (self.grace_period)();
            for d in batch {
                d.free();
            }
            self.queue.lock().unwrap().completed = seq;
            self.done.notify_all();
        }
    }

    /// `call_rcu(kfree)`: frees `data` after a grace period, batched per thread. Inline:
    /// it is on every signal; the hand-off, once per batch, is not.
    #[inline]
    pub(crate) fn defer(&'static self, batch: &'static LocalKey<Batch>, data: DriverRef) {
        let mut data = Some(data);
        let _ = batch.try_with(|b| {
            let mut items = b.items.borrow_mut();
            items.extend(data.take());
            if items.len() >= BATCH_LEN {
                self.submit_full(&mut items);
            }
        });
        // From a thread-local destructor that runs after this thread's batch was
        // handed off: a batch of one.
        if let Some(data) = data {
            self.submit(vec![data]);
        }
    }

    /// Submits this thread's partial batch; returns the sequence number to
    /// [`wait_for`](Self::wait_for) so that everything this thread (and every exited
    /// thread) deferred so far has been freed: `rcu_barrier()`.
    pub(crate) fn flush(&'static self, batch: &'static LocalKey<Batch>) -> u64 {
        let items = batch
            .try_with(|b| std::mem::take(&mut *b.items.borrow_mut()))
            .unwrap_or_default();
        self.submit(items)
    }

    /// Blocks until batch `seq` has been freed.
    pub(crate) fn wait_for(&self, seq: u64) {
        let mut q = self.queue.lock().unwrap();
        while q.completed < seq {
            q = self.done.wait(q).unwrap();
        }
    }
}

/// A thread's partial batch; handed to its reclaimer when the thread exits.
pub(crate) struct Batch {
    reclaimer: &'static Reclaimer,
    items: RefCell<Vec<DriverRef>>,
}

impl Batch {
    /// An empty batch for `reclaimer` (const, for a `thread_local!` without lazy init).
    pub(crate) const fn new(reclaimer: &'static Reclaimer) -> Self {
        Batch {
            reclaimer,
            items: RefCell::new(Vec::new()),
        }
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        self.reclaimer.submit(std::mem::take(self.items.get_mut()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::pool::{Name, Pool};
    use std::time::{Duration, Instant};

    /// Far beyond a grace period here (none: `no_grace_period`) on a loaded machine:
    /// reaching it means the reclaimer never freed the batch.
    const BOUND: Duration = Duration::from_secs(30);

    fn no_grace_period() {}

    static RECLAIMER: Reclaimer = Reclaimer::new("fencebench-test-reclaimer", no_grace_period);

    thread_local! {
        static BATCH: Batch = const { Batch::new(&RECLAIMER) };
    }

    /// Batches submitted so far.
    fn submitted() -> u64 {
        RECLAIMER.queue.lock().unwrap().submitted
    }

    /// Waits, at most [`BOUND`], until the reclaimer completed batch `seq`.
    fn freed_within_bound(seq: u64, what: &str) {
        let start = Instant::now();
        while RECLAIMER.queue.lock().unwrap().completed < seq {
            assert!(start.elapsed() < BOUND, "{what} not freed within {BOUND:?}");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// The batching that keeps the hand-off off the signaller's hot path, and that it
    /// ends in frees: a thread's retirements go to the reclaimer when [`BATCH_LEN`] have
    /// collected, not one by one (each hand-off takes the queue's lock and wakes the
    /// reclaimer) and not never (nothing would be freed until a flush); `flush` hands off
    /// the rest. This is the only test that uses this reclaimer, so the counts are its own.
    #[test]
    fn full_batches_go_to_the_reclaimer_and_are_freed() {
        let pool = Pool::new();
        let retire = || {
            let d = pool.alloc(&Name::new("drv"), &Name::new("tl"), 0);
            d.retire(0);
            RECLAIMER.defer(&BATCH, d);
        };
        for _ in 1..BATCH_LEN {
            retire();
        }
        assert_eq!(submitted(), 0, "a partial batch went to the reclaimer");
        retire();
        assert_eq!(
            submitted(),
            1,
            "a full batch was not handed to the reclaimer"
        );
        freed_within_bound(1, "a full batch");
        assert_eq!(pool.stats().freed, BATCH_LEN as u64);
        retire();
        let seq = RECLAIMER.flush(&BATCH);
        assert_eq!(seq, 2, "flush did not hand off the partial batch");
        freed_within_bound(seq, "a flushed partial batch");
        let st = pool.stats();
        assert_eq!(
            (st.live, st.retained, st.freed),
            (0, 0, BATCH_LEN as u64 + 1)
        );
    }
}

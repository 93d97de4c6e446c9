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

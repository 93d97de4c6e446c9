//! Per-thread accounting of driver data handed to a reclamation library, for the
//! library-backed implementations' [`quiesce`](crate::Implementation::quiesce).
//!
//! crossbeam-epoch, seize and haphazard keep their backlog private (thread-local bags and
//! a global queue, thread-local batches and reservation lists, sharded retired lists) and
//! none can say whether a given object has been freed. `quiesce` promises to return once
//! everything this thread and exited threads retired is freed, so each retired object
//! carries a [`Ticket`] on its retiring thread's counter, and [`Backlog::settle`] drives
//! the library's collection until those counters reach zero. Counting per thread, rather
//! than globally, keeps one thread's quiesce from waiting on objects other live threads
//! still hold in their own thread-local batches. The cost is one uncontended atomic add
//! per retirement and one atomic subtract per free, both off the read side.

use crate::memory::pool::DriverRef;
use crate::sync::backoff::Backoff;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::Mutex;
use std::thread::LocalKey;
use std::time::{Duration, Instant};

/// How long [`Backlog::settle`] drives reclamation before it gives up: only a reader that
/// never leaves its read-side section (or a library that stopped collecting) takes that
/// long, and quiesce must not hang a benchmark run on it.
const DEADLINE: Duration = Duration::from_secs(5);

/// A count of objects one thread retired that are not yet freed. Leaked, and reused by
/// later threads once zero, so there are never more than the peak number of threads.
type Counter = &'static AtomicUsize;

/// The counters of one implementation's threads.
pub(crate) struct Backlog {
    /// The implementation, for warnings.
    name: &'static str,
    /// One round of the library's reclamation that an exiting thread must run itself,
    /// for libraries that strand an exited thread's unflushed retirements.
    drain_on_exit: Option<fn()>,
    /// Counters of exited threads that still had objects pending.
    orphans: Mutex<Vec<Counter>>,
    /// Counters of exited threads with nothing pending, for new threads to reuse.
    spare: Mutex<Vec<Counter>>,
    /// Retirements made during thread exit, after the thread's own counter was dropped.
    late: AtomicUsize,
}

impl Backlog {
    pub(crate) const fn new(name: &'static str, drain_on_exit: Option<fn()>) -> Self {
        Backlog {
            name,
            drain_on_exit,
            orphans: Mutex::new(Vec::new()),
            spare: Mutex::new(Vec::new()),
            late: AtomicUsize::new(0),
        }
    }

    /// A counter for a new thread (the initializer of the implementation's thread-local).
    pub(crate) fn register(&'static self) -> ThreadBacklog {
        let count = self
            .spare
            .lock()
            .unwrap()
            .pop()
            .unwrap_or_else(|| Box::leak(Box::new(AtomicUsize::new(0))));
        ThreadBacklog {
            backlog: self,
            count,
        }
    }

    /// Counts one retirement by the current thread. A retirement from another
    /// thread-local's destructor, after `local` is gone, counts on the late counter.
    pub(crate) fn ticket(&'static self, local: &'static LocalKey<ThreadBacklog>) -> Ticket {
        let count = local.try_with(|l| l.count).unwrap_or(&self.late);
        count.fetch_add(1, Relaxed);
        Ticket(count)
    }

    /// Objects retired by the thread owning `mine`, by exited threads and during thread
    /// exit that are not yet freed. Orphaned counters that reached zero are recycled.
    fn pending(&self, mine: Option<Counter>) -> usize {
        let mut orphans = self.orphans.lock().unwrap();
        let mut pending = self.late.load(Acquire) + mine.map_or(0, |c| c.load(Acquire));
        orphans.retain(|c| match c.load(Acquire) {
            0 => {
                self.spare.lock().unwrap().push(c);
                false
            }
            n => {
                pending += n;
                true
            }
        });
        pending
    }

    /// Runs `collect` (one round of the library's reclamation) until everything the
    /// current thread, exited threads and thread exits retired has been freed, backing
    /// off between rounds. Gives up, with a warning, after [`DEADLINE`].
    pub(crate) fn settle(
        &'static self,
        local: &'static LocalKey<ThreadBacklog>,
        collect: impl FnMut(),
    ) {
        let mine = local.try_with(|l| l.count).ok();
        drive(self.name, || self.pending(mine), collect);
    }
}

/// Calls `collect` until `pending` reads zero or [`DEADLINE`] passes.
fn drive(name: &str, pending: impl Fn() -> usize, mut collect: impl FnMut()) {
    let start = Instant::now();
    let mut backoff = Backoff::new(0, 64).sleeping(Duration::from_micros(100));
    loop {
        collect();
        let left = pending();
        if left == 0 {
            return;
        }
        if start.elapsed() > DEADLINE {
            eprintln!(
                "fencebench: {name}: gave up waiting for {left} retired objects after {DEADLINE:?} \
                 (a reader still inside its read-side section?)"
            );
            return;
        }
        backoff.wait();
    }
}

/// One thread's counter. On thread exit it first runs the backlog's exit drain, if any,
/// then goes to the orphans, or back to the spares when nothing is pending.
pub(crate) struct ThreadBacklog {
    backlog: &'static Backlog,
    count: Counter,
}

impl Drop for ThreadBacklog {
    fn drop(&mut self) {
        let b = self.backlog;
        if let Some(collect) = b.drain_on_exit {
            drive(b.name, || self.count.load(Acquire), collect);
        }
        let list = if self.count.load(Acquire) == 0 {
            &b.spare
        } else {
            &b.orphans
        };
        list.lock().unwrap().push(self.count);
    }
}

/// Counts one retired object until dropped; drop it after the object's data is freed.
pub(crate) struct Ticket(Counter);

impl Drop for Ticket {
    fn drop(&mut self) {
        // Release: whoever reads the counter at zero also sees the free that preceded it.
        self.0.fetch_sub(1, Release);
    }
}

/// Driver data handed to a library's deferred reclamation: frees the data when the
/// library drops it, then counts it out of its retiring thread's backlog.
pub(crate) struct RetiredData {
    data: DriverRef,
    _ticket: Ticket,
}

impl RetiredData {
    pub(crate) fn new(data: DriverRef, ticket: Ticket) -> Self {
        RetiredData {
            data,
            _ticket: ticket,
        }
    }
}

impl Drop for RetiredData {
    fn drop(&mut self) {
        self.data.free();
    }
}

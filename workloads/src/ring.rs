//! Published in-flight fences: each signaller keeps a ring of unsignalled fences that
//! readers snapshot, and signals the oldest as it publishes a new one. Readers hold
//! references (as a `sync_file` holder would) while the driver data is retired under them.

use crate::Role;
use fencebench_impls::{Fence, Implementation, Timeline, TimelineConfig};
use std::sync::Mutex;

/// `n` timelines of the driver `fb-gpu`, named `fb-ring-<i>` and finished by `config`
/// (a hardware seqno, a trace sink), with a ring of `in_flight` fences (at least one) on
/// each: the setup the read-side workloads share.
pub(crate) fn rings_for<I: Implementation>(
    n: usize,
    in_flight: usize,
    mut config: impl FnMut(usize, TimelineConfig) -> TimelineConfig,
) -> (Vec<I::Timeline>, Vec<Ring<I::Fence>>) {
    let timelines: Vec<I::Timeline> = (0..n)
        .map(|i| {
            I::timeline(config(
                i,
                TimelineConfig::new("fb-gpu", &format!("fb-ring-{i}")),
            ))
        })
        .collect();
    let rings = timelines
        .iter()
        .map(|t| Ring::new(t, in_flight.max(1)))
        .collect();
    (timelines, rings)
}

/// Readers (the primary role, whose figures are the headline) and the signallers that
/// retire what they read.
pub(crate) fn readers_and_signallers(readers: usize, signallers: usize) -> [Role; 2] {
    [
        Role {
            name: "reader",
            threads: readers,
            primary: true,
        },
        Role {
            name: "signaller",
            threads: signallers,
            primary: false,
        },
    ]
}

pub(crate) struct Ring<F> {
    fences: Mutex<Vec<F>>,
}

impl<F: Fence> Ring<F> {
    /// A ring pre-filled with `len` unsignalled fences from `timeline`.
    pub(crate) fn new<T: Timeline<Fence = F>>(timeline: &T, len: usize) -> Self {
        Ring {
            fences: Mutex::new((0..len).map(|_| timeline.create()).collect()),
        }
    }

    /// Publishes a new fence at `*pos` and returns the one it replaces (the oldest),
    /// which the caller signals.
    #[inline]
    pub(crate) fn advance<T: Timeline<Fence = F>>(&self, timeline: &T, pos: &mut usize) -> F {
        let new = timeline.create();
        new.emit();
        let mut fences = self.fences.lock().unwrap();
        let old = std::mem::replace(&mut fences[*pos], new);
        *pos = (*pos + 1) % fences.len();
        old
    }

    /// Replaces `into` with references to the ring's current fences.
    pub(crate) fn snapshot(&self, into: &mut Vec<F>) {
        into.clone_from(&self.fences.lock().unwrap());
    }
}

/// A reader's local references to one ring's fences, refreshed every `every` operations.
pub struct Snapshot<F> {
    pub(crate) fences: Vec<F>,
    countdown: u32,
    every: u32,
    next_ring: usize,
}

impl<F: Fence> Snapshot<F> {
    pub(crate) fn new(every: u32, first_ring: usize) -> Self {
        Snapshot {
            fences: Vec::new(),
            countdown: 0,
            every: every.max(1),
            next_ring: first_ring,
        }
    }

    /// The snapshot, refreshed from the next ring (round robin) when due.
    #[inline]
    pub(crate) fn get(&mut self, rings: &[Ring<F>]) -> &[F] {
        if self.countdown == 0 {
            rings[self.next_ring % rings.len()].snapshot(&mut self.fences);
            self.next_ring += 1;
            self.countdown = self.every;
        }
        self.countdown -= 1;
        &self.fences
    }
}

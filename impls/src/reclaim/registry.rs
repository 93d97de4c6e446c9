//! The registered readers of an RCU or QSBR domain, and the grace period's wait for each
//! of them: one list and one scan for both flavours.

use crate::sync::backoff::Backoff;
use crate::sync::{const_unless_loom, Mutex};
use std::sync::Arc;

/// The records a grace period scans.
pub struct Registry<R> {
    records: Mutex<Vec<Arc<R>>>,
}

impl<R> Registry<R> {
    const_unless_loom! {
        pub fn new() -> Self {
            Registry {
                records: Mutex::new(Vec::new()),
            }
        }
    }

    /// Adds a thread's record.
    pub fn add(&self, record: Arc<R>) {
        self.records.lock().unwrap().push(record);
    }

    /// Removes a thread's record.
    pub fn remove(&self, record: &Arc<R>) {
        self.records
            .lock()
            .unwrap()
            .retain(|r| !Arc::ptr_eq(r, record));
    }

    /// Waits, pausing with a fresh copy of `backoff` per record, until `passed` holds
    /// for every record registered when the call began. A snapshot: the list's lock is
    /// not held while waiting, so a thread registering (its first section) or exiting
    /// never waits behind a stalled reader. The caller argues why a record registered
    /// after the snapshot needs no waiting for.
    pub fn wait_for_each(&self, backoff: Backoff, passed: impl Fn(&R) -> bool) {
        let records: Vec<Arc<R>> = self.records.lock().unwrap().clone();
        for r in records.iter() {
            let mut backoff = backoff;
            while !passed(r) {
                backoff.wait();
            }
        }
    }
}

//! What only the process-wide domains need, and loom leaves out: the [`deferred`]
//! reclaimer thread, and the [`thread_record`] through which RCU and QSBR reach a thread's
//! record.

pub mod deferred;
pub mod thread_record;

//! The reclamation mechanisms alone, the domains a reviewer compares with the kernel:
//! RCU ([`rcu`]), QSBR ([`qsbr`]), SRCU ([`srcu`]) and hazard pointers ([`hazptr`]), the
//! [`registry`] of readers RCU and QSBR scan, and (in `process`) what only the
//! process-wide domains use: the reclaimer thread and the thread-local record. Under loom
//! each domain's process-wide instance is replaced by one per execution, and `process` is
//! left out; the rest is what loom checks.

pub mod hazptr;
pub mod qsbr;
pub mod rcu;
pub mod registry;
pub mod srcu;

#[cfg(not(fencebench_loom))]
pub mod process;

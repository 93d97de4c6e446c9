//! The reclamation mechanisms alone, the domains a reviewer compares with the kernel:
//! RCU ([`rcu`]), QSBR ([`qsbr`]), SRCU ([`srcu`]) and hazard pointers ([`hazptr`]), the
//! [`registry`] of readers RCU and QSBR scan, the [`deferred`] reclaimer thread, and the
//! [`backlog`] the library peers count their retired data with. Under loom each domain's
//! process-wide instance is replaced by one per execution; the rest is what loom checks.

pub mod backlog;
pub mod deferred;
pub mod hazptr;
pub mod qsbr;
pub mod rcu;
pub mod registry;
pub mod srcu;

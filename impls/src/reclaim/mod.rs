//! The reclamation mechanisms alone, the domains a reviewer compares with the kernel:
//! RCU ([`rcu`]), QSBR ([`qsbr`]), SRCU ([`srcu`]) and hazard pointers ([`hazptr`]), the
//! [`registry`] of readers RCU and QSBR scan, and the `deferred` reclaimer thread. Under
//! loom each domain's process-wide instance (and with it the reclaimer thread) is replaced
//! by one per execution; the rest is what loom checks.

#[cfg(not(fencebench_loom))]
pub mod deferred;
pub mod hazptr;
pub mod qsbr;
pub mod rcu;
pub mod registry;
pub mod srcu;

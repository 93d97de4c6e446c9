//! The hand-written implementations: each one's [`Scheme`](crate::model::scheme::Scheme)
//! glue between the fence model and a mechanism of [`crate::reclaim`], compiled
//! unchanged under loom (where the mechanisms' domains are per execution).

pub mod hazptr;
pub mod lock;
pub mod qsbr;
pub mod rcu;
pub mod rcu_detach;
pub mod refcount;
pub mod srcu;
pub mod unprotected;

use crate::model::fence::Guarded;

/// No protection: the baseline, and the use-after-free.
pub type Unprotected = Guarded<unprotected::Unprotected>;
/// The Linux 6.17 contract on membarrier-based userspace RCU.
pub type Rcu = Guarded<rcu::Rcu>;
/// The 6.17 contract on QSBR RCU: free read sections, quiescent states between operations.
pub type RcuQsbr = Guarded<qsbr::RcuQsbr>;
/// Sleepable RCU, one domain per driver: readers may block inside a section.
pub type Srcu = Guarded<srcu::Srcu>;
/// SRCU with `srcu_read_lock_fast` readers: no reader barrier, the grace period pays.
pub type SrcuFast = Guarded<srcu::SrcuFast>;
/// Refcounted driver data (the design the kernel rejected).
pub type Refcount = Guarded<refcount::Refcount>;
/// Hazard pointers with asymmetric fences.
pub type Hazptr = Guarded<hazptr::Hazptr>;
/// The Linux 7.1 design: ops pointer cleared at signal, inline lock, RCU.
pub type RcuDetach = Guarded<rcu_detach::RcuDetach>;
/// An inline per-fence lock taken by readers and signal.
pub type Lock = Guarded<lock::Lock>;

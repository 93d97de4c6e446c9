//! fencebench's fence implementations behind one contract ([`Fence`], [`Timeline`],
//! [`Implementation`]), the type-stable poisoning [`pool`] that detects late reads, and
//! the reclamation mechanisms ([`rcu`], [`hazptr`]) they are built on.
//!
//! Implementations are statically dispatched: workloads are generic over
//! [`Implementation`] and [`for_each_impl!`] instantiates them once per implementation.

pub mod hazptr;
pub mod inline_lock;
pub mod membarrier;
pub mod pool;
pub mod rcu;
mod sync;

#[cfg(not(loom))]
mod arcswap;
#[cfg(not(loom))]
mod backlog;
#[cfg(not(loom))]
mod contract;
#[cfg(not(loom))]
mod epoch;
#[cfg(not(loom))]
mod guarded;
#[cfg(not(loom))]
mod haphazard;
#[cfg(not(loom))]
mod hyaline;
#[cfg(not(loom))]
mod kernel;
#[cfg(not(loom))]
pub mod kernel_check;
#[cfg(not(loom))]
mod kernel_uapi;
#[cfg(not(loom))]
mod lock;
#[cfg(not(loom))]
mod rcu_detach;
#[cfg(not(loom))]
mod refcount;
#[cfg(not(loom))]
mod scheme;
#[cfg(not(loom))]
pub mod trace;
#[cfg(not(loom))]
mod unprotected;

#[cfg(not(loom))]
pub use contract::*;
#[cfg(not(loom))]
pub use guarded::{now_ns, Guarded, GuardedFence, GuardedTimeline};
#[cfg(not(loom))]
pub use pool::{FreeDelay, Name, Pool, PoolStats};

/// No protection: the baseline, and the use-after-free.
#[cfg(not(loom))]
pub type Unprotected = Guarded<unprotected::Unprotected>;
/// The Linux 6.17 contract on membarrier-based userspace RCU.
#[cfg(not(loom))]
pub type Rcu = Guarded<rcu::Rcu>;
/// Refcounted driver data (the design the kernel rejected).
#[cfg(not(loom))]
pub type Refcount = Guarded<refcount::Refcount>;
/// Hazard pointers with asymmetric fences.
#[cfg(not(loom))]
pub type Hazptr = Guarded<hazptr::Hazptr>;
/// The Linux 7.1 design: ops pointer cleared at signal, inline lock, RCU.
#[cfg(not(loom))]
pub type RcuDetach = Guarded<rcu_detach::RcuDetach>;
/// The 6.17 contract on the `crossbeam-epoch` crate.
#[cfg(not(loom))]
pub type RcuCrossbeam = Guarded<epoch::RcuCrossbeam>;
/// The 6.17 contract on the `seize` crate (Hyaline reclamation).
#[cfg(not(loom))]
pub type HyalineSeize = Guarded<hyaline::HyalineSeize>;
/// Hazard pointers from the `haphazard` crate on a detachable ops pointer.
#[cfg(not(loom))]
pub type HazptrHaphazard = Guarded<haphazard::HazptrHaphazard>;
/// Driver data behind an `arc_swap::ArcSwapOption`, cleared at signal.
#[cfg(not(loom))]
pub type ArcSwapped = Guarded<arcswap::ArcSwapped>;
/// An inline per-fence lock taken by readers and signal.
#[cfg(not(loom))]
pub type Lock = Guarded<lock::Lock>;

/// The running kernel's dma-fence through vgem and sync_file.
#[cfg(not(loom))]
pub use kernel::{Kernel, KernelFence};

/// Names of every implementation, in the order tables list them (baseline first).
pub const IMPLEMENTATIONS: &[&str] = &[
    "unprotected",
    "rcu",
    "rcu-detach",
    "rcu-crossbeam",
    "hyaline-seize",
    "refcount",
    "hazptr",
    "hazptr-haphazard",
    "arcswap",
    "lock",
    "kernel",
];

/// Expands `$body` once per implementation with `$impl` bound to its type, inside a
/// match on `$name`; evaluates to `Some(result)`, or `None` for an unknown name.
///
/// ```
/// use fencebench_impls::{for_each_impl, Implementation};
/// let summary = for_each_impl!("rcu", I => I::SUMMARY);
/// assert!(summary.unwrap().contains("grace period"));
/// ```
#[macro_export]
macro_rules! for_each_impl {
    ($name:expr, $impl:ident => $body:expr) => {
        match $name {
            "unprotected" => {
                type $impl = $crate::Unprotected;
                Some($body)
            }
            "rcu" => {
                type $impl = $crate::Rcu;
                Some($body)
            }
            "refcount" => {
                type $impl = $crate::Refcount;
                Some($body)
            }
            "hazptr" => {
                type $impl = $crate::Hazptr;
                Some($body)
            }
            "rcu-detach" => {
                type $impl = $crate::RcuDetach;
                Some($body)
            }
            "rcu-crossbeam" => {
                type $impl = $crate::RcuCrossbeam;
                Some($body)
            }
            "hyaline-seize" => {
                type $impl = $crate::HyalineSeize;
                Some($body)
            }
            "hazptr-haphazard" => {
                type $impl = $crate::HazptrHaphazard;
                Some($body)
            }
            "arcswap" => {
                type $impl = $crate::ArcSwapped;
                Some($body)
            }
            "lock" => {
                type $impl = $crate::Lock;
                Some($body)
            }
            "kernel" => {
                type $impl = $crate::Kernel;
                Some($body)
            }
            _ => None,
        }
    };
}

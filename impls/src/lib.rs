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
pub mod published;
pub mod qsbr;
pub mod rcu;
pub mod srcu;
mod sync;

#[cfg(not(fencebench_loom))]
mod arcswap;
#[cfg(not(fencebench_loom))]
mod backlog;
mod contract;
#[cfg(not(fencebench_loom))]
mod deferred;
#[cfg(not(fencebench_loom))]
mod epoch;
mod guarded;
#[cfg(not(fencebench_loom))]
mod haphazard;
#[cfg(not(fencebench_loom))]
mod hyaline;
#[cfg(not(fencebench_loom))]
mod kernel;
#[cfg(not(fencebench_loom))]
pub mod kernel_check;
#[cfg(not(fencebench_loom))]
mod kernel_uapi;
#[cfg(not(fencebench_loom))]
mod lock;
#[cfg(not(fencebench_loom))]
mod rcu_detach;
#[cfg(not(fencebench_loom))]
mod refcount;
mod scheme;
pub mod trace;
#[cfg(not(fencebench_loom))]
mod unprotected;

#[cfg(fencebench_loom)]
pub mod loom_schemes;

pub use contract::*;
pub use guarded::{now_ns, Guarded, GuardedFence, GuardedTimeline};
pub use pool::{FreeDelay, Name, Pool, PoolStats};

/// No protection: the baseline, and the use-after-free.
#[cfg(not(fencebench_loom))]
pub type Unprotected = Guarded<unprotected::Unprotected>;
/// The Linux 6.17 contract on membarrier-based userspace RCU.
#[cfg(not(fencebench_loom))]
pub type Rcu = Guarded<rcu::Rcu>;
/// Under loom: the same fence model on a per-execution RCU domain.
#[cfg(fencebench_loom)]
pub type Rcu = Guarded<loom_schemes::Rcu>;
/// Under loom: the fence model on per-execution hazard pointers.
#[cfg(fencebench_loom)]
pub type Hazptr = Guarded<loom_schemes::Hazptr>;
/// Under loom: the fence model on the driver's own SRCU domain.
#[cfg(fencebench_loom)]
pub type Srcu = Guarded<loom_schemes::Srcu<srcu::Classic>>;
/// Under loom: the fence model on the driver's own SRCU-fast domain.
#[cfg(fencebench_loom)]
pub type SrcuFast = Guarded<loom_schemes::Srcu<srcu::Fast>>;
/// Under loom: the 7.x pointer-detach fence model on a per-execution RCU domain.
#[cfg(fencebench_loom)]
pub type RcuDetach = Guarded<loom_schemes::RcuDetach>;
/// The 6.17 contract on QSBR RCU: free read sections, quiescent states between operations.
#[cfg(not(fencebench_loom))]
pub type RcuQsbr = Guarded<qsbr::RcuQsbr>;
/// Sleepable RCU, one domain per driver: readers may block inside a section.
#[cfg(not(fencebench_loom))]
pub type Srcu = Guarded<srcu::Srcu>;
/// SRCU with `srcu_read_lock_fast` readers: no reader barrier, the grace period pays.
#[cfg(not(fencebench_loom))]
pub type SrcuFast = Guarded<srcu::SrcuFast>;
/// Refcounted driver data (the design the kernel rejected).
#[cfg(not(fencebench_loom))]
pub type Refcount = Guarded<refcount::Refcount>;
/// Hazard pointers with asymmetric fences.
#[cfg(not(fencebench_loom))]
pub type Hazptr = Guarded<hazptr::Hazptr>;
/// The Linux 7.1 design: ops pointer cleared at signal, inline lock, RCU.
#[cfg(not(fencebench_loom))]
pub type RcuDetach = Guarded<rcu_detach::RcuDetach>;
/// The 6.17 contract on the `crossbeam-epoch` crate.
#[cfg(not(fencebench_loom))]
pub type RcuCrossbeam = Guarded<epoch::RcuCrossbeam>;
/// The 6.17 contract on the `seize` crate (Hyaline reclamation).
#[cfg(not(fencebench_loom))]
pub type HyalineSeize = Guarded<hyaline::HyalineSeize>;
/// Hazard pointers from the `haphazard` crate on a detachable ops pointer.
#[cfg(not(fencebench_loom))]
pub type HazptrHaphazard = Guarded<haphazard::HazptrHaphazard>;
/// Driver data behind an `arc_swap::ArcSwapOption`, cleared at signal.
#[cfg(not(fencebench_loom))]
pub type ArcSwapped = Guarded<arcswap::ArcSwapped>;
/// An inline per-fence lock taken by readers and signal.
#[cfg(not(fencebench_loom))]
pub type Lock = Guarded<lock::Lock>;
/// The running kernel's dma-fence through vgem and sync_file.
#[cfg(not(fencebench_loom))]
pub use kernel::{Kernel, KernelFence};

/// The one table of implementations, in the order tables list them (baseline first):
/// `"name" ["alias", …] Type;` per row. It generates [`IMPLEMENTATIONS`], [`ALIASES`]
/// and the dispatch of [`for_each_impl!`]; a new implementation is one row here.
/// Calls `$cb! { ($args) rows… }`.
#[doc(hidden)]
#[macro_export]
macro_rules! __implementation_table {
    ($cb:ident!($($args:tt)*)) => {
        $crate::$cb! {
            ($($args)*)
            "unprotected" ["baseline"] $crate::Unprotected;
            "rcu" ["rcu-6.17"] $crate::Rcu;
            "rcu-detach" ["rcu-7.1"] $crate::RcuDetach;
            "rcu-qsbr" ["qsbr"] $crate::RcuQsbr;
            "srcu" ["sleepable-rcu"] $crate::Srcu;
            "srcu-fast" ["srcu-lock-fast"] $crate::SrcuFast;
            "rcu-crossbeam" ["crossbeam"] $crate::RcuCrossbeam;
            "hyaline-seize" ["seize"] $crate::HyalineSeize;
            "refcount" [] $crate::Refcount;
            "hazptr" ["hazard-pointers"] $crate::Hazptr;
            "hazptr-haphazard" ["haphazard"] $crate::HazptrHaphazard;
            "arcswap" ["arc-swap"] $crate::ArcSwapped;
            "lock" ["spinlock"] $crate::Lock;
            "kernel" ["vgem"] $crate::Kernel;
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __names {
    (() $($name:literal [$($alias:literal),*] $ty:path;)*) => {
        /// Names of every implementation, in the order tables list them (baseline first).
        pub const IMPLEMENTATIONS: &[&str] = &[$($name),*];
        /// Other names the command line accepts: `(alias, implementation)`.
        pub const ALIASES: &[(&str, &str)] = &[$($(($alias, $name),)*)*];
    };
}

__implementation_table!(__names!());

/// The implementation's name for `name`, which may be an [alias](ALIASES).
pub fn canonical_name(name: &str) -> Option<&'static str> {
    IMPLEMENTATIONS
        .iter()
        .find(|&&n| n == name)
        .or_else(|| ALIASES.iter().find(|(a, _)| *a == name).map(|(_, n)| n))
        .copied()
}

/// Expands `$body` once per implementation with `$impl` bound to its type, inside a
/// match on `$name` (a name or an alias); evaluates to `Some(result)`, or `None` for an
/// unknown name.
///
/// ```
/// use fencebench_impls::{for_each_impl, Implementation};
/// let summary = for_each_impl!("rcu", I => I::SUMMARY);
/// assert!(summary.unwrap().contains("grace period"));
/// assert_eq!(for_each_impl!("rcu-7.1", I => I::NAME), Some("rcu-detach"));
/// ```
#[macro_export]
macro_rules! for_each_impl {
    ($name:expr, $impl:ident => $body:expr) => {
        $crate::__implementation_table!(__dispatch!($name, $impl, $body))
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __dispatch {
    (($name:expr, $impl:ident, $body:expr) $($n:literal [$($alias:literal),*] $ty:path;)*) => {
        match $name {
            $($n $(| $alias)* => {
                type $impl = $ty;
                Some($body)
            })*
            _ => None,
        }
    };
}

//! fencebench's fence implementations behind one contract ([`Fence`], [`Timeline`],
//! [`Implementation`]), the type-stable poisoning [`pool`] that detects late reads, and
//! the reclamation mechanisms ([`rcu`], [`hazptr`]) they are built on.
//!
//! Implementations are statically dispatched: workloads are generic over
//! [`Implementation`] and [`for_each_impl!`] instantiates them once per implementation.
//!
//! The modules are layered; each imports only from its own folder and the layers below
//! it (`tests/layers.rs` checks it), bottom to top:
//!
//! 1. `sync/`: the loom shim (atomics, locks), the asymmetric [`membarrier`]s, the
//!    [`Backoff`] of every wait loop, the clock ([`now_ns`]).
//! 2. `memory/`: the driver-data [`pool`] and the [`published`] pointer.
//! 3. `reclaim/`: the mechanisms alone ([`rcu`], [`qsbr`], [`srcu`], [`hazptr`], the
//!    deferred reclaimer, the reader registry): what loom checks.
//! 4. The contract, at the root: [`trace`] (the fence events a sink records), then
//!    `contract.rs` (what every implementation promises, in the types the harness and
//!    workloads use).
//! 5. `model/`: the fence model, generic over a `Scheme`.
//! 6. `schemes/` (the hand-written implementations' glue, unchanged under loom) and
//!    `peers/` (the library-backed ones), neither importing from the other.
//! 7. `kernel/`: the running kernel's fences, and the check of the models against them.
//!
//! This file sits above them all: the implementation table and the re-exports. Under
//! `cfg(fencebench_loom)` only `peers/` and `kernel/` are left out.

mod contract;
mod memory;
mod model;
mod reclaim;
mod schemes;
mod sync;
pub mod trace;

#[cfg(not(fencebench_loom))]
mod kernel;
#[cfg(not(fencebench_loom))]
mod peers;

pub use contract::*;
pub use memory::pool::{FreeDelay, Name, Pool, PoolStats};
pub use memory::{pool, published};
pub use model::fence::{Guarded, GuardedFence, GuardedTimeline};
pub use model::inline_lock;
pub use reclaim::{hazptr, qsbr, rcu, srcu};
pub use schemes::{Hazptr, Lock, Rcu, RcuDetach, RcuQsbr, Refcount, Srcu, SrcuFast, Unprotected};
pub use sync::backoff::Backoff;
pub use sync::clock::now_ns;
pub use sync::membarrier;

#[cfg(not(fencebench_loom))]
pub use {
    kernel::check as kernel_check,
    kernel::paths as kernel_paths,
    kernel::{Kernel, KernelFence},
    peers::{ArcSwapped, HazptrHaphazard, HyalineSeize, RcuCrossbeam, Sdd},
};

/// The one table of implementations, in the order tables list them (baseline first):
/// `"name" ident ["alias", …] Type;` per row (`ident`: the name as a Rust identifier,
/// which the test suites name their tests after). It generates [`IMPLEMENTATIONS`],
/// [`ALIASES`], the dispatch of [`for_each_impl!`] and the conformance and race suites'
/// tests; a new implementation is one row here. Calls `$cb! { ($args) rows… }`, with
/// `$crate::` before `$cb` unless it is written `self::$cb` (a macro of the caller).
#[doc(hidden)]
#[macro_export]
macro_rules! __implementation_table {
    (self::$cb:ident!($($args:tt)*)) => {
        $crate::__implementation_table! { @rows [$cb] ($($args)*) }
    };
    ($cb:ident!($($args:tt)*)) => {
        $crate::__implementation_table! { @rows [$crate::$cb] ($($args)*) }
    };
    (@rows [$($cb:tt)*] ($($args:tt)*)) => {
        $($cb)*! {
            ($($args)*)
            "unprotected" unprotected ["baseline"] $crate::Unprotected;
            "rcu" rcu ["rcu-6.17"] $crate::Rcu;
            "rcu-detach" rcu_detach ["rcu-7.1"] $crate::RcuDetach;
            "rcu-qsbr" rcu_qsbr ["qsbr"] $crate::RcuQsbr;
            "srcu" srcu ["sleepable-rcu"] $crate::Srcu;
            "srcu-fast" srcu_fast ["srcu-lock-fast"] $crate::SrcuFast;
            "rcu-crossbeam" rcu_crossbeam ["crossbeam"] $crate::RcuCrossbeam;
            "hyaline-seize" hyaline_seize ["seize"] $crate::HyalineSeize;
            "sdd" sdd ["sdd-private"] $crate::Sdd;
            "refcount" refcount [] $crate::Refcount;
            "hazptr" hazptr ["hazard-pointers"] $crate::Hazptr;
            "hazptr-haphazard" hazptr_haphazard ["haphazard"] $crate::HazptrHaphazard;
            "arcswap" arcswap ["arc-swap"] $crate::ArcSwapped;
            "lock" lock ["spinlock"] $crate::Lock;
            "kernel" kernel ["vgem"] $crate::Kernel;
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __names {
    (() $($name:literal $ident:ident [$($alias:literal),*] $ty:path;)*) => {
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
    (($name:expr, $impl:ident, $body:expr) $($n:literal $ident:ident [$($alias:literal),*] $ty:path;)*) => {
        match $name {
            $($n $(| $alias)* => {
                type $impl = $ty;
                Some($body)
            })*
            _ => None,
        }
    };
}

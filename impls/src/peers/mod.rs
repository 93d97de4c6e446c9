//! The implementations built on library reclamation (`crossbeam-epoch`, `seize`, `sdd`,
//! `haphazard`, `arc-swap`): the same fence model, someone else's mechanism, and the
//! backlog that counts what they retired until the library frees it.

pub mod arcswap;
mod backlog;
pub mod epoch;
pub mod haphazard;
pub mod hyaline;
pub mod sdd;

use crate::model::fence::Guarded;

/// The 6.17 contract on the `crossbeam-epoch` crate.
pub type RcuCrossbeam = Guarded<epoch::RcuCrossbeam>;
/// The 6.17 contract on the `seize` crate (Hyaline reclamation).
pub type HyalineSeize = Guarded<hyaline::HyalineSeize>;
/// The 6.17 contract on the `sdd` crate, one private collector per driver.
pub type Sdd = Guarded<sdd::Sdd>;
/// Hazard pointers from the `haphazard` crate on a detachable ops pointer.
pub type HazptrHaphazard = Guarded<haphazard::HazptrHaphazard>;
/// Driver data behind an `arc_swap::ArcSwapOption`, cleared at signal.
pub type ArcSwapped = Guarded<arcswap::ArcSwapped>;

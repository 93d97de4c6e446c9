//! The fencebench harness, laid out as its pipeline, top to bottom (no module uses one
//! above it; `tests/layers.rs` keeps it so):
//!
//! - [`cli`]: the command line as clap types; it uses nothing of the crate.
//! - [`list`], [`kernel`], [`pmu`]: the checks and listings beside the pipeline.
//! - [`run`]: `fencebench run`, from its options (validated from the command line) to a
//!   written result file: pinned threads, a start barrier, a timed window, sampled
//!   latencies, counters.
//! - [`present`]: result files into reports, exports, charts, comparisons and the
//!   published document, each command with its own options.
//! - [`result`]: the result file itself, reading and writing it, and `convert`.
//! - [`host`], [`stdout`], [`error`]: this machine's name, printing, and the one place
//!   an error becomes a line on stderr and an exit status.

pub mod cli;
pub mod error;
pub mod host;
pub mod kernel;
pub mod list;
pub mod pmu;
pub mod present;
pub mod result;
pub mod run;
pub mod stdout;

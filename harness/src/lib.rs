//! The fencebench harness, laid out as its pipeline: [`run`] measures workloads over
//! implementations (pinned threads, a start barrier, a timed window, sampled latencies,
//! counters) into a [`result`] file, which [`fs`] writes and reads; [`present`] turns
//! result files into reports, exports, charts, comparisons and the published document.

pub mod fs;
pub mod present;
pub mod result;
pub mod run;

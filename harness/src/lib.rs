//! The fencebench harness: runs workloads over implementations with pinned threads,
//! a start barrier, a timed window, sampled latencies and hardware counters, and writes,
//! reads, compares, plots and reports result files, and writes the published results.

pub mod compare;
pub mod counters;
pub mod io;
pub mod machine;
pub mod plot;
pub mod published;
pub mod report;
pub mod result;
pub mod runner;
pub mod suite;
pub mod summary;
pub mod targets;

//! The fencebench harness: runs workloads over implementations with pinned threads,
//! a start barrier, a timed window, sampled latencies and hardware counters, and writes,
//! reads, compares and reports result files.

pub mod counters;
pub mod io;
pub mod machine;
pub mod report;
pub mod result;
pub mod runner;
pub mod suite;
pub mod summary;

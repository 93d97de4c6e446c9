//! Running measurements: the machine probe, hardware counters, one repetition of one
//! cell (the runner), and the whole suite of cells. Produces a result file's contents.

pub mod counters;
pub mod machine;
pub mod runner;
pub mod suite;

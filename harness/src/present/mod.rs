//! Presenting result files: a result file's own report in each export format, charts,
//! comparisons of several files, and the published results document. Everything here
//! reads result files; nothing here runs a measurement.

pub mod calls;
pub mod compare;
pub mod counted;
pub(crate) mod document;
pub mod export;
pub mod gate;
pub mod headline;
pub mod instructions;
pub(crate) mod numbers;
pub mod options;
pub mod plot;
pub mod published;
pub mod stats;
pub mod targets;

pub(crate) use document::{cpu, document, parameters, plural, run, Document, Row, Table};

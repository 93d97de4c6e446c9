//! Software-event figures (task-clock, context switches, CPU migrations, page faults)
//! per operation: recorded per repetition beside the hardware counters, summarised over
//! repetitions like every other figure. Absent in files written before they existed.

use crate::result::Stat;
use serde::{Deserialize, Serialize};

/// One repetition's software-event figures per operation of a role; each `None` with a
/// reason in `missing` when its event could not open.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SoftwareCounters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_clock_ns_per_op: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_switches_per_op: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_migrations_per_op: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_faults_per_op: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<String>,
}

/// The software figures of a role over its repetitions: median [min–max].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SoftwareSummary {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_clock_ns_per_op: Option<Stat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_switches_per_op: Option<Stat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_migrations_per_op: Option<Stat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_faults_per_op: Option<Stat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<String>,
}

impl SoftwareSummary {
    /// Summarises the repetitions that recorded software figures; `None` if none did.
    pub fn of<'a>(reps: impl Iterator<Item = &'a SoftwareCounters> + Clone) -> Option<Self> {
        reps.clone().next()?;
        let stat = |f: fn(&SoftwareCounters) -> Option<f64>| Stat::of(reps.clone().filter_map(f));
        Some(SoftwareSummary {
            task_clock_ns_per_op: stat(|c| c.task_clock_ns_per_op),
            context_switches_per_op: stat(|c| c.context_switches_per_op),
            cpu_migrations_per_op: stat(|c| c.cpu_migrations_per_op),
            page_faults_per_op: stat(|c| c.page_faults_per_op),
            missing: reps.clone().find_map(|c| c.missing.clone()),
        })
    }
}

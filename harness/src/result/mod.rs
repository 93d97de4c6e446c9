//! The result file: everything a run measured, with the configuration and machine it
//! came from, so tables can be regenerated and compared across machines later.
//! Serialised as JSON; [`SCHEMA_VERSION`] changes whenever a field changes meaning.
//!
//! Version 2 is compact: one latency histogram per cell and role (merged over the
//! repetitions) instead of one per repetition, and retained-memory series decimated to
//! at most [`compact::SERIES_POINTS`] points per repetition, kept for `stall` only (the
//! one workload charted over time). Version 1 files load and are
//! compacted on reading (`fencebench convert` writes them back).
//!
//! Version 3 leaves absent figures out instead of writing `null`, stores each reason a
//! counter is missing once per file ([`ResultFile::reasons`]), and keeps the merged
//! latency histogram of the primary role only (the one charted; every role's
//! percentiles stay in its summary). Versions 1 and 2 load and are compacted the same way.

use serde::{Deserialize, Serialize};

pub mod compact;
pub mod convert;
pub mod file;
pub mod hist;
pub mod software;
pub mod summary;

pub use software::{SoftwareCounters, SoftwareSummary};

pub const SCHEMA_VERSION: u32 = 3;
/// The oldest schema this fencebench reads.
pub const OLDEST_SCHEMA: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultFile {
    pub schema_version: u32,
    /// `fencebench <version>`.
    pub tool: String,
    /// RFC 3339 UTC time the run started.
    pub created: String,
    pub machine: Machine,
    pub config: RunConfig,
    /// Cost of the harness's own latency sampling, measured in the same run.
    pub harness_overhead: Option<Overhead>,
    pub cells: Vec<Cell>,
    /// Set when the run was interrupted: the file holds the cells that finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partial: Option<Partial>,
    /// On disk only (version 3): every distinct reason a counter is missing, each stored
    /// once and named where it applies as `@<index>` (the same reason repeats for every
    /// role of every repetition). Empty in memory: reading expands the names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

/// What an interrupted run did not measure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Partial {
    /// Why the run stopped (`SIGINT`, `SIGTERM`).
    pub reason: String,
    /// `implementation workload threads: k of n repetitions`, for every cell with fewer
    /// repetitions than asked.
    pub missing: Vec<String>,
}

/// Where the run happened. Unknown facts are `None`, never guessed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// Short label used in result paths and table headers (hostname unless given).
    pub name: String,
    /// Free-text description given with `--machine-desc`.
    pub description: Option<String>,
    pub cpu_model: Option<String>,
    pub logical_cores: usize,
    pub physical_cores: Option<usize>,
    pub smt: Option<bool>,
    pub kernel: Option<String>,
    pub rustc: Option<String>,
    pub git_commit: Option<String>,
    /// Read-side barrier mechanism: `membarrier` or `full-fence`.
    pub barrier: String,
    /// Why membarrier was not used, when it was not.
    pub barrier_reason: Option<String>,
    pub counters: CounterAvailability,
    /// Kernel clock source (e.g. `tsc`, `kvm-clock`) and the harness's sampling timer.
    pub clock_source: Option<String>,
    pub timer: String,
    /// Whether worker threads could be pinned, with the reason when not.
    pub pinning: Availability,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Availability {
    pub available: bool,
    pub reason: Option<String>,
}

/// Hardware counters: which could open on this machine, and why not for the others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CounterAvailability {
    pub enabled: bool,
    /// Per event: `None` = opened, `Some(reason)` = could not open.
    pub events: Vec<(String, Option<String>)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    pub implementations: Vec<String>,
    pub workloads: Vec<String>,
    pub threads: Vec<usize>,
    pub duration_ms: u64,
    pub warmup_ms: u64,
    pub repeat: usize,
    /// One operation in this many is timed into the latency histogram (0: none).
    pub sample_every: u64,
    pub counters: bool,
    pub pin: bool,
    pub quick: bool,
    /// Operations per primary thread when the run used `--ops` instead of a timed window.
    pub ops_budget: Option<u64>,
    pub signallers: Option<usize>,
    pub in_flight: usize,
    pub refresh_every: u32,
    pub stall_ms: u64,
    /// `stall --drivers`: drivers every signaller signals on, the reader stalling in
    /// driver 0 only; absent for a driver per signaller (the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drivers: Option<usize>,
    pub mix: String,
    pub wait_timeout_ms: u64,
    /// A cell ends early once the process's resident memory exceeds this
    /// (`--max-retained`); absent in version 1 files.
    #[serde(default)]
    pub max_resident_bytes: Option<u64>,
    /// What the clock deltas count: absent (older files) or `ns` for time, [`UNIT_ICOUNT`]
    /// for a run inside a QEMU guest with `-icount shift=0`, whose clock advances one
    /// nanosecond per executed instruction: its figures are instruction counts, never time,
    /// so every table says so and `compare` will not mix them with timed files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// [`RunConfig::unit`] of a run under QEMU icount (`fencebench run --icount`).
pub const UNIT_ICOUNT: &str = "instr";

impl RunConfig {
    /// Whether the figures are instructions counted by QEMU icount rather than time.
    pub fn icount(&self) -> bool {
        self.unit.as_deref() == Some(UNIT_ICOUNT)
    }

    /// The label of the per-operation figure: "ns/op", or "instr/op (icount)" (distinct
    /// from the hardware counters' "instr/op" column, which a guest run never fills).
    pub fn per_op(&self) -> &'static str {
        if self.icount() {
            "instr/op (icount)"
        } else {
            "ns/op"
        }
    }

    /// The unit of single-operation figures (latency percentiles): "ns" or "instr".
    pub fn unit_name(&self) -> &'static str {
        if self.icount() {
            "instr"
        } else {
            "ns"
        }
    }
}

/// Median with min and max over repetitions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Stat {
    /// `None` for no values. The median of an even count is the mean of the middle two.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Option<Stat> {
        let mut v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Some(Stat {
            median,
            min: v[0],
            max: v[n - 1],
        })
    }

    /// Whether two ranges overlap (an unflagged difference).
    pub fn overlaps(&self, other: &Stat) -> bool {
        self.min <= other.max && other.min <= self.max
    }
}

/// Latency percentiles in ns from a merged histogram.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    pub samples: u64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
}

/// One implementation × workload × thread count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub implementation: String,
    pub workload: String,
    pub threads: usize,
    /// The implementation's read-side mechanism in this process.
    pub mechanism: String,
    /// Why the cell did not run (the workload does not support these parameters).
    pub skipped: Option<String>,
    /// What the implementation drives when not fencebench's own code (`kernel`: the
    /// running kernel's release).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Why the pool figures (violations, retained driver data) were not measured; they
    /// are null or meaningless then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unobservable: Option<String>,
    /// What makes the figures less than a clean measurement: oversubscribed threads, a
    /// role that did no operation in the window, a stall cut short, the retained-memory
    /// limit reached. Tables flag such cells.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    pub reps: Vec<Rep>,
    pub summary: Option<Summary>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One repetition of a cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rep {
    /// The measured window as the coordinator timed it.
    pub window_ns: u64,
    pub roles: Vec<RoleRep>,
    pub pool: PoolFigures,
    pub lost_wakeups: u64,
    /// Waits that timed out before their fence was signalled (a starved signaller, not a
    /// lost wake-up); flagged on the cell.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub late_signals: u64,
    pub trace_records: u64,
    /// Signal-to-wake-up latency histogram (`wait`), V2+DEFLATE base64. Version 1
    /// only: version 2 keeps the merged histogram in the cell's summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wake_latency: Option<String>,
    /// Unload latency histogram (`unload`: request to driver memory freed, one sample per
    /// unload that freed it), as `wake_latency`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unload_latency: Option<String>,
    /// Retained (retired, unfreed) driver objects sampled during the window:
    /// `[ms since window start, retained]`; kept for `stall` only (see [`compact`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retained_series: Vec<[u64; 2]>,
    /// Why the window ended before its time (the retained-memory limit, a signal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_early: Option<String>,
}

/// Pool figures for one repetition (all pools of the workload summed).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PoolFigures {
    /// Late reads detected during the repetition; null where the implementation's memory
    /// is not observable (the cell's `unobservable` says why).
    pub violations: Option<u64>,
    pub freed: u64,
    pub retained_peak: u64,
    pub retained_mean: f64,
    pub live_peak: u64,
    /// Slots obtained from the allocator at the end (type-stable: never returned).
    pub capacity: u64,
    pub free_delay_mean_ns: Option<f64>,
    pub free_delay_max_ns: Option<u64>,
    /// The retained peak split between the driver a reader stalls in and the others
    /// (`stall --drivers`); absent where the workload does not split its drivers so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retained_split: Option<RetainedSplit>,
}

/// Retained (retired, unfreed) driver objects at their peak, sampled as
/// [`PoolFigures::retained_peak`] is: in the driver a reader stalls in, and in all the
/// other drivers together. Per-driver domains keep the second near zero; one
/// process-wide domain lets it grow as the first does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetainedSplit {
    pub stalled_peak: u64,
    pub others_peak: u64,
}

impl RetainedSplit {
    /// The larger of each peak.
    pub fn max(self, other: RetainedSplit) -> RetainedSplit {
        RetainedSplit {
            stalled_peak: self.stalled_peak.max(other.stalled_peak),
            others_peak: self.others_peak.max(other.others_peak),
        }
    }
}

/// One role's figures in one repetition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleRep {
    pub role: String,
    pub threads: usize,
    pub primary: bool,
    pub ops: u64,
    pub ops_per_sec: f64,
    /// Per-thread cost: threads × window ÷ operations; `None` when the role completed
    /// no operation in the window (never NaN: result files hold finite numbers only).
    pub ns_per_op: Option<f64>,
    pub counters: Counters,
    /// Sampled per-operation latency histogram, V2+DEFLATE base64. Version 1 only:
    /// version 2 keeps the merged histogram in the role's summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<String>,
}

/// Hardware-counter figures per operation; each is `None` with a reason in `missing`
/// when its counter could not be opened or did not run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cycles_per_op: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions_per_op: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_misses_per_op: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch_misses_per_op: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipc: Option<f64>,
    /// time_running ÷ time_enabled of the group (1.0: never multiplexed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running_fraction: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<String>,
    /// Software events (task-clock, context switches, migrations, page faults).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software: Option<SoftwareCounters>,
}

/// Summary of a cell over its repetitions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub roles: Vec<RoleSummary>,
    pub violations: Option<u64>,
    pub lost_wakeups: u64,
    pub retained_peak: u64,
    pub retained_mean: Option<Stat>,
    /// The largest split peaks over the repetitions (`stall --drivers`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retained_split: Option<RetainedSplit>,
    pub free_delay_mean_ns: Option<Stat>,
    pub wake_latency: Option<Percentiles>,
    /// The wake-up latencies of every repetition, merged (V2+DEFLATE base64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wake_histogram: Option<String>,
    /// Unload request to driver memory freed (`unload`), ns: the unload latency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unload_latency: Option<Percentiles>,
    /// The unload latencies of every repetition, merged (V2+DEFLATE base64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unload_histogram: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleSummary {
    pub role: String,
    pub threads: usize,
    pub primary: bool,
    pub ns_per_op: Stat,
    pub ops_per_sec: Stat,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cycles_per_op: Option<Stat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions_per_op: Option<Stat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_misses_per_op: Option<Stat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch_misses_per_op: Option<Stat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipc: Option<Stat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counters_missing: Option<String>,
    /// Software events per operation, over the repetitions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software: Option<SoftwareSummary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<Percentiles>,
    /// The sampled latencies of every repetition, merged (V2+DEFLATE base64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub histogram: Option<String>,
    /// ns/op as a ratio to `unprotected`'s median in the same run: median ratio, and the
    /// range of this implementation's repetitions over the baseline median.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio_to_baseline: Option<Stat>,
}

/// Throughput of one cell with sampling off and on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overhead {
    pub implementation: String,
    pub workload: String,
    pub threads: usize,
    pub sample_every: u64,
    pub ops_per_sec_off: Stat,
    pub ops_per_sec_on: Stat,
    /// on ÷ off medians: 1.0 means sampling costs nothing measurable.
    pub ratio: f64,
}

impl ResultFile {
    /// The primary role's summary of a cell, for tables.
    pub fn cell(&self, implementation: &str, workload: &str, threads: usize) -> Option<&Cell> {
        self.cells.iter().find(|c| {
            c.implementation == implementation && c.workload == workload && c.threads == threads
        })
    }
}

impl Summary {
    pub fn primary(&self) -> Option<&RoleSummary> {
        self.roles.iter().find(|r| r.primary)
    }
}

/// Events that could not open, grouped by reason: "cycles, instructions: ENOENT: …".
/// `None` when every event opened.
pub fn unavailable_events(avail: &[(String, Option<String>)]) -> Option<String> {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for (event, why) in avail {
        let Some(why) = why.as_deref() else { continue };
        match groups.iter_mut().find(|(w, _)| *w == why) {
            Some((_, events)) => events.push(event),
            None => groups.push((why, vec![event])),
        }
    }
    (!groups.is_empty()).then(|| {
        groups
            .iter()
            .map(|(why, events)| format!("{}: {why}", events.join(", ")))
            .collect::<Vec<_>>()
            .join("; ")
    })
}

#[cfg(test)]
pub(crate) mod fixture;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unit_is_ns_unless_the_file_says_icount() {
        let mut config = fixture::result_file().config;
        assert_eq!((config.icount(), config.per_op()), (false, "ns/op"));
        // Files from before the field read as time, and a timed run writes no field.
        let json = serde_json::to_value(&config).unwrap();
        assert!(json.get("unit").is_none());
        config.unit = Some(UNIT_ICOUNT.into());
        assert_eq!(config.per_op(), "instr/op (icount)");
        assert_eq!(config.unit_name(), "instr");
        let json = serde_json::to_string(&config).unwrap();
        assert!(json.contains(r#""unit":"instr""#), "{json}");
        let back: RunConfig = serde_json::from_str(&json).unwrap();
        assert!(back.icount());
    }

    #[test]
    fn stat_median_min_max() {
        let s = Stat::of([3.0, 1.0, 2.0]).unwrap();
        assert_eq!((s.median, s.min, s.max), (2.0, 1.0, 3.0));
        assert_eq!(Stat::of([4.0, 1.0, 2.0, 3.0]).unwrap().median, 2.5);
        assert!(Stat::of([]).is_none());
        assert!(Stat::of([f64::NAN]).is_none());
    }

    #[test]
    fn overlap_flags_only_disjoint_ranges() {
        let a = Stat {
            median: 2.0,
            min: 1.0,
            max: 3.0,
        };
        let b = Stat {
            median: 3.5,
            min: 2.9,
            max: 4.0,
        };
        let c = Stat {
            median: 5.0,
            min: 4.5,
            max: 6.0,
        };
        assert!(a.overlaps(&b) && b.overlaps(&a));
        assert!(!a.overlaps(&c));
    }
}

//! Hardware counters per worker thread, with the `perf-event` crate.
//!
//! One group per worker, opened by the worker itself before the start barrier (a
//! counter counts only the thread that opened it), at most four hardware events (a
//! larger group was never scheduled on the development VM), enabled once and read only at
//! the window edges (enable costs 200–350 µs and a read 3–13 µs there). Counts are
//! user-space only and scaled by time_enabled ÷ time_running. An event that cannot open
//! is reported missing with the reason; the run goes on.

use crate::result::Counters;
use perf_event::events::Hardware;
use perf_event::{Builder, Counter, Group};

/// The events, in the order of [`Sample::values`].
pub const EVENTS: [(&str, Hardware); 4] = [
    ("cycles", Hardware::CPU_CYCLES),
    ("instructions", Hardware::INSTRUCTIONS),
    ("cache-misses", Hardware::CACHE_MISSES),
    ("branch-misses", Hardware::BRANCH_MISSES),
];

/// An open group on the calling thread.
pub struct CounterGroup {
    group: Group,
    counters: Vec<Option<Counter>>,
}

/// Counter values at one instant, already scaled for multiplexing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sample {
    pub values: [Option<u64>; 4],
    pub time_enabled: u64,
    pub time_running: u64,
}

/// Why each event could not open (`None`: it opened), in [`EVENTS`] order.
pub type Availability = Vec<(String, Option<String>)>;

impl CounterGroup {
    /// Opens the group on the calling thread and enables it. Returns the group (if any
    /// event opened) and the per-event availability.
    pub fn open() -> (Option<CounterGroup>, Availability) {
        let mut group = match Group::new() {
            Ok(g) => g,
            Err(e) => {
                let reason = explain(&e);
                let avail = EVENTS
                    .iter()
                    .map(|(n, _)| (n.to_string(), Some(reason.clone())))
                    .collect();
                return (None, avail);
            }
        };
        let mut avail = Vec::new();
        let counters: Vec<Option<Counter>> = EVENTS
            .iter()
            .map(
                |(name, ev)| match Builder::new().group(&mut group).kind(*ev).build() {
                    Ok(c) => {
                        avail.push((name.to_string(), None));
                        Some(c)
                    }
                    Err(e) => {
                        avail.push((name.to_string(), Some(explain(&e))));
                        None
                    }
                },
            )
            .collect();
        if counters.iter().all(Option::is_none) {
            return (None, avail);
        }
        if let Err(e) = group.enable() {
            let reason = format!("enabling the counter group failed: {}", explain(&e));
            return (
                None,
                avail
                    .into_iter()
                    .map(|(n, _)| (n, Some(reason.clone())))
                    .collect(),
            );
        }
        (Some(CounterGroup { group, counters }), avail)
    }

    /// Reads all events at once. `None` if the read fails.
    pub fn read(&mut self) -> Option<Sample> {
        let counts = self.group.read().ok()?;
        let (enabled, running) = (counts.time_enabled(), counts.time_running());
        let scale = |v: u64| {
            if running == 0 || running == enabled {
                v
            } else {
                (v as f64 * enabled as f64 / running as f64) as u64
            }
        };
        let mut values = [None; 4];
        for (slot, c) in values.iter_mut().zip(&self.counters) {
            *slot = c.as_ref().and_then(|c| counts.get(c)).map(|&v| scale(v));
        }
        Some(Sample {
            values,
            time_enabled: enabled,
            time_running: running,
        })
    }
}

/// Turns an open error into the reason a reader of the result file needs.
pub fn explain(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::ENOENT) => "ENOENT: no such hardware event (VM without a PMU?)".into(),
        Some(libc::EACCES) => "EACCES: not permitted (kernel.perf_event_paranoid)".into(),
        Some(libc::EPERM) => "EPERM: not permitted (perf_event_paranoid or seccomp)".into(),
        Some(libc::ENOSYS) => "ENOSYS: perf_event_open not available".into(),
        Some(libc::EOPNOTSUPP) => "EOPNOTSUPP: event not supported here".into(),
        _ => e.to_string(),
    }
}

/// Per-operation figures from the samples taken at the window edges of `threads`
/// workers that together did `ops` operations.
pub fn per_op(deltas: &[Option<(Sample, Sample)>], ops: u64, missing: Option<String>) -> Counters {
    if ops == 0 {
        return Counters {
            missing: Some("no operations completed".into()),
            ..Default::default()
        };
    }
    let all: Vec<&(Sample, Sample)> = deltas.iter().flatten().collect();
    if all.is_empty() || all.len() != deltas.len() {
        let reason = missing.unwrap_or_else(|| "counter read failed on some worker".into());
        return Counters {
            missing: Some(reason),
            ..Default::default()
        };
    }
    let sum = |i: usize| -> Option<f64> {
        all.iter()
            .map(|(a, b)| Some(b.values[i]?.saturating_sub(a.values[i]?) as f64))
            .sum::<Option<f64>>()
    };
    let per = |i: usize| sum(i).map(|v| v / ops as f64);
    let enabled: u64 = all
        .iter()
        .map(|(a, b)| b.time_enabled - a.time_enabled)
        .sum();
    let running: u64 = all
        .iter()
        .map(|(a, b)| b.time_running - a.time_running)
        .sum();
    let cycles = sum(0);
    let instructions = sum(1);
    let unopened: Vec<&str> = EVENTS
        .iter()
        .enumerate()
        .filter(|(i, _)| sum(*i).is_none())
        .map(|(_, (n, _))| *n)
        .collect();
    Counters {
        cycles_per_op: per(0),
        instructions_per_op: per(1),
        cache_misses_per_op: per(2),
        branch_misses_per_op: per(3),
        ipc: match (instructions, cycles) {
            (Some(i), Some(c)) if c > 0.0 => Some(i / c),
            _ => None,
        },
        running_fraction: (enabled > 0).then(|| running as f64 / enabled as f64),
        missing: (!unopened.is_empty()).then(|| {
            format!(
                "{} unavailable: {}",
                unopened.join(", "),
                missing.unwrap_or_default()
            )
        }),
        software: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::unavailable_events;

    fn sample(v: [u64; 4], t: u64) -> Sample {
        Sample {
            values: v.map(Some),
            time_enabled: t,
            time_running: t,
        }
    }

    #[test]
    fn unavailable_groups_events_by_reason() {
        let avail = vec![
            ("cycles".to_string(), Some("ENOENT".to_string())),
            ("instructions".to_string(), None),
            ("cache-misses".to_string(), Some("ENOENT".to_string())),
            ("branch-misses".to_string(), Some("EOPNOTSUPP".to_string())),
        ];
        assert_eq!(
            unavailable_events(&avail).as_deref(),
            Some("cycles, cache-misses: ENOENT; branch-misses: EOPNOTSUPP")
        );
        assert_eq!(unavailable_events(&avail[1..2]), None);
    }

    #[test]
    fn per_op_divides_deltas_and_derives_ipc() {
        let d = vec![
            Some((sample([0, 0, 0, 0], 0), sample([100, 300, 2, 1], 10))),
            Some((sample([50, 50, 0, 0], 0), sample([150, 150, 2, 1], 10))),
        ];
        let c = per_op(&d, 100, None);
        assert_eq!(c.cycles_per_op, Some(2.0));
        assert_eq!(c.instructions_per_op, Some(4.0));
        assert_eq!(c.cache_misses_per_op, Some(0.04));
        assert_eq!(c.ipc, Some(2.0));
        assert_eq!(c.running_fraction, Some(1.0));
        assert!(c.missing.is_none());
    }

    #[test]
    fn missing_counters_are_null_with_reason_not_zero() {
        let c = per_op(&[None, None], 100, Some("ENOENT: no PMU".into()));
        assert_eq!(c.cycles_per_op, None);
        assert_eq!(c.missing.as_deref(), Some("ENOENT: no PMU"));
        let mut partial = sample([10, 10, 0, 0], 1);
        partial.values[2] = None;
        let c = per_op(
            &[Some((sample([0; 4], 0), partial))],
            10,
            Some("EOPNOTSUPP".into()),
        );
        assert_eq!(c.cache_misses_per_op, None);
        assert_eq!(c.cycles_per_op, Some(1.0));
        assert!(c.missing.unwrap().contains("cache-misses"));
    }

    /// On a machine whose PMU works, the group opens and counts instructions; where it
    /// cannot open, every event carries a reason. Either way nothing reads as zero.
    #[test]
    fn open_reports_counts_or_reasons() {
        let (group, avail) = CounterGroup::open();
        assert_eq!(avail.len(), EVENTS.len());
        match group {
            Some(mut g) => {
                let a = g.read().unwrap();
                let mut x = 0u64;
                for i in 0..100_000u64 {
                    x = std::hint::black_box(x.wrapping_add(i));
                }
                let b = g.read().unwrap();
                let instr = b.values[1].unwrap() - a.values[1].unwrap();
                assert!(
                    instr >= 100_000,
                    "counted {instr} instructions for a 100k-iteration loop"
                );
            }
            None => assert!(avail.iter().all(|(_, r)| r.is_some())),
        }
    }
}

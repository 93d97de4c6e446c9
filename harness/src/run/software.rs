//! Software perf events per worker thread, beside the hardware group: task-clock,
//! context switches, CPU migrations and page faults. The kernel counts these without a
//! PMU, so a run on a VM still has counter figures. Like the hardware group: opened by
//! the worker itself (counting only that thread), user and kernel both (a context switch
//! or a fault is the kernel's doing), read only at the window edges; an event that cannot
//! open is reported with the reason, never as zero.

use crate::result::{unavailable_events, SoftwareCounters};
use crate::run::counters::{explain, Availability};
use perf_event::events::Software;
use perf_event::{Builder, Counter, Group};

/// The events, in the order of [`SoftwareSample::values`].
pub const EVENTS: [(&str, Software); 4] = [
    ("task-clock", Software::TASK_CLOCK),
    ("context-switches", Software::CONTEXT_SWITCHES),
    ("cpu-migrations", Software::CPU_MIGRATIONS),
    ("page-faults", Software::PAGE_FAULTS),
];

/// An open software group on the calling thread.
pub struct SoftwareGroup {
    group: Group,
    counters: Vec<Option<Counter>>,
}

/// Values at one instant (software events are never multiplexed).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SoftwareSample {
    pub values: [Option<u64>; 4],
}

impl SoftwareGroup {
    /// Opens and enables the group on the calling thread: the group (if any event
    /// opened) and each event's availability.
    pub fn open() -> (Option<SoftwareGroup>, Availability) {
        let fail_all = |why: String| {
            EVENTS
                .iter()
                .map(|(n, _)| (n.to_string(), Some(why.clone())))
                .collect()
        };
        // The crate's group leader is a software (dummy) event, so the group schedules
        // without a PMU.
        let mut group = match Group::new() {
            Ok(g) => g,
            Err(e) => return (None, fail_all(explain(&e))),
        };
        let mut avail = Vec::new();
        let counters: Vec<Option<Counter>> = EVENTS
            .iter()
            .map(|(name, ev)| {
                let mut builder = Builder::new().group(&mut group).kind(*ev);
                builder.include_kernel();
                let built = builder.build();
                avail.push((name.to_string(), built.as_ref().err().map(explain)));
                built.ok()
            })
            .collect();
        if counters.iter().all(Option::is_none) {
            return (None, avail);
        }
        if let Err(e) = group.enable() {
            let why = format!("enabling the software group failed: {}", explain(&e));
            return (None, fail_all(why));
        }
        (Some(SoftwareGroup { group, counters }), avail)
    }

    /// Reads every event at once; `None` if the read fails.
    pub fn read(&mut self) -> Option<SoftwareSample> {
        let counts = self.group.read().ok()?;
        let mut values = [None; 4];
        for (slot, c) in values.iter_mut().zip(&self.counters) {
            *slot = c.as_ref().and_then(|c| counts.get(c)).copied();
        }
        Some(SoftwareSample { values })
    }
}

/// Per-operation figures from the window-edge samples of every worker of one role,
/// which together did `ops` operations. `missing`: why the group could not open.
pub fn per_op(
    deltas: &[Option<(SoftwareSample, SoftwareSample)>],
    ops: u64,
    missing: Option<String>,
) -> SoftwareCounters {
    let all: Vec<&(SoftwareSample, SoftwareSample)> = deltas.iter().flatten().collect();
    if ops == 0 || all.is_empty() || all.len() != deltas.len() {
        let why = if ops == 0 {
            "no operations completed".to_string()
        } else {
            missing.unwrap_or_else(|| "software counter read failed on some worker".into())
        };
        return SoftwareCounters {
            missing: Some(why),
            ..Default::default()
        };
    }
    let per = |i: usize| -> Option<f64> {
        let sum = all
            .iter()
            .map(|(a, b)| Some(b.values[i]?.saturating_sub(a.values[i]?) as f64))
            .sum::<Option<f64>>()?;
        Some(sum / ops as f64)
    };
    let unopened: Vec<&str> = EVENTS
        .iter()
        .enumerate()
        .filter(|(i, _)| per(*i).is_none())
        .map(|(_, (n, _))| *n)
        .collect();
    SoftwareCounters {
        task_clock_ns_per_op: per(0),
        context_switches_per_op: per(1),
        cpu_migrations_per_op: per(2),
        page_faults_per_op: per(3),
        missing: (!unopened.is_empty()).then(|| {
            format!(
                "{} unavailable: {}",
                unopened.join(", "),
                missing.unwrap_or_default()
            )
        }),
    }
}

/// Why some software events could not open, grouped by reason; `None` if all opened.
pub fn missing(avail: &Availability) -> Option<String> {
    unavailable_events(avail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(v: [u64; 4]) -> SoftwareSample {
        SoftwareSample {
            values: v.map(Some),
        }
    }

    #[test]
    fn per_op_sums_workers_and_divides_by_ops() {
        let d = vec![
            Some((sample([0, 0, 0, 0]), sample([1000, 4, 1, 10]))),
            Some((sample([500, 1, 0, 0]), sample([1500, 3, 1, 10]))),
        ];
        let c = per_op(&d, 10, None);
        assert_eq!(c.task_clock_ns_per_op, Some(200.0));
        assert_eq!(c.context_switches_per_op, Some(0.6));
        assert_eq!(c.cpu_migrations_per_op, Some(0.2));
        assert_eq!(c.page_faults_per_op, Some(2.0));
        assert!(c.missing.is_none());
    }

    #[test]
    fn unopened_events_are_null_with_the_reason() {
        let c = per_op(&[None], 10, Some("EACCES: not permitted".into()));
        assert_eq!(c.context_switches_per_op, None);
        assert_eq!(c.missing.as_deref(), Some("EACCES: not permitted"));
        let mut b = sample([10, 1, 0, 2]);
        b.values[3] = None;
        let c = per_op(&[Some((sample([0; 4]), b))], 1, Some("ENOENT".into()));
        assert_eq!(c.page_faults_per_op, None);
        assert_eq!(c.context_switches_per_op, Some(1.0));
        assert!(c.missing.unwrap().starts_with("page-faults unavailable"));
    }

    /// Software events need no PMU: where perf_event_open works at all, a thread that
    /// sleeps switches context, and a thread that touches fresh pages faults.
    #[test]
    fn counts_this_threads_switches_and_faults() {
        let (group, avail) = SoftwareGroup::open();
        let Some(mut g) = group else {
            eprintln!("SKIPPED counts_this_threads_switches_and_faults: {avail:?}");
            return;
        };
        let a = g.read().expect("read");
        std::thread::sleep(std::time::Duration::from_millis(2));
        // 64 MiB: above glibc's largest mmap threshold, so fresh pages every time.
        let pages: Vec<u8> = vec![1; 64 << 20];
        std::hint::black_box(&pages);
        let b = g.read().expect("read");
        let d = |i: usize| b.values[i].unwrap() - a.values[i].unwrap();
        assert!(d(1) >= 1, "a sleep counted {} context switches", d(1));
        assert!(
            d(3) >= 1,
            "touching 64 MiB of fresh pages counted {} faults",
            d(3)
        );
        assert!(d(0) > 0, "task-clock did not advance");
    }
}

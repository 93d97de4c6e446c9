//! Summaries over repetitions: median [min–max] of every figure, percentiles from the
//! merged histograms, and each figure as a ratio to the `unprotected` baseline measured
//! in the same run.

use crate::result::hist::{encode_hist, merge, percentiles};
use crate::result::{Cell, Counters, RetainedSplit, RoleSummary, SoftwareSummary, Stat, Summary};
use std::collections::HashMap;

/// The implementation every ratio is relative to.
pub const BASELINE: &str = "unprotected";

/// Fills `cell.summary` from its repetitions (ratios are added by [`add_ratios`]).
pub fn summarize(cell: &mut Cell) {
    let Some(first) = cell.reps.first() else {
        return;
    };
    let roles = first
        .roles
        .iter()
        .filter_map(|r0| {
            let reps: Vec<_> = cell
                .reps
                .iter()
                .filter_map(|rep| rep.roles.iter().find(|r| r.role == r0.role))
                .collect();
            let latency = merge(reps.iter().filter_map(|r| r.latency.as_ref()));
            let counter = |f: fn(&Counters) -> Option<f64>| {
                Stat::of(reps.iter().filter_map(|r| f(&r.counters)))
            };
            Some(RoleSummary {
                role: r0.role.clone(),
                threads: r0.threads,
                primary: r0.primary,
                ns_per_op: Stat::of(reps.iter().filter_map(|r| r.ns_per_op))?,
                ops_per_sec: Stat::of(reps.iter().map(|r| r.ops_per_sec))?,
                cycles_per_op: counter(|c| c.cycles_per_op),
                instructions_per_op: counter(|c| c.instructions_per_op),
                cache_misses_per_op: counter(|c| c.cache_misses_per_op),
                branch_misses_per_op: counter(|c| c.branch_misses_per_op),
                ipc: counter(|c| c.ipc),
                counters_missing: reps.iter().find_map(|r| r.counters.missing.clone()),
                software: SoftwareSummary::of(
                    reps.iter().filter_map(|r| r.counters.software.as_ref()),
                ),
                latency: latency.as_ref().and_then(percentiles),
                histogram: latency.as_ref().map(encode_hist),
                ratio_to_baseline: None,
            })
        })
        .collect();
    let wake = merge(cell.reps.iter().filter_map(|r| r.wake_latency.as_ref()));
    let unload = merge(cell.reps.iter().filter_map(|r| r.unload_latency.as_ref()));
    cell.summary = Some(Summary {
        roles,
        violations: cell.reps.iter().map(|r| r.pool.violations).sum(),
        lost_wakeups: cell.reps.iter().map(|r| r.lost_wakeups).sum(),
        retained_peak: cell
            .reps
            .iter()
            .map(|r| r.pool.retained_peak)
            .max()
            .unwrap_or(0),
        retained_mean: Stat::of(cell.reps.iter().map(|r| r.pool.retained_mean)),
        retained_split: cell
            .reps
            .iter()
            .filter_map(|r| r.pool.retained_split)
            .reduce(RetainedSplit::max),
        free_delay_mean_ns: Stat::of(cell.reps.iter().filter_map(|r| r.pool.free_delay_mean_ns)),
        wake_latency: wake.as_ref().and_then(percentiles),
        wake_histogram: wake.as_ref().map(encode_hist),
        unload_latency: unload.as_ref().and_then(percentiles),
        unload_histogram: unload.as_ref().map(encode_hist),
    });
}

/// Adds ns/op ratios to the baseline cell of the same workload and thread count.
/// The ratio's median is median ÷ baseline median; its range is this implementation's
/// min and max over the baseline median.
pub fn add_ratios(cells: &mut [Cell]) {
    // (workload, threads, role) -> the baseline's median ns/op.
    let mut baseline: HashMap<(String, usize, String), f64> = HashMap::new();
    for c in cells.iter().filter(|c| c.implementation == BASELINE) {
        for r in c.summary.iter().flat_map(|s| &s.roles) {
            baseline.insert(
                (c.workload.clone(), c.threads, r.role.clone()),
                r.ns_per_op.median,
            );
        }
    }
    for cell in cells.iter_mut() {
        let Some(summary) = cell.summary.as_mut() else {
            continue;
        };
        for role in &mut summary.roles {
            let key = (cell.workload.clone(), cell.threads, role.role.clone());
            if let Some(&b) = baseline.get(&key).filter(|&&b| b > 0.0) {
                let s = role.ns_per_op;
                role.ratio_to_baseline = Some(Stat {
                    median: s.median / b,
                    min: s.min / b,
                    max: s.max / b,
                });
            }
        }
    }
}

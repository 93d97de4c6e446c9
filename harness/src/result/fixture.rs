//! A small but complete result file for tests of the modules that read, write and
//! report result files: three implementations, three workloads, two thread counts,
//! three repetitions, a skipped cell and a counter that could not open.

use super::*;
use hdrhistogram::Histogram;

/// An empty latency histogram with the runner's bounds (1 ns to an hour, 3 digits).
pub(crate) fn histogram() -> Histogram<u64> {
    crate::result::hist::new()
}

fn latency(ns: f64) -> String {
    let mut h = histogram();
    for i in 0..1000 {
        h.record(ns as u64 + i % 50).expect("in bounds");
    }
    crate::result::hist::encode_hist(&h)
}

/// ns/op of one thread of each implementation's primary role.
const IMPLEMENTATIONS: [(&str, f64); 3] = [("unprotected", 1.25), ("hazptr", 1.5), ("rcu", 250.0)];
const REPEAT: usize = 3;

/// The fixture in the current, compact schema.
pub(crate) fn result_file() -> ResultFile {
    v1_file().upgraded()
}

/// The fixture with 5 repetitions (the two added ones 0.9 % and 1.2 % slower than the
/// first), enough for the comparison's test to decide.
pub(crate) fn five_reps() -> ResultFile {
    let mut file = result_file();
    file.config.repeat = 5;
    for cell in &mut file.cells {
        if let Some(first) = cell.reps.first().cloned() {
            for k in 3..5 {
                let mut rep = first.clone();
                for role in &mut rep.roles {
                    role.ns_per_op = role.ns_per_op.map(|v| v * (1.0 + 0.003 * k as f64));
                }
                cell.reps.push(rep);
            }
        }
    }
    file
}

/// The fixture as schema 1 wrote it: a latency histogram per repetition and role.
pub(crate) fn v1_file() -> ResultFile {
    let workloads = ["describe", "wait", "stall"];
    let threads = [1, 2];
    let mut cells = Vec::new();
    for workload in workloads {
        for t in threads {
            let mut baseline = None;
            for (implementation, ns) in IMPLEMENTATIONS {
                let mut c = cell(implementation, workload, t, ns, baseline);
                if let Some(s) = c.summary.as_ref() {
                    baseline = baseline.or(Some(s.roles[0].ns_per_op.median));
                }
                if workload == "stall" && t == 1 {
                    c.skipped = Some("stall needs at least 2 threads".into());
                    c.reps.clear();
                    c.summary = None;
                }
                cells.push(c);
            }
        }
    }
    ResultFile {
        schema_version: 1,
        tool: "fencebench 0.1.0".into(),
        created: "2025-01-02T03:04:05Z".into(),
        machine: Machine {
            name: "testbox".into(),
            description: Some("a test machine".into()),
            cpu_model: Some("Test CPU".into()),
            logical_cores: 2,
            physical_cores: Some(1),
            smt: Some(true),
            kernel: Some("6.1.0".into()),
            rustc: Some("rustc 1.95.0".into()),
            git_commit: Some("abc1234".into()),
            barrier: "membarrier".into(),
            barrier_reason: None,
            counters: CounterAvailability {
                enabled: true,
                events: vec![
                    ("cycles".into(), None),
                    ("instructions".into(), None),
                    ("cache-misses".into(), Some("ENOENT: no such event".into())),
                    ("branch-misses".into(), None),
                ],
            },
            clock_source: Some("tsc".into()),
            timer: "quanta TSC".into(),
            pinning: Availability {
                available: true,
                reason: None,
            },
        },
        config: RunConfig {
            implementations: IMPLEMENTATIONS.iter().map(|(n, _)| n.to_string()).collect(),
            workloads: workloads.map(String::from).to_vec(),
            threads: threads.to_vec(),
            duration_ms: 1000,
            warmup_ms: 200,
            repeat: REPEAT,
            sample_every: 1024,
            counters: true,
            pin: true,
            quick: false,
            ops_budget: None,
            signallers: None,
            in_flight: 16,
            refresh_every: 64,
            stall_ms: 50,
            drivers: None,
            mix: "90/9/1".into(),
            wait_timeout_ms: 1000,
            max_resident_bytes: None,
            unit: None,
        },
        harness_overhead: Some(Overhead {
            implementation: "hazptr".into(),
            workload: "describe".into(),
            threads: 1,
            sample_every: 1024,
            ops_per_sec_off: Stat {
                median: 6.6e8,
                min: 6.5e8,
                max: 6.7e8,
            },
            ops_per_sec_on: Stat {
                median: 6.5e8,
                min: 6.4e8,
                max: 6.6e8,
            },
            ratio: 0.985,
        }),
        cells,
        partial: None,
        reasons: Vec::new(),
    }
}

/// One cell; `wait` on `hazptr` has no cycle counter. `baseline` is unprotected's median.
fn cell(
    implementation: &str,
    workload: &str,
    threads: usize,
    ns: f64,
    baseline: Option<f64>,
) -> Cell {
    let no_cycles = workload == "wait" && implementation == "hazptr";
    let reps: Vec<Rep> = (0..REPEAT)
        .map(|r| {
            let ns = ns * threads as f64 * (1.0 + 0.01 * r as f64);
            let role = |role: &str, primary: bool, ns: f64| RoleRep {
                role: role.into(),
                threads: if primary { threads } else { 1 },
                primary,
                ops: (1e9 / ns) as u64,
                ops_per_sec: 1e9 / ns,
                ns_per_op: Some(ns),
                counters: Counters {
                    cycles_per_op: (!no_cycles).then_some(ns * 2.6),
                    instructions_per_op: Some(ns * 4.0),
                    cache_misses_per_op: None,
                    branch_misses_per_op: Some(0.01),
                    ipc: (!no_cycles).then_some(4.0 / 2.6),
                    running_fraction: Some(1.0),
                    missing: Some(
                        if no_cycles {
                            "cycles: ENOENT"
                        } else {
                            "cache-misses: ENOENT"
                        }
                        .into(),
                    ),
                    software: None,
                },
                latency: Some(latency(ns)),
            };
            Rep {
                window_ns: 1_000_000_000,
                roles: vec![
                    role("reader", true, ns),
                    role("signaller", false, ns * 40.0),
                ],
                pool: PoolFigures {
                    violations: Some(u64::from(implementation == "unprotected" && r == 1)),
                    freed: 1000,
                    retained_peak: 10 + r as u64,
                    retained_mean: 5.5,
                    live_peak: 20,
                    capacity: 32,
                    free_delay_mean_ns: (workload == "stall").then_some(5e7),
                    free_delay_max_ns: (workload == "stall").then_some(60_000_000),
                    retained_split: None,
                },
                lost_wakeups: 0,
                late_signals: 0,
                trace_records: 0,
                wake_latency: (workload == "wait").then(|| latency(2000.0)),
                unload_latency: (workload == "unload").then(|| latency(3_000_000.0)),
                retained_series: vec![[0, 0], [500, 10 + r as u64]],
                ended_early: None,
            }
        })
        .collect();
    let roles = (0..2)
        .map(|i| {
            let rr: Vec<&RoleRep> = reps.iter().map(|r| &r.roles[i]).collect();
            let stat = |f: fn(&RoleRep) -> Option<f64>| Stat::of(rr.iter().filter_map(|r| f(r)));
            let ns_per_op = stat(|r| r.ns_per_op).expect("reps");
            let base = if i == 0 {
                baseline.or(Some(ns_per_op.median))
            } else {
                None
            };
            RoleSummary {
                role: rr[0].role.clone(),
                threads: rr[0].threads,
                primary: rr[0].primary,
                ns_per_op,
                ops_per_sec: stat(|r| Some(r.ops_per_sec)).expect("reps"),
                cycles_per_op: stat(|r| r.counters.cycles_per_op),
                instructions_per_op: stat(|r| r.counters.instructions_per_op),
                cache_misses_per_op: stat(|r| r.counters.cache_misses_per_op),
                branch_misses_per_op: stat(|r| r.counters.branch_misses_per_op),
                ipc: stat(|r| r.counters.ipc),
                counters_missing: rr[0].counters.missing.clone(),
                software: None,
                histogram: None,
                latency: Some(Percentiles {
                    samples: 3000,
                    p50: ns_per_op.median as u64,
                    p90: (ns_per_op.median * 1.5) as u64,
                    p99: (ns_per_op.median * 3.0) as u64 + 7,
                    p999: (ns_per_op.median * 10.0) as u64,
                    max: (ns_per_op.median * 100.0) as u64,
                }),
                ratio_to_baseline: base.map(|b| Stat {
                    median: ns_per_op.median / b,
                    min: ns_per_op.min / b,
                    max: ns_per_op.max / b,
                }),
            }
        })
        .collect();
    Cell {
        implementation: implementation.into(),
        workload: workload.into(),
        threads,
        mechanism: "membarrier".into(),
        skipped: None,
        version: None,
        unobservable: None,
        flags: Vec::new(),
        summary: Some(Summary {
            roles,
            violations: reps.iter().map(|r| r.pool.violations).sum(),
            lost_wakeups: 0,
            retained_peak: reps.iter().map(|r| r.pool.retained_peak).max().unwrap_or(0),
            retained_mean: Stat::of(reps.iter().map(|r| r.pool.retained_mean)),
            retained_split: None,
            free_delay_mean_ns: Stat::of(reps.iter().filter_map(|r| r.pool.free_delay_mean_ns)),
            wake_latency: (workload == "wait").then_some(Percentiles {
                samples: 3000,
                p50: 2000,
                p90: 2040,
                p99: 2049,
                p999: 2049,
                max: 2049,
            }),
            wake_histogram: None,
            unload_latency: (workload == "unload").then_some(Percentiles {
                samples: 1000,
                p50: 3_000_000,
                p90: 3_000_040,
                p99: 3_000_049,
                p999: 3_000_049,
                max: 3_000_049,
            }),
            unload_histogram: None,
        }),
        reps,
    }
}

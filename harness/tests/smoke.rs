//! Every workload × implementation runs end to end on a tiny operation budget, and the
//! correctness figures hold: zero violations and lost wake-ups for the safe
//! implementations.

use fencebench::result::Rep;
use fencebench::run::runner::{run_rep, RepSpec, Window};
use fencebench_impls::{for_each_impl, Implementation, Operation, IMPLEMENTATIONS};
use fencebench_workloads::{
    for_each_workload, properties, Params, Unsupported, Workload, WORKLOADS,
};
use std::time::Duration;

fn spec(threads: usize) -> RepSpec {
    RepSpec {
        params: Params {
            threads,
            stall: Duration::from_millis(2),
            ..Params::default()
        },
        window: Window::Ops(300),
        sample_every: 7,
        counters: true,
        pin: true,
        retained_every: Duration::from_millis(1),
        max_resident: u64::MAX,
        icount: false,
    }
}

fn run<I: Implementation, W: Workload<I>>(threads: usize) -> Result<Rep, Unsupported> {
    let workload = W::new(&spec(threads).params)?;
    let rep = run_rep::<I, W>(&spec(threads), &workload);
    drop(workload);
    I::quiesce();
    Ok(rep)
}

fn smoke(implementation: &str, workload: &str) {
    // Ignored tests (the kernel's, without vgem) fail here rather than pass unseen.
    let unavailable = for_each_impl!(implementation, I => I::unavailable()).unwrap();
    assert_eq!(unavailable, None, "{implementation} unavailable");
    let shows = properties(workload).expect("a listed workload");
    let observable = for_each_impl!(implementation, I => {
        I::unsupported(Operation::PoolFigures).is_none()
    })
    .unwrap();
    let reclaims_at_signal = for_each_impl!(implementation, I => I::RECLAIMS_AT_SIGNAL).unwrap();
    for threads in [1, 2, 3] {
        let rep = for_each_impl!(implementation, I => {
            for_each_workload!(workload, I, W => run::<I, W>(threads)).unwrap()
        })
        .unwrap();
        let rep = match rep {
            Ok(rep) => rep,
            // An implementation refuses a workload it cannot do, saying so.
            Err(Unsupported::Implementation { .. }) => return,
            Err(reason) => {
                // Otherwise a workload refuses only fewer threads than its table row says.
                assert!(
                    threads < shows.min_threads,
                    "{workload} refused {threads} threads: {reason}"
                );
                continue;
            }
        };
        let primary = rep
            .roles
            .iter()
            .find(|r| r.primary)
            .expect("a primary role");
        assert!(
            primary.ops >= 300 * primary.threads as u64,
            "{implementation}/{workload}: {primary:?}"
        );
        assert!(primary.ns_per_op.is_some_and(|ns| ns > 0.0) && primary.ops_per_sec > 0.0);
        assert!(
            primary.latency.is_some(),
            "sampling 1 in 7 recorded nothing"
        );
        assert_eq!(
            rep.lost_wakeups, 0,
            "{implementation}/{workload}: lost wake-ups"
        );
        assert_eq!(rep.pool.violations.is_some(), observable);
        if implementation != "unprotected" {
            assert_eq!(
                rep.pool.violations.unwrap_or(0),
                0,
                "{implementation}/{workload} t={threads}: violations"
            );
        }
        if shows.wakes {
            assert!(rep.wake_latency.is_some());
        }
        if shows.traces {
            assert!(rep.trace_records > 0);
        }
        // Every unload of a scheme that reclaims at signal returns with the memory freed:
        // one request-to-freed sample each (`refcount` has one only when no reader held
        // the driver's fences at that moment).
        if shows.unloads && reclaims_at_signal {
            assert!(
                rep.unload_latency.is_some(),
                "{implementation}: no unload latency"
            );
        }
        // A scheme that reclaims in large batches (haphazard scans once 1,000 objects
        // are retired) may free nothing within this tiny budget.
        if shows.stalls {
            assert_eq!(
                rep.pool.free_delay_mean_ns.is_some(),
                rep.pool.freed > 0,
                "stall pools track the free delay of every free"
            );
            assert_eq!(rep.pool.retained_split, None, "split without --drivers");
        }
        assert!(!rep.retained_series.is_empty());
    }
}

macro_rules! smoke_tests {
    ($($(#[$attr:meta])* $module:ident => $name:literal),* $(,)?) => {$(
        mod $module {
            $(#[$attr])* #[test] fn signal() { super::smoke($name, "signal") }
            $(#[$attr])* #[test] fn wait() { super::smoke($name, "wait") }
            $(#[$attr])* #[test] fn describe() { super::smoke($name, "describe") }
            $(#[$attr])* #[test] fn trace() { super::smoke($name, "trace") }
            $(#[$attr])* #[test] fn mixed() { super::smoke($name, "mixed") }
            $(#[$attr])* #[test] fn stall() { super::smoke($name, "stall") }
            $(#[$attr])* #[test] fn section() { super::smoke($name, "section") }
            $(#[$attr])* #[test] fn unload() { super::smoke($name, "unload") }
        }
    )*
        /// The list above must name every implementation.
        #[test]
        fn every_implementation_and_workload_has_a_smoke_test() {
            assert_eq!(IMPLEMENTATIONS, [$($name),*]);
            assert_eq!(
                WORKLOADS,
                ["signal", "wait", "describe", "trace", "mixed", "stall", "section", "unload"]
            );
        }
    };
}

smoke_tests!(
    unprotected => "unprotected",
    rcu => "rcu",
    rcu_detach => "rcu-detach",
    rcu_qsbr => "rcu-qsbr",
    srcu => "srcu",
    srcu_fast => "srcu-fast",
    rcu_crossbeam => "rcu-crossbeam",
    hyaline_seize => "hyaline-seize",
    sdd => "sdd",
    refcount => "refcount",
    hazptr => "hazptr",
    hazptr_haphazard => "hazptr-haphazard",
    arcswap => "arcswap",
    lock => "lock",
    #[ignore = "needs a vgem device (/dev/dri/card*): scripts/kernel-vm.sh runs it in a guest"]
    kernel => "kernel",
);

/// Under `--icount` the coordinator sleeps through the window, woken at its end, in both
/// kinds of window: retained memory is sampled once, at the close, where an ordinary run
/// samples every millisecond.
#[test]
fn icount_windows_run_no_sampler_inside() {
    type I = fencebench_impls::Rcu;
    let mut spec = spec(2);
    spec.params.signallers = Some(1);
    spec.retained_every = Duration::from_millis(1);
    for window in [
        Window::Ops(200_000),
        Window::Timed {
            warmup: Duration::from_millis(5),
            duration: Duration::from_millis(50),
        },
    ] {
        spec.window = window;
        let workload = fencebench_workloads::Section::<I>::new(&spec.params).unwrap();
        spec.icount = false;
        let sampled = run_rep::<I, _>(&spec, &workload);
        spec.icount = true;
        let quiet = run_rep::<I, _>(&spec, &workload);
        drop(workload);
        I::quiesce();
        assert!(
            sampled.retained_series.len() > 2,
            "{window:?}: {:?}",
            sampled.retained_series
        );
        assert_eq!(quiet.retained_series.len(), 1, "{window:?}");
        let budget = match window {
            Window::Ops(n) => n,
            Window::Timed { .. } => 1,
        };
        assert!(
            quiet.roles[0].ops >= budget,
            "{window:?}: {:?}",
            quiet.roles[0]
        );
    }
}

/// `section --signallers 1`: readers' sections race the signaller's retirement; the safe
/// implementations still read nothing freed, and signalled fences' sections end early.
#[test]
fn section_with_signallers() {
    for &implementation in IMPLEMENTATIONS {
        if for_each_impl!(implementation, I => I::unavailable())
            .unwrap()
            .is_some()
        {
            continue;
        }
        let mut spec = spec(3);
        spec.params.signallers = Some(1);
        let rep = for_each_impl!(implementation, I => {
            let workload = fencebench_workloads::Section::<I>::new(&spec.params).unwrap();
            let rep = run_rep::<I, _>(&spec, &workload);
            drop(workload);
            I::quiesce();
            rep
        })
        .unwrap();
        let roles: Vec<(&str, usize)> = rep
            .roles
            .iter()
            .map(|r| (r.role.as_str(), r.threads))
            .collect();
        assert_eq!(roles, [("reader", 2), ("signaller", 1)]);
        assert!(
            rep.roles[0].ops >= 600,
            "{implementation}: {:?}",
            rep.roles[0]
        );
        if implementation != "unprotected" {
            assert_eq!(
                rep.pool.violations.unwrap_or(0),
                0,
                "{implementation}: violations"
            );
        }
    }
}

/// `stall --drivers`: every implementation that can stall runs with three drivers, two
/// signallers signalling on all of them and the reader stalling in driver 0; the retained
/// figures come split, and each sample's split adds up to its total.
#[test]
fn stall_with_drivers() {
    for &implementation in IMPLEMENTATIONS {
        let mut spec = spec(3);
        spec.params.drivers = Some(3);
        let rep = for_each_impl!(implementation, I => {
            let workload = match fencebench_workloads::Stall::<I>::new(&spec.params) {
                Ok(w) => w,
                Err(reason) => {
                    eprintln!("{implementation}: skipped: {reason}");
                    continue;
                }
            };
            assert_eq!(workload.pools().len(), 3);
            assert_eq!(workload.stalled_pools(), Some(1));
            let rep = run_rep::<I, _>(&spec, &workload);
            drop(workload);
            I::quiesce();
            rep
        })
        .unwrap();
        let split = rep.pool.retained_split.expect("a split retained peak");
        assert!(
            split.stalled_peak.max(split.others_peak) <= rep.pool.retained_peak
                && rep.pool.retained_peak <= split.stalled_peak + split.others_peak,
            "{implementation}: {split:?} against a peak of {}",
            rep.pool.retained_peak
        );
        if implementation != "unprotected" {
            assert_eq!(
                rep.pool.violations.unwrap_or(0),
                0,
                "{implementation}: violations"
            );
        }
    }
}

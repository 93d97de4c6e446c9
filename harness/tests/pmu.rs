//! The hardware-counter path, checked where a PMU exists: a loop of known length reads
//! its expected instruction count, and a counter opened by one thread counts only that
//! thread (what per-worker groups rely on). Both are ignored by default, since most CI
//! machines and VMs have no PMU (or perf_event_paranoid or seccomp forbids it): run them
//! with `cargo test -p fencebench --test pmu -- --ignored` where one exists; there a
//! counter that cannot open fails the test with the reason.

use fencebench::run::counters::explain;
use perf_event::events::Hardware;
use perf_event::{Builder, Counter};

/// Iterations of [`spin`]; each is two user-space instructions (`dec`, `jnz`).
const N: u64 = 10_000_000;

/// Allowed deviation from the expected count (enable/disable and interrupts add a few
/// hundred instructions; skid and multiplexing a little more).
const TOLERANCE: f64 = 0.03;

/// A user-space instructions counter on the calling thread; panics with why none opens.
fn instructions() -> Counter {
    Builder::new()
        .kind(Hardware::INSTRUCTIONS)
        .build()
        .unwrap_or_else(|e| panic!("cannot open instructions: {}", explain(&e)))
}

/// Exactly `2 * n` instructions: a count-down loop the compiler cannot change.
#[cfg(target_arch = "x86_64")]
fn spin(n: u64) {
    // SAFETY: the loop only decrements a register it declares as clobbered input and
    // touches no memory or stack.
    unsafe {
        std::arch::asm!(
            "2:",
            "dec {n}",
            "jnz 2b",
            n = inout(reg) n => _,
            options(nomem, nostack),
        );
    }
}

/// Instructions `counter` counted while `f` ran.
fn count(counter: &mut Counter, f: impl FnOnce()) -> u64 {
    counter.reset().expect("reset counter");
    counter.enable().expect("enable counter");
    f();
    counter.disable().expect("disable counter");
    counter.read().expect("read counter")
}

fn within(got: u64, expected: u64) -> bool {
    (got as f64 - expected as f64).abs() <= expected as f64 * TOLERANCE
}

#[cfg(target_arch = "x86_64")]
#[test]
#[ignore = "needs a hardware PMU: run with --ignored where perf_event_open works"]
fn known_loop_reads_its_instruction_count() {
    let mut counter = instructions();
    let got = count(&mut counter, || spin(N));
    assert!(
        within(got, 2 * N),
        "a {N}-iteration loop of 2 instructions counted {got}, expected {} ± {:.0} %",
        2 * N,
        TOLERANCE * 100.0
    );
}

#[cfg(target_arch = "x86_64")]
#[test]
#[ignore = "needs a hardware PMU: run with --ignored where perf_event_open works"]
fn a_thread_counter_counts_only_its_own_thread() {
    let mut mine = instructions();
    // While this thread runs N iterations, another runs 5 N under its own counter.
    let (own, other) = std::thread::scope(|s| {
        let other = s.spawn(|| {
            let mut theirs = instructions();
            count(&mut theirs, || spin(5 * N))
        });
        let own = count(&mut mine, || spin(N));
        (own, other.join().expect("counting thread"))
    });
    assert!(
        within(own, 2 * N),
        "this thread's counter read {own}, expected {} (its own loop only)",
        2 * N
    );
    assert!(
        within(other, 10 * N),
        "the other thread's counter read {other}, expected {}",
        10 * N
    );
}

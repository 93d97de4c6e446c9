//! Instructions per operation under Callgrind, for every implementation:
//! `cargo bench --bench instructions` (gungraun; needs Valgrind and `gungraun-runner`
//! at this crate's gungraun version, see the README).
//!
//! Each benchmark runs in its own process under Callgrind. Only the benchmark function
//! is counted: its setup (timeline, fences, and a warm-up that initialises every
//! thread-local the operation touches) is not, and whatever the function returns is
//! dropped after counting stops (the single-operation benchmarks' fence is leaked
//! instead: see [`pending`]). Counts are deterministic for a given compiler, so
//! differences between implementations are exact path-length differences; Callgrind runs
//! one thread at a time, so they say nothing about contention.
//!
//! Benchmark ids are `ops_<n>`: the function does `n` operations, and
//! `fencebench instructions` divides by `n`. Read-side operations are counted once
//! (`ops_1`); signal and create+signal+put are counted over [`BATCH`] consecutive
//! operations so that the periodic part of reclamation (rcu's batch hand-off to the
//! reclaimer, hazptr's scan, crossbeam-epoch's bag flush, all every 64 retires) is in
//! the figure once per 64, as it is in a run. Work done by background threads (rcu's
//! reclaimer freeing a batch) is not counted: the figure is the signaller's.
//!
//! | function | what is counted |
//! |---|---|
//! | `describe` | `info()` on an unsignalled fence: both names, seqno, status under the fence's lock, then the names again in a second section (sync_file info) |
//! | `section` | `section()`: one read-side section reading the ops word, nothing else |
//! | `is_signaled` | `is_signaled()` on an unsignalled fence |
//! | `signal` | `signal()` of a fresh fence, including the hand-off to reclamation |
//! | `create_signal_put` | create, signal, last put |
//! | `add_remove_callback` | `add_callback` then `remove_callback` on an unsignalled fence |
//! | `poll` | `wait(0)` on an unsignalled fence with signalling enabled (a poll) |
//! | `get_put` | clone + drop of a fence reference |
//! | `describe_op` | one operation of the 1-thread `describe` workload's reader (random fence from its snapshot, `info()`), over 64 operations: what `fencebench run` times |
//!
//! Every implementation is one line of [`instruction_benches!`] or, with the reason, of
//! [`EXCLUDED`]; a compile-time check that the two together match [`IMPLEMENTATIONS`]
//! makes an implementation added to the library but not here fail the build instead of
//! going missing from the table.

use fencebench_impls::{Fence, Implementation, Timeline, TimelineConfig, IMPLEMENTATIONS};
use fencebench_workloads::{Ctx, Describe, Params, Workload};
use gungraun::{library_benchmark, library_benchmark_group, main};
use std::hint::black_box;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// Operations per counted call for signal and create+signal+put: the retire batch and
/// scan period of the schemes that have one.
const BATCH: usize = 64;

fn timeline<I: Implementation>() -> I::Timeline {
    I::timeline(TimelineConfig::new("fb-bench-gpu", "fb-bench-ring"))
}

/// Runs every operation once on a throw-away fence, so thread-local registration
/// (reader records, hazard slots, batches, epoch handles) happens outside the count.
fn warm_up<I: Implementation>(tl: &I::Timeline) {
    let f = tl.create();
    black_box(f.info());
    black_box(f.section());
    black_box(f.is_signaled());
    black_box(f.wait(Duration::ZERO));
    let id = f.add_callback(Box::new(|| {})).expect("fresh fence");
    black_box(f.remove_callback(id));
    drop(black_box(f.clone()));
    f.signal();
    drop(f);
    drop(black_box(tl.create()));
}

// Setup values are boxed (or leaked) so that passing them to the counted function is one
// pointer, not a copy of the timeline's configuration.

/// A warmed-up timeline and one unsignalled fence on it, with signalling enabled.
/// Leaked: each benchmark runs in a process of its own, and a counted function that
/// takes a `'static` reference neither returns its input nor drops it on unwind, so it
/// keeps no copy of the input across a cold path's call (a callee-saved register, and
/// a stack slot for the landing pad) that a section in a loop would not pay either.
fn pending<I: Implementation>() -> &'static (I::Timeline, I::Fence) {
    let tl = timeline::<I>();
    warm_up::<I>(&tl);
    let f = tl.create();
    f.enable_signaling();
    Box::leak(Box::new((tl, f)))
}

/// A warmed-up timeline and [`BATCH`] unsignalled fences to signal.
fn to_signal<I: Implementation>() -> Box<(I::Timeline, Vec<I::Fence>)> {
    let tl = timeline::<I>();
    warm_up::<I>(&tl);
    let fences = (0..BATCH).map(|_| tl.create()).collect();
    Box::new((tl, fences))
}

/// A warmed-up timeline to create fences on.
fn warm_timeline<I: Implementation>() -> Box<I::Timeline> {
    let tl = timeline::<I>();
    warm_up::<I>(&tl);
    Box::new(tl)
}

/// The `describe` workload with one thread (a pure reader of fences nobody signals) and
/// its warmed-up reader: the operation `fencebench run --workload describe` times.
type ReaderSetup<I> = Box<(Describe<I>, <Describe<I> as Workload<I>>::Worker)>;

fn describe_reader<I: Implementation>() -> ReaderSetup<I> {
    let params = Params {
        threads: 1,
        ..Params::default()
    };
    let w = Describe::<I>::new(&params).expect("describe with one thread");
    let mut worker = w.worker(0, 0);
    let never = AtomicBool::new(false);
    for _ in 0..BATCH {
        w.op(&mut worker, &Ctx::new(&never));
    }
    Box::new((w, worker))
}

/// The counted operations; the benchmark functions below only name the implementation.
mod op {
    use super::*;

    #[inline(always)]
    pub fn describe<F: Fence>(f: &F) {
        black_box(black_box(f).info());
    }

    #[inline(always)]
    pub fn section<F: Fence>(f: &F) {
        black_box(black_box(f).section());
    }

    #[inline(always)]
    pub fn is_signaled<F: Fence>(f: &F) {
        black_box(black_box(f).is_signaled());
    }

    #[inline(always)]
    pub fn signal<F: Fence>(fences: &[F]) {
        for f in fences {
            black_box(f).signal();
        }
    }

    #[inline(always)]
    pub fn create_signal_put<T: Timeline>(tl: &T) {
        for _ in 0..BATCH {
            let f = black_box(tl.create());
            f.signal();
            drop(f);
        }
    }

    #[inline(always)]
    pub fn add_remove_callback<F: Fence>(f: &F) {
        let f = black_box(f);
        let id = f.add_callback(Box::new(|| {})).expect("unsignalled fence");
        black_box(f.remove_callback(id));
    }

    #[inline(always)]
    pub fn poll<F: Fence>(f: &F) {
        black_box(black_box(f).wait(Duration::ZERO));
    }

    #[inline(always)]
    pub fn describe_op<I: Implementation>(s: &mut ReaderSetup<I>) {
        let never = AtomicBool::new(false);
        let ctx = Ctx::new(&never);
        let (w, worker) = &mut **s;
        for _ in 0..BATCH {
            w.op(worker, &ctx);
        }
    }

    #[inline(always)]
    pub fn get_put<F: Fence>(f: &F) {
        drop(black_box(black_box(f).clone()));
    }
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

const fn contains(list: &[&str], name: &str) -> bool {
    let mut i = 0;
    while i < list.len() {
        if str_eq(list[i], name) {
            return true;
        }
        i += 1;
    }
    false
}

/// Whether `benched` and `excluded` together name exactly `all` (checked at compile time).
const fn covers(benched: &[&str], excluded: &[&str], all: &[&str]) -> bool {
    let mut i = 0;
    while i < all.len() {
        if contains(benched, all[i]) == contains(excluded, all[i]) {
            return false;
        }
        i += 1;
    }
    benched.len() + excluded.len() == all.len()
}

/// Implementations without instruction counts, and why.
const EXCLUDED: &[(&str, &str)] = &[(
    "kernel",
    "its operations are ioctls on a vgem device: Callgrind does not count kernel \
     instructions, and CI machines have no vgem",
)];

const EXCLUDED_NAMES: &[&str] = &{
    let mut names = [""; EXCLUDED.len()];
    let mut i = 0;
    while i < EXCLUDED.len() {
        names[i] = EXCLUDED[i].0;
        i += 1;
    }
    names
};

/// One line per implementation: `group_name => Type`, the group name being the
/// implementation's name with `_` for `-`. Generates a benchmark group per
/// implementation with one benchmark function per operation, and `main`.
macro_rules! instruction_benches {
    ($($group:ident => $impl:ty),+ $(,)?) => {
        pastey::paste! {
            $(
                #[allow(clippy::type_complexity)]
                mod [<$group _benches>] {
                    use super::*;
                    type I = $impl;
                    type Tl = <I as Implementation>::Timeline;
                    type F = <I as Implementation>::Fence;

                    #[library_benchmark]
                    #[bench::ops_1(setup = pending::<I>)]
                    pub fn describe(s: &'static (Tl, F)) {
                        op::describe(&s.1);
                    }

                    #[library_benchmark]
                    #[bench::ops_1(setup = pending::<I>)]
                    pub fn section(s: &'static (Tl, F)) {
                        op::section(&s.1);
                    }

                    #[library_benchmark]
                    #[bench::ops_1(setup = pending::<I>)]
                    pub fn is_signaled(s: &'static (Tl, F)) {
                        op::is_signaled(&s.1);
                    }

                    #[library_benchmark]
                    #[bench::ops_64(setup = to_signal::<I>)]
                    pub fn signal(s: Box<(Tl, Vec<F>)>) -> Box<(Tl, Vec<F>)> {
                        op::signal(&s.1);
                        s
                    }

                    #[library_benchmark]
                    #[bench::ops_64(setup = warm_timeline::<I>)]
                    pub fn create_signal_put(tl: Box<Tl>) -> Box<Tl> {
                        op::create_signal_put(&*tl);
                        tl
                    }

                    #[library_benchmark]
                    #[bench::ops_1(setup = pending::<I>)]
                    pub fn add_remove_callback(s: &'static (Tl, F)) {
                        op::add_remove_callback(&s.1);
                    }

                    #[library_benchmark]
                    #[bench::ops_1(setup = pending::<I>)]
                    pub fn poll(s: &'static (Tl, F)) {
                        op::poll(&s.1);
                    }

                    #[library_benchmark]
                    #[bench::ops_1(setup = pending::<I>)]
                    pub fn get_put(s: &'static (Tl, F)) {
                        op::get_put(&s.1);
                    }

                    #[library_benchmark]
                    #[bench::ops_64(setup = describe_reader::<I>)]
                    pub fn describe_op(mut s: ReaderSetup<I>) -> ReaderSetup<I> {
                        op::describe_op::<I>(&mut s);
                        s
                    }

                    library_benchmark_group!(
                        name = $group;
                        benchmarks = describe, section, is_signaled, signal,
                            create_signal_put, add_remove_callback, poll, get_put, describe_op
                    );
                }
                use [<$group _benches>]::$group;
            )+

            /// The implementations benchmarked here, by their command-line names.
            const BENCHED: &[&str] = &[$(<$impl as Implementation>::NAME),+];

            const _: () = assert!(
                covers(BENCHED, EXCLUDED_NAMES, IMPLEMENTATIONS),
                "instruction_benches! and EXCLUDED must list exactly the implementations in IMPLEMENTATIONS"
            );

            main!(library_benchmark_groups = $($group),+);
        }
    };
}

instruction_benches! {
    unprotected => fencebench_impls::Unprotected,
    rcu => fencebench_impls::Rcu,
    rcu_detach => fencebench_impls::RcuDetach,
    rcu_qsbr => fencebench_impls::RcuQsbr,
    srcu => fencebench_impls::Srcu,
    srcu_fast => fencebench_impls::SrcuFast,
    rcu_crossbeam => fencebench_impls::RcuCrossbeam,
    hyaline_seize => fencebench_impls::HyalineSeize,
    sdd => fencebench_impls::Sdd,
    refcount => fencebench_impls::Refcount,
    hazptr => fencebench_impls::Hazptr,
    hazptr_haphazard => fencebench_impls::HazptrHaphazard,
    arcswap => fencebench_impls::ArcSwapped,
    lock => fencebench_impls::Lock,
}

//! What the benches measure: wall time (criterion's [`WallTime`]), or a counter per
//! iteration through the `perf-event` crate when `FENCEBENCH_BENCH_COUNTER` names one:
//! `instructions` or `cycles` (hardware, user space only), or `task-clock` (the thread's
//! on-CPU ns, a software event that also opens on VMs without a PMU).
//!
//! `criterion-perf-events` does not build against criterion 0.8, hence this module. A
//! counter counts only the thread that opened it, so each thread that measures opens its
//! own (lazily, once, kept in a thread-local) and reads it at the edges of a batch of
//! iterations; user-space only, scaled by time_enabled ÷ time_running. Where the counter
//! cannot open (a VM without a PMU: ENOENT; perf_event_paranoid: EACCES) the benches fall
//! back to wall time with a one-line note on stderr: never a panic, never a zero.

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::Throughput;
use fencebench::run::counters::explain;
use perf_event::events::{Hardware, Software};
use perf_event::{Builder, CountAndTime, Counter};
use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

/// The environment variable selecting the measurement.
pub const COUNTER_VAR: &str = "FENCEBENCH_BENCH_COUNTER";

/// A measurement whose edges can be read on any thread (the measured reader of a
/// threaded bench), not only on the thread criterion runs the routine on.
pub trait ThreadMeasurement: Measurement<Value: Send> + Send + Sync + 'static {
    /// Another instance measuring the same quantity, for a worker thread.
    fn fresh(&self) -> Self;

    /// Readies the calling thread (opens its counter) so the first edge costs no more
    /// than the others; call before the start barrier.
    fn prepare_thread(&self) -> Result<(), String> {
        Ok(())
    }
}

impl ThreadMeasurement for WallTime {
    fn fresh(&self) -> Self {
        WallTime
    }
}

/// An event counted per iteration.
#[derive(Clone, Copy, Debug)]
pub struct PerfCounter {
    event: Event,
    /// `instructions`, `cycles` or `task-clock-ns`: the unit criterion prints.
    unit: &'static str,
}

#[derive(Clone, Copy, Debug)]
enum Event {
    Hardware(Hardware),
    /// `task-clock`: the thread's on-CPU nanoseconds. A software event, so it opens on
    /// VMs without a PMU; unlike wall time it leaves out time the thread was preempted.
    Software(Software),
}

thread_local! {
    /// This thread's counter for the event in use (one event per process).
    static COUNTER: RefCell<Option<Counter>> = const { RefCell::new(None) };
}

/// Warns once that a read failed or a counter never ran (the sample is unreliable).
static WARNED: AtomicBool = AtomicBool::new(false);

fn warn_once(what: &str) {
    if !WARNED.swap(true, Ordering::Relaxed) {
        eprintln!("fencebench benches: {what}; affected samples are unreliable");
    }
}

impl PerfCounter {
    /// The measurement `FENCEBENCH_BENCH_COUNTER` asks for: `None` for wall time (unset,
    /// empty or `wall`, or a counter that cannot open here, with a note on stderr).
    pub fn from_env() -> Option<PerfCounter> {
        let value = std::env::var(COUNTER_VAR).unwrap_or_default();
        let counter = match value.trim() {
            "" | "wall" | "time" => return None,
            "instructions" => PerfCounter {
                event: Event::Hardware(Hardware::INSTRUCTIONS),
                unit: "instructions",
            },
            "cycles" => PerfCounter {
                event: Event::Hardware(Hardware::CPU_CYCLES),
                unit: "cycles",
            },
            "task-clock" => PerfCounter {
                event: Event::Software(Software::TASK_CLOCK),
                unit: "task-clock-ns",
            },
            other => {
                eprintln!(
                    "fencebench benches: {COUNTER_VAR}={other:?} is not instructions, cycles, task-clock or wall; measuring wall time"
                );
                return None;
            }
        };
        match counter.check() {
            Ok(()) => {
                eprintln!(
                    "fencebench benches: measuring {} per iteration",
                    counter.name()
                );
                Some(counter)
            }
            Err(why) => {
                eprintln!(
                    "fencebench benches: {COUNTER_VAR}={} unavailable ({why}); measuring wall time instead",
                    counter.name()
                );
                None
            }
        }
    }

    /// The `FENCEBENCH_BENCH_COUNTER` value that selects it.
    fn name(&self) -> &'static str {
        match self.event {
            Event::Software(_) => "task-clock",
            Event::Hardware(_) => self.unit,
        }
    }

    /// Opens the counter on this thread and checks it counts a small loop.
    fn check(&self) -> Result<(), String> {
        self.prepare_thread()?;
        let before = self.read().ok_or("the counter could not be read")?;
        let mut x = 0u64;
        for i in 0..10_000u64 {
            x = std::hint::black_box(x.wrapping_add(i));
        }
        let after = self.read().ok_or("the counter could not be read")?;
        match delta(&before, &after) {
            Some(n) if n > 0 => Ok(()),
            _ => Err("the counter opened but counted nothing".into()),
        }
    }

    fn open(&self) -> Result<Counter, String> {
        let builder = match self.event {
            Event::Hardware(e) => Builder::new().kind(e),
            Event::Software(e) => Builder::new().kind(e),
        };
        let mut counter = builder
            .build()
            .map_err(|e| format!("{}; {e}", explain(&e)))?;
        counter
            .enable()
            .map_err(|e| format!("enabling it failed: {}; {e}", explain(&e)))?;
        Ok(counter)
    }

    fn read(&self) -> Option<CountAndTime> {
        COUNTER.with(|c| {
            let mut c = c.borrow_mut();
            if c.is_none() {
                *c = Some(self.open().ok()?);
            }
            c.as_mut()?.read_count_and_time().ok()
        })
    }

    /// Where criterion keeps this measurement's results: beside the wall-time ones
    /// (`target/criterion-instructions`), so a counter run never compares against, or
    /// overwrites, a wall-time baseline.
    pub fn output_directory(&self) -> PathBuf {
        let base = match std::env::var_os("CRITERION_HOME") {
            Some(home) => PathBuf::from(home),
            // The bench binary runs as <target>/<profile>/deps/<name>-<hash>.
            None => std::env::current_exe()
                .ok()
                .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.join("criterion")))
                .unwrap_or_else(|| PathBuf::from("target/criterion")),
        };
        let mut name = base.file_name().unwrap_or_default().to_os_string();
        name.push(format!("-{}", self.name()));
        base.with_file_name(name)
    }
}

/// Counts between two reads, scaled for multiplexing; `None` if it never ran.
fn delta(a: &CountAndTime, b: &CountAndTime) -> Option<u64> {
    let count = b.count.saturating_sub(a.count);
    let enabled = b.time_enabled.saturating_sub(a.time_enabled);
    let running = b.time_running.saturating_sub(a.time_running);
    match running {
        0 => None,
        r if r >= enabled => Some(count),
        r => Some((count as f64 * enabled as f64 / r as f64) as u64),
    }
}

impl Measurement for PerfCounter {
    type Intermediate = Option<CountAndTime>;
    type Value = u64;

    fn start(&self) -> Self::Intermediate {
        self.read()
    }

    fn end(&self, start: Self::Intermediate) -> u64 {
        let end = self.read();
        match (start, end) {
            (Some(a), Some(b)) => delta(&a, &b).unwrap_or_else(|| {
                warn_once(&format!("the {} counter was never scheduled during a sample (another perf user multiplexing the PMU?)", self.unit));
                b.count.saturating_sub(a.count)
            }),
            _ => {
                warn_once(&format!("reading the {} counter failed", self.unit));
                0
            }
        }
    }

    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }

    fn zero(&self) -> u64 {
        0
    }

    fn to_f64(&self, value: &u64) -> f64 {
        *value as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        self
    }
}

impl ValueFormatter for PerfCounter {
    fn scale_values(&self, _typical: f64, _values: &mut [f64]) -> &'static str {
        self.unit
    }

    fn scale_throughputs(
        &self,
        _typical: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let labels = match self.unit {
            "cycles" => [
                "B/cycle",
                "bits/cycle",
                "elements/cycle",
                "iterations/cycle",
            ],
            "instructions" => [
                "B/instruction",
                "bits/instruction",
                "elements/instruction",
                "iterations/instruction",
            ],
            _ => [
                "B/task-clock-ns",
                "bits/task-clock-ns",
                "elements/task-clock-ns",
                "iterations/task-clock-ns",
            ],
        };
        let (n, label) = match *throughput {
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) => (n, labels[0]),
            Throughput::Bits(n) => (n, labels[1]),
            Throughput::Elements(n) => (n, labels[2]),
            _ => (1, labels[3]),
        };
        for v in values.iter_mut() {
            *v = n as f64 / *v;
        }
        label
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        self.unit
    }
}

impl ThreadMeasurement for PerfCounter {
    fn fresh(&self) -> Self {
        *self
    }

    fn prepare_thread(&self) -> Result<(), String> {
        COUNTER.with(|c| {
            let mut c = c.borrow_mut();
            if c.is_none() {
                *c = Some(self.open()?);
            }
            Ok(())
        })
    }
}

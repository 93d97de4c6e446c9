//! The command-line interface: what a user can type, and nothing else. Values are parsed
//! here into their types (a duration, a list of names); each stage checks that its
//! arguments make sense together and fills defaults. It uses nothing of the crate, so
//! the stages may take these types without a cycle.

use clap::{Args, Parser, Subcommand, ValueEnum};
use fencebench_impls::{canonical_name, IMPLEMENTATIONS};
use fencebench_workloads::{Mix, WORKLOADS};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "fencebench",
    version,
    about = "Measure what the Linux dma-fence safe access contract costs, and its alternatives",
    long_about = "Measure what the Linux dma-fence safe access contract costs, and what its \
alternatives (refcounting, hazard pointers, an unprotected baseline) cost.\n\n\
With no subcommand, runs the quick default suite (`fencebench run --quick`): every \
implementation on the describe, signal, wait and stall workloads with all cores, 3 \
repetitions of 250 ms, printed as a table and written as a JSON result file under \
results/runs/."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run workloads over implementations and write a result file.
    Run(Box<RunArgs>),
    /// List the implementations and workloads.
    List(ListArgs),
    /// Compare result files in one table, a column per file.
    ///
    /// A row per implementation × workload × threads: ns/op median [min–max], the ratio
    /// to the first file, the workload's own figures (violations, lost wake-ups, wake-up
    /// p99, retained peak, free delay), and whether the change is significant: a
    /// two-sided Mann–Whitney U test over the repetitions at 95% confidence. Files whose
    /// run parameters differ are refused unless --allow-different-parameters.
    Compare(CompareArgs),
    /// Render an existing result file: CSV with every figure (p50/p99/p999 and the run
    /// parameters included), Markdown, a terminal table or JSON.
    Export(ExportArgs),
    /// Rewrite a result file of an older schema in the current, compact one.
    ///
    /// Figures are carried over, never recomputed from anything but the file: per-role
    /// latency histograms merged per cell, retained-memory series decimated.
    Convert(ConvertArgs),
    /// Draw SVG charts of a result file.
    ///
    /// Throughput against threads, ns/op with min–max bars, latency percentiles and
    /// retained driver data under a stalled reader.
    Plot(PlotArgs),
    /// Write the published results document from DIR/<machine>/ result files.
    ///
    /// Uses the latest file of each machine directory (DIR/runs/ is left out), redraws
    /// its charts beside it, and adds a cross-machine comparison.
    Report(ReportArgs),
    /// Collect Callgrind instruction counts (`cargo bench --bench instructions`) and gate
    /// them against the committed counts, or re-baseline with --write.
    ///
    /// Fails when a describe or read-section count grew by more than 2 % over FILE and
    /// FILE was made with the same rustc; under another rustc it reports and passes.
    Instructions(InstructionsArgs),
    /// Say whether the hardware counters (the PMU) open here, or opened in the run of a
    /// result file.
    ///
    /// Prints one line and exits 0 when the instructions counter opens; otherwise an
    /// error naming why (no PMU in a VM, perf_event_paranoid, --counters off).
    PmuCheck(PmuCheckArgs),
    /// Run the kernel conformance suite on the running kernel (needs a vgem device).
    ///
    /// Checks what sync_file and vgem show of the kernel's dma-fence against the model of
    /// the kernel's generation: names before and after signal (detached constants from
    /// 6.17), status, the signal timestamp, poll, wait timeouts, FILE_INFO racing signal.
    /// A failed check, or no vgem device, is an error. scripts/kernel-vm.sh runs it on
    /// distribution kernels under QEMU.
    KernelCheck(KernelCheckArgs),
    /// Each kernel dma-fence path on its own (FILE_INFO and poll on an unsignalled and a
    /// signalled fence, signal, create) and the syscall floor, so each path's cost net of
    /// the syscall shows; needs a vgem device (scripts/kernel-vm.sh --count-instructions)
    KernelPaths(KernelPathsArgs),
}

impl Command {
    /// `fencebench run --quick`, what `fencebench` alone runs.
    pub fn quick_run() -> Command {
        #[derive(Parser)]
        struct Wrapper {
            #[command(flatten)]
            args: RunArgs,
        }
        Command::Run(Box::new(
            Wrapper::parse_from(["fencebench", "--quick"]).args,
        ))
    }
}

#[derive(Args, Debug)]
pub struct PmuCheckArgs {
    /// Result file, or a directory standing for its latest result file [default: try
    /// the counters on this machine now]
    #[arg(value_name = "RESULT")]
    pub file: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Print one JSON object (implementations with summary, read side and why one is
    /// unavailable here; workloads with summary) for scripts
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct KernelPathsArgs {
    /// Operations per path and repetition (periodic kernel work, a timer tick, falls in a
    /// window a whole number of times: at 20000 the floor moved 1.7 % between runs)
    #[arg(long, value_name = "N", default_value_t = 100000, value_parser = parse_positive_u64)]
    pub ops: u64,
    /// Repetitions after one discarded warm-up; figures are median [min-max]
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = parse_positive)]
    pub repeat: usize,
    /// The clock counts instructions (a QEMU guest under -icount shift=0): label the
    /// figures instr/op, never time
    #[arg(long)]
    pub icount: bool,
    /// Write the figures as JSON here
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct KernelCheckArgs {
    /// Also require the kernel to be of this generation: pre-contract (before 6.17) or
    /// contract
    #[arg(long, value_name = "GENERATION")]
    pub expect_generation: Option<fencebench_impls::kernel_check::KernelGeneration>,
    /// Print the report as one JSON line (release, generation, passed, every check)
    /// instead of text; the exit status is the same
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct InstructionsArgs {
    /// gungraun's output directory for the bench, with one summary.json per benchmark
    #[arg(
        long,
        value_name = "DIR",
        default_value = "target/gungraun/fencebench/instructions"
    )]
    pub summaries: PathBuf,
    /// The committed counts
    #[arg(long, value_name = "FILE", default_value = "results/instructions.json")]
    pub file: PathBuf,
    /// Write the collected counts to FILE (re-baseline) instead of checking against it
    #[arg(long)]
    pub write: bool,
    /// Machine name recorded with --write [default: the hostname]
    #[arg(long, value_name = "NAME", value_parser = parse_machine_name)]
    pub machine: Option<String>,
}

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// Result files, or directories standing for the latest result file in each; ratios
    /// are to the first
    #[arg(value_name = "FILE|DIR", num_args = 2.., required = true)]
    pub files: Vec<PathBuf>,
    /// How to print the comparison
    #[arg(long, value_name = "FORMAT", default_value = "table")]
    pub format: Format,
    /// Compare files whose run parameters differ (window, repetitions, mix, in-flight,
    /// stall, ...); the differences are then printed above the table
    #[arg(long)]
    pub allow_different_parameters: bool,
    /// ASCII only, for mail (automatic when stdout is not a terminal)
    #[arg(long)]
    pub ascii: bool,
    /// A CI gate for exactly two files, BASE and NEW: exit 1, listing the failing cells
    /// on stderr, when a cell of NEW is slower than BASE by more than PCT percent and the
    /// Mann–Whitney test (after the Benjamini–Hochberg correction) calls it slower, or
    /// when an implementation that protects its readers shows violations or lost
    /// wake-ups in NEW; exit 0 otherwise. For two instruction-count files
    /// (results/instructions.json) any count that rose by more than PCT fails, when both
    /// were made by the same rustc. PCT defaults to 5 when the flag is given alone
    #[arg(long, value_name = "PCT", num_args = 0..=1, default_missing_value = "5",
          value_parser = parse_percent)]
    pub fail_on_regression: Option<f64>,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Result file, or a directory standing for its latest result file
    #[arg(value_name = "RESULT")]
    pub file: PathBuf,
    /// Output format
    #[arg(long, value_name = "FORMAT", default_value = "csv")]
    pub format: Format,
    /// ASCII only, for mail (automatic when stdout is not a terminal)
    #[arg(long)]
    pub ascii: bool,
}

#[derive(Args, Debug)]
pub struct ConvertArgs {
    /// Result file of any schema this fencebench reads
    #[arg(value_name = "RESULT")]
    pub file: PathBuf,
    /// Where to write the converted file [default: replace RESULT, which needs --force]
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Replace an existing file
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct PlotArgs {
    /// Result file, or a directory standing for its latest result file
    #[arg(value_name = "RESULT")]
    pub file: PathBuf,
    /// Directory for the SVG files [default: <result-stem>-plots/ beside the result file]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Published results directory, holding <machine>/<timestamp>.json
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// The document to write [default: DIR/README.md]
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// How a report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns for a terminal.
    Table,
    /// Header, one table per workload × thread count, and notes.
    Markdown,
    /// One row per repetition and role with every figure, the cell's percentiles and
    /// the run's parameters.
    Csv,
    /// The result file itself.
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Implementations to run, comma-separated [default: all]
    #[arg(long = "impl", value_name = "LIST", value_delimiter = ',', value_parser = parse_impl)]
    pub implementations: Vec<String>,
    /// Workloads to run, comma-separated [default: all; --quick: describe,signal,wait,stall]
    #[arg(long = "workload", value_name = "LIST", value_delimiter = ',', value_parser = parse_workload)]
    pub workloads: Vec<String>,
    /// Worker thread counts to sweep, comma-separated; `ladder` is 1, 2, 4, … below the
    /// logical core count and the core count itself, `ladder:N` the same with the powers
    /// of two stopping at N [default: every logical core]
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_threads)]
    pub threads: Vec<Threads>,
    /// Measured window per repetition, e.g. 500ms, 2s [default: 1s; --quick: 250ms]
    #[arg(long, value_name = "D", value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Repetitions per cell; figures are median [min-max] [default: 5; --quick: 3]
    #[arg(long, value_name = "N", value_parser = parse_positive)]
    pub repeat: Option<usize>,
    /// Warm-up before each window [default: 200ms; --quick: 100ms]
    #[arg(long, value_name = "D", value_parser = parse_duration_or_zero)]
    pub warmup: Option<Duration>,
    /// Time one operation in N into the latency histogram; 0 disables sampling
    #[arg(long, value_name = "N", default_value_t = 1024)]
    pub sample_every: u64,
    /// Hardware counters (cycles, instructions, cache and branch misses)
    #[arg(long, value_name = "on|off", default_value = "on")]
    pub counters: OnOff,
    /// Pin worker threads one per core
    #[arg(long, value_name = "on|off", default_value = "on")]
    pub pin: OnOff,
    /// Result file, never overwritten without --force [default:
    /// <repository>/results/runs/<machine>/<timestamp>.json]
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Write the result file as DIR/<machine>/<timestamp>.json (a published sweep:
    /// `fencebench run --results-dir results`), the machine named as for --machine
    #[arg(long, value_name = "DIR", conflicts_with = "out")]
    pub results_dir: Option<PathBuf>,
    /// Replace the --out file if it exists
    #[arg(long)]
    pub force: bool,
    /// ASCII-only tables for mail (automatic when stdout is not a terminal)
    #[arg(long)]
    pub ascii: bool,
    /// End a cell whose resident memory exceeds this, e.g. 4GiB, 512MiB [default: a
    /// quarter of RAM]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_retained: Option<u64>,
    /// How to print the results on stdout
    #[arg(long, value_name = "FORMAT", default_value = "table")]
    pub format: Format,
    /// The quick suite: describe, signal, wait and stall; 3 repetitions of 250 ms after
    /// 100 ms of warm-up
    #[arg(long)]
    pub quick: bool,
    /// The run is inside a QEMU guest booted with `-icount shift=0` (one nanosecond of
    /// guest clock per executed instruction): record and show its figures as instructions
    /// per operation ("instr/op"), never as time (scripts/kernel-vm.sh --count-instructions)
    #[arg(long)]
    pub icount: bool,
    /// Run a fixed number of operations per primary thread instead of a timed window
    #[arg(long, value_name = "N", value_parser = parse_positive_u64, conflicts_with_all = ["duration", "warmup"])]
    pub ops: Option<u64>,
    /// Machine label for the result file and tables [default: hostname]
    #[arg(long, value_name = "NAME", value_parser = parse_machine_name)]
    pub machine: Option<String>,
    /// Free-text description of the machine, stored in the result file
    #[arg(long, value_name = "TEXT")]
    pub machine_desc: Option<String>,
    /// Describe the machine as "<CPU model>, <N> logical CPUs" (from /proc/cpuinfo)
    #[arg(long, conflicts_with = "machine_desc")]
    pub describe_machine: bool,
    /// Signaller threads in workloads with separate signallers [default: per workload]
    #[arg(long, value_name = "N", value_parser = parse_positive)]
    pub signallers: Option<usize>,
    /// Fences in flight per signaller
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = parse_positive)]
    pub in_flight: usize,
    /// How long the stall workload's reader holds its protection per stall
    #[arg(long, value_name = "D", default_value = "100ms", value_parser = parse_duration)]
    pub stall: Duration,
    /// Drivers in the stall workload: every signaller signals on each, the reader stalls
    /// in driver 0 only, and retained data is reported for that driver and the others
    /// apart [default: a driver per signaller, stalled in turn]
    #[arg(long, value_name = "N", value_parser = parse_positive)]
    pub drivers: Option<usize>,
    /// Operation mix of the mixed workload, describe/wait/signal percent
    #[arg(long, value_name = "D/W/S", default_value = "90/9/1")]
    pub mix: Mix,
}

/// One `--threads` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threads {
    Count(usize),
    /// Powers of two below the core count (up to `up_to` when given), then the core
    /// count: the sweep the scripts ran.
    Ladder {
        up_to: Option<usize>,
    },
}

impl std::fmt::Display for Threads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Threads::Count(n) => write!(f, "{n}"),
            Threads::Ladder { up_to: None } => f.write_str("ladder"),
            Threads::Ladder { up_to: Some(n) } => write!(f, "ladder:{n}"),
        }
    }
}

pub(crate) fn parse_impl(s: &str) -> Result<String, String> {
    canonical_name(s).map(str::to_string).ok_or_else(|| {
        format!(
            "unknown implementation '{s}' (expected one of: {})",
            IMPLEMENTATIONS.join(", ")
        )
    })
}

pub(crate) fn parse_workload(s: &str) -> Result<String, String> {
    WORKLOADS
        .contains(&s)
        .then(|| s.to_string())
        .ok_or_else(|| {
            format!(
                "unknown workload '{s}' (expected one of: {})",
                WORKLOADS.join(", ")
            )
        })
}

pub(crate) fn parse_positive(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1, got 0".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("'{s}' is not a whole number")),
    }
}

pub(crate) fn parse_positive_u64(s: &str) -> Result<u64, String> {
    parse_positive(s).map(|n| n as u64)
}

pub(crate) fn parse_threads(s: &str) -> Result<Threads, String> {
    let ladder = |up_to| Ok(Threads::Ladder { up_to });
    match s.split_once(':') {
        _ if s == "ladder" => ladder(None),
        Some(("ladder", n)) => ladder(Some(
            parse_positive(n).map_err(|e| format!("ladder:N: {e}"))?,
        )),
        _ => parse_positive(s)
            .map(Threads::Count)
            .map_err(|e| format!("thread count: {e} (or ladder, ladder:N)")),
    }
}

/// A threshold in percent: 0 to 1000, `5` or `2.5`.
pub(crate) fn parse_percent(s: &str) -> Result<f64, String> {
    match s.trim_end_matches('%').parse::<f64>() {
        Ok(p) if (0.0..=1000.0).contains(&p) => Ok(p),
        _ => Err(format!("'{s}' is not a percentage from 0 to 1000")),
    }
}

pub(crate) fn parse_duration_or_zero(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s)
        .map_err(|e| format!("'{s}' is not a duration like 300ms or 2s ({e})"))
}

pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    match parse_duration_or_zero(s)? {
        d if d.is_zero() => Err(format!("'{s}' is zero; a window must be longer")),
        d => Ok(d),
    }
}

pub(crate) fn parse_machine_name(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    ok.then(|| s.to_string())
        .ok_or_else(|| format!("'{s}' must be letters, digits, '.', '_' or '-'"))
}

/// `4GiB`, `512MiB`, `1.5G`, `1000000`: bytes, with binary (KiB, MiB, GiB, TiB) or
/// decimal (K, M, G, T) suffixes.
pub(crate) fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let scale: f64 = match unit.to_ascii_lowercase().trim_end_matches('b') {
        "" => 1.0,
        "k" => 1e3,
        "m" => 1e6,
        "g" => 1e9,
        "t" => 1e12,
        "ki" => 1024.0,
        "mi" => 1024.0 * 1024.0,
        "gi" => 1024.0 * 1024.0 * 1024.0,
        "ti" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return Err(format!("'{s}' is not a size like 4GiB or 512MiB")),
    };
    match number.trim().parse::<f64>() {
        Ok(n) if n.is_finite() && n > 0.0 && n * scale < 1e18 => Ok((n * scale) as u64),
        _ => Err(format!("'{s}' is not a size like 4GiB or 512MiB")),
    }
}

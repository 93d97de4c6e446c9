//! Command-line interface. Every user error is one line naming the bad value, exit 2.

use clap::{Args, Parser, Subcommand, ValueEnum};
use fencebench::compare;
use fencebench::counters::CounterGroup;
use fencebench::io;
use fencebench::machine;
use fencebench::plot;
use fencebench::published;
use fencebench::report::{self, Format, Layout};
use fencebench::result::{
    Availability, CounterAvailability, ResultFile, RunConfig, SCHEMA_VERSION,
};
use fencebench::runner::{RepSpec, Window};
use fencebench::suite::{run_suite, Progress, SuiteSpec};
use fencebench_impls::kernel_check::{self, KernelGeneration};
use fencebench_impls::{for_each_impl, Implementation, IMPLEMENTATIONS};
use fencebench_workloads::{Mix, Params, WORKLOADS};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

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
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run workloads over implementations and write a result file.
    Run(Box<RunArgs>),
    /// List the implementations and workloads.
    List,
    /// Compare result files in one table, a column per file.
    ///
    /// A row per implementation × workload × threads: ns/op median [min–max], the ratio
    /// to the first file and to unprotected in the same run. A change is flagged only
    /// where the min–max ranges do not overlap.
    Compare(CompareArgs),
    /// Draw SVG charts of a result file.
    ///
    /// Throughput against threads, ns/op with min–max bars, latency percentiles and
    /// retained driver data under a stalled reader.
    Plot(PlotArgs),
    /// Run the kernel conformance suite on the running kernel (needs a vgem device).
    ///
    /// Checks what sync_file and vgem show of the kernel's dma-fence against the model of
    /// the kernel's generation: names before and after signal (detached constants from
    /// 6.17), status, poll, wait timeouts, FILE_INFO racing signal. Exit status 1 when a
    /// check fails or no vgem device exists. scripts/kernel-vm.sh runs it under QEMU.
    KernelCheck(KernelCheckArgs),
    /// Write the published results document from DIR/<machine>/ result files.
    ///
    /// Uses the latest file of each machine directory (DIR/runs/ is left out), redraws
    /// its charts beside it, and adds a cross-machine comparison.
    Report(ReportArgs),
}

#[derive(Args, Debug)]
struct CompareArgs {
    /// Result files, or directories standing for the latest result file in each; ratios
    /// are to the first
    #[arg(value_name = "FILE|DIR", num_args = 2.., required = true)]
    files: Vec<PathBuf>,
    /// How to print the comparison
    #[arg(long, value_name = "FORMAT", default_value = "table")]
    format: Layout,
}

#[derive(Args, Debug)]
struct PlotArgs {
    /// Result file, or a directory standing for its latest result file
    #[arg(value_name = "RESULT")]
    file: PathBuf,
    /// Directory for the SVG files [default: <result-stem>-plots/ beside the result file]
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct ReportArgs {
    /// Published results directory, holding <machine>/<timestamp>.json
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// The document to write [default: DIR/README.md]
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct KernelCheckArgs {
    /// Also require the kernel to be of this generation: pre-contract (before 6.17) or
    /// contract
    #[arg(long, value_name = "GENERATION")]
    expect_generation: Option<KernelGeneration>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum OnOff {
    On,
    Off,
}

#[derive(Args, Debug)]
struct RunArgs {
    /// Implementations to run, comma-separated [default: all]
    #[arg(long = "impl", value_name = "LIST", value_delimiter = ',', value_parser = parse_impl)]
    implementations: Vec<String>,
    /// Workloads to run, comma-separated [default: all; --quick: describe,signal,wait,stall]
    #[arg(long = "workload", value_name = "LIST", value_delimiter = ',', value_parser = parse_workload)]
    workloads: Vec<String>,
    /// Worker thread counts to sweep, comma-separated [default: every logical core]
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_threads)]
    threads: Vec<usize>,
    /// Measured window per repetition, e.g. 500ms, 2s [default: 1s; --quick: 250ms]
    #[arg(long, value_name = "D", value_parser = parse_duration)]
    duration: Option<Duration>,
    /// Repetitions per cell; figures are median [min-max] [default: 5; --quick: 3]
    #[arg(long, value_name = "N", value_parser = parse_positive)]
    repeat: Option<usize>,
    /// Warm-up before each window [default: 200ms; --quick: 100ms]
    #[arg(long, value_name = "D", value_parser = parse_duration_or_zero)]
    warmup: Option<Duration>,
    /// Time one operation in N into the latency histogram; 0 disables sampling
    #[arg(long, value_name = "N", default_value_t = 1024)]
    sample_every: u64,
    /// Hardware counters (cycles, instructions, cache and branch misses)
    #[arg(long, value_name = "on|off", default_value = "on")]
    counters: OnOff,
    /// Pin worker threads one per core
    #[arg(long, value_name = "on|off", default_value = "on")]
    pin: OnOff,
    /// Result file [default: results/runs/<machine>/<timestamp>.json]
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
    /// How to print the results on stdout
    #[arg(long, value_name = "FORMAT", default_value = "table")]
    format: Format,
    /// The quick suite: describe, signal, wait and stall; 3 repetitions of 250 ms after
    /// 100 ms of warm-up
    #[arg(long)]
    quick: bool,
    /// Run a fixed number of operations per primary thread instead of a timed window
    #[arg(long, value_name = "N", value_parser = parse_positive_u64, conflicts_with_all = ["duration", "warmup"])]
    ops: Option<u64>,
    /// Machine label for the result file and tables [default: hostname]
    #[arg(long, value_name = "NAME", value_parser = parse_machine_name)]
    machine: Option<String>,
    /// Free-text description of the machine, stored in the result file
    #[arg(long, value_name = "TEXT")]
    machine_desc: Option<String>,
    /// Signaller threads in workloads with separate signallers [default: per workload]
    #[arg(long, value_name = "N")]
    signallers: Option<usize>,
    /// Fences in flight per signaller
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = parse_positive)]
    in_flight: usize,
    /// How long the stall workload's reader holds its protection per stall
    #[arg(long, value_name = "D", default_value = "100ms", value_parser = parse_duration)]
    stall: Duration,
    /// Operation mix of the mixed workload, describe/wait/signal percent
    #[arg(long, value_name = "D/W/S", default_value = "90/9/1")]
    mix: Mix,
}

/// The quick suite's workloads: the read, signal and wait paths, and the retained-memory
/// scenario, so that every implementation fits in about a minute on two cores.
const QUICK_WORKLOADS: &[&str] = &["describe", "signal", "wait", "stall"];

fn parse_impl(s: &str) -> Result<String, String> {
    IMPLEMENTATIONS
        .contains(&s)
        .then(|| s.to_string())
        .ok_or_else(|| {
            format!(
                "unknown implementation '{s}' (expected one of: {})",
                IMPLEMENTATIONS.join(", ")
            )
        })
}

fn parse_workload(s: &str) -> Result<String, String> {
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

fn parse_positive(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1, got 0".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("'{s}' is not a whole number")),
    }
}

fn parse_positive_u64(s: &str) -> Result<u64, String> {
    parse_positive(s).map(|n| n as u64)
}

fn parse_threads(s: &str) -> Result<usize, String> {
    parse_positive(s).map_err(|e| format!("thread count: {e}"))
}

fn parse_duration_or_zero(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s)
        .map_err(|e| format!("'{s}' is not a duration like 300ms or 2s ({e})"))
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    match parse_duration_or_zero(s)? {
        d if d.is_zero() => Err(format!("'{s}' is zero; a window must be longer")),
        d => Ok(d),
    }
}

fn parse_machine_name(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    ok.then(|| s.to_string())
        .ok_or_else(|| format!("'{s}' must be letters, digits, '.', '_' or '-'"))
}

/// Parses the command line, runs it, and returns the exit status.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version.
            let _ = e.print();
            return 0;
        }
        Err(e) => {
            let text = e.to_string();
            eprintln!(
                "{}",
                text.lines().next().unwrap_or("error: invalid arguments")
            );
            return 2;
        }
    };
    let result = match cli.command {
        Some(Command::List) => {
            list();
            Ok(())
        }
        Some(Command::Run(args)) => run(*args),
        Some(Command::Compare(args)) => compare(args),
        Some(Command::Plot(args)) => plot(args),
        Some(Command::Report(args)) => report(args),
        Some(Command::KernelCheck(args)) => return kernel_check(args),
        None => run(RunArgs::parse_from(["fencebench", "--quick"])),
    };
    match result {
        Ok(()) => 0,
        Err(msg) => {
            eprintln!("error: {msg}");
            2
        }
    }
}

impl RunArgs {
    fn parse_from(args: [&str; 2]) -> RunArgs {
        #[derive(Parser)]
        struct Wrapper {
            #[command(flatten)]
            args: RunArgs,
        }
        Wrapper::parse_from(args).args
    }
}

fn list() {
    println!("implementations:");
    for name in IMPLEMENTATIONS {
        let (summary, mechanism, unavailable) = for_each_impl!(*name, I => (
            I::SUMMARY,
            I::read_side_mechanism(),
            I::unavailable(),
        ))
        .expect("listed");
        println!("  {name:<12} {summary} [read side: {mechanism}]");
        if let Some(reason) = unavailable {
            println!("  {:<12} unavailable here: {reason}", "");
        }
    }
    println!("workloads:");
    for name in WORKLOADS {
        println!(
            "  {name:<12} {}",
            fencebench_workloads::summary(name).unwrap_or("")
        );
    }
}

/// Checks before a long run that the result file can be written, so a typo in --out
/// fails in a second, not after the measurements.
fn check_writable(path: &Path) -> Result<(), String> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    if path.is_dir() {
        return Err(format!("cannot write {}: is a directory", path.display()));
    }
    let probe = dir.join(format!(".fencebench-probe-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

fn run(args: RunArgs) -> Result<(), String> {
    let quick = args.quick;
    let implementations = if args.implementations.is_empty() {
        all(IMPLEMENTATIONS)
    } else {
        args.implementations
    };
    let workloads = match (args.workloads.is_empty(), quick) {
        (false, _) => args.workloads,
        (true, true) => all(QUICK_WORKLOADS),
        (true, false) => all(WORKLOADS),
    };
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let threads = if args.threads.is_empty() {
        vec![cores]
    } else {
        args.threads
    };
    let repeat = args.repeat.unwrap_or(if quick { 3 } else { 5 });
    let duration = args
        .duration
        .unwrap_or(Duration::from_millis(if quick { 250 } else { 1000 }));
    let warmup = args
        .warmup
        .unwrap_or(Duration::from_millis(if quick { 100 } else { 200 }));
    let window = match args.ops {
        Some(n) => Window::Ops(n),
        None => Window::Timed { warmup, duration },
    };
    let params = Params {
        threads: threads[0],
        signallers: args.signallers,
        in_flight: args.in_flight,
        stall: args.stall,
        mix: args.mix,
        ..Params::default()
    };

    let created = SystemTime::now();
    let counters_on = args.counters == OnOff::On;
    let counter_avail = if counters_on {
        let (_, events) = CounterGroup::open();
        CounterAvailability {
            enabled: true,
            events,
        }
    } else {
        CounterAvailability {
            enabled: false,
            events: Vec::new(),
        }
    };
    let pin_on = args.pin == OnOff::On;
    let pinning = match (pin_on, core_affinity::get_core_ids()) {
        (false, _) => Availability {
            available: false,
            reason: Some("--pin off".into()),
        },
        (true, Some(ids)) if !ids.is_empty() => Availability {
            available: true,
            reason: None,
        },
        (true, _) => Availability {
            available: false,
            reason: Some("no core ids available".into()),
        },
    };
    let machine = machine::probe(args.machine, args.machine_desc, counter_avail, pinning);
    let out = args
        .out
        .unwrap_or_else(|| io::default_path(&machine.name, created));
    check_writable(&out)?;

    let spec = SuiteSpec {
        implementations: implementations.clone(),
        workloads: workloads.clone(),
        threads: threads.clone(),
        repeat,
        rep: RepSpec {
            params: params.clone(),
            window,
            sample_every: args.sample_every,
            counters: counters_on,
            pin: pin_on,
            retained_every: Duration::from_millis(5),
        },
        overhead: args.sample_every != 0,
    };

    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg}")
                .expect("progress template")
                .progress_chars("=> "),
        );
        bar
    });
    let (cells, overhead) = run_suite(&spec, |p| {
        if let Some(bar) = &bar {
            match p {
                Progress::Start { total } => bar.set_length(total as u64),
                Progress::Cell {
                    implementation,
                    workload,
                    threads,
                    rep,
                } => {
                    bar.set_message(format!(
                        "{implementation} {workload} t={threads} rep {}",
                        rep + 1
                    ));
                    bar.inc(1);
                }
            }
        }
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }

    let (window_ms, warmup_ms) = match window {
        Window::Timed { warmup, duration } => {
            (duration.as_millis() as u64, warmup.as_millis() as u64)
        }
        Window::Ops(_) => (0, 0),
    };
    let file = ResultFile {
        schema_version: SCHEMA_VERSION,
        tool: format!("fencebench {}", env!("CARGO_PKG_VERSION")),
        created: humantime::format_rfc3339_seconds(created).to_string(),
        machine,
        config: RunConfig {
            implementations,
            workloads,
            threads,
            duration_ms: window_ms,
            warmup_ms,
            repeat,
            sample_every: args.sample_every,
            counters: counters_on,
            pin: pin_on,
            quick,
            ops_budget: args.ops,
            signallers: params.signallers,
            in_flight: params.in_flight,
            refresh_every: params.refresh_every,
            stall_ms: params.stall.as_millis() as u64,
            mix: params.mix.to_string(),
            wait_timeout_ms: params.wait_timeout.as_millis() as u64,
        },
        harness_overhead: overhead,
        cells,
    };
    // Printed before the file is written, but a failure to print must not lose the run.
    let printed = emit(&report::render(&file, args.format));
    match io::write(&out, &file) {
        Ok(()) => eprintln!("wrote {}", out.display()),
        Err(e) => {
            // Never lose a run: fall back to the temp directory.
            let fallback =
                std::env::temp_dir().join(out.file_name().unwrap_or("fencebench.json".as_ref()));
            io::write(&fallback, &file).map_err(|e2| format!("{e}; fallback also failed: {e2}"))?;
            return Err(format!(
                "{e}; results saved to {} instead",
                fallback.display()
            ));
        }
    }
    printed
}

/// Writes `text` to stdout. A closed pipe (`fencebench compare … | head`) is not an
/// error: the reader has taken what it wanted.
fn emit(text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write to stdout: {e}"))
        }
        _ => Ok(()),
    }
}

/// One path per line, for scripts.
fn paths<'a>(paths: impl Iterator<Item = &'a Path>) -> String {
    paths.map(|p| format!("{}\n", p.display())).collect()
}

fn compare(args: CompareArgs) -> Result<(), String> {
    let sources = compare::load(&args.files).map_err(|e| e.to_string())?;
    emit(&compare::render(&sources, args.format))
}

/// Prints each chart's path.
fn plot(args: PlotArgs) -> Result<(), String> {
    let path = compare::resolve(&args.file).map_err(|e| e.to_string())?;
    let file = io::read(&path).map_err(|e| e.to_string())?;
    let dir = args.out.unwrap_or_else(|| plot::default_dir(&path));
    let charts = plot::write(&file, &path, &dir)?;
    emit(&paths(charts.iter().map(|c| c.path.as_path())))
}

/// Prints the document's path, then each chart's.
fn report(args: ReportArgs) -> Result<(), String> {
    let out = args.out.unwrap_or_else(|| args.dir.join("README.md"));
    let published = published::generate(&args.dir, &out)?;
    let written = std::iter::once(published.document.as_path())
        .chain(published.charts.iter().map(|c| c.path.as_path()));
    emit(&paths(written))
}

/// Prints the kernel conformance report; 0 when every check passed, 1 otherwise.
fn kernel_check(args: KernelCheckArgs) -> i32 {
    match kernel_check::run(args.expect_generation) {
        Ok(report) => {
            println!("{report}");
            i32::from(!report.passed())
        }
        Err(reason) => {
            eprintln!("error: kernel unavailable: {reason}");
            1
        }
    }
}

fn all(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

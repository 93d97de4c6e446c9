//! Turns the parsed command line into validated, typed options: defaults filled in,
//! every value within a bound a run can honour, combinations that cannot work refused in
//! one line naming the value. Nothing here measures or writes anything.

use crate::cli::{
    Cli, Command, CompareArgs, ConvertArgs, ExportArgs, InstructionsArgs, KernelCheckArgs, OnOff,
    PlotArgs, ReportArgs, RunArgs, QUICK_WORKLOADS,
};
use crate::error::{Error, Result};
use crate::fs::Destination;
use crate::present::export::{Format, Style};
use crate::run::machine;
use crate::run::runner::{RepSpec, Window};
use crate::run::suite::SuiteSpec;
use clap::Parser;
use fencebench_impls::IMPLEMENTATIONS;
use fencebench_workloads::{Params, MAX_DRIVERS, WORKLOADS};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

/// Bounds every run honours: beyond them a run would abort on allocation, hang, or
/// measure nothing; each is far above what a measurement needs.
pub const MAX_THREADS: usize = 1024;
pub const MIN_DURATION: Duration = Duration::from_millis(1);
pub const MAX_DURATION: Duration = Duration::from_secs(3600);
pub const MAX_WARMUP: Duration = Duration::from_secs(600);
pub const MAX_REPEAT: usize = 1000;
pub const MAX_OPS: u64 = 1_000_000_000_000;
pub const MAX_IN_FLIGHT: usize = 65_536;
/// Fences in flight over all signallers of the largest cell.
pub const MAX_FENCES: usize = 1 << 22;

/// What the command line asks for.
pub enum Action {
    Run(Box<RunOptions>),
    List,
    Compare(CompareOptions),
    Export(ExportOptions),
    Convert(ConvertOptions),
    Plot(PlotArgs),
    Report(ReportArgs),
    Instructions(InstructionsArgs),
    KernelCheck(KernelCheckArgs),
}

pub struct RunOptions {
    pub spec: SuiteSpec,
    pub machine: Option<String>,
    pub machine_desc: Option<String>,
    pub quick: bool,
    pub out: Destination,
    pub format: Format,
    pub style: Style,
    /// Said on stderr before the run starts.
    pub warnings: Vec<String>,
}

pub struct CompareOptions {
    pub files: Vec<PathBuf>,
    pub format: Format,
    pub style: Style,
    pub allow_different_parameters: bool,
}

pub struct ExportOptions {
    pub file: PathBuf,
    pub format: Format,
    pub style: Style,
}

pub struct ConvertOptions {
    pub file: PathBuf,
    pub out: PathBuf,
    pub force: bool,
}

/// Parses and validates the process's arguments.
pub fn from_env() -> Result<Action> {
    let cli = Cli::try_parse()?;
    from_cli(cli)
}

pub fn from_cli(cli: Cli) -> Result<Action> {
    Ok(match cli.command {
        None => {
            let quick = RunArgs::quick_default();
            Action::Run(Box::new(run(quick)?))
        }
        Some(Command::Run(args)) => Action::Run(Box::new(run(*args)?)),
        Some(Command::List) => Action::List,
        Some(Command::Compare(args)) => Action::Compare(compare(args)),
        Some(Command::Export(args)) => Action::Export(export(args)),
        Some(Command::Convert(args)) => Action::Convert(convert(args)?),
        Some(Command::Plot(args)) => Action::Plot(args),
        Some(Command::Report(args)) => Action::Report(args),
        Some(Command::Instructions(args)) => Action::Instructions(args),
        Some(Command::KernelCheck(args)) => Action::KernelCheck(args),
    })
}

impl RunArgs {
    /// `fencebench run --quick`, what `fencebench` alone runs.
    fn quick_default() -> RunArgs {
        #[derive(Parser)]
        struct Wrapper {
            #[command(flatten)]
            args: RunArgs,
        }
        Wrapper::parse_from(["fencebench", "--quick"]).args
    }
}

/// ASCII when asked, or when stdout is not a terminal (a pipe into mail or a file).
fn style(ascii: bool) -> Style {
    Style {
        ascii: ascii || !std::io::stdout().is_terminal(),
    }
}

fn compare(args: CompareArgs) -> CompareOptions {
    CompareOptions {
        files: args.files,
        format: args.format,
        style: style(args.ascii),
        allow_different_parameters: args.allow_different_parameters,
    }
}

fn export(args: ExportArgs) -> ExportOptions {
    ExportOptions {
        file: args.file,
        format: args.format,
        style: style(args.ascii),
    }
}

fn convert(args: ConvertArgs) -> Result<ConvertOptions> {
    let out = args.out.unwrap_or_else(|| args.file.clone());
    if out.exists() && !args.force {
        return Err(Error::Invalid(format!(
            "{} exists; pass --force to replace it, or --out another path",
            out.display()
        )));
    }
    Ok(ConvertOptions {
        file: args.file,
        out,
        force: args.force,
    })
}

fn invalid<T>(msg: String) -> Result<T> {
    Err(Error::Invalid(msg))
}

fn duration_text(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

/// Checks `d` against `[min, max]`, naming the option.
fn bounded(option: &str, d: Duration, min: Duration, max: Duration) -> Result<Duration> {
    if d < min || d > max {
        return invalid(format!(
            "{option} {} is out of range: use {} to {}",
            duration_text(d),
            duration_text(min),
            duration_text(max)
        ));
    }
    Ok(d)
}

fn run(args: RunArgs) -> Result<RunOptions> {
    let quick = args.quick;
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let implementations = if args.implementations.is_empty() {
        all(IMPLEMENTATIONS)
    } else {
        unique("--impl", args.implementations)?
    };
    let workloads = match (args.workloads.is_empty(), quick) {
        (false, _) => unique("--workload", args.workloads)?,
        (true, true) => all(QUICK_WORKLOADS),
        (true, false) => all(WORKLOADS),
    };
    let threads = if args.threads.is_empty() {
        vec![cores]
    } else {
        unique("--threads", args.threads)?
    };
    if let Some(&t) = threads.iter().find(|&&t| t > MAX_THREADS) {
        return invalid(format!(
            "--threads {t} is out of range: at most {MAX_THREADS} threads per cell"
        ));
    }
    let repeat = args.repeat.unwrap_or(if quick { 3 } else { 5 });
    if repeat > MAX_REPEAT {
        return invalid(format!(
            "--repeat {repeat} is out of range: at most {MAX_REPEAT}"
        ));
    }
    let duration = bounded(
        "--duration",
        args.duration
            .unwrap_or(Duration::from_millis(if quick { 250 } else { 1000 })),
        MIN_DURATION,
        MAX_DURATION,
    )?;
    let warmup = bounded(
        "--warmup",
        args.warmup
            .unwrap_or(Duration::from_millis(if quick { 100 } else { 200 })),
        Duration::ZERO,
        MAX_WARMUP,
    )?;
    if let Some(ops) = args.ops.filter(|&n| n > MAX_OPS) {
        return invalid(format!(
            "--ops {ops} is out of range: at most {MAX_OPS} operations per thread"
        ));
    }
    let window = match args.ops {
        Some(n) => Window::Ops(n),
        None => Window::Timed { warmup, duration },
    };
    let max_threads = threads.iter().copied().max().unwrap_or(1);
    if args.in_flight > MAX_IN_FLIGHT || args.in_flight * max_threads > MAX_FENCES {
        return invalid(format!(
            "--in-flight {} is out of range: at most {MAX_IN_FLIGHT} per signaller and \
             {MAX_FENCES} over all {max_threads} threads",
            args.in_flight
        ));
    }
    let uses_signallers = workloads
        .iter()
        .any(|w| !matches!(w.as_str(), "signal" | "mixed"));
    if let Some(s) = args.signallers.filter(|_| uses_signallers) {
        if let Some(&t) = threads.iter().find(|&&t| t <= s) {
            return invalid(format!(
                "--signallers {s} leaves no thread for the other roles at --threads {t}: \
                 every thread count must exceed the signaller count"
            ));
        }
    }
    let stalls = workloads.iter().any(|w| w == "stall");
    if stalls {
        bounded(
            "--stall",
            args.stall,
            Duration::from_micros(1),
            MAX_DURATION,
        )?;
        if let Some(d) = args.drivers {
            if d > MAX_DRIVERS {
                return invalid(format!(
                    "--drivers {d} is out of range: at most {MAX_DRIVERS} drivers"
                ));
            }
            if args.in_flight * d * max_threads > MAX_FENCES {
                return invalid(format!(
                    "--drivers {d} with --in-flight {} is out of range: at most {MAX_FENCES} \
                     fences in flight over all {max_threads} threads and drivers",
                    args.in_flight
                ));
            }
        }
        if matches!(window, Window::Timed { .. }) && args.stall > duration {
            return invalid(format!(
                "--stall {} is longer than the measured window (--duration {}): the stall \
                 could not complete",
                duration_text(args.stall),
                duration_text(duration)
            ));
        }
    }
    let max_retained = match args.max_retained {
        Some(bytes) => bytes,
        None => machine::total_memory().map_or(4 << 30, |ram| ram / 4),
    };

    let mut warnings = Vec::new();
    let over: Vec<String> = threads
        .iter()
        .filter(|&&t| t > cores)
        .map(usize::to_string)
        .collect();
    if !over.is_empty() {
        warnings.push(format!(
            "warning: --threads {} exceed{} the {cores} logical cores here: those cells are \
             oversubscribed (recorded in the result file and flagged in the tables)",
            over.join(","),
            if over.len() == 1 { "s" } else { "" }
        ));
    }

    let out = match args.out {
        Some(path) => Destination::exact(path, args.force)?,
        None => {
            let name = args.machine.clone().unwrap_or_else(machine::default_name);
            Destination::default_for(&name)
        }
    };

    let params = Params {
        threads: threads[0],
        signallers: args.signallers,
        in_flight: args.in_flight,
        stall: args.stall,
        drivers: args.drivers.filter(|_| stalls),
        mix: args.mix,
        ..Params::default()
    };
    let spec = SuiteSpec {
        implementations,
        workloads,
        threads,
        repeat,
        rep: RepSpec {
            params,
            window,
            sample_every: args.sample_every,
            counters: args.counters == OnOff::On,
            pin: args.pin == OnOff::On,
            retained_every: Duration::from_millis(5),
            max_resident: max_retained,
        },
        overhead: args.sample_every != 0,
        cores,
    };
    Ok(RunOptions {
        spec,
        machine: args.machine,
        machine_desc: args.machine_desc,
        quick,
        out,
        format: args.format,
        style: style(args.ascii),
        warnings,
    })
}

/// The list as given, refusing a value given twice (it would run the same cells twice
/// and print duplicate tables).
fn unique<T: PartialEq + std::fmt::Display>(option: &str, values: Vec<T>) -> Result<Vec<T>> {
    for (i, v) in values.iter().enumerate() {
        if values[..i].contains(v) {
            return invalid(format!("{option}: '{v}' is given twice"));
        }
    }
    Ok(values)
}

fn all(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

//! What a report says, apart from how it is laid out: a header naming the machine and
//! run, one table per workload × thread count, notes explaining every "n/a", and the
//! footnotes a reader needs to not misread the figures. Markdown and the terminal table
//! render the same document, so they never disagree.

use super::numbers::{milliseconds, num, si, stat};
use crate::result::summary::BASELINE;
use crate::result::{Cell, Machine, ResultFile, RoleSummary, RunConfig};

/// Shown where a figure does not exist; a note under the table says why.
const NA: &str = "n/a";
/// Marks a cell whose figures are flagged; a note under the table says why.
const FLAGGED: &str = "(!)";

pub(crate) struct Document {
    pub title: String,
    /// `(label, text)` lines describing the machine and the run.
    pub header: Vec<(String, String)>,
    pub tables: Vec<Table>,
    /// The harness's own sampling cost, when it was measured.
    pub overhead: Option<String>,
    pub footnotes: Vec<String>,
}

pub(crate) struct Table {
    pub title: String,
    /// How many leading columns name the row (left-aligned); the rest are figures.
    pub labels: usize,
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
    pub notes: Vec<String>,
}

pub(crate) enum Row {
    /// One text per column.
    Figures(Vec<String>),
    /// A cell that did not run: the implementation and why (only in tables with one
    /// label column).
    Skipped(String, String),
}

impl Table {
    /// Each column's width in characters: its header or its widest figure. Skip reasons
    /// run across the figure columns and do not widen them.
    pub fn widths(&self) -> Vec<usize> {
        let mut widths: Vec<usize> = self.columns.iter().map(|c| width(c)).collect();
        for row in &self.rows {
            match row {
                Row::Figures(texts) => {
                    for (w, text) in widths.iter_mut().zip(texts) {
                        *w = (*w).max(width(text));
                    }
                }
                Row::Skipped(implementation, _) => widths[0] = widths[0].max(width(implementation)),
            }
        }
        widths
    }
}

impl Document {
    /// The document in ASCII only, for mail clients and other narrow readers.
    pub fn to_ascii(&self) -> Document {
        let rows = |rows: &[Row]| {
            rows.iter()
                .map(|r| match r {
                    Row::Figures(t) => Row::Figures(t.iter().map(|x| ascii(x)).collect()),
                    Row::Skipped(a, b) => Row::Skipped(ascii(a), ascii(b)),
                })
                .collect()
        };
        let all = |v: &[String]| v.iter().map(|x| ascii(x)).collect();
        Document {
            title: ascii(&self.title),
            header: self
                .header
                .iter()
                .map(|(l, t)| (ascii(l), ascii(t)))
                .collect(),
            tables: self
                .tables
                .iter()
                .map(|t| Table {
                    title: ascii(&t.title),
                    labels: t.labels,
                    columns: all(&t.columns),
                    rows: rows(&t.rows),
                    notes: all(&t.notes),
                })
                .collect(),
            overhead: self.overhead.as_deref().map(ascii),
            footnotes: all(&self.footnotes),
        }
    }
}

/// `text` with the typography tables use spelled in ASCII; anything else non-ASCII
/// becomes `?`.
pub(crate) fn ascii(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '–' | '—' | '−' => out.push('-'),
            '·' => out.push('-'),
            '×' => out.push('x'),
            'µ' => out.push('u'),
            '†' => out.push('*'),
            '≤' => out.push_str("<="),
            '≥' => out.push_str(">="),
            '÷' => out.push('/'),
            '…' => out.push_str("..."),
            '‘' | '’' => out.push('\''),
            '“' | '”' => out.push('"'),
            c if c.is_ascii() => out.push(c),
            _ => out.push('?'),
        }
    }
    out
}

/// `text` padded to `width` characters: label columns (names) to the left, figures to
/// the right so their digits line up.
pub(super) fn pad(text: &str, width: usize, left: bool) -> String {
    let fill = " ".repeat(width.saturating_sub(self::width(text)));
    if left {
        format!("{text}{fill}")
    } else {
        format!("{fill}{text}")
    }
}

/// Characters, not bytes: `–` and `µ` take one column.
fn width(text: &str) -> usize {
    text.chars().count()
}

pub(crate) fn document(file: &ResultFile) -> Document {
    let mut footnotes = footnotes(file);
    let (ran, not_run): (Vec<_>, Vec<_>) = groups(file).into_iter().partition(|&(w, t)| {
        file.cells
            .iter()
            .any(|c| c.workload == w && c.threads == t && c.summary.is_some())
    });
    if !not_run.is_empty() {
        let each: Vec<String> = not_run
            .iter()
            .map(|&(w, t)| {
                let reason = file
                    .cells
                    .iter()
                    .find(|c| c.workload == w && c.threads == t)
                    .and_then(|c| c.skipped.clone())
                    .unwrap_or_else(|| "no figures recorded".into());
                format!("{w} × {t} ({reason})")
            })
            .collect();
        footnotes.push(format!("Not run, so not shown: {}.", each.join("; ")));
    }
    let mut tables: Vec<Table> = ran.into_iter().map(|(w, t)| table(file, w, t)).collect();
    hoist_shared_notes(&mut tables, &mut footnotes);
    Document {
        title: format!("fencebench results: {}", file.machine.name),
        header: header(file),
        tables,
        overhead: file.harness_overhead.as_ref().map(|o| {
            format!(
                "Harness overhead: with 1 operation in {} timed, {} on {} × {} thread{} ran at \
                 {:.1}% of its untimed throughput ({} vs {} ops/s, medians).",
                o.sample_every,
                o.implementation,
                o.workload,
                o.threads,
                plural(o.threads),
                o.ratio * 100.0,
                si(o.ops_per_sec_on.median),
                si(o.ops_per_sec_off.median),
            )
        }),
        footnotes,
    }
}

/// Notes that several tables would repeat (the same missing counters under every
/// table) are said once among the footnotes instead.
fn hoist_shared_notes(tables: &mut [Table], footnotes: &mut Vec<String>) {
    let mut shared: Vec<String> = Vec::new();
    for t in tables.iter() {
        for note in &t.notes {
            let count = tables.iter().filter(|u| u.notes.contains(note)).count();
            if count > 1 && !shared.contains(note) {
                shared.push(note.clone());
            }
        }
    }
    for t in tables.iter_mut() {
        t.notes.retain(|n| !shared.contains(n));
    }
    footnotes.extend(
        shared
            .into_iter()
            .map(|n| format!("In every table where it shows: {n}")),
    );
}

pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn header(file: &ResultFile) -> Vec<(String, String)> {
    let m = &file.machine;
    let c = &file.config;
    let unknown = || "unknown".to_string();
    let lines = [
        (
            "machine",
            m.description
                .as_ref()
                .map_or(m.name.clone(), |d| format!("{} — {d}", m.name)),
        ),
        ("cpu", cpu(m)),
        ("kernel", m.kernel.clone().unwrap_or_else(unknown)),
        (
            "barrier",
            m.barrier_reason
                .as_ref()
                .map_or(m.barrier.clone(), |r| format!("{} ({r})", m.barrier)),
        ),
        ("counters", counters(m)),
        (
            "pinning",
            match (c.pin, m.pinning.available) {
                (false, _) => "off".to_string(),
                (true, true) if oversubscribed(file) => {
                    "threads pinned to CPUs; cells with more threads than cores share them \
                     (flagged)"
                        .to_string()
                }
                (true, true) => "threads pinned to CPUs".to_string(),
                (true, false) => {
                    format!(
                        "unavailable ({})",
                        m.pinning.reason.as_deref().unwrap_or("no reason recorded")
                    )
                }
            },
        ),
        (
            "clock",
            format!(
                "clock source {}, latencies timed with {}",
                m.clock_source.clone().unwrap_or_else(unknown),
                m.timer
            ),
        ),
        (
            "build",
            format!(
                "{}, {}, commit {}",
                file.tool,
                m.rustc.clone().unwrap_or_else(|| "rustc unknown".into()),
                match m.git_commit.as_deref() {
                    Some(c) if c.ends_with("-dirty") =>
                        format!("{c} (built from a modified tree: the figures may match no commit)"),
                    Some(c) => c.to_string(),
                    None => unknown(),
                }
            ),
        ),
        ("date", file.created.clone()),
        ("run", run(c)),
        ("parameters", parameters(c)),
    ];
    let mut lines: Vec<(String, String)> = lines
        .into_iter()
        .map(|(label, text)| (label.to_string(), text))
        .collect();
    if let Some(p) = &file.partial {
        lines.push((
            "PARTIAL".into(),
            format!(
                "interrupted by {}; {} cell{} short of {} repetition{}: {}",
                p.reason,
                p.missing.len(),
                plural(p.missing.len()),
                c.repeat,
                plural(c.repeat),
                p.missing.join("; ")
            ),
        ));
    }
    lines
}

fn oversubscribed(file: &ResultFile) -> bool {
    file.cells
        .iter()
        .any(|c| c.threads > file.machine.logical_cores)
}

pub(crate) fn cpu(m: &Machine) -> String {
    let model = m.cpu_model.as_deref().unwrap_or("unknown model");
    let physical = match m.physical_cores {
        Some(p) => format!(" / {p} physical cores"),
        None => " cores (physical unknown)".to_string(),
    };
    let smt = match m.smt {
        Some(true) => ", SMT",
        Some(false) => ", no SMT",
        None => "",
    };
    format!("{model}, {} logical{physical}{smt}", m.logical_cores)
}

fn counters(m: &Machine) -> String {
    let opened: Vec<_> = m
        .counters
        .events
        .iter()
        .filter(|(_, why)| why.is_none())
        .collect();
    let failed = crate::result::unavailable_events(&m.counters.events).unwrap_or_default();
    match (m.counters.enabled, opened.is_empty(), failed.is_empty()) {
        (false, _, true) => "off".to_string(),
        (false, _, false) => format!("off: {failed}"),
        (true, true, _) => format!("none could open: {failed}"),
        (true, false, failed_none) => {
            let opened: Vec<&str> = opened.iter().map(|(event, _)| event.as_str()).collect();
            let opened = opened.join(", ");
            if failed_none {
                opened
            } else {
                format!("{opened}; unavailable: {failed}")
            }
        }
    }
}

pub(crate) fn run(c: &RunConfig) -> String {
    let window = match c.ops_budget {
        Some(ops) => format!("{ops} operations per primary thread"),
        None => format!("{} ms window", c.duration_ms),
    };
    let sampling = match c.sample_every {
        0 => "latency sampling off".to_string(),
        n => format!("1 operation in {n} timed"),
    };
    let quick = if c.quick { ", quick" } else { "" };
    format!(
        "{window} after {} ms warm-up, {} repetition{}, {sampling}{quick}",
        c.warmup_ms,
        c.repeat,
        plural(c.repeat)
    )
}

pub(crate) fn parameters(c: &RunConfig) -> String {
    let signallers = c
        .signallers
        .map_or("per workload".to_string(), |s| s.to_string());
    let drivers = c
        .drivers
        .map_or(String::new(), |d| format!(", stall drivers {d}"));
    format!(
        "{} fences in flight, refresh every {}, stall {} ms, mix {}, wait timeout {} ms, \
         signallers {signallers}{drivers}",
        c.in_flight, c.refresh_every, c.stall_ms, c.mix, c.wait_timeout_ms
    )
}

/// `(workload, threads)` pairs: workloads in the order the file has them, thread counts
/// ascending within each.
fn groups(file: &ResultFile) -> Vec<(&str, usize)> {
    let mut workloads: Vec<&str> = Vec::new();
    for cell in &file.cells {
        if !workloads.contains(&cell.workload.as_str()) {
            workloads.push(&cell.workload);
        }
    }
    workloads
        .into_iter()
        .flat_map(|w| {
            let mut threads: Vec<usize> = file
                .cells
                .iter()
                .filter(|c| c.workload == w)
                .map(|c| c.threads)
                .collect();
            threads.sort_unstable();
            threads.dedup();
            threads.into_iter().map(move |t| (w, t))
        })
        .collect()
}

/// The workload whose table adds lost wake-ups and wake-up latency.
const WAIT: &str = "wait";
/// The workload whose table adds how long retired objects waited to be freed.
const STALL: &str = "stall";
/// The workload whose table adds the unload latency (request to driver memory freed).
const UNLOAD: &str = "unload";

fn table(file: &ResultFile, workload: &str, threads: usize) -> Table {
    let mut cells: Vec<&Cell> = file
        .cells
        .iter()
        .filter(|c| c.workload == workload && c.threads == threads)
        .collect();
    cells.sort_by_key(|c| c.implementation != BASELINE);

    let p99 = format!("p99 {}", file.config.unit_name());
    let mut columns: Vec<String> = [
        "implementation",
        &format!("vs {BASELINE}"),
        file.config.per_op(),
        "ops/s",
        &p99,
        "cycles/op",
        "instr/op",
        software_columns(workload).0,
        software_columns(workload).1,
        "violations",
    ]
    .map(String::from)
    .to_vec();
    if workload == WAIT {
        columns.extend(["lost wake-ups", "wake p99 ns"].map(String::from));
    }
    columns.push("retained peak (mean)".into());
    if workload == STALL {
        columns.push("free delay (mean)".into());
    }
    if workload == UNLOAD {
        columns.extend(["unload p50", "unload p99"].map(String::from));
    }
    // Only a run with `stall --drivers` splits the retained peak.
    let split = cells.iter().any(|c| {
        c.summary
            .as_ref()
            .is_some_and(|s| s.retained_split.is_some())
    });
    if split {
        columns.push("retained peak: stalled driver / others".into());
    }

    let mut notes = Notes::default();
    let mut rows: Vec<Row> = cells
        .iter()
        .map(|cell| row(cell, split, file.config.icount(), &mut notes))
        .collect();
    let mut notes = notes.lines(file);
    // A column that is n/a in every row says nothing: leave it out, and say so.
    let empty: Vec<usize> = (1..columns.len())
        .filter(|&i| {
            let figures = rows.iter().filter_map(|r| match r {
                Row::Figures(texts) => Some(texts),
                Row::Skipped(..) => None,
            });
            let mut figures = figures.peekable();
            figures.peek().is_some() && figures.all(|t| t.get(i).is_some_and(|x| x == NA))
        })
        .collect();
    if !empty.is_empty() {
        let names: Vec<String> = empty.iter().map(|&i| columns[i].clone()).collect();
        notes.push(format!(
            "{NA} in every row, so not shown: {}",
            names.join(", ")
        ));
        for &i in empty.iter().rev() {
            columns.remove(i);
            for r in &mut rows {
                if let Row::Figures(texts) = r {
                    texts.remove(i);
                }
            }
        }
    }
    Table {
        title: title(&cells, workload, threads),
        labels: 1,
        columns,
        rows,
        notes,
    }
}

/// `describe · 2 threads`, and the role split when there is more than one role.
fn title(cells: &[&Cell], workload: &str, threads: usize) -> String {
    let mut title = format!("{workload} · {threads} thread{}", plural(threads));
    let roles = cells
        .iter()
        .find_map(|c| c.summary.as_ref())
        .map(|s| &s.roles);
    if let Some(roles) = roles.filter(|r| r.len() > 1) {
        let split: Vec<String> = roles
            .iter()
            .filter(|r| r.threads > 0)
            .map(|r| format!("{} ×{}", r.role, r.threads))
            .collect();
        title.push_str(&format!(" · {}", split.join(" + ")));
        if let Some(primary) = roles.iter().find(|r| r.primary) {
            title.push_str(&format!(" · figures for the {} role", primary.role));
        }
    }
    title
}

/// `icount`: the file ran under QEMU icount, whose coordinator samples retained memory
/// only at each window's close, so its retained figures are no peak.
fn row(cell: &Cell, split: bool, icount: bool, notes: &mut Notes) -> Row {
    let name = match &cell.version {
        Some(version) => format!("{} ({version})", cell.implementation),
        None => cell.implementation.clone(),
    };
    if let Some(reason) = &cell.skipped {
        return Row::Skipped(name, format!("skipped: {reason}"));
    }
    let Some((summary, primary)) = cell.summary.as_ref().and_then(|s| Some((s, s.primary()?)))
    else {
        return Row::Skipped(name, "no figures recorded".into());
    };
    notes.see(cell, primary);
    let or_na = |text: Option<String>| text.unwrap_or_else(|| NA.to_string());
    let name = if cell.flags.is_empty() {
        name
    } else {
        format!("{name} {FLAGGED}")
    };
    let mut texts = vec![
        name,
        or_na(primary.ratio_to_baseline.as_ref().map(stat)),
        stat(&primary.ns_per_op),
        si(primary.ops_per_sec.median),
        or_na(primary.latency.map(|p| p.p99.to_string())),
        or_na(primary.cycles_per_op.map(|s| num(s.median))),
        or_na(primary.instructions_per_op.map(|s| num(s.median))),
        or_na(software(primary, |s| &s.context_switches_per_op)),
        or_na(software(primary, |s| &s.page_faults_per_op)),
        or_na(summary.violations.map(|v| v.to_string())),
    ];
    if cell.workload == WAIT {
        texts.push(summary.lost_wakeups.to_string());
        texts.push(or_na(summary.wake_latency.map(|p| p.p99.to_string())));
    }
    texts.push(match summary.retained_mean {
        _ if cell.unobservable.is_some() || icount => NA.to_string(),
        Some(mean) => format!("{} ({})", summary.retained_peak, num(mean.median)),
        None => summary.retained_peak.to_string(),
    });
    if cell.workload == STALL {
        texts.push(or_na(
            summary.free_delay_mean_ns.map(|s| milliseconds(s.median)),
        ));
    }
    if cell.workload == UNLOAD {
        let unload = summary.unload_latency;
        texts.push(or_na(unload.map(|p| milliseconds(p.p50 as f64))));
        texts.push(or_na(unload.map(|p| milliseconds(p.p99 as f64))));
    }
    if split {
        texts.push(match summary.retained_split {
            Some(s) if cell.unobservable.is_none() && !icount => {
                format!("{} / {}", s.stalled_peak, s.others_peak)
            }
            _ => NA.to_string(),
        });
    }
    Row::Figures(texts)
}

/// The software-event columns: context switches and page faults per operation of the
/// primary role, named for what an operation is (a wait's wake-up, a signal).
fn software_columns(workload: &str) -> (&'static str, &'static str) {
    match workload {
        WAIT => ("cs/wake-up", "faults/op"),
        STALL | "signal" => ("cs/op", "faults/signal"),
        _ => ("cs/op", "faults/op"),
    }
}

/// A software figure's median: rare events (a context switch every 10⁵ operations) in
/// scientific notation rather than as 0.00.
fn software(
    role: &RoleSummary,
    figure: fn(&crate::result::SoftwareSummary) -> &Option<crate::result::Stat>,
) -> Option<String> {
    let v = figure(role.software.as_ref()?).as_ref()?.median;
    Some(if v == 0.0 || v.abs() >= 0.01 {
        num(v)
    } else {
        format!("{v:.1e}")
    })
}

/// The "n/a"s a table shows, to explain each once under it.
#[derive(Default)]
struct Notes {
    /// Why counters are missing, with the implementations each reason applies to.
    counters: Vec<(String, Vec<String>)>,
    ratio: bool,
    latency: bool,
    wake: bool,
    unload: bool,
    /// Implementations whose pool figures were not measured, with the reason.
    unobservable: Vec<(String, String)>,
    /// Each flag, with the implementations it applies to.
    flags: Vec<(String, Vec<String>)>,
}

impl Notes {
    fn see(&mut self, cell: &Cell, primary: &RoleSummary) {
        if primary.cycles_per_op.is_none() || primary.instructions_per_op.is_none() {
            let reason = primary.counters_missing.clone().unwrap_or_default();
            match self.counters.iter_mut().find(|(r, _)| *r == reason) {
                Some((_, implementations)) => implementations.push(cell.implementation.clone()),
                None => self
                    .counters
                    .push((reason, vec![cell.implementation.clone()])),
            }
        }
        for flag in &cell.flags {
            match self.flags.iter_mut().find(|(f, _)| f == flag) {
                Some((_, implementations)) => implementations.push(cell.implementation.clone()),
                None => self
                    .flags
                    .push((flag.clone(), vec![cell.implementation.clone()])),
            }
        }
        self.ratio |= primary.ratio_to_baseline.is_none();
        self.latency |= primary.latency.is_none();
        let summary = cell.summary.as_ref();
        self.wake |= cell.workload == WAIT && summary.is_some_and(|s| s.wake_latency.is_none());
        self.unload |=
            cell.workload == UNLOAD && summary.is_some_and(|s| s.unload_latency.is_none());
        if let Some(reason) = &cell.unobservable {
            self.unobservable
                .push((cell.implementation.clone(), reason.clone()));
        }
    }

    fn lines(self, file: &ResultFile) -> Vec<String> {
        let mut lines: Vec<String> = self
            .counters
            .into_iter()
            .map(|(reason, implementations)| {
                let reason = match reason.as_str() {
                    "" if !file.config.counters => "counters were off for this run",
                    "" => "no reason recorded",
                    r => r,
                };
                format!("{NA} counters ({}): {reason}", implementations.join(", "))
            })
            .collect();
        for (flag, implementations) in self.flags {
            lines.push(format!("{FLAGGED} {}: {flag}", implementations.join(", ")));
        }
        if self.ratio {
            lines.push(format!(
                "{NA} ratio: no {BASELINE} figures for this workload and thread count"
            ));
        }
        if self.latency {
            lines.push(if file.config.sample_every == 0 {
                format!("{NA} p99: latency sampling was off for this run")
            } else {
                format!("{NA} p99: no operation was sampled")
            });
        }
        if self.wake {
            lines.push(format!("{NA} wake p99: no wake-up was timed"));
        }
        if self.unload {
            lines.push(format!(
                "{NA} unload: no unload had freed the driver's memory when it returned \
                 (`refcount` leaves it pinned by the fence references: see retained)"
            ));
        }
        for (implementation, reason) in self.unobservable {
            lines.push(format!(
                "{NA} violations, retained ({implementation}): {reason}"
            ));
        }
        lines
    }
}

fn footnotes(file: &ResultFile) -> Vec<String> {
    let per_op = file.config.per_op();
    let mut notes = vec![
        format!(
            "Ratios divide {per_op} by {BASELINE}'s median for the same workload and thread count \
             in this run."
        ),
        format!(
            "Figures are median [min–max] over {} repetition{}. {per_op} is per thread of the \
             primary role (threads × window ÷ operations); ops/s is that role's total; p99 is \
             its sampled operation latency.",
            file.config.repeat,
            plural(file.config.repeat)
        ),
    ];
    if file.config.icount() {
        notes.push(
            "instr/op (icount): instructions counted by QEMU icount (shift=0: the guest's clock \
             advances one nanosecond per executed instruction), not time. They count every \
             instruction the one vCPU executes in the window (user and kernel, other threads \
             and interrupts included); they cannot see cache misses, the real cost of atomics \
             and fences, or contention. ops/s is per second of that instruction clock. \
             Nothing of the harness runs in the window (retained memory is sampled only at \
             its close, so the retained columns are n/a), and each repetition first waits \
             for the kernel's deferred work of the one before."
                .to_string(),
        );
    }
    let cores = file.machine.logical_cores;
    if cores <= 2 {
        notes.push(format!(
            "This machine has {cores} logical core{}: multi-thread figures here do not show \
             multi-core scaling.",
            plural(cores)
        ));
    }
    notes
}

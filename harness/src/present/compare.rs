//! Comparing result files: the same machine before and after a change, or several
//! machines. One table per workload with a row per thread count × implementation and
//! columns per file (A, B, …): ns/op median [min–max], then for every file after the
//! first its ratio to A and a verdict, then the workload's own figures (violations; lost
//! wake-ups and wake-up p99 for `wait`; retained peak and free delay for `stall`).
//!
//! The verdict is a two-sided Mann–Whitney U test of the repetitions' ns/op against A's,
//! at 95% confidence, with the Benjamini–Hochberg correction over every compared row so
//! a large table does not flag chance differences: medians of a few repetitions move by
//! chance, and an unflagged ratio must not read as a finding. Below the repetitions a
//! test at 95% needs, the verdict says so instead of guessing.

use super::gate;
use super::stats::{benjamini_hochberg, mann_whitney_u, min_p_value, ALPHA};
use crate::error::IoError;
use crate::error::{Error, Result};
use crate::present::export::{csv_text, lay_out, Format, Layout, Style};
use crate::present::numbers::{milliseconds, num, stat};
use crate::present::options::CompareOptions;
use crate::present::{cpu, parameters, plural, run, Document, Row, Table};
use crate::result::summary::BASELINE;
use crate::result::{Cell, ResultFile, RunConfig, Stat};
use fencebench_workloads::properties;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Shown where a file has no such row.
const MISSING: &str = "—";
/// Marks a significant change.
const FLAG: &str = "†";

/// A result file with the path it was read from, for headers that say which is which.
pub struct Source {
    pub path: PathBuf,
    pub file: ResultFile,
}

/// The result file an argument names: a file as given, or the latest result file in a
/// directory (`results/<machine>/` holds one file per sweep, named by time).
pub fn resolve(arg: &Path) -> std::result::Result<PathBuf, IoError> {
    if arg.is_dir() {
        crate::result::file::latest(arg)
    } else {
        Ok(arg.to_path_buf())
    }
}

/// Resolves and reads every argument, in parallel; errors name the file.
pub fn load(args: &[PathBuf]) -> std::result::Result<Vec<Source>, IoError> {
    let paths = args
        .iter()
        .map(|a| resolve(a))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let files = crate::result::file::read_all(&paths)?;
    Ok(paths
        .into_iter()
        .zip(files)
        .map(|(path, file)| Source { path, file })
        .collect())
}

/// `fencebench compare`.
pub fn execute(opts: CompareOptions) -> Result<()> {
    if opts.fail_on_regression.is_some() && opts.files.len() != 2 {
        return Err(Error::Invalid(format!(
            "--fail-on-regression compares exactly two files, BASE and NEW ({} given)",
            opts.files.len()
        )));
    }
    let counts_files = opts
        .files
        .iter()
        .filter(|f| gate::is_counts_file(f))
        .count();
    if counts_files > 0 {
        return compare_counts(&opts, counts_files);
    }
    let sources = load(&opts.files)?;
    let comparison = Comparison::of(&sources);
    if !comparison.differences.is_empty() {
        let said = comparison.differences.join("; ");
        if !opts.allow_different_parameters {
            return Err(Error::Invalid(format!(
                "the files were run with different parameters ({said}): compare like with \
                 like, or pass --allow-different-parameters"
            )));
        }
        eprintln!("warning: the files were run with different parameters: {said}");
    }
    if !comparison.shared_threads {
        eprintln!("warning: the files share no thread count: no row can be compared across files");
    }
    crate::stdout::emit(&comparison.render(&sources, opts.format, opts.style))?;
    let Some(threshold_pct) = opts.fail_on_regression else {
        return Ok(());
    };
    let (failures, undecided) = gate::result_failures(&comparison, threshold_pct);
    if undecided > 0 {
        eprintln!(
            "warning: {undecided} cell{} had too few repetitions for the test to decide; \
             the gate cannot fail on them (use --repeat 4 or more)",
            plural(undecided)
        );
    }
    gate_verdict(failures, threshold_pct)
}

/// Two instruction-count files: the changed counts, gated when asked.
fn compare_counts(opts: &CompareOptions, counts_files: usize) -> Result<()> {
    use crate::present::instructions::Counts;
    let [base, new] = &opts.files[..] else {
        return Err(Error::Invalid(
            "instruction-count files compare two at a time, BASE and NEW".into(),
        ));
    };
    if counts_files != 2 {
        return Err(Error::Invalid(
            "one file is an instruction-count file and the other is not: compare like with \
             like"
                .into(),
        ));
    }
    let base = Counts::read(base).map_err(Error::Failed)?;
    let new = Counts::read(new).map_err(Error::Failed)?;
    let threshold_pct = opts.fail_on_regression.unwrap_or(f64::INFINITY);
    let (report, failures) = gate::count_changes(&base, &new, threshold_pct);
    crate::stdout::emit(&report)?;
    gate_verdict(failures, threshold_pct)
}

fn gate_verdict(failures: gate::Failures, threshold_pct: f64) -> Result<()> {
    if failures.is_empty() {
        Ok(())
    } else {
        Err(Error::Regression {
            failures,
            threshold_pct,
        })
    }
}

/// One compared figure set of one file in one row.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub file: String,
    pub ns_per_op: Option<Stat>,
    /// This file's median ÷ the first file's (none for the first file).
    pub ratio_to_first: Option<f64>,
    /// Two-sided Mann–Whitney U p-value against the first file's repetitions.
    pub p_value: Option<f64>,
    /// `faster`, `slower`, `no change`, `too few repetitions to decide`, or why there is
    /// no figure (`skipped`, `not run`).
    pub verdict: String,
    pub violations: Option<u64>,
    pub lost_wakeups: Option<u64>,
    pub wake_p99_ns: Option<u64>,
    pub retained_peak: Option<u64>,
    pub free_delay_mean_ns: Option<f64>,
    pub ratio_to_baseline: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CompareRow {
    pub workload: String,
    pub threads: usize,
    pub implementation: String,
    pub entries: Vec<Entry>,
}

/// Everything a comparison says, before layout.
#[derive(Debug, Serialize)]
pub struct Comparison {
    pub files: Vec<(String, String)>,
    /// Each file's per-operation label, in file order: "ns/op", or "instr/op (icount)"
    /// for instructions counted under QEMU icount.
    pub per_op: Vec<String>,
    pub confidence: f64,
    /// Parameters that differ between the files, as `name: a vs b`.
    pub differences: Vec<String>,
    pub shared_threads: bool,
    pub rows: Vec<CompareRow>,
}

/// `A`, `B`, …, `Z`, `AA`, … for the files in order.
fn tag(i: usize) -> String {
    let mut n = i;
    let mut s = String::new();
    loop {
        s.insert(0, (b'A' + (n % 26) as u8) as char);
        if n < 26 {
            return s;
        }
        n = n / 26 - 1;
    }
}

/// The parameters that shape figures, by name, for finding differences.
fn shaping(c: &RunConfig) -> Vec<(&'static str, String)> {
    vec![
        ("window", format!("{} ms", c.duration_ms)),
        ("warm-up", format!("{} ms", c.warmup_ms)),
        ("ops budget", format!("{:?}", c.ops_budget)),
        ("repetitions", c.repeat.to_string()),
        ("sampling", format!("1 in {}", c.sample_every)),
        ("in flight", c.in_flight.to_string()),
        ("signallers", format!("{:?}", c.signallers)),
        ("stall", format!("{} ms", c.stall_ms)),
        ("stall drivers", format!("{:?}", c.drivers)),
        ("mix", c.mix.clone()),
        ("refresh", c.refresh_every.to_string()),
        ("wait timeout", format!("{} ms", c.wait_timeout_ms)),
        ("counters", c.counters.to_string()),
        ("pinning", c.pin.to_string()),
        // Instructions counted under QEMU icount are no time: never compared as one.
        ("unit", c.per_op().to_string()),
    ]
}

/// The primary role's per-repetition ns/op of a cell.
fn samples(cell: &Cell) -> Vec<f64> {
    cell.reps
        .iter()
        .filter_map(|r| r.roles.iter().find(|x| x.primary)?.ns_per_op)
        .collect()
}

fn primary_stat(cell: &Cell) -> Option<(Stat, Option<Stat>)> {
    let p = cell.summary.as_ref()?.primary()?;
    Some((p.ns_per_op, p.ratio_to_baseline))
}

impl Comparison {
    pub fn of(sources: &[Source]) -> Comparison {
        let files: Vec<(String, String)> = sources
            .iter()
            .enumerate()
            .map(|(i, s)| (tag(i), s.path.display().to_string()))
            .collect();
        let mut rows: Vec<CompareRow> = keys(sources)
            .into_iter()
            .map(|(workload, threads, implementation)| {
                compare_row(sources, workload, threads, implementation)
            })
            .collect();
        mark_significant(&mut rows);
        Comparison {
            files,
            per_op: sources
                .iter()
                .map(|s| s.file.config.per_op().to_string())
                .collect(),
            confidence: 1.0 - ALPHA,
            differences: differences(sources),
            shared_threads: shared_threads(sources),
            rows,
        }
    }

    pub fn render(&self, sources: &[Source], format: Format, style: Style) -> String {
        match format {
            Format::Table => lay_out(&self.document(sources), Layout::Table, style),
            Format::Markdown => lay_out(&self.document(sources), Layout::Markdown, style),
            Format::Json => {
                serde_json::to_string_pretty(self).expect("comparisons always serialise") + "\n"
            }
            Format::Csv => self.csv(),
        }
    }

    /// One row per compared row and file.
    fn csv(&self) -> String {
        let header = [
            "workload",
            "threads",
            "implementation",
            "file",
            "path",
            "ns_per_op_median",
            "ns_per_op_min",
            "ns_per_op_max",
            "ratio_to_first",
            "p_value",
            "verdict",
            "confidence",
            "violations",
            "lost_wakeups",
            "wake_p99_ns",
            "retained_peak",
            "free_delay_mean_ns",
            "ratio_to_unprotected",
        ];
        let opt = |v: Option<String>| v.unwrap_or_default();
        let rows: Vec<Vec<String>> = self
            .rows
            .iter()
            .flat_map(|r| {
                r.entries.iter().zip(&self.files).map(|(e, (_, path))| {
                    vec![
                        r.workload.clone(),
                        r.threads.to_string(),
                        r.implementation.clone(),
                        e.file.clone(),
                        path.clone(),
                        opt(e.ns_per_op.map(|s| s.median.to_string())),
                        opt(e.ns_per_op.map(|s| s.min.to_string())),
                        opt(e.ns_per_op.map(|s| s.max.to_string())),
                        opt(e.ratio_to_first.map(|v| v.to_string())),
                        opt(e.p_value.map(|v| v.to_string())),
                        e.verdict.clone(),
                        self.confidence.to_string(),
                        opt(e.violations.map(|v| v.to_string())),
                        opt(e.lost_wakeups.map(|v| v.to_string())),
                        opt(e.wake_p99_ns.map(|v| v.to_string())),
                        opt(e.retained_peak.map(|v| v.to_string())),
                        opt(e.free_delay_mean_ns.map(|v| v.to_string())),
                        opt(e.ratio_to_baseline.map(|v| v.to_string())),
                    ]
                })
            })
            .collect();
        csv_text(&header, &rows)
    }

    /// The comparison as a document: which file each tag is and how it was run, one
    /// table per workload, and footnotes on how to read them.
    pub(crate) fn document(&self, sources: &[Source]) -> Document {
        let mut header: Vec<(String, String)> = sources
            .iter()
            .zip(&self.files)
            .map(|(s, (tag, path))| {
                let m = &s.file.machine;
                let text = format!(
                    "{path} · {} · {} · {} · barrier {} · {} · {}",
                    m.name,
                    s.file.created,
                    cpu(m),
                    m.barrier,
                    run(&s.file.config),
                    parameters(&s.file.config)
                );
                (tag.clone(), text)
            })
            .collect();
        if !self.differences.is_empty() {
            header.push((
                "WARNING".into(),
                format!(
                    "the files were run with different parameters, so their figures are not \
                     like for like: {}",
                    self.differences.join("; ")
                ),
            ));
        }
        if !self.shared_threads {
            header.push((
                "WARNING".into(),
                "the files share no thread count: no row can be compared across files".into(),
            ));
        }
        let mut workloads: Vec<&str> = Vec::new();
        for r in &self.rows {
            if !workloads.contains(&r.workload.as_str()) {
                workloads.push(&r.workload);
            }
        }
        let tables = workloads
            .into_iter()
            .map(|w| self.table(w))
            .collect::<Vec<_>>();
        let compared = self
            .rows
            .iter()
            .flat_map(|r| &r.entries)
            .filter(|e| e.p_value.is_some());
        let flagged = compared
            .clone()
            .filter(|e| e.verdict == "faster" || e.verdict == "slower")
            .count();
        let compared = compared.count();
        let undecided = self
            .rows
            .iter()
            .flat_map(|r| &r.entries)
            .filter(|e| e.verdict.starts_with("too few"))
            .count();
        let mut units = self.per_op.clone();
        units.dedup();
        let mut footnotes = vec![
            format!(
                "{}: per thread of the primary role, median [min–max] over that file's \
                 repetitions. \"vs A\": the file's median ÷ A's median (below 1 is faster).",
                units.join(", ")
            ),
            format!(
                "{FLAG} marks a significant change: a two-sided Mann–Whitney U test of the \
                 repetitions against A's at {:.0}% confidence, Benjamini–Hochberg-corrected over \
                 the {compared} compared figures (false-discovery rate {:.0}%). {flagged} of \
                 {compared} are flagged; a ratio without {FLAG} is not evidence of a change.",
                self.confidence * 100.0,
                ALPHA * 100.0
            ),
        ];
        if undecided > 0 {
            footnotes.push(format!(
                "\"too few reps\" ({undecided} figure{}): with so few repetitions no ordering \
                 of them reaches {:.0}% confidence; repeat the runs with --repeat 4 or more.",
                plural(undecided),
                self.confidence * 100.0
            ));
        }
        if self
            .rows
            .iter()
            .any(|r| r.entries.iter().any(|e| e.verdict == "not run"))
        {
            footnotes.push(format!("{MISSING}: the file has no such row (not run)."));
        }
        let mut machines: Vec<&str> = sources
            .iter()
            .map(|s| s.file.machine.name.as_str())
            .collect();
        machines.sort_unstable();
        machines.dedup();
        if machines.len() > 1 {
            footnotes.push(format!(
                "The files come from different machines: ns/op differences include the \
                 hardware; the ratio to {BASELINE} within each file is the comparable figure."
            ));
        }
        Document {
            title: "fencebench comparison".into(),
            header,
            tables,
            overhead: None,
            footnotes,
        }
    }

    fn table(&self, workload: &str) -> Table {
        let tags: Vec<&str> = self.files.iter().map(|(t, _)| t.as_str()).collect();
        let mut columns: Vec<String> = vec!["threads".into(), "implementation".into()];
        for (i, t) in tags.iter().enumerate() {
            columns.push(format!("{t} {}", self.per_op[i]));
            if i > 0 {
                columns.push(format!("{t} vs A"));
            }
        }
        let mut extras: Vec<(&str, Figure)> = vec![("violations", |e: &Entry| {
            e.violations.map(|v| v.to_string())
        })];
        let shows = properties(workload);
        if shows.is_some_and(|p| p.wakes) {
            extras.push(("lost wake-ups", |e| e.lost_wakeups.map(|v| v.to_string())));
            extras.push(("wake p99 ns", |e| e.wake_p99_ns.map(|v| v.to_string())));
        }
        if shows.is_some_and(|p| p.stalls) {
            extras.push(("retained peak", |e| e.retained_peak.map(|v| v.to_string())));
            extras.push(("free delay", |e| e.free_delay_mean_ns.map(milliseconds)));
        }
        for (name, _) in &extras {
            for t in &tags {
                columns.push(format!("{t} {name}"));
            }
        }
        let rows = self
            .rows
            .iter()
            .filter(|r| r.workload == workload)
            .map(|r| {
                let mut texts = vec![r.threads.to_string(), r.implementation.clone()];
                for (i, e) in r.entries.iter().enumerate() {
                    texts.push(match e.ns_per_op {
                        Some(s) => stat(&s),
                        None if e.verdict == "not run" => MISSING.into(),
                        None => e.verdict.clone(),
                    });
                    if i > 0 {
                        texts.push(match (e.ratio_to_first, e.verdict.as_str()) {
                            (Some(ratio), "faster" | "slower") => format!("{}×{FLAG}", num(ratio)),
                            (Some(ratio), v) if v.starts_with("too few") => {
                                format!("{}× (too few reps)", num(ratio))
                            }
                            (Some(ratio), _) => format!("{}×", num(ratio)),
                            (None, _) => MISSING.into(),
                        });
                    }
                }
                for (_, figure) in &extras {
                    for e in &r.entries {
                        texts.push(figure(e).unwrap_or_else(|| MISSING.into()));
                    }
                }
                Row::Figures(texts)
            })
            .collect();
        Table {
            title: workload.to_string(),
            labels: 2,
            columns,
            rows,
            notes: Vec::new(),
        }
    }
}

/// A workload's own figure of one file's entry, as text.
type Figure = fn(&Entry) -> Option<String>;

/// `(workload, threads, implementation)` in any file: workloads in order of first
/// appearance, thread counts ascending, the baseline first, then implementations in
/// `name: a in A vs b in X` for every run parameter where a file differs from the first.
fn differences(sources: &[Source]) -> Vec<String> {
    let mut differences = Vec::new();
    if let Some(first) = sources.first() {
        let base = shaping(&first.file.config);
        for (i, s) in sources.iter().enumerate().skip(1) {
            for ((name, a), (_, b)) in base.iter().zip(shaping(&s.file.config)) {
                if *a != b {
                    differences.push(format!("{name}: {a} in A vs {b} in {}", tag(i)));
                }
            }
        }
    }
    differences
}

/// Whether some thread count of the first file is in every other file.
fn shared_threads(sources: &[Source]) -> bool {
    let thread_sets: Vec<Vec<usize>> = sources
        .iter()
        .map(|s| s.file.cells.iter().map(|c| c.threads).collect())
        .collect();
    thread_sets.first().is_none_or(|first| {
        first
            .iter()
            .any(|t| thread_sets.iter().skip(1).all(|set| set.contains(t)))
    })
}

/// One row: each file's figures for the cell, and for every file after the first its
/// ratio to the first and, where the repetitions allow, the test's p-value (the verdict
/// says "no change" until [`mark_significant`] decides).
fn compare_row<'a>(
    sources: &'a [Source],
    workload: &str,
    threads: usize,
    implementation: &str,
) -> CompareRow {
    let cell = |s: &'a Source| s.file.cell(implementation, workload, threads);
    let first = sources.first().and_then(cell);
    let first_samples = first.map(samples).unwrap_or_default();
    let first_median = first.and_then(primary_stat).map(|(s, _)| s.median);
    let wakes = properties(workload).is_some_and(|p| p.wakes);
    let entries = sources
        .iter()
        .enumerate()
        .map(|(i, source)| {
            let c = cell(source);
            let summary = c.and_then(|c| c.summary.as_ref());
            let figures = c.and_then(primary_stat);
            let mut entry = Entry {
                file: tag(i),
                ns_per_op: figures.map(|(s, _)| s),
                ratio_to_first: None,
                p_value: None,
                verdict: String::new(),
                violations: summary.and_then(|s| s.violations),
                lost_wakeups: summary.filter(|_| wakes).map(|s| s.lost_wakeups),
                wake_p99_ns: summary.and_then(|s| s.wake_latency).map(|p| p.p99),
                retained_peak: summary.map(|s| s.retained_peak),
                free_delay_mean_ns: summary.and_then(|s| s.free_delay_mean_ns).map(|s| s.median),
                ratio_to_baseline: figures.and_then(|(_, r)| r).map(|r| r.median),
            };
            entry.verdict = match (c, figures) {
                (None, _) => "not run".into(),
                (Some(c), _) if c.skipped.is_some() => "skipped".into(),
                (Some(_), None) => "no figures".into(),
                (Some(_), Some(_)) if i == 0 => String::new(),
                (Some(c), Some((s, _))) => {
                    entry.ratio_to_first = first_median.filter(|m| *m > 0.0).map(|m| s.median / m);
                    let mine = samples(c);
                    if first_samples.is_empty() {
                        "nothing to compare with".into()
                    } else if min_p_value(first_samples.len(), mine.len()) > ALPHA {
                        "too few repetitions to decide".into()
                    } else {
                        entry.p_value = Some(mann_whitney_u(&first_samples, &mine));
                        "no change".into()
                    }
                }
            };
            entry
        })
        .collect();
    CompareRow {
        workload: workload.to_string(),
        threads,
        implementation: implementation.to_string(),
        entries,
    }
}

/// Faster or slower where the test is significant after the Benjamini–Hochberg
/// correction over every test of the comparison.
fn mark_significant(rows: &mut [CompareRow]) {
    let tested: Vec<&mut Entry> = rows
        .iter_mut()
        .flat_map(|r| r.entries.iter_mut())
        .filter(|e| e.p_value.is_some())
        .collect();
    let p_values: Vec<f64> = tested.iter().filter_map(|e| e.p_value).collect();
    for (e, significant) in tested.into_iter().zip(benjamini_hochberg(&p_values, ALPHA)) {
        if significant {
            e.verdict = if e.ratio_to_first.unwrap_or(1.0) < 1.0 {
                "faster".into()
            } else {
                "slower".into()
            };
        }
    }
}

/// order of first appearance.
fn keys(sources: &[Source]) -> Vec<(&str, usize, &str)> {
    let mut workloads: Vec<&str> = Vec::new();
    let mut implementations: Vec<&str> = Vec::new();
    let mut keys: Vec<(&str, usize, &str)> = Vec::new();
    for c in sources.iter().flat_map(|s| &s.file.cells) {
        if !workloads.contains(&c.workload.as_str()) {
            workloads.push(&c.workload);
        }
        if !implementations.contains(&c.implementation.as_str()) {
            implementations.push(&c.implementation);
        }
        let key = (c.workload.as_str(), c.threads, c.implementation.as_str());
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let position = |list: &[&str], name: &str| list.iter().position(|n| *n == name);
    keys.sort_by_key(|&(w, t, i)| {
        (
            position(&workloads, w),
            t,
            i != BASELINE,
            position(&implementations, i),
        )
    });
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::fixture;

    #[test]
    fn an_icount_file_is_not_compared_with_a_timed_one_unless_told() {
        let a = fixture::result_file();
        let mut b = fixture::result_file();
        b.config.unit = Some(crate::result::UNIT_ICOUNT.into());
        let sources = [source("a", a), source("b", b)];
        let c = Comparison::of(&sources);
        assert_eq!(
            c.differences,
            ["unit: ns/op in A vs instr/op (icount) in B"]
        );
        let out = c.render(&sources, Format::Markdown, Style::default());
        assert!(
            out.contains("B instr/op (icount)") && out.contains("A ns/op"),
            "{out}"
        );
    }

    fn source(name: &str, file: ResultFile) -> Source {
        Source {
            path: PathBuf::from(format!("results/{name}.json")),
            file,
        }
    }

    /// Scales every repetition's primary ns/op of a 2-thread cell, and its summary.
    fn scale(file: &mut ResultFile, implementation: &str, workload: &str, factor: f64) {
        let cell = file
            .cells
            .iter_mut()
            .find(|c| {
                c.implementation == implementation && c.workload == workload && c.threads == 2
            })
            .unwrap();
        for rep in &mut cell.reps {
            for role in rep.roles.iter_mut().filter(|r| r.primary) {
                role.ns_per_op = role.ns_per_op.map(|v| v * factor);
            }
        }
        let summary = cell.summary.as_mut().unwrap();
        for role in summary.roles.iter_mut().filter(|r| r.primary) {
            let s = &mut role.ns_per_op;
            *s = Stat {
                median: s.median * factor,
                min: s.min * factor,
                max: s.max * factor,
            };
        }
    }

    fn five_reps() -> ResultFile {
        fixture::five_reps()
    }

    fn entry<'a>(c: &'a Comparison, w: &str, t: usize, i: &str) -> &'a [Entry] {
        &c.rows
            .iter()
            .find(|r| r.workload == w && r.threads == t && r.implementation == i)
            .unwrap()
            .entries
    }

    #[test]
    fn identical_files_show_no_change() {
        let sources = [source("a", five_reps()), source("b", five_reps())];
        let c = Comparison::of(&sources);
        assert!(c.differences.is_empty() && c.shared_threads);
        for r in &c.rows {
            for e in r.entries.iter().skip(1) {
                assert!(
                    ["no change", "skipped"].contains(&e.verdict.as_str()),
                    "{r:?}"
                );
            }
        }
        let out = c.render(&sources, Format::Markdown, Style::default());
        assert!(!out.contains(&format!("×{FLAG}")), "{out}");
        assert!(out.contains("0 of 15 are flagged"), "{out}");
        assert!(out.contains("at 95% confidence"));
    }

    #[test]
    fn a_clear_change_over_enough_repetitions_is_flagged() {
        let before = five_reps();
        let mut after = five_reps();
        scale(&mut after, "rcu", "describe", 0.5);
        for w in ["describe", "wait", "stall"] {
            scale(&mut after, "hazptr", w, 2.0);
        }
        let sources = [source("a", before), source("b", after)];
        let c = Comparison::of(&sources);
        assert_eq!(entry(&c, "describe", 2, "rcu")[1].verdict, "faster");
        assert_eq!(entry(&c, "wait", 2, "hazptr")[1].verdict, "slower");
        assert_eq!(entry(&c, "describe", 1, "rcu")[1].verdict, "no change");
        let out = c.render(&sources, Format::Markdown, Style::default());
        assert!(out.contains("0.50×†"), "{out}");
    }

    #[test]
    fn three_repetitions_are_too_few_to_decide() {
        let before = fixture::result_file();
        let mut after = fixture::result_file();
        scale(&mut after, "rcu", "describe", 0.5);
        let sources = [source("a", before), source("b", after)];
        let c = Comparison::of(&sources);
        assert_eq!(
            entry(&c, "describe", 2, "rcu")[1].verdict,
            "too few repetitions to decide"
        );
        let out = c.render(&sources, Format::Markdown, Style::default());
        assert!(out.contains("0.50× (too few reps)"), "{out}");
    }

    #[test]
    fn differing_parameters_and_thread_counts_are_named() {
        let a = fixture::result_file();
        let mut b = fixture::result_file();
        b.config.repeat = 5;
        b.config.stall_ms = 100;
        for c in &mut b.cells {
            c.threads += 10;
        }
        let sources = [source("a", a), source("b", b)];
        let c = Comparison::of(&sources);
        assert_eq!(
            c.differences,
            [
                "repetitions: 3 in A vs 5 in B",
                "stall: 50 ms in A vs 100 ms in B"
            ]
        );
        assert!(!c.shared_threads);
        let out = c.render(&sources, Format::Table, Style { ascii: true });
        assert!(out.is_ascii(), "{out}");
        assert!(out.contains("WARNING"), "{out}");
    }

    #[test]
    fn workload_figures_csv_and_json() {
        let sources = [source("a", five_reps()), source("b", five_reps())];
        let c = Comparison::of(&sources);
        let stall = entry(&c, "stall", 2, "rcu");
        assert!(stall[0].retained_peak.is_some() && stall[0].free_delay_mean_ns.is_some());
        let wait = entry(&c, "wait", 2, "hazptr");
        assert_eq!(wait[1].wake_p99_ns, Some(2049));
        let csv = c.render(&sources, Format::Csv, Style::default());
        assert!(csv.starts_with("workload,threads,implementation,file,path,"));
        assert_eq!(csv.lines().count(), 1 + c.rows.len() * 2);
        let json: serde_json::Value =
            serde_json::from_str(&c.render(&sources, Format::Json, Style::default())).unwrap();
        assert_eq!(json["confidence"], 0.95);
        let md = c.render(&sources, Format::Markdown, Style::default());
        assert!(
            md.contains("B lost wake-ups") && md.contains("A retained peak"),
            "{md}"
        );
    }

    #[test]
    fn tags_run_past_z() {
        assert_eq!([tag(0), tag(1), tag(25), tag(26)], ["A", "B", "Z", "AA"]);
    }
}

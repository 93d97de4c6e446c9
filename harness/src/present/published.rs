//! The published results document: every machine's latest sweep under
//! `DIR/<machine>/<YYYYmmddTHHMMSSZ>.json`, each as the report's own tables with links to
//! its charts, and a cross-machine comparison when there is more than one machine.
//! Generated, never edited, so the tables cannot drift from the result files; ad-hoc
//! runs in `DIR/runs/` stay out of it.

use crate::error::IoError;
use crate::error::{Error, Result};
use crate::present::compare::{self, Source};
use crate::present::counted;
use crate::present::export::markdown_section;
use crate::present::headline;
use crate::present::instructions::{self, Counts};
use crate::present::plot::{self, Chart};
use crate::present::targets;
use crate::present::{document, plural};
use crate::result::summary::BASELINE;
use crate::result::ResultFile;
use rayon::prelude::*;
use std::fs;
use std::path::{Component, Path, PathBuf};

/// Where ad-hoc runs go (see [`crate::result::file::default_path`]); never published.
const RUNS: &str = "runs";

/// What [`generate`] wrote.
pub struct Published {
    pub document: PathBuf,
    pub charts: Vec<Chart>,
}

/// `fencebench report`: prints the document's path, then each chart's.
pub fn execute(opts: crate::present::options::ReportOptions) -> crate::error::Result<()> {
    let published = generate(&opts.dir, &opts.out)?;
    let written: String = std::iter::once(published.document.as_path())
        .chain(published.charts.iter().map(|c| c.path.as_path()))
        .map(|p| format!("{}\n", p.display()))
        .collect();
    crate::stdout::emit(&written)
}

/// The latest result file of each machine directory under `dir`, by machine name.
/// Directories without result files, hidden ones and `runs/` are passed over.
pub fn latest_per_machine(dir: &Path) -> Result<Vec<PathBuf>> {
    let unreadable = |source| {
        Error::File(IoError::Read {
            path: dir.to_path_buf(),
            source,
        })
    };
    let mut machines: Vec<PathBuf> = Vec::new();
    for entry in fs::read_dir(dir).map_err(unreadable)? {
        let path = entry.map_err(unreadable)?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        // The icount counts are instructions, not a machine's timed sweep: their own section.
        let published =
            name.is_some_and(|n| n != RUNS && n != counted::DIR_NAME && !n.starts_with('.'));
        if published && path.is_dir() {
            machines.push(path);
        }
    }
    machines.sort();
    let latest: Vec<PathBuf> = machines
        .iter()
        .filter_map(|m| crate::result::file::latest(m).ok())
        .collect();
    if latest.is_empty() {
        return Err(Error::Failed(format!(
            "{}: no published result files (expected <machine>/<timestamp>.json in it; \
             {RUNS}/ is not published)",
            dir.display()
        )));
    }
    Ok(latest)
}

/// Reads each machine's latest file under `dir`, (re)draws its charts beside it, and
/// writes the document to `out`, linking files and charts relative to it.
pub fn generate(dir: &Path, out: &Path) -> Result<Published> {
    let paths = latest_per_machine(dir)?;
    let files = crate::result::file::read_all(&paths)?;
    let drawn: Vec<Result<Vec<Chart>>> = paths
        .par_iter()
        .zip(&files)
        .map(|(path, file)| {
            let dir = plot::default_dir(path);
            let charts = plot::write(file, path, &dir)?;
            prune(&dir, &charts)?;
            Ok(charts)
        })
        .collect();
    let charts = drawn.into_iter().collect::<Result<Vec<_>>>()?;

    let base = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let unwritable = |source| {
        Error::File(IoError::Write {
            path: out.to_path_buf(),
            source,
        })
    };
    fs::create_dir_all(base).map_err(unwritable)?;
    let counts_path = dir.join("instructions.json");
    let counts = if counts_path.exists() {
        let counts = Counts::read(&counts_path).map_err(Error::Failed)?;
        Some((counts, link(base, &counts_path)))
    } else {
        None
    };
    let counts = counts.as_ref().map(|(c, source)| (c, source.clone()));
    let mut text = markdown(&paths, &files, &charts, counts.clone(), &|target| {
        link(base, target)
    });
    let kernels = counted::read(&dir.join(counted::DIR_NAME)).map_err(Error::Failed)?;
    if let Some(section) = counted::markdown(&kernels, &|target| link(base, target)) {
        text.push('\n');
        text.push_str(&section);
    }
    if let Some((counts, source)) = &counts {
        text.push('\n');
        text.push_str(&instructions::markdown(counts, source));
    }
    fs::write(out, text).map_err(unwritable)?;
    Ok(Published {
        document: out.to_path_buf(),
        charts: charts.into_iter().flatten().collect(),
    })
}

/// Removes the charts in `dir` (a result file's own `<stem>-plots/`) that this report did
/// not draw, so a chart a newer fencebench no longer draws cannot linger beside the
/// result file as if it were current. Only `.svg` files are touched.
fn prune(dir: &Path, drawn: &[Chart]) -> Result<()> {
    let entries = fs::read_dir(dir).map_err(|source| {
        Error::File(IoError::Read {
            path: dir.to_path_buf(),
            source,
        })
    })?;
    for entry in entries.flatten() {
        let path = entry.path();
        let svg = path.extension().is_some_and(|e| e == "svg");
        if svg && !drawn.iter().any(|c| c.path == path) {
            fs::remove_file(&path)
                .map_err(|e| Error::Failed(format!("cannot remove {}: {e}", path.display())))?;
        }
    }
    Ok(())
}

/// `target` relative to the directory `base`, with `/` separators, as a Markdown link
/// target. Both exist when this is called; a path that cannot be resolved is kept whole.
fn link(base: &Path, target: &Path) -> String {
    let relative: PathBuf = match (base.canonicalize(), target.canonicalize()) {
        (Ok(base), Ok(target)) => {
            let b: Vec<Component> = base.components().collect();
            let t: Vec<Component> = target.components().collect();
            let common = b.iter().zip(&t).take_while(|(x, y)| x == y).count();
            let up = (common..b.len()).map(|_| Component::ParentDir);
            up.chain(t[common..].iter().copied()).collect()
        }
        _ => target.to_path_buf(),
    };
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().replace(' ', "%20"))
        .collect();
    parts.join("/")
}

fn markdown(
    paths: &[PathBuf],
    files: &[ResultFile],
    charts: &[Vec<Chart>],
    counts: Option<(&Counts, String)>,
    link: &dyn Fn(&Path) -> String,
) -> String {
    let mut out = String::from("# fencebench results\n\n");
    let linked: Vec<(String, &ResultFile)> = paths.iter().map(|p| link(p)).zip(files).collect();
    out.push_str(&headline::markdown(&linked, counts));
    out.push_str("\n## How the tables were made\n\n");
    out.push_str(&preamble(files));
    out.push_str("\nMachines:\n\n");
    for (path, file) in paths.iter().zip(files) {
        let m = &file.machine;
        let description = m
            .description
            .as_deref()
            .map_or(String::new(), |d| format!(" — {d}"));
        let target = link(path);
        out.push_str(&format!(
            "- **{}**{description} — {} logical core{}, run {} — [{target}]({target})\n",
            m.name,
            m.logical_cores,
            plural(m.logical_cores),
            file.created,
        ));
    }
    if files.len() > 1 {
        let sources: Vec<Source> = paths
            .iter()
            .zip(files)
            .map(|(path, file)| Source {
                path: PathBuf::from(link(path)),
                file: file.clone(),
            })
            .collect();
        let mut doc = compare::Comparison::of(&sources).document(&sources);
        doc.title = "Cross-machine comparison".into();
        out.push('\n');
        out.push_str(&markdown_section(&doc, 2));
    }
    for ((path, file), charts) in paths.iter().zip(files).zip(charts) {
        let mut doc = document(file);
        doc.title = file.machine.name.clone();
        let target = link(path);
        doc.header
            .insert(0, ("result file".into(), format!("[{target}]({target})")));
        out.push('\n');
        out.push_str(&markdown_section(&doc, 2));
        if let Some(targets) = targets::section(file) {
            out.push('\n');
            out.push_str(&targets);
        }
        if !charts.is_empty() {
            out.push_str("\nCharts:\n\n");
            let mut workloads: Vec<&str> = charts.iter().map(|c| c.workload.as_str()).collect();
            workloads.dedup();
            for workload in workloads {
                let links: Vec<String> = charts
                    .iter()
                    .filter(|c| c.workload == workload)
                    .map(|c| format!("[{}]({})", c.what, link(&c.path)))
                    .collect();
                out.push_str(&format!("- {workload}: {}\n", links.join(" · ")));
            }
        }
    }
    out
}

fn preamble(files: &[ResultFile]) -> String {
    let mut repeats: Vec<usize> = files.iter().map(|f| f.config.repeat).collect();
    repeats.sort_unstable();
    repeats.dedup();
    let repetitions = match repeats[..] {
        [n] => format!("{n} repetition{}", plural(n)),
        _ => {
            let each: Vec<String> = files
                .iter()
                .map(|f| format!("{}: {}", f.machine.name, f.config.repeat))
                .collect();
            format!("each run's repetitions ({})", each.join(", "))
        }
    };
    format!(
        "Generated by `fencebench report` from the latest result file in each machine's \
         directory (`<machine>/<YYYYmmddTHHMMSSZ>.json`); ad-hoc runs under `{RUNS}/` are \
         left out. Regenerate it after adding a sweep rather than editing it.\n\n\
         How to read the figures:\n\n\
         - **Ratios to {BASELINE}.** \"vs {BASELINE}\" divides an implementation's ns/op by \
         the median ns/op of `{BASELINE}` (driver data read with no protection at all) on \
         the same workload and thread count, measured in the same run on the same machine. \
         It is what safety costs there, and the figure to compare across machines: raw \
         ns/op also carry the hardware.\n\
         - **median [min–max] over {repetitions}.** The brackets hold the fastest and \
         slowest repetition; two figures whose ranges overlap are not shown to differ.\n\
         - **ns/op** is per thread of the workload's primary role (threads × window ÷ \
         operations); ops/s is that role's total; p99 is its sampled operation latency.\n\
         - **Multi-core scaling.** The 2-vCPU development VM does not show multi-core \
         scaling: at two threads even the unprotected load doubles in cost, so its \
         multi-thread figures measure two virtual CPUs contending, not scaling. Scaling \
         tables need a machine with real cores.\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::fixture;

    fn write(dir: &Path, machine: &str, stamp: &str) {
        let mut file = fixture::result_file();
        file.machine.name = machine.into();
        let path = dir.join(machine).join(format!("{stamp}.json"));
        crate::result::file::write(&path, &file).unwrap();
    }

    #[test]
    fn latest_file_per_machine_and_never_runs() {
        let dir = tempfile::tempdir().unwrap();
        assert!(latest_per_machine(dir.path())
            .unwrap_err()
            .to_string()
            .contains("no published result files"));
        write(dir.path(), "vm", "20250101T000000Z");
        write(dir.path(), "vm", "20250301T000000Z");
        write(dir.path(), "bigbox", "20250201T000000Z");
        write(dir.path(), RUNS, "20991231T000000Z");
        fs::create_dir_all(dir.path().join("empty")).unwrap();
        fs::write(dir.path().join("stray.json"), "{}").unwrap();
        assert_eq!(
            latest_per_machine(dir.path()).unwrap(),
            [
                dir.path().join("bigbox/20250201T000000Z.json"),
                dir.path().join("vm/20250301T000000Z.json")
            ]
        );
    }

    #[test]
    fn charts_no_longer_drawn_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let stale = dir.path().join("throughput-stall.svg");
        let kept = dir.path().join("ns-per-op-stall-2t.svg");
        let other = dir.path().join("notes.txt");
        for p in [&stale, &kept, &other] {
            fs::write(p, "").unwrap();
        }
        let drawn = [Chart {
            workload: "stall".into(),
            what: "ns/op".into(),
            path: kept.clone(),
        }];
        prune(dir.path(), &drawn).unwrap();
        assert!(!stale.exists() && kept.exists() && other.exists());
    }

    #[test]
    fn links_are_relative_to_the_document() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("a/b c")).unwrap();
        fs::create_dir_all(dir.path().join("d")).unwrap();
        fs::write(dir.path().join("a/b c/x.svg"), "").unwrap();
        assert_eq!(
            link(dir.path(), &dir.path().join("a/b c/x.svg")),
            "a/b%20c/x.svg"
        );
        assert_eq!(
            link(&dir.path().join("d"), &dir.path().join("a/b c/x.svg")),
            "../a/b%20c/x.svg"
        );
    }

    #[test]
    fn one_machine_has_no_comparison_and_differing_repeats_are_named() {
        let shown = |p: &Path| p.display().to_string();
        let one = [fixture::result_file()];
        let out = markdown(&[PathBuf::from("m/x.json")], &one, &[vec![]], None, &shown);
        assert!(!out.contains("Cross-machine comparison"));
        assert!(out.starts_with("# fencebench results\n\n## The cost of the contract\n"));
        assert!(out.contains("\n### testbox (Test CPU) — 2 logical cores — [m/x.json](m/x.json)\n"));
        assert!(out.contains("median [min–max] over 3 repetitions.**"));
        assert!(out.contains("\n## testbox\n\n- **result file:** [m/x.json](m/x.json)\n"));
        assert!(out.contains("\n### describe · 1 thread · "));
        let mut other = fixture::result_file();
        other.machine.name = "bigbox".into();
        other.config.repeat = 5;
        let two = [fixture::result_file(), other];
        let paths = [PathBuf::from("a.json"), PathBuf::from("b.json")];
        let out = markdown(&paths, &two, &[vec![], vec![]], None, &shown);
        assert!(out.contains("over each run's repetitions (testbox: 3, bigbox: 5).**"));
        assert!(out.contains("\n## Cross-machine comparison\n"));
        assert!(out.contains("\n### describe\n"), "{out}");
    }
}

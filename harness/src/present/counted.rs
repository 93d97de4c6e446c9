//! "The real kernel, counted": the published section built from distribution kernels'
//! instruction counts under QEMU icount (`scripts/kernel-vm.sh --count-instructions`),
//! kept in `DIR/qemu-icount/`: per kernel `<release>.json`, a result file whose unit is
//! instructions, and `<release>.paths.json` from `fencebench kernel-paths`. icount makes
//! the guest's clock count executed instructions, so the figures are the same on any host
//! and a kernel-to-kernel difference is the code's own: the contract's difference is
//! shown beside each contract kernel, against the newest pre-contract one.

use crate::present::calls;
use crate::result::{ResultFile, Stat};
use fencebench_impls::kernel_check::KernelGeneration;
use serde::Deserialize;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The folder of `DIR` that holds the counts: not a machine's sweep, so the published
/// document's timed sections pass it over.
pub const DIR_NAME: &str = "qemu-icount";

/// What `fencebench kernel-paths` writes.
#[derive(Debug, Deserialize)]
pub struct Paths {
    pub release: String,
    pub unit: String,
    pub paths: Vec<PathRow>,
}

#[derive(Debug, Deserialize)]
pub struct PathRow {
    pub path: String,
    pub per_op: Stat,
    /// The median less the syscall floor's; absent for the floor and the clock.
    pub net: Option<f64>,
}

/// One kernel's counts.
pub struct Kernel {
    pub release: String,
    pub run: Option<(PathBuf, ResultFile)>,
    pub paths: Option<(PathBuf, Paths)>,
    /// The function_graph trace of the paths (`<release>.trace.txt`).
    pub trace: Option<(PathBuf, Vec<calls::Traced>)>,
}

impl Kernel {
    /// Release numbers for ordering (`6.12.117+deb13-amd64` → [6, 12, 117, 13]).
    fn version(&self) -> Vec<u64> {
        self.release
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|p| p.parse().ok())
            .collect()
    }

    fn generation(&self) -> Option<KernelGeneration> {
        KernelGeneration::of_release(&self.release)
    }

    /// `7.2.13` of `7.2.13+deb14-amd64`, `6.1.0-50` of `6.1.0-50-amd64`.
    fn short(&self) -> &str {
        self.release
            .strip_suffix("-amd64")
            .unwrap_or(&self.release)
            .split('+')
            .next()
            .unwrap_or(&self.release)
    }
}

/// The kernels under `dir` (none when it does not exist), oldest first.
pub fn read(dir: &Path) -> Result<Vec<Kernel>, String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut kernels: Vec<Kernel> = Vec::new();
    let mut names: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    names.sort();
    let slot = |kernels: &mut Vec<Kernel>, release: &str| -> usize {
        match kernels.iter().position(|k| k.release == release) {
            Some(i) => i,
            None => {
                kernels.push(Kernel {
                    release: release.to_string(),
                    run: None,
                    paths: None,
                    trace: None,
                });
                kernels.len() - 1
            }
        }
    };
    for path in names {
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let bad = |e: String| format!("{}: {e}", path.display());
        if let Some(release) = name.strip_suffix(".trace.txt") {
            let text = std::fs::read_to_string(&path).map_err(|e| bad(e.to_string()))?;
            let i = slot(&mut kernels, release);
            kernels[i].trace = Some((path, calls::parse(&text)));
        } else if let Some(release) = name.strip_suffix(".paths.json") {
            let text = std::fs::read_to_string(&path).map_err(|e| bad(e.to_string()))?;
            let paths: Paths = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
            let i = slot(&mut kernels, release);
            kernels[i].paths = Some((path, paths));
        } else if let Some(release) = name.strip_suffix(".json") {
            let file = crate::result::file::read(&path).map_err(|e| bad(e.to_string()))?;
            if !file.config.icount() {
                return Err(bad("not an icount result file (unit is not instr)".into()));
            }
            let i = slot(&mut kernels, release);
            kernels[i].run = Some((path, file));
        }
    }
    kernels.sort_by_key(Kernel::version);
    Ok(kernels)
}

/// `12,345`.
fn count(v: f64) -> String {
    let s = format!("{:.0}", v.abs());
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if v < -0.5 {
        format!("−{out}")
    } else {
        out
    }
}

fn signed(v: f64) -> String {
    if v >= 0.5 {
        format!("+{}", count(v))
    } else {
        count(v)
    }
}

/// One table: a row per operation, a column per kernel, then for each contract kernel the
/// difference to the newest pre-contract kernel. `figure` gives a kernel's figure of a row.
fn table(
    out: &mut String,
    first: &str,
    rows: &[String],
    kernels: &[&Kernel],
    figure: &dyn Fn(&Kernel, &str) -> Option<f64>,
) {
    let base = kernels
        .iter()
        .rev()
        .find(|k| k.generation() == Some(KernelGeneration::PreContract));
    let contract: Vec<&&Kernel> = kernels
        .iter()
        .filter(|k| k.generation() == Some(KernelGeneration::Contract))
        .collect();
    let _ = write!(out, "| {first} |");
    for k in kernels {
        let _ = write!(out, " Linux {} |", k.short());
    }
    if let Some(b) = base {
        for k in &contract {
            let _ = write!(out, " contract: {} − {} |", k.short(), b.short());
        }
    }
    out.push_str("\n|---|");
    let extra = if base.is_some() { contract.len() } else { 0 };
    out.push_str(&"---:|".repeat(kernels.len() + extra));
    out.push('\n');
    for row in rows {
        let _ = write!(out, "| {row} |");
        for k in kernels {
            let _ = write!(out, " {} |", figure(k, row).map_or("—".into(), count));
        }
        if let Some(b) = base {
            for k in &contract {
                let d = figure(k, row).zip(figure(b, row)).map(|(a, b)| a - b);
                let _ = write!(out, " {} |", d.map_or("—".into(), signed));
            }
        }
        out.push('\n');
    }
}

/// The section, or `None` without counts.
pub fn markdown(kernels: &[Kernel], link: &dyn Fn(&Path) -> String) -> Option<String> {
    if kernels.is_empty() {
        return None;
    }
    let mut out = String::from("## The real kernel, counted\n\n");
    out.push_str(
        "Distribution kernels' dma-fence (vgem fences read through sync_file) under QEMU with \
         `-accel tcg -icount shift=0,sleep=off -smp 1`, from `scripts/kernel-vm.sh \
         --count-instructions`: the guest's clock advances one nanosecond per executed \
         instruction, so every figure is **instructions per operation (instr/op), not \
         time**, user and kernel together, the same on any host (the machine that ran QEMU \
         does not matter). Each boot is the same (`nokaslr`, the RTC at a fixed date on the \
         virtual clock, a byte-identical initramfs), so a second run gives the same \
         figures. A warm-up pass is discarded; figures are medians of the \
         repetitions (5 of each workload, 3 of each path). icount counts every instruction \
         the vCPU executes in the window, interrupts included (nothing of the harness runs \
         there, and each repetition first lets the kernel's deferred work of the one \
         before run); it cannot see cache misses, the real cost of atomics and \
         fences, or contention. The Callgrind counts of the models (below) count the \
         operation alone in userspace; icount counts the operation as the workload runs \
         it, syscall and kernel included.\n\n",
    );
    let sources: Vec<String> = kernels
        .iter()
        .flat_map(|k| {
            let run = k.run.as_ref().map(|(p, _)| p.as_path());
            let paths = k.paths.as_ref().map(|(p, _)| p.as_path());
            let trace = k.trace.as_ref().map(|(p, _)| p.as_path());
            run.into_iter().chain(paths).chain(trace)
        })
        .map(|p| {
            let l = link(p);
            format!("[{l}]({l})")
        })
        .collect();
    let _ = writeln!(out, "Files: {}.\n", sources.join(" · "));

    let with_paths: Vec<&Kernel> = kernels.iter().filter(|k| k.paths.is_some()).collect();
    if let Some(first) = with_paths.first() {
        let rows: Vec<String> = first
            .paths
            .as_ref()
            .unwrap()
            .1
            .paths
            .iter()
            .map(|r| r.path.clone())
            .collect();
        out.push_str(
            "### Each kernel path, net of the syscall (`fencebench kernel-paths`)\n\n\
             instr/op of each path less the syscall floor's (an ioctl the sync_file rejects); \
             the floor and the empty clock bracket are shown as measured.\n\n",
        );
        let figure = |k: &Kernel, row: &str| {
            let r = k.paths.as_ref()?.1.paths.iter().find(|r| r.path == row)?;
            Some(r.net.unwrap_or(r.per_op.median))
        };
        table(&mut out, "path (instr/op)", &rows, &with_paths, &figure);
        out.push('\n');
    }

    let with_runs: Vec<&Kernel> = kernels.iter().filter(|k| k.run.is_some()).collect();
    if let Some(first) = with_runs.first() {
        let file = &first.run.as_ref().unwrap().1;
        let mut rows: Vec<String> = Vec::new();
        for c in file.cells.iter().filter(|c| c.threads == 1) {
            let row = format!("{} · {}", c.workload, c.implementation);
            if !rows.contains(&row) {
                rows.push(row);
            }
        }
        out.push_str(
            "### The workloads, one thread (`fencebench run --icount`)\n\n\
             instr/op of the primary role, everything the vCPU runs in the window included \
             (for describe, the signaller thread's work too); the models' rows never enter the \
             kernel, so they must agree across kernels. rcu's signal is the exception: it \
             hands its retired objects to a reclaimer thread, so its window holds the kernel's \
             wakeups and context switches, and how often the one vCPU runs the reclaimer \
             between batches differs from window to window: its repetitions spread by up to a \
             few per cent, a boot that differs in anything (the RTC's date, the guest's init \
             script, the kernel's placement) moves its median by up to 1.3 % (seen; the same \
             boot gives the same figure), and its row differs across kernels.\n\n",
        );
        let figure = |k: &Kernel, row: &str| {
            let (w, i) = row.split_once(" · ")?;
            let f = &k.run.as_ref()?.1;
            let c = f
                .cells
                .iter()
                .find(|c| c.threads == 1 && c.workload == w && c.implementation == i)?;
            Some(c.summary.as_ref()?.primary()?.ns_per_op.median)
        };
        table(
            &mut out,
            "workload · implementation (instr/op)",
            &rows,
            &with_runs,
            &figure,
        );
    }

    let traced: Vec<(String, Vec<calls::Traced>)> = kernels
        .iter()
        .filter_map(|k| Some((k.short().to_string(), k.trace.as_ref()?.1.clone())))
        .collect();
    if !traced.is_empty() {
        out.push_str(
            "\n### Which calls the contract added\n\n\
             The kernel's function_graph tracer (`set_graph_function sync_file_ioctl`, \
             `vgem_fence_signal_ioctl`) on one pass of the paths: the functions one call runs \
             (nested calls included) and how often. **(contract)** marks the calls the \
             access contract brought: RCU read sections, the name helpers, the detach. Calls, \
             not costs: the tracer adds hundreds of instructions per traced call.\n",
        );
        out.push_str(&calls::markdown(&traced));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_group_thousands_and_sign_differences() {
        assert_eq!(count(3814.4), "3,814");
        assert_eq!(count(129.0), "129");
        assert_eq!(signed(357.0), "+357");
        assert_eq!(signed(-1234.0), "−1,234");
    }

    #[test]
    fn kernels_order_by_version_and_contract_columns_follow_the_newest_pre_contract() {
        let k = |r: &str, net: f64| Kernel {
            release: r.into(),
            run: None,
            trace: None,
            paths: Some((
                PathBuf::from(format!("{r}.paths.json")),
                Paths {
                    release: r.into(),
                    unit: "instr".into(),
                    paths: vec![PathRow {
                        path: "FILE_INFO, unsignalled".into(),
                        per_op: Stat {
                            median: net + 500.0,
                            min: net + 500.0,
                            max: net + 500.0,
                        },
                        net: Some(net),
                    }],
                },
            )),
        };
        let mut kernels = vec![
            k("7.2.13+deb14-amd64", 1400.0),
            k("6.1.0-50-amd64", 1000.0),
            k("6.12.117+deb13-amd64", 1100.0),
        ];
        kernels.sort_by_key(Kernel::version);
        let out = markdown(&kernels, &|p| p.display().to_string()).unwrap();
        assert!(out.contains("instr/op") && !out.contains("ns/op"), "{out}");
        assert!(
            out.contains(
                "| Linux 6.1.0-50 | Linux 6.12.117 | Linux 7.2.13 | contract: 7.2.13 − 6.12.117 |"
            ),
            "{out}"
        );
        assert!(
            out.contains("| FILE_INFO, unsignalled | 1,000 | 1,100 | 1,400 | +300 |"),
            "{out}"
        );
    }
}

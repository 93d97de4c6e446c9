//! The kernel conformance suite: what the uapi can observe of the running kernel's
//! dma-fence, checked against what fencebench's model says that kernel generation does.
//!
//! Before signal the names are the driver's (vgem's `vgem`/`unbound`). After signal a
//! pre-contract kernel (before 6.17) keeps them, and a contract kernel returns what the
//! model of its generation returns for a signalled fence (`rcu` for 6.17–6.19,
//! `rcu-detach` for 7.x: the detached constants); the expectation comes from running the
//! model, so a model and a kernel that disagree fail here. Status goes 0 → 1, a poll goes not-ready → ready, a wait on an unsignalled fence
//! times out, and FILE_INFO on a signalled fence never fails, even while signals race it.
//!
//! `fencebench kernel-check` runs it (in the QEMU guests of `scripts/kernel-vm.sh`), and
//! `cargo test` runs it where a vgem device exists.

use super::backend::{Kernel, KernelFence};
use super::uapi;
use crate::contract::*;
use crate::memory::pool::Name;
use crate::schemes::{Rcu, RcuDetach};
use std::fmt;
use std::time::{Duration, Instant};

/// The first release with the access contract's detached names (Linux 6.17).
pub const CONTRACT_SINCE: (u32, u32) = (6, 17);

/// vgem's names for its fences.
const VGEM_DRIVER: &str = "vgem";
const VGEM_TIMELINE: &str = "unbound";

/// Which side of the contract a kernel release is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelGeneration {
    /// Before 6.17: names stay the driver's after signal.
    PreContract,
    /// 6.17 and later: `detached-driver` / `signaled-timeline` after signal.
    Contract,
}

impl KernelGeneration {
    /// The generation of a release string such as `6.1.0-27-amd64` or `7.2.13+deb14-amd64`.
    pub fn of_release(release: &str) -> Option<KernelGeneration> {
        let mut parts = release
            .split(|c: char| !c.is_ascii_digit())
            .map(|p| p.parse::<u32>());
        let major = parts.next()?.ok()?;
        let minor = parts.next()?.ok()?;
        Some(if (major, minor) >= CONTRACT_SINCE {
            KernelGeneration::Contract
        } else {
            KernelGeneration::PreContract
        })
    }
}

impl fmt::Display for KernelGeneration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KernelGeneration::PreContract => "pre-contract",
            KernelGeneration::Contract => "contract",
        })
    }
}

impl std::str::FromStr for KernelGeneration {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "pre-contract" => Ok(KernelGeneration::PreContract),
            "contract" => Ok(KernelGeneration::Contract),
            _ => Err(format!(
                "unknown generation '{s}' (expected pre-contract or contract)"
            )),
        }
    }
}

/// One check's outcome: what was seen when it passed, or what went wrong.
#[derive(Debug, Clone)]
pub struct Check {
    pub name: &'static str,
    pub outcome: Result<String, String>,
}

/// The suite's report.
#[derive(Debug, Clone)]
pub struct Report {
    pub release: String,
    pub generation: Option<KernelGeneration>,
    pub checks: Vec<Check>,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.outcome.is_ok())
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.checks {
            match &c.outcome {
                Ok(seen) => writeln!(f, "ok    {}: {seen}", c.name)?,
                Err(why) => writeln!(f, "FAIL  {}: {why}", c.name)?,
            }
        }
        let failed = self.checks.iter().filter(|c| c.outcome.is_err()).count();
        write!(
            f,
            "kernel conformance on Linux {} ({} generation): {} passed, {failed} failed",
            self.release,
            self.generation
                .map_or("unknown".to_string(), |g| g.to_string()),
            self.checks.len() - failed
        )
    }
}

/// The names a signalled fence reports on `release`, from the model of its generation:
/// pre-contract kernels keep the driver's; 6.17–6.19 return what `rcu` (the 6.17 model)
/// returns once its fence is signalled, 7.x what `rcu-detach` (the 7.x model) returns,
/// each for a driver like vgem: one with a `release` op, whose `ops` 7.x leaves set.
fn expected_after_signal(generation: KernelGeneration, release: &str) -> (Name, Name) {
    fn model<I: Implementation>() -> (Name, Name) {
        let timeline =
            I::timeline(TimelineConfig::new(VGEM_DRIVER, VGEM_TIMELINE).with_release_op());
        let fence = timeline.create();
        fence.signal();
        let info = fence.info();
        (info.driver_name, info.obj_name)
    }
    const { assert!(matches!(Rcu::GENERATION, Generation::V6_17)) };
    const { assert!(matches!(RcuDetach::GENERATION, Generation::V7)) };
    match generation {
        KernelGeneration::PreContract => (Name::new(VGEM_DRIVER), Name::new(VGEM_TIMELINE)),
        KernelGeneration::Contract if release.starts_with("6.") => model::<Rcu>(),
        KernelGeneration::Contract => model::<RcuDetach>(),
    }
}

fn names(info: &FenceInfo) -> String {
    format!("{}/{}", info.driver_name, info.obj_name)
}

fn check(name: &'static str, f: impl FnOnce() -> Result<String, String>) -> Check {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|e| {
        let msg = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panicked".into());
        Err(msg)
    });
    Check { name, outcome }
}

fn info_of(fence: &KernelFence) -> Result<(Name, FenceInfo), String> {
    fence
        .file_info()
        .map_err(|e| format!("SYNC_IOC_FILE_INFO failed: {e}"))
}

/// Runs the suite on the running kernel. `expect` additionally requires the kernel to
/// be of that generation (CI boots one of each). `Err`: the kernel implementation is
/// unavailable here, with the reason.
pub fn run(expect: Option<KernelGeneration>) -> Result<Report, String> {
    if let Some(reason) = Kernel::unavailable() {
        return Err(reason);
    }
    let release = uapi::kernel_release();
    let generation = KernelGeneration::of_release(&release);
    let mut checks = Vec::new();
    checks.push(check("generation", || {
        let g = generation.ok_or_else(|| format!("cannot parse release '{release}'"))?;
        match expect {
            Some(e) if e != g => Err(format!("expected a {e} kernel, booted a {g} one")),
            _ => Ok(format!("Linux {release} is {g} (contract since 6.17)")),
        }
    }));
    let Some(generation) = generation else {
        return Ok(Report {
            release,
            generation,
            checks,
        });
    };
    let timeline = Kernel::timeline(TimelineConfig::new(VGEM_DRIVER, VGEM_TIMELINE));
    let fence = timeline.create();

    checks.push(check("names before signal are the driver's", || {
        let (_, info) = info_of(&fence)?;
        let want = (Name::new(VGEM_DRIVER), Name::new(VGEM_TIMELINE));
        if (info.driver_name, info.obj_name) != want {
            return Err(format!(
                "got {}, want {VGEM_DRIVER}/{VGEM_TIMELINE}",
                names(&info)
            ));
        }
        Ok(names(&info))
    }));
    checks.push(check("status 0 before signal", || {
        match info_of(&fence)?.1.status {
            0 => Ok("0".into()),
            s => Err(format!("status {s}")),
        }
    }));
    checks.push(check("poll 0 before signal", || {
        match fence.wait(Duration::ZERO) {
            WaitOutcome::TimedOut => Ok("not ready".into()),
            o => Err(format!("{o:?} on an unsignalled fence")),
        }
    }));
    checks.push(check("wait on an unsignalled fence times out", || {
        let start = Instant::now();
        match fence.wait(Duration::from_millis(50)) {
            WaitOutcome::TimedOut => Ok(format!("timed out after {:?}", start.elapsed())),
            o => Err(format!("{o:?}")),
        }
    }));
    let mut signalled_between = (0, 0);
    checks.push(check(
        "signal, then a second signal reports already signalled",
        || {
            let before = crate::sync::clock::now_ns();
            if fence.check_and_signal() {
                return Err("the first signal found it already signalled".into());
            }
            signalled_between = (before, crate::sync::clock::now_ns());
            match fence.check_and_signal() {
                true => Ok("signalled, then already signalled".into()),
                false => Err("the second signal succeeded".into()),
            }
        },
    ));
    checks.push(check(
        "status 1 after signal, timestamped during the signal call",
        || {
            let (_, info) = info_of(&fence)?;
            let (before, after) = signalled_between;
            match (info.status, info.timestamp_ns) {
                (1, t) if (before..=after).contains(&t) => Ok(format!(
                    "1, at {} ns of a {} ns call",
                    t - before,
                    after - before
                )),
                (s, t) => Err(format!(
                    "status {s}, timestamp {t} ns (signal called {before}..{after} ns)"
                )),
            }
        },
    ));
    checks.push(check("poll ready after signal", || {
        match fence.wait(Duration::ZERO) {
            WaitOutcome::Signaled(_) => Ok("ready".into()),
            o => Err(format!("{o:?} on a signalled fence")),
        }
    }));
    let (driver, timeline_name) = expected_after_signal(generation, &release);
    checks.push(check(
        "names after signal match the model's generation",
        || {
            let (file, info) = info_of(&fence)?;
            if (info.driver_name, info.obj_name) != (driver, timeline_name) {
                return Err(format!(
                    "got {}, the {generation} model says {driver}/{timeline_name}",
                    names(&info)
                ));
            }
            // The sync_file's own name is "<driver>-<timeline><context>-<seqno>", cut to 31.
            let prefix = Name::new(&format!("{driver}-{timeline_name}"));
            if !file.as_str().starts_with(prefix.as_str())
                && !prefix.as_str().starts_with(file.as_str())
            {
                return Err(format!(
                    "sync_file name '{file}' does not start with '{prefix}'"
                ));
            }
            Ok(format!("{} (sync_file '{file}')", names(&info)))
        },
    ));
    checks.push(check(
        "FILE_INFO on signalled fences never fails, racing signal",
        || race(&timeline, generation, (driver, timeline_name)),
    ));
    Ok(Report {
        release,
        generation: Some(generation),
        checks,
    })
}

/// A reader thread describes the fence the main thread signals next, many times; every
/// FILE_INFO must succeed and report the driver's names or the generation's signalled
/// ones (a contract kernel may mix them: each name helper tests the state on its own).
fn race(
    timeline: &<Kernel as Implementation>::Timeline,
    generation: KernelGeneration,
    signalled: (Name, Name),
) -> Result<String, String> {
    const ROUNDS: usize = 200;
    let driver = [Name::new(VGEM_DRIVER), signalled.0];
    let timeline_names = [Name::new(VGEM_TIMELINE), signalled.1];
    let mut detached_seen = 0;
    for _ in 0..ROUNDS {
        let fence = timeline.create();
        let reader = fence.clone();
        let seen = std::thread::scope(|s| {
            let h = s.spawn(move || {
                let mut seen = Vec::new();
                for _ in 0..4 {
                    seen.push(reader.file_info().map(|(_, i)| i));
                }
                seen
            });
            fence.signal();
            h.join().map_err(|_| "reader panicked".to_string())
        })?;
        let after = fence.file_info().map(|(_, i)| i);
        for info in seen.into_iter().chain([after]) {
            let info = info.map_err(|e| format!("FILE_INFO failed: {e}"))?;
            if !driver.contains(&info.driver_name) || !timeline_names.contains(&info.obj_name) {
                return Err(format!("{generation} kernel reported {}", names(&info)));
            }
            detached_seen += usize::from(info.driver_name == signalled.0);
        }
    }
    Ok(format!(
        "{ROUNDS} rounds, every read valid ({detached_seen} with the signalled names)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generations_of_releases() {
        for (release, g) in [
            ("6.1.0-27-amd64", KernelGeneration::PreContract),
            ("6.12.48+deb13-amd64", KernelGeneration::PreContract),
            ("6.16.9", KernelGeneration::PreContract),
            ("6.17.0", KernelGeneration::Contract),
            ("6.18.44-fc-v769", KernelGeneration::Contract),
            ("7.2.13+deb14-amd64", KernelGeneration::Contract),
        ] {
            assert_eq!(KernelGeneration::of_release(release), Some(g), "{release}");
        }
        assert_eq!(KernelGeneration::of_release("linux"), None);
    }

    #[test]
    fn the_contract_model_detaches_names() {
        for release in ["6.18.44", "7.2.13+deb14-amd64"] {
            let (d, t) = expected_after_signal(KernelGeneration::Contract, release);
            assert_eq!(
                (d.as_str(), t.as_str()),
                (DETACHED_DRIVER, SIGNALED_TIMELINE)
            );
        }
    }
}

//! The machine a run happened on, read from `/proc` and `/sys`, and the build that
//! measured it, so figures from different machines are never compared blind. Facts that
//! cannot be read are `None`, never guessed.

use crate::host::{default_name, read};
use crate::result::{Availability, CounterAvailability, Machine};
use fencebench_impls::membarrier::{self, BarrierMode};
use std::collections::BTreeSet;
use std::fs;

/// The clock the runner samples latencies with.
const TIMER: &str = "quanta TSC";

/// Probes this machine. `counters` and `pinning` come from the runner, which opens the
/// counters and pins the threads itself.
pub fn probe(
    name: Option<String>,
    description: Option<String>,
    counters: CounterAvailability,
    pinning: Availability,
) -> Machine {
    let cpuinfo = read("/proc/cpuinfo").unwrap_or_default();
    let allowed = core_affinity::get_core_ids().map(|ids| ids.into_iter().map(|c| c.id).collect());
    let topology = cpuinfo_topology(&cpuinfo)
        .or_else(sysfs_topology)
        .and_then(|cpus| Topology::of(&cpus, allowed.as_ref()));
    // What this process may use (affinity, cgroup quota): the most a run here can scale to.
    let logical_cores = std::thread::available_parallelism()
        .map(usize::from)
        .ok()
        .or(topology.map(|t| t.logical))
        .unwrap_or(1);
    let mode = membarrier::mode();
    Machine {
        name: name.unwrap_or_else(default_name),
        description,
        cpu_model: field(&cpuinfo, "model name").map(str::to_string),
        logical_cores,
        physical_cores: topology.map(|t| t.physical),
        smt: topology.map(|t| t.physical < t.logical),
        kernel: read("/proc/sys/kernel/osrelease"),
        rustc: option_env!("FENCEBENCH_RUSTC").map(str::to_string),
        git_commit: option_env!("FENCEBENCH_GIT").map(str::to_string),
        barrier: mode.label().to_string(),
        barrier_reason: match mode {
            BarrierMode::Membarrier => None,
            BarrierMode::FullFence(reason) => Some(reason.to_string()),
        },
        counters,
        clock_source: read("/sys/devices/system/clocksource/clocksource0/current_clocksource"),
        timer: TIMER.to_string(),
        pinning,
    }
}

/// Installed memory in bytes (`MemTotal` in `/proc/meminfo`).
pub fn total_memory() -> Option<u64> {
    kib(&read("/proc/meminfo")?, "MemTotal")
}

/// This process's resident memory in bytes (`VmRSS` in `/proc/self/status`); `None`
/// where unknown.
pub fn resident_bytes() -> Option<u64> {
    kib(&read("/proc/self/status")?, "VmRSS")
}

/// A `key: N kB` line of a `/proc` file, in bytes.
fn kib(text: &str, key: &str) -> Option<u64> {
    let n: u64 = field(text, key)?
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(n * 1024)
}

/// The first non-empty value of `key` in `/proc/cpuinfo` text.
fn field<'a>(cpuinfo: &'a str, key: &str) -> Option<&'a str> {
    cpuinfo.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        Some(v.trim()).filter(|v| k.trim() == key && !v.is_empty())
    })
}

/// Logical CPUs counted, and the physical cores they sit on.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Topology {
    logical: usize,
    physical: usize,
}

impl Topology {
    /// From `(cpu number, core key)` pairs, counting only `allowed` CPUs when given (the
    /// ones this process may run on); `None` when no CPU is left.
    fn of(cpus: &[(usize, String)], allowed: Option<&BTreeSet<usize>>) -> Option<Topology> {
        let mine: Vec<&String> = cpus
            .iter()
            .filter(|(cpu, _)| allowed.is_none_or(|a| a.contains(cpu)))
            .map(|(_, core)| core)
            .collect();
        let physical = mine.iter().collect::<BTreeSet<_>>().len();
        (physical > 0).then_some(Topology {
            logical: mine.len(),
            physical,
        })
    }
}

/// `(processor, "physical id:core id")` per CPU block of `/proc/cpuinfo`; `None` unless
/// every block has all three.
fn cpuinfo_topology(cpuinfo: &str) -> Option<Vec<(usize, String)>> {
    cpuinfo
        .split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            let cpu = field(block, "processor")?.parse().ok()?;
            let core = format!(
                "{}:{}",
                field(block, "physical id")?,
                field(block, "core id")?
            );
            Some((cpu, core))
        })
        .collect::<Option<Vec<_>>>()
        .filter(|cpus| !cpus.is_empty())
}

/// `(cpu, thread_siblings_list)` for each online CPU in sysfs: CPUs sharing a core share
/// a sibling list.
fn sysfs_topology() -> Option<Vec<(usize, String)>> {
    let mut cpus = Vec::new();
    for entry in fs::read_dir("/sys/devices/system/cpu").ok()?.flatten() {
        let name = entry.file_name();
        let Some(cpu) = name
            .to_str()
            .and_then(|n| n.strip_prefix("cpu"))
            .and_then(|n| n.parse().ok())
        else {
            continue;
        };
        if let Some(siblings) = read(&format!(
            "{}/topology/thread_siblings_list",
            entry.path().display()
        )) {
            cpus.push((cpu, siblings));
        }
    }
    (!cpus.is_empty()).then_some(cpus)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// Two cores with two hardware threads each; siblings are CPUs 0+2 and 1+3.
    const CPUINFO: &str = "\
processor\t: 0\nmodel name\t: Test CPU\nphysical id\t: 0\ncore id\t\t: 0\n\n\
processor\t: 1\nmodel name\t: Test CPU\nphysical id\t: 0\ncore id\t\t: 1\n\n\
processor\t: 2\nmodel name\t: Test CPU\nphysical id\t: 0\ncore id\t\t: 0\n\n\
processor\t: 3\nmodel name\t: Test CPU\nphysical id\t: 0\ncore id\t\t: 1\n\n";

    fn probe_here() -> Machine {
        let counters = CounterAvailability {
            enabled: false,
            events: vec![],
        };
        let pinning = Availability {
            available: true,
            reason: None,
        };
        probe(None, Some("test box".into()), counters, pinning)
    }

    #[test]
    fn cpuinfo_topology_counts_smt_siblings_once() {
        let cpus = cpuinfo_topology(CPUINFO).unwrap();
        assert_eq!(cpus.len(), 4);
        assert_eq!(
            Topology::of(&cpus, None),
            Some(Topology {
                logical: 4,
                physical: 2
            })
        );
        let first_two = BTreeSet::from([0, 1]);
        assert_eq!(
            Topology::of(&cpus, Some(&first_two)),
            Some(Topology {
                logical: 2,
                physical: 2
            })
        );
        let siblings = BTreeSet::from([0, 2]);
        assert_eq!(
            Topology::of(&cpus, Some(&siblings)),
            Some(Topology {
                logical: 2,
                physical: 1
            })
        );
        assert_eq!(Topology::of(&cpus, Some(&BTreeSet::from([9]))), None);
        assert_eq!(field(CPUINFO, "model name"), Some("Test CPU"));
    }

    #[test]
    fn cpuinfo_without_core_ids_is_unknown() {
        assert_eq!(
            cpuinfo_topology("processor\t: 0\nmodel name\t: X\n\nprocessor\t: 1\n"),
            None
        );
        assert_eq!(cpuinfo_topology(""), None);
    }

    #[test]
    fn probe_reads_this_machine() {
        let m = probe_here();
        assert_eq!(m.name, default_name());
        assert_eq!(m.description.as_deref(), Some("test box"));
        assert!(m.logical_cores >= 1);
        if let Some(physical) = m.physical_cores {
            assert!(physical >= 1);
            assert!(m.smt.is_some());
        }
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        assert_eq!(m.cpu_model.is_some(), cpuinfo.contains("model name"));
        if fs::metadata("/proc/sys/kernel/osrelease").is_ok() {
            assert!(!m.kernel.as_deref().unwrap().is_empty());
        }
        if fs::metadata("/sys/devices/system/clocksource/clocksource0/current_clocksource").is_ok()
        {
            assert!(!m.clock_source.as_deref().unwrap().is_empty());
        }
        assert!(m.rustc.as_deref().unwrap().starts_with("rustc "));
        let in_git = Command::new("git").args(["rev-parse", "HEAD"]).output();
        if in_git.is_ok_and(|out| out.status.success()) {
            assert!(!m.git_commit.as_deref().unwrap().is_empty());
        }
        assert!(["membarrier", "full-fence"].contains(&m.barrier.as_str()));
        assert_eq!(m.barrier == "full-fence", m.barrier_reason.is_some());
        assert_eq!(m.timer, TIMER);
    }

    #[test]
    fn memory_figures_read_proc() {
        if fs::metadata("/proc/meminfo").is_ok() {
            let total = total_memory().unwrap();
            let resident = resident_bytes().unwrap();
            assert!(resident > 0 && resident < total, "{resident} of {total}");
        }
        assert_eq!(kib("MemTotal:  2048 kB\n", "MemTotal"), Some(2 << 20));
    }

    #[test]
    fn given_name_is_kept() {
        let counters = CounterAvailability {
            enabled: false,
            events: vec![],
        };
        let pinning = Availability {
            available: false,
            reason: Some("off".into()),
        };
        let m = probe(
            Some("lab-1".into()),
            None,
            counters.clone(),
            pinning.clone(),
        );
        assert_eq!((m.name.as_str(), m.description), ("lab-1", None));
        assert_eq!((m.counters, m.pinning), (counters, pinning));
    }
}

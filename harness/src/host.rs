//! This machine's name and description as a run records them and as result directories
//! are named: the hostname made safe for a directory, and the CPU model. The scripts
//! once worked these out with `hostname | tr` and `grep /proc/cpuinfo`; they live here so
//! every caller names a machine the same way.

use std::fs;
use std::process::Command;

/// The hostname, made safe for a directory name; `unknown` when there is none.
pub fn default_name() -> String {
    let host = read("/proc/sys/kernel/hostname").or_else(|| {
        let out = Command::new("uname").arg("-n").output().ok()?;
        let name = String::from_utf8(out.stdout).ok()?;
        Some(name.trim().to_string()).filter(|n| out.status.success() && !n.is_empty())
    });
    sanitise(host.as_deref().unwrap_or(""))
}

/// The CPU model `/proc/cpuinfo` names; `None` where it names none.
pub fn cpu_model() -> Option<String> {
    let cpuinfo = read("/proc/cpuinfo")?;
    cpuinfo.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        Some(v.trim().to_string()).filter(|v| k.trim() == "model name" && !v.is_empty())
    })
}

/// `<CPU model>, <N> logical CPUs`, the description `run --describe-machine` records;
/// `None` where `/proc/cpuinfo` names no model.
pub fn default_description() -> Option<String> {
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    Some(format!("{}, {cpus} logical CPUs", cpu_model()?))
}

/// `name` with every character outside `[A-Za-z0-9._-]` replaced by `-`, and `unknown`
/// for a name that would be empty or only dots (so it never climbs out of a directory).
pub fn sanitise(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if safe.chars().all(|c| c == '.') {
        "unknown".to_string()
    } else {
        safe
    }
}

/// A file's trimmed contents; `None` when it cannot be read or is empty.
pub(crate) fn read(path: &str) -> Option<String> {
    let text = fs::read_to_string(path).ok()?;
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitise_keeps_names_inside_a_directory() {
        assert_eq!(sanitise("build-box_01.lab"), "build-box_01.lab");
        assert_eq!(sanitise("a b/c:d"), "a-b-c-d");
        assert_eq!(sanitise(".."), "unknown");
        assert_eq!(sanitise(""), "unknown");
    }

    #[test]
    fn default_name_is_a_safe_hostname() {
        let name = default_name();
        assert!(!name.is_empty());
        assert_eq!(sanitise(&name), name);
    }
}

//! The calls of the kernel's FILE_INFO and signal paths, from the function_graph trace
//! the count mode records (`<release>.trace.txt`): which functions one call runs, kernel
//! by kernel, with the calls the access contract added marked. Calls only: the tracer's
//! own cost dwarfs the short functions', so its durations are not costs.

use std::fmt::Write as _;

/// One top-level traced call: its name and the functions it called, in order, nested
/// calls included.
#[derive(Debug, Clone, PartialEq)]
pub struct Traced {
    pub top: String,
    pub calls: Vec<String>,
}

/// The top-level calls of a function_graph trace (`cat trace`, one CPU).
pub fn parse(trace: &str) -> Vec<Traced> {
    let mut out: Vec<Traced> = Vec::new();
    let mut depth = 0usize;
    for line in trace.lines() {
        if line.starts_with('#') {
            continue;
        }
        // ` 0)   0.456 us    |    __rcu_read_lock();`: the call follows the first '|'.
        let Some((_, call)) = line.split_once('|') else {
            continue;
        };
        let text = call.trim();
        if text.starts_with('}') {
            depth = depth.saturating_sub(1);
            continue;
        }
        // A module's function reads `vgem_fence_get_driver_name [vgem]();`.
        let name = text
            .split('(')
            .next()
            .and_then(|n| n.split_whitespace().next());
        let Some(name) = name.filter(|n| {
            !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        }) else {
            continue;
        };
        let opens = text.ends_with('{');
        if depth == 0 {
            out.push(Traced {
                top: name.to_string(),
                calls: Vec::new(),
            });
        } else if let Some(t) = out.last_mut() {
            t.calls.push(name.to_string());
        }
        if opens {
            depth += 1;
        }
    }
    out
}

/// FILE_INFO calls are the sync_file_ioctl calls that fill a fence's info, the ones that
/// allocate it (the rejected ioctl calls nothing, a FILE_INFO for no fence's info
/// allocates nothing); in the paths' order the last two are the unsignalled and the
/// signalled fence's. The signal is the last vgem_fence_signal_ioctl.
pub fn paths(traced: &[Traced]) -> Vec<(&'static str, &Traced)> {
    let info: Vec<&Traced> = traced
        .iter()
        .filter(|t| {
            t.top == "sync_file_ioctl" && t.calls.iter().any(|c| c.starts_with("__kmalloc"))
        })
        .collect();
    let mut out = Vec::new();
    if info.len() >= 2 {
        out.push(("FILE_INFO, unsignalled", info[info.len() - 2]));
        out.push(("FILE_INFO, signalled", info[info.len() - 1]));
    }
    if let Some(s) = traced
        .iter()
        .rev()
        .find(|t| t.top == "vgem_fence_signal_ioctl")
    {
        out.push(("signal (VGEM_FENCE_SIGNAL)", s));
    }
    out
}

/// A call the access contract brought to these paths: RCU read sections, the name
/// helpers and the detach at signal.
pub fn contract(name: &str) -> bool {
    name.contains("rcu_read_lock")
        || name.contains("rcu_read_unlock")
        || name == "dma_fence_driver_name"
        || name == "dma_fence_timeline_name"
        || name.contains("detach")
}

/// One table per path: a row per function, a column per kernel, the number of calls.
pub fn markdown(kernels: &[(String, Vec<Traced>)]) -> String {
    let mut out = String::new();
    for path in [
        "FILE_INFO, unsignalled",
        "FILE_INFO, signalled",
        "signal (VGEM_FENCE_SIGNAL)",
    ] {
        let per_kernel: Vec<Option<&Traced>> = kernels
            .iter()
            .map(|(_, t)| {
                paths(t)
                    .into_iter()
                    .find(|(p, _)| *p == path)
                    .map(|(_, t)| t)
            })
            .collect();
        if per_kernel.iter().all(Option::is_none) {
            continue;
        }
        let mut names: Vec<&str> = Vec::new();
        for t in per_kernel.iter().flatten() {
            for c in &t.calls {
                if !names.contains(&c.as_str()) {
                    names.push(c);
                }
            }
        }
        let _ = write!(out, "\n{path}, calls per traced call:\n\n| function |");
        for (k, _) in kernels {
            let _ = write!(out, " Linux {k} |");
        }
        out.push_str("\n|---|");
        out.push_str(&"---:|".repeat(kernels.len()));
        out.push('\n');
        for name in names {
            let mark = if contract(name) {
                " **(contract)**"
            } else {
                ""
            };
            let _ = write!(out, "| `{name}`{mark} |");
            for t in &per_kernel {
                let n = t.map(|t| t.calls.iter().filter(|c| *c == name).count());
                let cell = match n {
                    None => "—".to_string(),
                    Some(0) => "".to_string(),
                    Some(n) => n.to_string(),
                };
                let _ = write!(out, " {cell} |");
            }
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACE: &str = "# tracer: function_graph
#
# CPU  DURATION                  FUNCTION CALLS
# |     |   |                     |   |   |   |
 0)   0.880 us    |  sync_file_ioctl();
 0)               |  sync_file_ioctl() {
 0)   0.861 us    |    __kmalloc_noprof();
 0)   0.456 us    |    __rcu_read_lock();
 0)   0.300 us    |    dma_fence_driver_name();
 0)   0.703 us    |    vgem_fence_get_driver_name [vgem]();
 0)               |    dma_fence_get_status() {
 0)   0.400 us    |      _raw_spin_lock_irqsave();
 0)   1.000 us    |    }
 0)   0.456 us    |    __rcu_read_unlock();
 0) + 12.345 us   |  }
 0)               |  sync_file_ioctl() {
 0)   0.861 us    |    __kmalloc_noprof();
 0)   0.456 us    |    __rcu_read_lock();
 0)   0.300 us    |    dma_fence_driver_name();
 0)   0.703 us    |    vgem_fence_get_driver_name [vgem]();
 0)               |    dma_fence_get_status() {
 0)   0.400 us    |      _raw_spin_lock_irqsave();
 0)   1.000 us    |    }
 0)   0.456 us    |    __rcu_read_unlock();
 0) + 12.345 us   |  }
 0)               |  sync_file_ioctl() {
 0)               |    sync_file_get_name() {
 0)   0.456 us    |      __rcu_read_lock();
 0)   0.456 us    |      __rcu_read_unlock();
 0)   1.000 us    |    }
 0)   0.300 us    |    kfree();
 0) + 12.345 us   |  }
 0)               |  vgem_fence_signal_ioctl() {
 0)   0.300 us    |    dma_fence_signal();
 0)   2.000 us    |  }
";

    #[test]
    fn top_level_calls_and_their_callees_and_the_contract_marked() {
        let t = parse(TRACE);
        assert_eq!(t.len(), 5);
        assert_eq!(
            (t[0].top.as_str(), t[0].calls.len()),
            ("sync_file_ioctl", 0)
        );
        assert_eq!(
            t[1].calls,
            [
                "__kmalloc_noprof",
                "__rcu_read_lock",
                "dma_fence_driver_name",
                "vgem_fence_get_driver_name",
                "dma_fence_get_status",
                "_raw_spin_lock_irqsave",
                "__rcu_read_unlock"
            ]
        );
        assert_eq!(t[4].top, "vgem_fence_signal_ioctl");
        // The FILE_INFO for no fence's info, after the two that fill one, is neither.
        let picked: Vec<(&str, *const Traced)> = paths(&t)
            .into_iter()
            .map(|(p, c)| (p, c as *const _))
            .collect();
        assert_eq!(
            picked,
            [
                ("FILE_INFO, unsignalled", &t[1] as *const _),
                ("FILE_INFO, signalled", &t[2] as *const _),
                ("signal (VGEM_FENCE_SIGNAL)", &t[4] as *const _),
            ]
        );
        let out = markdown(&[("7.2.13".into(), t)]);
        assert!(
            out.contains("| `__rcu_read_lock` **(contract)** | 1 |"),
            "{out}"
        );
        assert!(out.contains("| `dma_fence_signal` | 1 |"), "{out}");
        assert!(!out.contains("sync_file_get_name"), "{out}");
    }
}

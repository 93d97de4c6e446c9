//! Asymmetric memory barriers, as liburcu's "memb" flavour uses them.
//!
//! The read side of RCU and hazard pointers must order "publish that I am reading"
//! before "load the data". A full fence per read section costs ~3 ns here; instead the
//! reader issues only a compiler barrier ([`light`]) and the rare writer side issues
//! `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)` ([`heavy`]), which runs a full barrier
//! on every CPU currently running a thread of this process. Where the syscall is
//! missing or refuses, both sides fall back to `fence(SeqCst)` and [`mode`] says so,
//! so result files record which mechanism was measured.

// Loom has no compiler barrier to model: under `cfg(fencebench_loom)` both sides are `fence(SeqCst)`.
#[cfg(not(fencebench_loom))]
use std::sync::atomic::compiler_fence;
use std::sync::atomic::Ordering;

/// Which mechanism the asymmetric barriers use in this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarrierMode {
    /// Reader: compiler barrier only. Writer: `membarrier(PRIVATE_EXPEDITED)`.
    Membarrier,
    /// Reader and writer: `fence(SeqCst)`. The reason says why membarrier was not used.
    FullFence(&'static str),
}

impl BarrierMode {
    /// Short label for result files and tables.
    pub fn label(&self) -> &'static str {
        match self {
            BarrierMode::Membarrier => "membarrier",
            BarrierMode::FullFence(_) => "full-fence",
        }
    }
}

#[cfg(not(fencebench_loom))]
mod imp {
    use super::BarrierMode;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::OnceLock;

    const CMD_QUERY: libc::c_long = 0;
    const CMD_PRIVATE_EXPEDITED: libc::c_long = 1 << 3;
    const CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_long = 1 << 4;

    static MODE: OnceLock<BarrierMode> = OnceLock::new();
    /// Mirror of `MODE == Membarrier` readable with one relaxed load on the read side.
    static FAST: AtomicBool = AtomicBool::new(false);

    fn membarrier(cmd: libc::c_long) -> libc::c_long {
        // SAFETY: membarrier takes (cmd, flags, cpu_id) integers and touches no user memory.
        unsafe {
            libc::syscall(
                libc::SYS_membarrier,
                cmd,
                0 as libc::c_long,
                0 as libc::c_long,
            )
        }
    }

    fn detect() -> BarrierMode {
        if std::env::var_os("FENCEBENCH_NO_MEMBARRIER").is_some() {
            return BarrierMode::FullFence("disabled by FENCEBENCH_NO_MEMBARRIER");
        }
        let supported = membarrier(CMD_QUERY);
        if supported < 0 {
            return BarrierMode::FullFence("membarrier syscall unavailable");
        }
        if supported & CMD_PRIVATE_EXPEDITED == 0 {
            return BarrierMode::FullFence("MEMBARRIER_CMD_PRIVATE_EXPEDITED not supported");
        }
        if membarrier(CMD_REGISTER_PRIVATE_EXPEDITED) != 0 {
            return BarrierMode::FullFence("membarrier registration refused");
        }
        BarrierMode::Membarrier
    }

    pub fn mode() -> BarrierMode {
        *MODE.get_or_init(|| {
            let m = detect();
            FAST.store(m == BarrierMode::Membarrier, Ordering::Release);
            m
        })
    }

    #[inline]
    pub fn fast() -> bool {
        FAST.load(Ordering::Relaxed)
    }

    pub fn heavy_membarrier() {
        let r = membarrier(CMD_PRIVATE_EXPEDITED);
        assert_eq!(
            r, 0,
            "membarrier(PRIVATE_EXPEDITED) failed after registration"
        );
    }
}

/// The barrier mechanism of this process, detected (and registered) on first use.
#[cfg(not(fencebench_loom))]
pub fn mode() -> BarrierMode {
    imp::mode()
}

/// Under loom both sides are `fence(SeqCst)`: loom models no compiler barrier.
#[cfg(fencebench_loom)]
pub fn mode() -> BarrierMode {
    BarrierMode::FullFence("loom models fences only")
}

/// Read-side barrier. Callers must have called [`mode`] (domains do so on creation)
/// before relying on the cheap path; until then it is a full fence.
#[inline]
pub fn light() {
    #[cfg(not(fencebench_loom))]
    if imp::fast() {
        compiler_fence(Ordering::SeqCst);
        return;
    }
    crate::sync::fence(Ordering::SeqCst);
}

/// [`light`] for a caller that already knows the mode: `full` when [`mode`] is not
/// [`BarrierMode::Membarrier`]. Saves the read side a load of the mode.
#[inline]
pub fn light_in(full: bool) {
    #[cfg(not(fencebench_loom))]
    if !full {
        compiler_fence(Ordering::SeqCst);
        return;
    }
    #[cfg(fencebench_loom)]
    let _ = full;
    crate::sync::fence(Ordering::SeqCst);
}

/// Writer-side barrier: after it returns, every reader's earlier stores are visible to
/// this thread and every reader's later loads see this thread's earlier stores.
pub fn heavy() {
    #[cfg(not(fencebench_loom))]
    if mode() == BarrierMode::Membarrier {
        compiler_fence(Ordering::SeqCst);
        imp::heavy_membarrier();
        compiler_fence(Ordering::SeqCst);
        return;
    }
    crate::sync::fence(Ordering::SeqCst);
}

#[cfg(all(test, not(fencebench_loom)))]
mod tests {
    use super::*;

    /// The mode is decided once; both barriers run in it (a failed membarrier call after
    /// registration panics).
    #[test]
    fn mode_is_stable_and_barriers_run() {
        let m = mode();
        assert_eq!(m, mode());
        heavy();
        light();
        assert_eq!(m == BarrierMode::Membarrier, imp::fast());
    }
}

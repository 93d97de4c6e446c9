//! Each dma-fence path of the running kernel on its own, for `fencebench kernel-paths`:
//! FILE_INFO and poll on an unsignalled and a signalled fence (FILE_INFO also asking for
//! no fence's info, which leaves the status and the sync_file's name), the exporter's signal,
//! creating a fence (attach + export), and the syscall floor (an ioctl the sync_file
//! rejects), so each path's own cost is its figure less the floor's.
//!
//! Every operation is bracketed by two clock reads, the same way for every path, so the
//! clock's own cost cancels in the difference to the floor. Meant for a QEMU guest under
//! `-icount shift=0`, where the clock counts instructions: there the figures are exact
//! instruction counts of each path, user and kernel.

use super::uapi;
use std::os::fd::AsFd;
use std::time::Instant;

/// The paths in the order they are reported; the floor first.
pub const PATHS: [&str; 10] = [
    FLOOR,
    "clock read (empty bracket)",
    "FILE_INFO, unsignalled",
    "FILE_INFO, signalled",
    "poll, unsignalled",
    "poll, signalled",
    "signal (VGEM_FENCE_SIGNAL)",
    "create (attach + export)",
    "FILE_INFO name only, unsignalled",
    "FILE_INFO name only, signalled",
];

/// The syscall floor: `ioctl` with a command sync_file does not know (ENOTTY).
pub const FLOOR: &str = "syscall floor (rejected ioctl)";

/// How long a repetition waits, before its first bracket, for the kernel's deferred work.
const SETTLE: std::time::Duration = std::time::Duration::from_millis(200);

/// The create and signal loop closes its sync_files this many at a time, between
/// brackets, then waits [`CLOSE_SETTLE`] for the frees the closes defer.
const CLOSE_BATCH: usize = 250;
const CLOSE_SETTLE: std::time::Duration = std::time::Duration::from_millis(20);

/// One repetition: per path, in [`PATHS`] order, clock units per operation.
pub fn measure(ops: u64) -> Result<Vec<f64>, String> {
    // The previous repetition closed `ops` sync_files and fences, whose frees the kernel
    // defers (RCU callbacks, delayed fput): let them run now, outside every bracket, or
    // they land in the floor's window (which then moved by 9 instructions an op from one
    // repetition to the next). Under icount with sleep=off idle time costs no host time.
    std::thread::sleep(SETTLE);
    let card = uapi::find_vgem()?;
    let drm = uapi::open(&card).map_err(|e| format!("open {}: {e}", card.display()))?;
    let fail = |what: &str, e: std::io::Error| format!("{what}: {e}");
    let handle = uapi::create_buffer(drm.as_fd()).map_err(|e| fail("create buffer", e))?;
    let dmabuf = uapi::export_dmabuf(drm.as_fd(), handle).map_err(|e| fail("export", e))?;
    let fence = uapi::attach_fence(drm.as_fd(), handle).map_err(|e| fail("attach", e))?;
    let sync = uapi::export_sync_file(dmabuf.as_fd()).map_err(|e| fail("export sync_file", e))?;
    let mut per_op = vec![0.0; PATHS.len()];
    let n = ops as f64;
    // Sums clock deltas of `ops` bracketed calls of `f`.
    let bracket = |f: &mut dyn FnMut() -> Result<(), String>| -> Result<f64, String> {
        let mut total = 0u128;
        for _ in 0..ops {
            let t0 = Instant::now();
            f()?;
            total += t0.elapsed().as_nanos();
        }
        Ok(total as f64 / n)
    };
    per_op[0] = bracket(&mut || {
        uapi::rejected_ioctl(sync.as_fd());
        Ok(())
    })?;
    per_op[1] = bracket(&mut || Ok(()))?;
    let info = |fd| {
        uapi::file_info(fd)
            .map(drop)
            .map_err(|e| fail("FILE_INFO", e))
    };
    let poll = |fd| {
        uapi::wait_readable(fd, std::time::Duration::ZERO)
            .map(drop)
            .map_err(|e| fail("poll", e))
    };
    let name_only = |fd| {
        uapi::file_name_only(fd)
            .map(drop)
            .map_err(|e| fail("FILE_INFO (no fence info)", e))
    };
    per_op[2] = bracket(&mut || info(sync.as_fd()))?;
    per_op[4] = bracket(&mut || poll(sync.as_fd()))?;
    per_op[8] = bracket(&mut || name_only(sync.as_fd()))?;
    uapi::signal_fence(drm.as_fd(), fence).map_err(|e| fail("signal", e))?;
    per_op[3] = bracket(&mut || info(sync.as_fd()))?;
    per_op[5] = bracket(&mut || poll(sync.as_fd()))?;
    per_op[9] = bracket(&mut || name_only(sync.as_fd()))?;
    drop(sync);
    // Create and signal, one fence at a time on the one buffer (vgem attaches a write
    // fence only once the previous one signalled); closing the sync_file is not counted.
    // Nor is what a close defers (frees the kernel runs from RCU callbacks and softirqs),
    // which otherwise ran inside whichever bracket a timer tick fell in, mostly create's,
    // and moved signal's figure between runs: the files close in batches, between
    // brackets, each batch followed by a wait for that deferred work.
    let (mut create, mut signal) = (0u128, 0u128);
    let mut open = Vec::with_capacity(CLOSE_BATCH);
    for _ in 0..ops {
        let t0 = Instant::now();
        let id = uapi::attach_fence(drm.as_fd(), handle).map_err(|e| fail("attach", e))?;
        let file = uapi::export_sync_file(dmabuf.as_fd()).map_err(|e| fail("export", e))?;
        let t1 = Instant::now();
        uapi::signal_fence(drm.as_fd(), id).map_err(|e| fail("signal", e))?;
        let t2 = Instant::now();
        create += (t1 - t0).as_nanos();
        signal += (t2 - t1).as_nanos();
        open.push(file);
        if open.len() == CLOSE_BATCH {
            open.clear();
            std::thread::sleep(CLOSE_SETTLE);
        }
    }
    drop(open);
    per_op[6] = signal as f64 / n;
    per_op[7] = create as f64 / n;
    drop(dmabuf);
    let _ = uapi::close_buffer(drm.as_fd(), handle);
    Ok(per_op)
}

/// The running kernel's release, for the report.
pub fn release() -> String {
    uapi::kernel_release()
}

//! `kernel`: the running kernel's own dma-fence, driven from userspace through vgem and
//! sync_file, so the tables show the real thing beside the models.
//!
//! A fence is a vgem fence attached to a GEM buffer (`VGEM_FENCE_ATTACH`) and exported
//! from the buffer's dma-buf as a sync_file (`DMA_BUF_IOCTL_EXPORT_SYNC_FILE`): describe
//! is `SYNC_IOC_FILE_INFO` (the path the 6.17 contract changed), wait and is_signaled
//! are `poll` on the sync_file, signal is `VGEM_FENCE_SIGNAL`.
//!
//! Two vgem rules shape the buffer pool. The attach ioctl refuses (`EBUSY`) a write
//! fence on a buffer that still has an unsignalled fence, and an export with more than
//! one unsignalled fence would yield a fence array with its own names; so every timeline
//! keeps a pool of buffers, each carrying at most one unsignalled fence, and a buffer
//! returns to the pool only once its fence is signalled. vgem also signals a fence by
//! itself 10 s after attaching it (a timer against hung clients), which `signal` then
//! reports as already signalled: windows and waits stay well below that. vgem never frees
//! a signalled fence's id slot before its DRM file closes, so each timeline opens its own
//! DRM file and closes it with the timeline.
//!
//! The kernel's names are vgem's (`vgem`, `unbound`): the timeline's configured names
//! are not used. What userspace cannot reach says so through [`Operation`]: callbacks,
//! errors, the refcount, holding the RCU section (it lives inside one ioctl), tracing,
//! and the pool's figures (kernel memory is not observable, so violations are unknown).

use super::uapi;
use crate::contract::*;
use crate::memory::pool::{Name, Pool};
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The real kernel's dma-fence through vgem and sync_file.
pub struct Kernel;

/// The vgem device, found once per process.
fn device() -> Result<&'static Path, &'static str> {
    static DEVICE: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match DEVICE.get_or_init(uapi::find_vgem) {
        Ok(path) => Ok(path),
        Err(reason) => Err(reason),
    }
}

/// Panics with the reason `op` is unsupported: callers must ask
/// [`Implementation::unsupported`] first.
fn unsupported(op: Operation) -> ! {
    panic!(
        "kernel: {}",
        Kernel::unsupported(op).expect("only called for unsupported operations")
    )
}

impl Implementation for Kernel {
    const NAME: &'static str = "kernel";
    const SUMMARY: &'static str =
        "the running kernel's dma-fence through vgem and sync_file (FILE_INFO, poll, signal)";
    /// The kernel's readers are its own: FILE_INFO copies names inside the kernel.
    const PROTECTS_READERS: bool = true;
    /// vgem's names are static strings, and what a contract kernel reclaims at signal
    /// is not observable; the declaration follows the contract.
    const RECLAIMS_AT_SIGNAL: bool = true;
    const READERS_BLOCK_SIGNAL: bool = false;
    const NEEDS_DEVICE: Option<&'static str> =
        Some("vgem (/dev/dri) and sync_file: its fences live in the running kernel");
    /// The generation of the running kernel is only known at run time (see
    /// [`super::check`], which checks it against the models); the constant names
    /// the newest, whose `describe` line [`FenceInfo`]s print unless the running kernel
    /// is older.
    const GENERATION: Generation = Generation::V7;
    type Fence = KernelFence;
    type Timeline = KernelTimeline;

    fn timeline(config: TimelineConfig) -> KernelTimeline {
        if config.trace.is_some() {
            unsupported(Operation::Tracing);
        }
        let path = device().unwrap_or_else(|reason| panic!("kernel: {reason}"));
        let drm = uapi::open(path)
            .unwrap_or_else(|e| panic!("kernel: cannot open {}: {e}", path.display()));
        static CONTEXTS: AtomicU64 = AtomicU64::new(1);
        KernelTimeline(Arc::new(TimelineInner {
            drm,
            free: Mutex::new(Vec::new()),
            context: CONTEXTS.fetch_add(1, Relaxed),
            seqno: AtomicU64::new(0),
            pool: config.pool,
        }))
    }

    /// Nothing is deferred in this process: the kernel reclaims on its own.
    fn quiesce() {}

    fn read_side_mechanism() -> &'static str {
        "syscall"
    }

    fn unavailable() -> Option<String> {
        device().err().map(String::from)
    }

    fn unsupported(op: Operation) -> Option<&'static str> {
        Some(match op {
            Operation::Callbacks => "userspace cannot queue dma-fence callbacks",
            Operation::SetError => "vgem gives userspace no way to set a fence's error",
            Operation::RefCount => "the kernel's fence refcount is not observable",
            Operation::HoldNames => {
                "the kernel's read-side section lives inside one ioctl; userspace cannot hold it"
            }
            Operation::Tracing => "kernel tracepoints are not recorded by fencebench",
            Operation::PoolFigures => "kernel memory is not observable",
            Operation::Unload => "vgem cannot be unloaded while fencebench holds its fences",
        })
    }

    fn version() -> Option<String> {
        Some(format!("Linux {}", uapi::kernel_release()))
    }
}

/// A GEM buffer and its dma-buf, carrying at most one unsignalled fence.
struct Buffer {
    handle: u32,
    dmabuf: OwnedFd,
}

struct TimelineInner {
    /// This timeline's own DRM file: its GEM handles and vgem fence ids.
    drm: OwnedFd,
    /// Buffers whose fence has signalled, ready for the next fence.
    free: Mutex<Vec<Buffer>>,
    context: u64,
    seqno: AtomicU64,
    /// Stays empty: the contract's timelines have one, kernel memory is not observable.
    pool: Arc<Pool>,
}

impl TimelineInner {
    fn buffer(&self) -> io::Result<Buffer> {
        if let Some(b) = self.free.lock().unwrap().pop() {
            return Ok(b);
        }
        let handle = uapi::create_buffer(self.drm.as_fd())?;
        let dmabuf = uapi::export_dmabuf(self.drm.as_fd(), handle)?;
        Ok(Buffer { handle, dmabuf })
    }

    /// Signals vgem fence `id` (if `signal`) and returns its buffer to the pool.
    fn release(&self, fence: &FenceInner, signal: bool) -> io::Result<()> {
        let result = if signal {
            uapi::signal_fence(self.drm.as_fd(), fence.fence_id)
        } else {
            Ok(())
        };
        if let Some(b) = fence.buffer.lock().unwrap().take() {
            self.free.lock().unwrap().push(b);
        }
        result
    }
}

impl Drop for TimelineInner {
    fn drop(&mut self) {
        for b in self.free.get_mut().unwrap().drain(..) {
            let _ = uapi::close_buffer(self.drm.as_fd(), b.handle);
        }
    }
}

/// A fence context of the running kernel: one DRM file on the vgem device.
pub struct KernelTimeline(Arc<TimelineInner>);

impl Timeline for KernelTimeline {
    type Fence = KernelFence;

    fn create(&self) -> KernelFence {
        let tl = &self.0;
        let created = (|| {
            let buffer = tl.buffer()?;
            let fence_id = uapi::attach_fence(tl.drm.as_fd(), buffer.handle)?;
            let sync_file = uapi::export_sync_file(buffer.dmabuf.as_fd())?;
            Ok::<_, io::Error>(FenceInner {
                timeline: tl.clone(),
                sync_file,
                fence_id,
                buffer: Mutex::new(Some(buffer)),
                signaled: AtomicBool::new(false),
                seqno: tl.seqno.fetch_add(1, Relaxed) + 1,
            })
        })();
        KernelFence(Arc::new(created.unwrap_or_else(|e| {
            panic!("kernel: creating a vgem fence failed: {e}")
        })))
    }

    fn context(&self) -> u64 {
        self.0.context
    }

    fn pool(&self) -> &Arc<Pool> {
        &self.0.pool
    }

    fn unload(&self) -> Unload {
        unsupported(Operation::Unload)
    }
}

struct FenceInner {
    timeline: Arc<TimelineInner>,
    sync_file: OwnedFd,
    fence_id: u32,
    /// The buffer the fence is attached to, until the fence is signalled.
    buffer: Mutex<Option<Buffer>>,
    /// Signalled through this handle (or found signalled by vgem's timer).
    signaled: AtomicBool,
    seqno: u64,
}

impl Drop for FenceInner {
    /// The last reference signals a fence still pending, as the kernel's release does,
    /// so its buffer returns to the pool.
    fn drop(&mut self) {
        let signal = !self.signaled.swap(true, AcqRel);
        let _ = self.timeline.release(self, signal);
    }
}

/// A sync_file on one vgem fence. `Clone` shares the file.
#[derive(Clone)]
pub struct KernelFence(Arc<FenceInner>);

/// `CLOCK_MONOTONIC` ns at [`now_ns`](crate::sync::clock::now_ns)'s epoch, to convert the kernel's timestamps.
fn epoch_monotonic_ns() -> u64 {
    static EPOCH: OnceLock<u64> = OnceLock::new();
    *EPOCH.get_or_init(|| {
        // The first clock read may be slow (a lazily parsed vDSO: milliseconds under
        // emulation): keep the tightest of a few process-clock brackets around a read.
        (0..4)
            .map(|_| {
                let before = crate::sync::clock::now_ns();
                let monotonic = uapi::monotonic_ns();
                let after = crate::sync::clock::now_ns();
                (
                    after - before,
                    monotonic.saturating_sub(before + (after - before) / 2),
                )
            })
            .min()
            .expect("four samples")
            .1
    })
}

/// The contract generation whose `describe` line matches the running kernel: 6.19
/// changed the format, and the models know 6.17 and 7.x.
fn running_generation() -> Generation {
    static GENERATION: OnceLock<Generation> = OnceLock::new();
    *GENERATION.get_or_init(|| {
        let release = uapi::kernel_release();
        let mut parts = release.split(|c: char| !c.is_ascii_digit());
        let mut next = || parts.next().and_then(|p| p.parse::<u32>().ok());
        match (next(), next()) {
            (Some(major), Some(minor)) if (major, minor) >= (6, 19) => Generation::V7,
            _ => Generation::V6_17,
        }
    })
}

fn name(bytes: &[u8; 32]) -> Name {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    Name::new(std::str::from_utf8(&bytes[..end]).unwrap_or("<not utf-8>"))
}

impl KernelFence {
    /// `SYNC_IOC_FILE_INFO`: the sync_file's own name and its fence's info.
    pub fn file_info(&self) -> io::Result<(Name, FenceInfo)> {
        let (file_name, f) = uapi::file_info(self.0.sync_file.as_fd())?;
        let timestamp_ns = if f.timestamp_ns == 0 {
            0
        } else {
            f.timestamp_ns.saturating_sub(epoch_monotonic_ns()).max(1)
        };
        Ok((
            name(&file_name),
            FenceInfo {
                obj_name: name(&f.obj_name),
                driver_name: name(&f.driver_name),
                context: self.0.timeline.context,
                seqno: self.0.seqno,
                status: f.status,
                timestamp_ns,
                generation: running_generation(),
            },
        ))
    }

    fn checked_info(&self) -> FenceInfo {
        self.file_info()
            .unwrap_or_else(|e| panic!("kernel: SYNC_IOC_FILE_INFO failed: {e}"))
            .1
    }

    fn poll(&self, timeout: Duration) -> bool {
        uapi::wait_readable(self.0.sync_file.as_fd(), timeout)
            .unwrap_or_else(|e| panic!("kernel: poll on a sync_file failed: {e}"))
    }
}

impl Fence for KernelFence {
    fn context(&self) -> u64 {
        self.0.timeline.context
    }

    fn seqno(&self) -> u64 {
        self.0.seqno
    }

    /// The `emit` tracepoint is the driver's; nothing to do from userspace.
    fn emit(&self) {}

    fn signal(&self) {
        self.check_and_signal();
    }

    /// `VGEM_FENCE_SIGNAL`; already signalled if this process signalled it before, or
    /// vgem's 10 s timer did (`ETIMEDOUT`).
    fn check_and_signal(&self) -> bool {
        if self.0.signaled.swap(true, AcqRel) {
            return true;
        }
        match self.0.timeline.release(&self.0, true) {
            Ok(()) => false,
            Err(e) if e.raw_os_error() == Some(libc::ETIMEDOUT) => true,
            Err(e) => panic!("kernel: VGEM_FENCE_SIGNAL failed: {e}"),
        }
    }

    fn is_signaled(&self) -> bool {
        self.poll(Duration::ZERO)
    }

    /// A sync_file's poll reports the bit (vgem has no `signaled` op).
    fn test_signaled_flag(&self) -> bool {
        self.poll(Duration::ZERO)
    }

    /// A sync_file's first poll enables signalling on its fence.
    fn enable_signaling(&self) {
        self.poll(Duration::ZERO);
    }

    fn add_callback(&self, _: Callback) -> Result<CallbackId, AlreadySignaled> {
        unsupported(Operation::Callbacks)
    }

    fn remove_callback(&self, _: CallbackId) -> bool {
        unsupported(Operation::Callbacks)
    }

    fn set_error(&self, _: i32) -> Result<(), AlreadySignaled> {
        unsupported(Operation::SetError)
    }

    fn status(&self) -> i32 {
        self.checked_info().status
    }

    fn timestamp(&self) -> Option<u64> {
        let info = self.checked_info();
        (info.status != 0 && info.timestamp_ns != 0).then_some(info.timestamp_ns)
    }

    fn wait(&self, timeout: Duration) -> WaitOutcome {
        let start = Instant::now();
        if self.poll(timeout) {
            WaitOutcome::Signaled(timeout.saturating_sub(start.elapsed()))
        } else {
            WaitOutcome::TimedOut
        }
    }

    fn info(&self) -> FenceInfo {
        self.checked_info()
    }

    /// One FILE_INFO, the kernel's whole read section seen from userspace: the first
    /// word of the driver name while unsignalled, `None` once signalled.
    fn section(&self) -> Option<u64> {
        let info = self.checked_info();
        (info.status == 0).then(|| {
            let name = info.driver_name.as_str().as_bytes();
            let mut word = [0u8; 8];
            let n = name.len().min(8);
            word[..n].copy_from_slice(&name[..n]);
            u64::from_ne_bytes(word)
        })
    }

    fn driver_name(&self) -> Name {
        self.checked_info().driver_name
    }

    fn timeline_name(&self) -> Name {
        self.checked_info().obj_name
    }

    /// Copies of the names from one FILE_INFO: the kernel's section ended with the
    /// ioctl, so `f` runs unprotected ([`Operation::HoldNames`] is unsupported).
    fn with_names<R>(&self, f: impl FnOnce(&Name, &Name) -> R) -> R {
        let info = self.checked_info();
        f(&info.driver_name, &info.obj_name)
    }

    fn ref_count(&self) -> usize {
        unsupported(Operation::RefCount)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// sync_file timestamps are `CLOCK_MONOTONIC`; converted, they land on [`now_ns`]'s
    /// clock, so the wait workload's wake-up latency (`now_ns() - timestamp`) holds.
    #[test]
    fn monotonic_converts_to_the_process_clock() {
        let before = crate::sync::clock::now_ns();
        let converted = uapi::monotonic_ns() - epoch_monotonic_ns();
        let after = crate::sync::clock::now_ns();
        assert!(before <= converted + 1_000 && converted <= after + 1_000);
    }

    #[test]
    fn unavailable_without_vgem_says_how_to_get_it() {
        if let Some(reason) = Kernel::unavailable() {
            assert!(reason.contains("modprobe vgem"), "{reason}");
        }
    }
}

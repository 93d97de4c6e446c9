//! The uapi the `kernel` implementation drives: vgem buffers and fences, dma-buf's
//! sync_file export, and the sync_file info ioctl.
//!
//! DRM core ioctls (dumb buffers, PRIME export, GEM close, the driver version) go through
//! the `drm-ffi` crate's safe wrappers. The driver- and subsystem-specific ioctls it does
//! not cover (uapi `drm/vgem_drm.h`, `linux/dma-buf.h`, `linux/sync_file.h`) use rustix's
//! typed ioctl API, whose opcodes are computed from the structs below; those structs
//! mirror the uapi headers field for field (no crate publishes them). Every ioctl here
//! passes a pointer to a live, correctly sized value, which is all the kernel reads or
//! writes.

use rustix::ioctl::{ioctl, opcode, Opcode, Setter, Updater};
use std::fs::OpenOptions;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd};
use std::path::PathBuf;
use std::time::Duration;

/// `DRM_COMMAND_BASE`: driver ioctls start here.
const DRM_COMMAND_BASE: u8 = 0x40;
/// `VGEM_FENCE_WRITE`: attach an exclusive (write) fence.
const VGEM_FENCE_WRITE: u32 = 1;
/// `DMA_BUF_SYNC_WRITE`: export every fence a writer would wait for (all of them).
const DMA_BUF_SYNC_WRITE: u32 = 2;
/// `DRM_CLOEXEC` (= `O_CLOEXEC`) for PRIME export.
const DRM_CLOEXEC: u32 = 0o2000000;

/// `struct drm_vgem_fence_attach`.
#[repr(C)]
struct VgemFenceAttach {
    handle: u32,
    flags: u32,
    out_fence: u32,
    pad: u32,
}

/// `struct drm_vgem_fence_signal`.
#[repr(C)]
struct VgemFenceSignal {
    fence: u32,
    flags: u32,
}

/// `struct dma_buf_export_sync_file`.
#[repr(C)]
struct DmaBufExportSyncFile {
    flags: u32,
    fd: i32,
}

/// `struct sync_file_info`.
#[repr(C)]
struct SyncFileInfo {
    name: [u8; 32],
    status: i32,
    flags: u32,
    num_fences: u32,
    pad: u32,
    sync_fence_info: u64,
}

/// `struct sync_fence_info`: one fence as `SYNC_IOC_FILE_INFO` reports it.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub(crate) struct SyncFenceInfo {
    pub obj_name: [u8; 32],
    pub driver_name: [u8; 32],
    /// 0 pending, 1 signalled, negative: the error.
    pub status: i32,
    pub flags: u32,
    /// `CLOCK_MONOTONIC` ns of the signal, 0 while pending.
    pub timestamp_ns: u64,
}

const VGEM_FENCE_ATTACH: Opcode = opcode::read_write::<VgemFenceAttach>(b'd', DRM_COMMAND_BASE + 1);
const VGEM_FENCE_SIGNAL: Opcode = opcode::write::<VgemFenceSignal>(b'd', DRM_COMMAND_BASE + 2);
const DMA_BUF_IOCTL_EXPORT_SYNC_FILE: Opcode = opcode::read_write::<DmaBufExportSyncFile>(b'b', 2);
const SYNC_IOC_FILE_INFO: Opcode = opcode::read_write::<SyncFileInfo>(b'>', 4);

/// The first `/dev/dri/card*` whose driver is vgem, or why there is none.
pub(crate) fn find_vgem() -> Result<PathBuf, String> {
    let entries = std::fs::read_dir("/dev/dri").map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => {
            "no DRM device (no /dev/dri); load vgem: sudo modprobe vgem".into()
        }
        _ => format!("cannot list /dev/dri: {e}; load vgem: sudo modprobe vgem"),
    })?;
    let mut cards: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("card"))
        })
        .collect();
    cards.sort();
    let mut seen = Vec::new();
    for card in cards {
        match open(&card).and_then(|fd| driver_name(fd.as_fd())) {
            Ok(name) if name == "vgem" => return Ok(card),
            Ok(name) => seen.push(format!("{}: {name}", card.display())),
            Err(e) => seen.push(format!("{}: {e}", card.display())),
        }
    }
    Err(if seen.is_empty() {
        "no /dev/dri/card* device; load vgem: sudo modprobe vgem".into()
    } else {
        format!(
            "no vgem device among /dev/dri/card* ({}); load vgem: sudo modprobe vgem",
            seen.join(", ")
        )
    })
}

/// Opens a DRM device node read-write: a new DRM file (its own GEM handles and vgem
/// fence ids).
pub(crate) fn open(path: &std::path::Path) -> io::Result<OwnedFd> {
    Ok(OpenOptions::new().read(true).write(true).open(path)?.into())
}

/// The DRM driver's name (`DRM_IOCTL_VERSION`).
fn driver_name(fd: BorrowedFd<'_>) -> io::Result<String> {
    let mut name: Vec<i8> = Vec::new();
    drm_ffi::get_version(fd, Some(&mut name), None, None)?;
    Ok(name.iter().map(|&c| c as u8 as char).collect())
}

/// A one-page dumb buffer: the GEM object fences are attached to. Returns its handle.
pub(crate) fn create_buffer(drm: BorrowedFd<'_>) -> io::Result<u32> {
    Ok(drm_ffi::mode::dumbbuffer::create(drm, 1024, 1, 32, 0)?.handle)
}

/// Exports a GEM object as a dma-buf (`DRM_IOCTL_PRIME_HANDLE_TO_FD`).
pub(crate) fn export_dmabuf(drm: BorrowedFd<'_>, handle: u32) -> io::Result<OwnedFd> {
    let prime = drm_ffi::gem::handle_to_fd(drm, handle, DRM_CLOEXEC)?;
    // SAFETY: on success the kernel installed `prime.fd` as a new descriptor owned by
    // nobody else in this process; ownership passes to the `OwnedFd`.
    Ok(unsafe { OwnedFd::from_raw_fd(prime.fd) })
}

/// Closes a GEM handle (`DRM_IOCTL_GEM_CLOSE`).
pub(crate) fn close_buffer(drm: BorrowedFd<'_>, handle: u32) -> io::Result<()> {
    drm_ffi::gem::close(drm, handle).map(drop)
}

/// Attaches a new write fence to the buffer (`DRM_IOCTL_VGEM_FENCE_ATTACH`); returns
/// its fence id. Fails with `EBUSY` while the buffer has an unsignalled fence (vgem's
/// conflict check).
pub(crate) fn attach_fence(drm: BorrowedFd<'_>, handle: u32) -> io::Result<u32> {
    let mut arg = VgemFenceAttach {
        handle,
        flags: VGEM_FENCE_WRITE,
        out_fence: 0,
        pad: 0,
    };
    // SAFETY: the opcode is derived from `VgemFenceAttach`, which mirrors
    // `struct drm_vgem_fence_attach`; the kernel reads and writes only that struct.
    unsafe { ioctl(drm, Updater::<VGEM_FENCE_ATTACH, _>::new(&mut arg)) }?;
    Ok(arg.out_fence)
}

/// Signals a vgem fence (`DRM_IOCTL_VGEM_FENCE_SIGNAL`). `ETIMEDOUT`: vgem's 10 s
/// timer signalled it first; `ENOENT`: already signalled through this call.
pub(crate) fn signal_fence(drm: BorrowedFd<'_>, fence: u32) -> io::Result<()> {
    let arg = VgemFenceSignal { fence, flags: 0 };
    // SAFETY: the opcode is derived from `VgemFenceSignal`, which mirrors
    // `struct drm_vgem_fence_signal`; the kernel only reads it.
    unsafe { ioctl(drm, Setter::<VGEM_FENCE_SIGNAL, _>::new(arg)) }?;
    Ok(())
}

/// The dma-buf's fences as a sync_file (`DMA_BUF_IOCTL_EXPORT_SYNC_FILE`, Linux 6.0+).
pub(crate) fn export_sync_file(dmabuf: BorrowedFd<'_>) -> io::Result<OwnedFd> {
    let mut arg = DmaBufExportSyncFile {
        flags: DMA_BUF_SYNC_WRITE,
        fd: -1,
    };
    // SAFETY: the opcode is derived from `DmaBufExportSyncFile`, which mirrors
    // `struct dma_buf_export_sync_file`; the kernel reads and writes only that struct.
    unsafe {
        ioctl(
            dmabuf,
            Updater::<DMA_BUF_IOCTL_EXPORT_SYNC_FILE, _>::new(&mut arg),
        )
    }?;
    // SAFETY: on success `arg.fd` is a new descriptor installed for this call alone.
    Ok(unsafe { OwnedFd::from_raw_fd(arg.fd) })
}

/// `SYNC_IOC_FILE_INFO` on a sync_file holding one fence: the sync_file's own name and
/// that fence's info. One call suffices: the file was exported from a buffer with one
/// unsignalled fence, so the kernel's first, counting call would say 1.
pub(crate) fn file_info(sync_file: BorrowedFd<'_>) -> io::Result<([u8; 32], SyncFenceInfo)> {
    let mut fence = SyncFenceInfo {
        obj_name: [0; 32],
        driver_name: [0; 32],
        status: 0,
        flags: 0,
        timestamp_ns: 0,
    };
    let mut arg = SyncFileInfo {
        name: [0; 32],
        status: 0,
        flags: 0,
        num_fences: 1,
        pad: 0,
        sync_fence_info: &mut fence as *mut SyncFenceInfo as u64,
    };
    // SAFETY: the opcode is derived from `SyncFileInfo`, which mirrors
    // `struct sync_file_info`; `sync_fence_info` points at one live `SyncFenceInfo`
    // (mirroring `struct sync_fence_info`) and `num_fences` says so, so the kernel writes
    // at most that one entry, or fails with EINVAL if the file held more.
    unsafe { ioctl(sync_file, Updater::<SYNC_IOC_FILE_INFO, _>::new(&mut arg)) }?;
    Ok((arg.name, fence))
}

/// `SYNC_IOC_FILE_INFO` asking for no fence's info (`num_fences` 0): the kernel counts the
/// fences, takes the status and formats the sync_file's name, and fills no
/// `sync_fence_info`; kernel-paths counts it to split FILE_INFO's cost.
pub(crate) fn file_name_only(sync_file: BorrowedFd<'_>) -> io::Result<[u8; 32]> {
    let mut arg = SyncFileInfo {
        name: [0; 32],
        status: 0,
        flags: 0,
        num_fences: 0,
        pad: 0,
        sync_fence_info: 0,
    };
    // SAFETY: the opcode is derived from `SyncFileInfo`, which mirrors
    // `struct sync_file_info`; with `num_fences` 0 the kernel never dereferences
    // `sync_fence_info` (it only reports the count), so it writes `arg` alone.
    unsafe { ioctl(sync_file, Updater::<SYNC_IOC_FILE_INFO, _>::new(&mut arg)) }?;
    Ok(arg.name)
}

/// Polls a sync_file for readability (signalled) for up to `timeout`; zero polls once.
/// True once signalled.
pub(crate) fn wait_readable(sync_file: BorrowedFd<'_>, timeout: Duration) -> io::Result<bool> {
    use rustix::event::{poll, PollFd, PollFlags, Timespec};
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let ts = Timespec {
            tv_sec: left.as_secs() as _,
            tv_nsec: left.subsec_nanos() as _,
        };
        let mut fds = [PollFd::from_borrowed_fd(sync_file, PollFlags::IN)];
        match poll(&mut fds, Some(&ts)) {
            Ok(0) => return Ok(false),
            Ok(_) => return Ok(fds[0].revents().contains(PollFlags::IN)),
            Err(rustix::io::Errno::INTR) if !left.is_zero() => continue,
            Err(rustix::io::Errno::INTR) => return Ok(false),
            Err(e) => return Err(e.into()),
        }
    }
}

/// `ioctl` with a command sync_file rejects (`ENOTTY`): the syscall's floor, the
/// descriptor lookup and the dispatch, and nothing of any fence path.
pub(crate) fn rejected_ioctl(sync_file: BorrowedFd<'_>) {
    use rustix::ioctl::NoArg;
    const UNKNOWN: Opcode = opcode::none(b'>', 0xff);
    // SAFETY: a command with no argument; sync_file's ioctl rejects it before reading
    // anything.
    let _ = unsafe { ioctl(sync_file, NoArg::<UNKNOWN>::new()) };
}

/// The running kernel's release (`uname -r`).
pub(crate) fn kernel_release() -> String {
    rustix::system::uname()
        .release()
        .to_string_lossy()
        .into_owned()
}

/// `CLOCK_MONOTONIC` now, in ns (the clock sync_file timestamps use).
pub(crate) fn monotonic_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

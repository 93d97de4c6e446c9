//! The dma-fence contract every implementation satisfies.
//!
//! Modelled on Linux 6.17's `dma_fence` (see `shared/reference.md` §1). The fence
//! itself lives as long as anyone holds a reference (`Clone` is `dma_fence_get`, drop is
//! `dma_fence_put`); its *driver data* (names, the exporter's lock, the ops word) lives in
//! a [`Pool`] and is retired when the fence signals. How readers are kept from touching
//! retired data is what each implementation does differently, and what fencebench
//! measures.

#![warn(missing_docs)]

use crate::memory::pool::{Name, Pool};
use crate::trace::TraceSink;
use std::fmt;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

/// What `dma_fence_driver_name()` returns once the fence is signalled.
pub const DETACHED_DRIVER: &str = "detached-driver";
/// What `dma_fence_timeline_name()` returns once the fence is signalled.
pub const SIGNALED_TIMELINE: &str = "signaled-timeline";
/// The error a fence released with pending callbacks gets (`-EDEADLK`).
pub const EDEADLK: i32 = -35;

/// The operation found the fence already signalled (the kernel's `-ENOENT`/`-EINVAL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlreadySignaled;

impl fmt::Display for AlreadySignaled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("fence already signalled")
    }
}

impl std::error::Error for AlreadySignaled {}

/// An operation, or an observation, that not every implementation can provide. The real
/// kernel driven from userspace (`kernel`) cannot reach callbacks, errors or the refcount,
/// cannot hold its read-side protection across caller code, and cannot show its memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// [`Fence::add_callback`] and [`Fence::remove_callback`].
    Callbacks,
    /// [`Fence::set_error`].
    SetError,
    /// [`Fence::ref_count`].
    RefCount,
    /// [`Fence::with_names`] holding the protection while the caller's code runs.
    HoldNames,
    /// Tracepoint records ([`TimelineConfig::trace`]).
    Tracing,
    /// The pool's figures: violations (late reads of driver data) and retained memory.
    PoolFigures,
    /// [`Timeline::unload`]: the driver's module going away under its fences.
    Unload,
}

/// A callback run once when the fence signals (`dma_fence_func_t`).
pub type Callback = Box<dyn FnOnce() + Send>;

/// Identifies a queued callback for [`Fence::remove_callback`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallbackId(pub u64);

/// The least remaining time a wait of a signalled fence reports: the kernel returns 1
/// (jiffy) rather than 0, which would read as a timeout.
pub const MIN_REMAINING: Duration = Duration::from_nanos(1);

/// Result of [`Fence::wait`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitOutcome {
    /// Signalled; carries the time left of the timeout, at least [`MIN_REMAINING`] (the
    /// kernel's wait returns at least 1 for a signalled fence, a poll included).
    Signaled(Duration),
    /// The timeout passed first (a poll of an unsignalled fence).
    TimedOut,
}

impl WaitOutcome {
    /// Whether the wait ended with the fence signalled.
    pub fn is_signaled(self) -> bool {
        matches!(self, WaitOutcome::Signaled(_))
    }
}

/// Which kernel generation of the contract an implementation models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generation {
    /// Linux 6.17: readers test `SIGNALED` inside the section; `dma_fence_describe`
    /// prints `"<driver> <timeline> seq <n> [un]signalled"`.
    V6_17,
    /// Linux 7.x: a detachable `ops` pointer cleared under the fence lock at signal
    /// (for a driver with neither a `release` nor a `wait` op, [`DriverOps`]);
    /// `dma_fence_describe` (6.19 onwards) prints
    /// `"<context>:<seqno> <timeline> <driver> unsignalled"`, and no names once signalled
    /// (`"<context>:<seqno>   signalled"`: the empty names keep their spaces).
    V7,
}

/// One fence as the `sync_file` info ioctl reports it (`struct sync_fence_info`), plus
/// the context, seqno and generation for the `describe` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FenceInfo {
    /// The timeline name (`obj_name`), or [`SIGNALED_TIMELINE`] once signalled.
    pub obj_name: Name,
    /// The driver name, or [`DETACHED_DRIVER`] once signalled.
    pub driver_name: Name,
    /// The fence context (the timeline).
    pub context: u64,
    /// The fence seqno within its context.
    pub seqno: u64,
    /// 0 pending, 1 signalled, negative: the error it signalled with.
    pub status: i32,
    /// Signal time in ns since the process's clock epoch, 0 while pending.
    pub timestamp_ns: u64,
    /// The generation whose `describe` format [`Display`](fmt::Display) prints.
    pub generation: Generation,
}

impl fmt::Display for FenceInfo {
    /// The `dma_fence_describe()` line of the implementation's generation.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let un = if self.status == 0 { "un" } else { "" };
        match self.generation {
            Generation::V6_17 => write!(
                f,
                "{} {} seq {} {un}signalled",
                self.driver_name, self.obj_name, self.seqno
            ),
            Generation::V7 if self.status == 0 => write!(
                f,
                "{}:{} {} {} unsignalled",
                self.context, self.seqno, self.obj_name, self.driver_name
            ),
            // 6.19's `"%llu:%llu %s %s %ssignalled"` with both names and "un" empty.
            Generation::V7 => write!(f, "{}:{}   signalled", self.context, self.seqno),
        }
    }
}

/// What a timeline's fences are created with.
#[derive(Clone)]
pub struct TimelineConfig {
    /// The driver name every fence of the timeline carries in its driver data.
    pub driver: Name,
    /// The timeline name every fence of the timeline carries in its driver data.
    pub timeline: Name,
    /// Pool for the driver data; several timelines may share one.
    pub pool: Arc<Pool>,
    /// Where tracepoint records go; `None` is tracing disabled (the common case).
    pub trace: Option<TraceSink>,
    /// The "hardware's" completed seqno, when the driver has a `signaled` op: the op
    /// reports a fence complete once this reaches its seqno, and
    /// [`Fence::is_signaled`] and [`Fence::info`] then signal the fence from the reader's
    /// side, as `dma_fence_is_signaled` and `sync_file`'s info do. `None`: no `signaled` op (the common case).
    pub hw_seqno: Option<Arc<AtomicU64>>,
    /// Which other ops the driver provides ([`DriverOps`]).
    pub ops: DriverOps,
}

/// Called each time the model calls a driver's name op (`get_driver_name` or
/// `get_timeline_name`), inside the caller's read-side section, after the helper found the
/// fence attached: whatever it does, the caller's section lasts that long.
pub type NameOp = Arc<dyn Fn(NameKind) + Send + Sync>;

/// Which name op [`NameOp`] stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// `get_driver_name`.
    Driver,
    /// `get_timeline_name`.
    Timeline,
}

/// The ops of the driver's `dma_fence_ops` beyond the names (and the `signaled` op, which
/// [`TimelineConfig::hw_seqno`] stands for). The default is a driver with the names alone.
#[derive(Clone, Default)]
pub struct DriverOps {
    /// Whether it has an `enable_signaling` op: enabling signalling fires the
    /// `enable_signal` tracepoint only then (7.x `__dma_fence_enable_signaling`).
    pub enable_signaling: bool,
    /// Whether it has a `release` or a `wait` op. On 7.x signal then leaves `ops` set, so
    /// the ops (and the module) stay until the fence is released: the 7.x implementations
    /// keep such a driver's data until the last reference goes, as `refcount` does, and
    /// report it pinned at unload. Readers still see the detached names once `SIGNALED` is
    /// set. The 6.17 generation never clears `ops` and ignores it. vgem has a `release` op.
    pub release_or_wait: bool,
    /// The driver's name ops' side effect ([`NameOp`]); `None`: they only return the name.
    pub name_op: Option<NameOp>,
}

impl TimelineConfig {
    /// A timeline with its own pool and tracing off.
    pub fn new(driver: &str, timeline: &str) -> Self {
        TimelineConfig {
            driver: Name::new(driver),
            timeline: Name::new(timeline),
            pool: Pool::new(),
            trace: None,
            hw_seqno: None,
            ops: DriverOps::default(),
        }
    }

    /// Shares `pool` for the driver data.
    pub fn with_pool(mut self, pool: Arc<Pool>) -> Self {
        self.pool = pool;
        self
    }

    /// Sends tracepoint records to `sink`.
    pub fn with_trace(mut self, sink: TraceSink) -> Self {
        self.trace = Some(sink);
        self
    }

    /// Gives the driver a `signaled` op backed by `hw_seqno` (see [`Self::hw_seqno`]).
    pub fn with_hw_seqno(mut self, hw_seqno: Arc<AtomicU64>) -> Self {
        self.hw_seqno = Some(hw_seqno);
        self
    }

    /// Gives the driver an `enable_signaling` op ([`DriverOps::enable_signaling`]).
    pub fn with_enable_signaling_op(mut self) -> Self {
        self.ops.enable_signaling = true;
        self
    }

    /// Gives the driver a `release` op ([`DriverOps::release_or_wait`]), as vgem has.
    pub fn with_release_op(mut self) -> Self {
        self.ops.release_or_wait = true;
        self
    }

    /// Gives the driver's name ops a side effect ([`NameOp`]).
    pub fn with_name_op(mut self, op: NameOp) -> Self {
        self.ops.name_op = Some(op);
        self
    }
}

/// A fence implementation: a type-level marker naming the timeline and fence types so
/// workloads are generic over it and monomorphised per implementation.
pub trait Implementation: Send + Sync + 'static {
    /// Name used on the command line and in result files.
    const NAME: &'static str;
    /// One line on what it models.
    const SUMMARY: &'static str;
    /// Whether readers are protected at all (the `unprotected` baseline is not, and
    /// shows violations when readers race signalling).
    const PROTECTS_READERS: bool;
    /// Whether driver data is reclaimed once the fence signals, as the contract lets the
    /// exporter do (refcounting pins it until the last fence reference goes).
    const RECLAIMS_AT_SIGNAL: bool;
    /// Whether a reader excludes the signaller (the `lock` reader): a reader then must
    /// not read its own fence from a callback, and a reader holding its section holds
    /// the signaller up.
    const READERS_BLOCK_SIGNAL: bool;
    /// The kernel generation of the contract it models.
    const GENERATION: Generation;
    /// The device it needs, and so why the in-process suites (conformance cases, race)
    /// cannot run it: `None` for the models, which run in this process alone.
    const NEEDS_DEVICE: Option<&'static str> = None;
    /// Its fence type.
    type Fence: Fence;
    /// Its timeline (fence context) type.
    type Timeline: Timeline<Fence = Self::Fence>;

    /// A new timeline (a fence context) whose fences carry this driver data.
    fn timeline(config: TimelineConfig) -> Self::Timeline;

    /// Blocks until every driver object this thread retired so far, and every object
    /// orphaned by exited threads, has been freed (or is provably still protected by a
    /// reader, for hazard pointers). Lets tests and workloads settle retained counters.
    fn quiesce();

    /// Announces a quiescent state: the calling thread is between operations, inside no
    /// read-side section. `rcu-qsbr`'s grace periods wait for every online thread to
    /// call it, so a worker calls it between operations (the workloads' poll point, as a
    /// context switch is in the kernel); a no-op for every other implementation.
    #[inline]
    fn quiescent_state() {}

    /// Runs `f`, which blocks (a sleep, a barrier, a channel), with the thread offline:
    /// `rcu-qsbr`'s grace periods do not wait for it meanwhile. Never inside a section.
    /// The implementations' own blocking (`wait`, `quiesce`, `unload`) does this itself.
    /// Just `f()` for every other implementation.
    #[inline]
    fn offline<R>(f: impl FnOnce() -> R) -> R {
        f()
    }

    /// The memory-barrier mechanism the read side uses (`"none"`, `"membarrier"`,
    /// `"full-fence"`, `"atomic-rmw"`), for result files.
    fn read_side_mechanism() -> &'static str;

    /// Why this implementation cannot run on this machine; `None` when it can.
    fn unavailable() -> Option<String> {
        None
    }

    /// Why this implementation cannot do `op`; `None` when it can. Calling an
    /// unsupported operation panics with this reason, so callers ask first.
    fn unsupported(_op: Operation) -> Option<&'static str> {
        None
    }

    /// The version of what the implementation drives when that is not this crate's own
    /// code (the running kernel's release for `kernel`), for result rows.
    fn version() -> Option<String> {
        None
    }
}

/// What [`Timeline::unload`] reports. Times are ns on the [`crate::sync::clock::now_ns`] clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unload {
    /// When the unload was requested.
    pub requested_ns: u64,
    /// When it returned: every retired object of the driver freed, unless `pinned_objects`.
    pub returned_ns: u64,
    /// Retired driver data still allocated when it returned: 0 for every implementation
    /// that reclaims at signal; under `refcount`, what live fence references pin (freed
    /// when the last reference goes: watch the driver's pool, [`Timeline::pool`]).
    pub pinned_objects: u64,
    /// `pinned_objects` × [`crate::memory::pool::OBJECT_BYTES`].
    pub pinned_bytes: u64,
}

impl Unload {
    /// When the driver's memory was freed, if it was by the time unload returned.
    pub fn freed_ns(&self) -> Option<u64> {
        (self.pinned_objects == 0).then_some(self.returned_ns)
    }

    /// Request to free, if freed by then: the unload latency.
    pub fn latency_ns(&self) -> Option<u64> {
        self.freed_ns().map(|t| t - self.requested_ns)
    }
}

/// A fence context: creates fences with increasing seqnos.
pub trait Timeline: Send + Sync {
    /// The fences it creates.
    type Fence: Fence;

    /// `dma_fence_init`: a new unsignalled fence with the next seqno and fresh driver
    /// data; fires the `init` tracepoint.
    fn create(&self) -> Self::Fence;

    /// `dma_fence_get_stub`: a reference to the implementation's one shared,
    /// always-signalled fence. The default makes a fresh signalled fence
    /// (`dma_fence_allocate_private_stub`) for implementations that cannot share one.
    fn stub(&self) -> Self::Fence {
        let f = self.create();
        f.signal();
        f
    }

    /// The fence context number (`dma_fence_context_alloc`).
    fn context(&self) -> u64;
    /// The pool the timeline allocates driver data from.
    fn pool(&self) -> &Arc<Pool>;

    /// Module unload (the case the contract leaves out): the driver behind this timeline
    /// goes away while its signalled fences live on, held by other threads. Its memory is
    /// every driver-data object the timeline allocated (names, lock, ops word: in the
    /// kernel, the module's ops table and name strings), counted in its pool so late reads
    /// are violations. Blocks until no reader can reach any of it, then reports.
    ///
    /// The caller first signals every fence of the timeline **on this thread** (a driver
    /// signals or errors its fences before its module goes; batches of retired data are
    /// per thread), and gives the timeline a pool of its own (`TimelineConfig::new`
    /// does), since unload waits until that pool holds no retired data. Per
    /// implementation: `rcu` waits for a grace period of the one process-wide domain, so a
    /// reader sleeping in any driver's section delays it; `srcu` waits for the driver's
    /// own domain only; hazard pointers rescan until no hazard covers the data;
    /// `refcount` cannot block (the data lives until the last fence reference), so it
    /// returns at once and reports what stays pinned; `unprotected` freed everything at
    /// signal already (its readers' late reads show as violations).
    fn unload(&self) -> Unload;
}

/// The dma-fence operations. `Clone` takes a reference, drop puts it; the last put
/// releases the fence.
pub trait Fence: Clone + Send + Sync + 'static {
    /// The fence context (its timeline).
    fn context(&self) -> u64;
    /// The fence seqno within its context.
    fn seqno(&self) -> u64;

    /// The `emit` tracepoint: the driver submitted the fence to hardware.
    fn emit(&self);

    /// `dma_fence_signal` (Linux 7.0: returns nothing): marks the fence signalled, stores
    /// the timestamp, runs every queued callback exactly once, then hands the driver data
    /// to the implementation's reclamation rule. On a signalled fence it does nothing.
    fn signal(&self);

    /// `dma_fence_check_and_signal` (7.0): signals as [`signal`](Self::signal) does and
    /// reports whether the fence was already signalled (then it did nothing).
    fn check_and_signal(&self) -> bool;

    /// `dma_fence_is_signaled`: the bit, else the driver's `signaled` op (called under
    /// protection: it lives in driver data), which may signal the fence from here.
    fn is_signaled(&self) -> bool;

    /// `dma_fence_test_signaled_flag` (7.0): the `SIGNALED` bit alone, never asking the
    /// driver's op.
    fn test_signaled_flag(&self) -> bool;

    /// `dma_fence_enable_sw_signaling`: sets `ENABLE_SIGNAL` first, then checks `SIGNALED`.
    fn enable_signaling(&self);

    /// Queues `cb` to run at signal. Fails, never running `cb`, once signalled.
    fn add_callback(&self, cb: Callback) -> Result<CallbackId, AlreadySignaled>;

    /// True if the callback was still queued (and now never runs), false once it ran.
    fn remove_callback(&self, id: CallbackId) -> bool;

    /// Records an error (negative errno); only allowed before signal.
    fn set_error(&self, errno: i32) -> Result<(), AlreadySignaled>;

    /// 0 while pending, then 1 or the error that was set (`dma_fence_get_status`, which
    /// asks [`is_signaled`](Self::is_signaled)).
    fn status(&self) -> i32;

    /// Signal time (ns since the process clock epoch), once signalled.
    fn timestamp(&self) -> Option<u64>;

    /// `dma_fence_wait_timeout` with the default wait: enables signalling, then waits up
    /// to `timeout` for the `SIGNALED` bit (the bit alone, as `dma_fence_default_wait`
    /// tests it: the driver's `signaled` op is not asked): spins briefly, then parks. Zero
    /// polls the bit. Fires `wait_start`/`wait_end` (a poll included), which read the names
    /// through the safe helpers.
    fn wait(&self, timeout: Duration) -> WaitOutcome;

    /// `SYNC_IOC_FILE_INFO` on a sync_file of this fence: in one protected section the
    /// driver name, the timeline name (each helper testing the signalled state on its
    /// own, so a racing signal can leave the real driver name beside
    /// [`SIGNALED_TIMELINE`]), then the status. The hot read path being measured. The
    /// status is `dma_fence_get_status`'s: it asks the driver's `signaled` op, which may
    /// signal the fence from here (after the section).
    fn info(&self) -> FenceInfo;

    /// The `dma_fence_describe()` line of the implementation's generation. The default
    /// formats one [`info`](Self::info); the models follow the kernel's function: in one
    /// section, 6.17 reads the timeline name, then the driver name, then asks
    /// `dma_fence_is_signaled`; 6.19 onwards asks `dma_fence_is_signaled` first and
    /// only if unsignalled reads the timeline name, then the driver name. Each name
    /// helper tests the signalled state on its own, so a describe racing signal can print
    /// one real name and one detached constant.
    fn describe(&self) -> String {
        self.info().to_string()
    }

    /// One read-side section and nothing else, refscale's reader: enter protection, test
    /// `SIGNALED` (or load the detachable pointer), read one word of driver data (the ops
    /// word), leave. `None` once signalled or detached. Benchmarks count it as the cost
    /// of the read section alone.
    fn section(&self) -> Option<u64>;

    /// `dma_fence_driver_name`: the driver's name while unsignalled, then [`DETACHED_DRIVER`].
    fn driver_name(&self) -> Name;

    /// `dma_fence_timeline_name`: the timeline's name while unsignalled, then [`SIGNALED_TIMELINE`].
    fn timeline_name(&self) -> Name;

    /// Runs `f` on the driver and timeline names *inside* one read-side section, as a
    /// kernel caller uses the pointers `dma_fence_driver_name()` returns before
    /// `rcu_read_unlock()`. Whatever `f` does (the `stall` workload sleeps) holds the
    /// implementation's protection for that long.
    fn with_names<R>(&self, f: impl FnOnce(&Name, &Name) -> R) -> R;

    /// References held (`kref_read`).
    fn ref_count(&self) -> usize;
}

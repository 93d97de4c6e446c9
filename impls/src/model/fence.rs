//! The dma-fence model shared by the implementations: one fence type, generic over the
//! reclamation [`Scheme`], so every implementation has identical fence semantics and
//! the measured difference is the protection alone.

use crate::contract::*;
use crate::memory::pool::{DataLock, DriverRef, Name, Pool};
use crate::model::inline_lock::InlineGuard;
use crate::model::scheme::{FenceView, InlineLock, Scheme};
use crate::sync::backoff::Backoff;
use crate::sync::clock::now_ns;
use crate::sync::{AtomicI32, AtomicU64};
use crate::trace::{TraceEvent, TraceRecord, TraceSink};
use std::any::Any;
use std::cell::UnsafeCell;
use std::fmt::Write as _;
use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::atomic::Ordering::{Acquire, Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod signal;
mod wait;

const SIGNALED: u64 = 1;
const ENABLE_SIGNAL: u64 = 1 << 1;
const TIMESTAMP: u64 = 1 << 2;
/// Driver data handed to retirement (exactly once per fence).
const RETIRED: u64 = 1 << 3;

/// The ops word stored in driver data (stands for the `dma_fence_ops` pointer).
const OPS: u64 = 0xd0a5_f00d;

/// Not a protocol word: a plain std atomic even under loom (loom's have no `const new`).
static NEXT_CONTEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// An [`Implementation`] built from a [`Scheme`].
pub struct Guarded<S>(PhantomData<S>);

impl<S: Scheme> Implementation for Guarded<S> {
    const NAME: &'static str = S::NAME;
    const SUMMARY: &'static str = S::SUMMARY;
    const PROTECTS_READERS: bool = S::PROTECTS_READERS;
    const RECLAIMS_AT_SIGNAL: bool = S::RECLAIM_AT_SIGNAL;
    const READERS_BLOCK_SIGNAL: bool = S::READERS_BLOCK_SIGNAL;
    const GENERATION: Generation = S::GENERATION;
    type Fence = GuardedFence<S>;
    type Timeline = GuardedTimeline<S>;

    fn timeline(config: TimelineConfig) -> Self::Timeline {
        GuardedTimeline {
            // Relaxed: a unique number, nothing is published with it.
            context: NEXT_CONTEXT.fetch_add(1, Relaxed),
            next_seqno: AtomicU64::new(0),
            config,
            driver: S::Driver::default(),
            _s: PhantomData,
        }
    }

    fn quiesce() {
        S::quiesce()
    }

    #[inline]
    fn quiescent_state() {
        S::quiescent_state()
    }

    #[inline]
    fn offline<R>(f: impl FnOnce() -> R) -> R {
        S::offline(f)
    }

    fn read_side_mechanism() -> &'static str {
        S::mechanism()
    }
}

pub struct GuardedTimeline<S: Scheme> {
    context: u64,
    next_seqno: AtomicU64,
    config: TimelineConfig,
    /// The scheme's per-driver state (`srcu`'s domain).
    driver: S::Driver,
    _s: PhantomData<S>,
}

impl<S: Scheme> Timeline for GuardedTimeline<S> {
    type Fence = GuardedFence<S>;

    fn create(&self) -> GuardedFence<S> {
        // Relaxed: a unique number, nothing is published with it.
        let seqno = self.next_seqno.fetch_add(1, Relaxed) + 1;
        let c = &self.config;
        let data = c.pool.alloc(&c.driver, &c.timeline, OPS);
        let fence = GuardedFence(Arc::new(Inner {
            context: self.context,
            seqno,
            flags: AtomicU64::new(0),
            timestamp: AtomicU64::new(0),
            error: AtomicI32::new(0),
            locked: UnsafeCell::new(Locked {
                callbacks: Vec::new(),
                next_id: 0,
            }),
            inline: InlineLock::default(),
            per_fence: S::per_fence(&self.driver, &data),
            data,
            trace: c.trace.clone(),
            hw_seqno: c.hw_seqno.clone(),
            enable_signaling_op: c.ops.enable_signaling,
            keeps_ops: keeps_ops::<S>(&c.ops),
            name_op: c.ops.name_op.clone(),
            _s: PhantomData,
        }));
        fence.trace_direct(TraceEvent::Init);
        fence
    }

    fn stub(&self) -> GuardedFence<S> {
        shared_stub::<S>()
    }

    fn context(&self) -> u64 {
        self.context
    }

    fn pool(&self) -> &Arc<Pool> {
        &self.config.pool
    }

    fn unload(&self) -> Unload {
        let requested_ns = now_ns();
        let retained = || self.config.pool.stats().retained;
        // A 7.x driver that keeps its ops pins its data (and module) as `refcount` does.
        if S::RECLAIM_AT_SIGNAL && !keeps_ops::<S>(&self.config.ops) {
            // A reader still holds the data (or its section): retry, sleeping so a long
            // section does not cost a core.
            let mut backoff = Backoff::new(0, 16);
            loop {
                S::unload(&self.driver);
                if retained() == 0 {
                    break;
                }
                backoff.wait();
            }
        }
        let pinned_objects = retained();
        Unload {
            requested_ns,
            returned_ns: now_ns(),
            pinned_objects,
            pinned_bytes: pinned_objects * crate::memory::pool::OBJECT_BYTES as u64,
        }
    }
}

/// `dma_fence_get_stub`: the process's one stub fence per scheme, created (and
/// signalled) on first use, with its own timeline and pool.
fn shared_stub<S: Scheme>() -> GuardedFence<S> {
    static STUBS: Mutex<Vec<Box<dyn Any + Send + Sync>>> = Mutex::new(Vec::new());
    let mut stubs = STUBS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(stub) = stubs
        .iter()
        .find_map(|s| s.downcast_ref::<GuardedFence<S>>())
    {
        return stub.clone();
    }
    let stub = Guarded::<S>::timeline(TimelineConfig::new("stub", "stub")).create();
    stub.signal();
    stubs.push(Box::new(stub.clone()));
    stub
}

/// Whether signal leaves this driver's `ops` set: a 7.x driver with a `release` or a
/// `wait` op ([`DriverOps::release_or_wait`]); the 6.17 generation never clears `ops`.
fn keeps_ops<S: Scheme>(ops: &DriverOps) -> bool {
    matches!(S::GENERATION, Generation::V7) && ops.release_or_wait
}

/// The exporter's lock, held; released on drop.
enum ExporterLock<'a> {
    Inline { _held: InlineGuard<'a> },
    Data { _held: DataLock<'a> },
}

/// State guarded by the exporter's lock (which lives in driver data).
struct Locked {
    callbacks: Vec<(u64, Callback)>,
    next_id: u64,
}

pub struct Inner<S: Scheme> {
    context: u64,
    seqno: u64,
    flags: AtomicU64,
    timestamp: AtomicU64,
    error: AtomicI32,
    locked: UnsafeCell<Locked>,
    /// The exporter's lock when the scheme keeps it inline ([`Scheme::INLINE_LOCK`]).
    inline: InlineLock,
    per_fence: S::PerFence,
    data: DriverRef,
    trace: Option<TraceSink>,
    /// The driver's `signaled` op's view of the hardware ([`TimelineConfig::hw_seqno`]).
    hw_seqno: Option<Arc<std::sync::atomic::AtomicU64>>,
    /// [`DriverOps::enable_signaling`].
    enable_signaling_op: bool,
    /// Signal leaves `ops` set ([`keeps_ops`]): the data stays until release.
    keeps_ops: bool,
    /// [`DriverOps::name_op`].
    name_op: Option<NameOp>,
    _s: PhantomData<S>,
}

// SAFETY: `locked` is only accessed while holding the exporter's lock (`ExporterLock`),
// which provides mutual exclusion; every other field is atomic, immutable or `Sync`.
unsafe impl<S: Scheme> Sync for Inner<S> {}

/// A reference to a fence: clone is `dma_fence_get`, drop is `dma_fence_put`.
pub struct GuardedFence<S: Scheme>(Arc<Inner<S>>);

impl<S: Scheme> Clone for GuardedFence<S> {
    fn clone(&self) -> Self {
        GuardedFence(self.0.clone())
    }
}

impl<S: Scheme> Deref for GuardedFence<S> {
    type Target = Inner<S>;
    fn deref(&self) -> &Inner<S> {
        &self.0
    }
}

impl<S: Scheme> Inner<S> {
    #[inline]
    fn signaled(&self) -> bool {
        // Acquire: pairs with the AcqRel set of SIGNALED in `signal_locked`: whoever sees
        // the bit sees the signal's earlier writes (timestamp, error).
        self.flags.load(Acquire) & SIGNALED != 0
    }

    fn view(&self) -> FenceView<'_, S::PerFence> {
        FenceView {
            data: &self.data,
            per_fence: &self.per_fence,
            inline: &self.inline,
        }
    }

    /// Runs `f` inside one read-side section, with `true` while the data is protected
    /// and attached (seen unsignalled, or its pointer still set, inside the section).
    #[inline]
    fn in_section<R>(&self, f: impl FnOnce(bool) -> R) -> R {
        // Planted: `hazptr` tests the bit before publishing its hazard, and not after.
        #[cfg(fencebench_plant = "hazptr-check-before-publish")]
        if S::NAME == "hazptr" {
            if self.signaled() {
                return f(false);
            }
            return S::section(self.view(), f);
        }
        // A fence whose ops signal left set (`keeps_ops`) is detached by the bit alone.
        S::section(self.view(), |protected| {
            f(protected && (!(S::CHECKS_SIGNALED_BIT || self.keeps_ops) || !self.signaled()))
        })
    }

    /// One read-side section: `live` runs with the data attached, otherwise `detached`.
    #[inline]
    fn read<R>(&self, detached: impl FnOnce() -> R, live: impl FnOnce(&DriverRef) -> R) -> R {
        self.in_section(|attached| {
            if attached {
                live(&self.data)
            } else {
                detached()
            }
        })
    }

    /// The driver's `signaled` op (`fence->ops->signaled`, in driver data): whether the
    /// "hardware" passed this fence's seqno. Called under protection, only while attached;
    /// `false` when the driver has no such op.
    #[inline]
    fn op_signaled(&self, data: &DriverRef) -> bool {
        match &self.hw_seqno {
            None => false,
            // Acquire: pairs with the driver's Release advance of the hardware seqno.
            Some(hw) => data.read_ops().is_some() && hw.load(Acquire) >= self.seqno,
        }
    }

    /// What the driver's op calls for once it reported completion: the signal from the
    /// reader's side, after the section (signal takes the fence lock, which a `lock`
    /// reader holds for its section). Out of line and cold, so the readers' common path
    /// (bit set, no op, or the hardware not there yet) carries none of it.
    #[cold]
    #[inline(never)]
    fn signal_from_reader(&self) {
        // Losing the race to the exporter's own signal is fine.
        let _ = self.signal_fence();
    }

    /// `dma_fence_get_status()` inside the caller's section, `attached` as the section
    /// found the data: takes the fence's lock (inline; in driver data only while
    /// attached, as a reader may touch driver data only then; not again where the
    /// section holds it), asks the driver's `signaled` op and signals under the lock if
    /// it reports completion (`dma_fence_is_signaled_locked`). Returns the status and
    /// whether this call signalled (its caller then reclaims, after the section).
    #[inline]
    fn get_status_in_section(&self, attached: bool) -> (i32, bool) {
        let lock = if S::SECTION_HOLDS_LOCK {
            None
        } else if S::INLINE_LOCK || attached {
            match self.lock_exporter() {
                Some(lock) => Some(lock),
                None => return (self.status_bit(), false),
            }
        } else {
            // Detached under a lock in driver data: the data may be gone, the bit tells.
            return (self.status_bit(), false);
        };
        let signalled_here = attached && !self.signaled() && self.op_signaled(&self.data) && {
            // SAFETY: the exporter's lock is held: `lock` above, or the section's own
            // where the scheme's section holds it (`SECTION_HOLDS_LOCK`), and it
            // guards `locked`.
            self.signal_locked(unsafe { &mut *self.locked.get() })
                .is_ok()
        };
        drop(lock);
        (self.status_bit(), signalled_here)
    }

    /// The status as the `SIGNALED` bit shows it, without asking the driver's op.
    fn status_bit(&self) -> i32 {
        if !self.signaled() {
            return 0;
        }
        match self.error.load(Relaxed) {
            0 => 1,
            e => e,
        }
    }

    /// Takes the exporter's lock: inline, or the one in driver data. `None` when the
    /// driver data was freed (only possible without protection).
    fn lock_exporter(&self) -> Option<ExporterLock<'_>> {
        if S::INLINE_LOCK {
            Some(ExporterLock::Inline {
                _held: self.inline.lock(),
            })
        } else {
            self.data.lock().map(|_held| ExporterLock::Data { _held })
        }
    }

    /// Runs `f` with the exporter's lock held if the fence is unsignalled; `None` once
    /// signalled. A lock in driver data is only taken inside a read-side section; an
    /// inline lock lives as long as the fence and, held, keeps signal (and so any
    /// retirement of the data) from starting.
    fn with_lock<R>(&self, f: impl FnOnce(&mut Locked) -> R) -> Option<R> {
        if self.signaled() {
            return None;
        }
        let locked_call = |lock: ExporterLock<'_>| {
            if self.signaled() {
                return None;
            }
            // SAFETY: we hold the exporter's lock, which guards `locked`.
            let r = f(unsafe { &mut *self.locked.get() });
            drop(lock);
            Some(r)
        };
        if S::INLINE_LOCK {
            locked_call(self.lock_exporter()?)
        } else {
            self.read(|| None, |_| locked_call(self.lock_exporter()?))
        }
    }

    fn record(&self, event: TraceEvent, driver: Name, timeline: Name) -> TraceRecord {
        TraceRecord {
            event,
            driver,
            timeline,
            context: self.context,
            seqno: self.seqno,
        }
    }

    /// The `dma_fence_ops` event class: `fence->ops->get_*_name()` called directly, for
    /// the events that cannot race with signalling (`init`, `enable_signal`, `signaled`).
    fn trace_direct(&self, event: TraceEvent) {
        if let Some(sink) = &self.trace {
            let d = self.name_op_read(NameKind::Driver);
            let t = self.name_op_read(NameKind::Timeline);
            sink(&self.record(event, d, t));
        }
    }

    /// The `dma_fence` event class: the safe helpers, one after the other, inside one
    /// read-side section (`emit`, `wait_start`, `wait_end`, `destroy`).
    fn trace_safe(&self, event: TraceEvent) {
        if let Some(sink) = &self.trace {
            let (d, t) = self.in_section(|attached| {
                (
                    self.driver_name_in(attached, false),
                    self.timeline_name_in(attached, true),
                )
            });
            sink(&self.record(event, d, t));
        }
    }

    /// The driver's name op: its side effect, then the name from driver data. Only
    /// where the data is protected and attached, or cannot be retired yet.
    fn name_op_read(&self, kind: NameKind) -> Name {
        if let Some(op) = &self.name_op {
            op(kind);
        }
        match kind {
            NameKind::Driver => self.data.read_driver_name(),
            NameKind::Timeline => self.data.read_timeline_name(),
        }
    }

    /// `dma_fence_driver_name()` inside the caller's section, which found the data
    /// `attached`. `recheck`: a helper after another in the same section tests the
    /// `SIGNALED` bit again on its own, as each kernel helper does, so a signal between
    /// two helpers gives one real name and one constant. The recheck can only detach:
    /// the section's protection holds whatever its first test found attached.
    #[inline]
    fn driver_name_in(&self, attached: bool, recheck: bool) -> Name {
        if attached && !(recheck && self.signaled()) {
            self.name_op_read(NameKind::Driver)
        } else {
            Name::new(DETACHED_DRIVER)
        }
    }

    /// `dma_fence_timeline_name()` inside the caller's section: as
    /// [`driver_name_in`](Self::driver_name_in).
    #[inline]
    fn timeline_name_in(&self, attached: bool, recheck: bool) -> Name {
        if attached && !(recheck && self.signaled()) {
            self.name_op_read(NameKind::Timeline)
        } else {
            Name::new(SIGNALED_TIMELINE)
        }
    }
}

fn detached_names() -> (Name, Name) {
    (Name::new(DETACHED_DRIVER), Name::new(SIGNALED_TIMELINE))
}

impl<S: Scheme> Drop for Inner<S> {
    /// `dma_fence_release`: a fence dropped unsignalled with callbacks pending gets
    /// `-EDEADLK` and is signalled; the driver data is then retired and, for schemes that
    /// reclaim on release, reclaimed.
    fn drop(&mut self) {
        self.trace_safe(TraceEvent::Destroy);
        // `signal()` reclaimed already (it returned before the last reference went),
        // unless the driver kept its ops: its data goes now.
        let reclaimed = self.signaled() && S::RECLAIM_AT_SIGNAL && !self.keeps_ops;
        if !self.signaled() {
            let pending = self.with_lock(|locked| {
                if locked.callbacks.is_empty() {
                    false
                } else {
                    // Relaxed: published by the signal's AcqRel set of SIGNALED that follows.
                    self.error.store(EDEADLK, Relaxed);
                    let _ = self.signal_locked(locked);
                    true
                }
            });
            self.warn_if_released_pending(pending);
        }
        self.retire();
        self.detach_kept_ops();
        if !reclaimed {
            S::reclaim(&self.per_fence, &self.data);
        }
    }
}

impl<S: Scheme> Inner<S> {
    /// The kernel's `WARN` on a fence released with callbacks pending (`pending`: what
    /// release's locked check found), on stderr.
    #[cold]
    fn warn_if_released_pending(&self, pending: Option<bool>) {
        if pending == Some(true) {
            eprintln!(
                "fencebench: fence {}:{} released with pending callbacks; signalled with -EDEADLK",
                self.context, self.seqno
            );
        }
    }

    /// At release, after [`retire`](Self::retire): the ops that signal left set
    /// ([`keeps_ops`]) go with the fence; retire detached every other fence's. No reader
    /// can load the pointer by now (the last reference is gone): this keeps the
    /// contract's order, unpublished before the grace period that precedes the free.
    fn detach_kept_ops(&self) {
        if self.keeps_ops && self.signaled() {
            S::detach(&self.per_fence);
        }
    }
}

impl<S: Scheme> Fence for GuardedFence<S> {
    fn context(&self) -> u64 {
        self.context
    }

    fn seqno(&self) -> u64 {
        self.seqno
    }

    fn emit(&self) {
        self.trace_safe(TraceEvent::Emit);
    }

    fn signal(&self) {
        let _ = self.signal_fence();
    }

    fn check_and_signal(&self) -> bool {
        self.signal_fence().is_err()
    }

    fn test_signaled_flag(&self) -> bool {
        self.signaled()
    }

    #[inline]
    fn is_signaled(&self) -> bool {
        if self.signaled() {
            return true;
        }
        if self.hw_seqno.is_none() {
            return false;
        }
        if self.read(|| false, |data| self.op_signaled(data)) {
            self.signal_from_reader();
            return true;
        }
        self.signaled()
    }

    fn enable_signaling(&self) {
        // Acquire: pairs with the AcqRel sets of both bits (a fast path; rechecked locked).
        if self.flags.load(Acquire) & (ENABLE_SIGNAL | SIGNALED) == 0 {
            self.with_lock(|_| self.enable_signaling_locked());
        }
    }

    fn add_callback(&self, cb: Callback) -> Result<CallbackId, AlreadySignaled> {
        self.with_lock(|locked| {
            if !self.enable_signaling_locked() {
                return Err(AlreadySignaled);
            }
            let id = locked.next_id;
            locked.next_id += 1;
            locked.callbacks.push((id, cb));
            Ok(CallbackId(id))
        })
        .unwrap_or(Err(AlreadySignaled))
    }

    fn remove_callback(&self, id: CallbackId) -> bool {
        self.with_lock(|locked| {
            let before = locked.callbacks.len();
            locked.callbacks.retain(|(i, _)| *i != id.0);
            locked.callbacks.len() != before
        })
        .unwrap_or(false)
    }

    fn set_error(&self, errno: i32) -> Result<(), AlreadySignaled> {
        assert!(errno < 0, "set_error takes a negative errno, got {errno}");
        if self.signaled() {
            return Err(AlreadySignaled);
        }
        // Relaxed: published by the signal's AcqRel set of SIGNALED (readers read it only
        // after seeing SIGNALED with Acquire).
        self.error.store(errno, Relaxed);
        Ok(())
    }

    fn status(&self) -> i32 {
        self.is_signaled();
        self.status_bit()
    }

    /// Like `dma_fence_timestamp()`: a signaller sets `SIGNALED` before `TIMESTAMP`,
    /// so a fence seen signalled may need a moment before its timestamp is readable.
    fn timestamp(&self) -> Option<u64> {
        if !self.signaled() {
            return None;
        }
        // Acquire: pairs with the Release set of TIMESTAMP in `signal_locked`.
        while self.flags.load(Acquire) & TIMESTAMP == 0 {
            crate::sync::spin_hint();
        }
        // Relaxed: ordered by the Acquire load of TIMESTAMP above.
        Some(self.timestamp.load(Relaxed))
    }

    fn wait(&self, timeout: Duration) -> WaitOutcome {
        self.enable_signaling();
        self.trace_safe(TraceEvent::WaitStart);
        // A poll reads no clock: it is on the hot path of the trace and mixed workloads.
        // `dma_fence_default_wait` tests the bit alone, never the driver's `signaled` op.
        let outcome = if timeout.is_zero() {
            if self.signaled() {
                WaitOutcome::Signaled(MIN_REMAINING)
            } else {
                WaitOutcome::TimedOut
            }
        } else {
            self.wait_until(Instant::now() + timeout)
        };
        self.trace_safe(TraceEvent::WaitEnd);
        outcome
    }

    /// As `SYNC_IOC_FILE_INFO` on a sync_file of one fence. `sync_fill_fence_info`: the
    /// names, the status from `dma_fence_get_status()` and the timestamp, in one section;
    /// the status is read with the fence's lock held (the driver's lock, in driver data,
    /// in the 6.17 generation; the inline lock in 7.x), which asks the driver's
    /// `signaled` op and signals the fence from the reader's side if it reports
    /// completion. Then `sync_file_get_name()`: the names once more, in a second section.
    /// Describe therefore contends with signal on the fence's lock, as in the kernel.
    #[inline]
    fn info(&self) -> FenceInfo {
        let mut signalled_here = false;
        let info = self.in_section(|attached| {
            let driver_name = self.driver_name_in(attached, false);
            let obj_name = self.timeline_name_in(attached, true);
            let status;
            (status, signalled_here) = self.get_status_in_section(attached);
            FenceInfo {
                obj_name,
                driver_name,
                context: self.context,
                seqno: self.seqno,
                status,
                timestamp_ns: self.timestamp().unwrap_or(0),
                generation: S::GENERATION,
            }
        });
        if signalled_here {
            self.reclaim_at_signal();
        }
        // `sync_file_get_name()`: its own section, the two helpers again.
        self.in_section(|attached| {
            std::hint::black_box((
                self.driver_name_in(attached, false),
                self.timeline_name_in(attached, true),
            ));
        });
        info
    }

    fn describe(&self) -> String {
        let (c, s) = (self.context, self.seqno);
        let mut line = String::new();
        match S::GENERATION {
            Generation::V6_17 => {
                let (t, d) = self.in_section(|attached| {
                    (
                        self.timeline_name_in(attached, false),
                        self.driver_name_in(attached, true),
                    )
                });
                let un = if self.is_signaled() { "" } else { "un" };
                let _ = write!(line, "{d} {t} seq {s} {un}signalled");
            }
            Generation::V7 => {
                let (mut t, mut d, mut un) = (String::new(), String::new(), "");
                if !self.is_signaled() {
                    self.in_section(|attached| {
                        t = self.timeline_name_in(attached, false).to_string();
                        d = self.driver_name_in(attached, true).to_string();
                    });
                    un = "un";
                }
                let _ = write!(line, "{c}:{s} {t} {d} {un}signalled");
            }
        }
        line
    }

    #[inline]
    fn section(&self) -> Option<u64> {
        self.read(|| None, DriverRef::read_ops)
    }

    fn driver_name(&self) -> Name {
        self.in_section(|attached| self.driver_name_in(attached, false))
    }

    fn timeline_name(&self) -> Name {
        self.in_section(|attached| self.timeline_name_in(attached, false))
    }

    fn with_names<R>(&self, f: impl FnOnce(&Name, &Name) -> R) -> R {
        self.in_section(|attached| {
            if attached {
                let (d, t, _) = self.data.read_names();
                let r = f(&d, &t);
                // The caller used the names (the kernel caller's pointers into driver
                // data) until now: they must still be live.
                self.data.validate();
                r
            } else {
                let (d, t) = detached_names();
                f(&d, &t)
            }
        })
    }

    fn ref_count(&self) -> usize {
        Arc::strong_count(&self.0)
    }
}

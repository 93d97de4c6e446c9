//! Sleepable RCU with per-domain state, after the kernel's SRCU, which the `srcu` and
//! `srcu-fast` schemes build on: one domain per driver
//! (timeline), so a reader that sleeps inside one driver's section delays only that
//! driver's reclamation and unload.
//!
//! Read side (`srcu_read_lock`): read the domain's index, add one to the lock counter of
//! that half in the thread's own record, barrier; `srcu_read_unlock`: barrier, add one to
//! the unlock counter of the same half. Records stand for the kernel's per-CPU counters:
//! each live thread owns one index ([`with_slot`]) and so one record in every domain, which
//! only it writes, so the add is a plain load and store (the kernel's `this_cpu_inc()`),
//! not a locked read-modify-write. A section may block (`wait` inside it is the case the
//! contract's patch says needs SRCU).
//!
//! Grace period (`srcu_advance_state`): wait until the inactive half's lock and unlock
//! sums match (stragglers that read the index before the previous flip), flip the index,
//! wait until the formerly active half's sums match. Each wait is a non-blocking check
//! that is retried, so a stalled reader never holds up another domain, or the signaller.
//!
//! The [`Flavor`] says where the barriers are. [`Classic`] (`srcu_read_lock`): a full
//! barrier in each of lock and unlock, paired with full barriers in the scans and around
//! the flip. [`Fast`] (Linux 6.15+ `srcu_read_lock_fast`): no barrier on the read side
//! beyond a compiler barrier; each scan waits for a grace period of the process's RCU
//! domain instead ([`crate::reclaim::rcu::synchronize_rcu`], as the kernel's scan calls
//! `synchronize_rcu()` for these readers), whose heavy barriers order every reader's
//! counter stores against the scan; the flip needs none.

use crate::memory::pool::DriverRef;
use crate::sync::backoff::Backoff;
use crate::sync::membarrier;
use crate::sync::{fence, AtomicU64, Mutex};
use crossbeam_utils::CachePadded;
use std::marker::PhantomData;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};

/// Reader records per domain: the most threads that may be inside sections at once
/// (indices are reused when a thread exits). The per-CPU counters' analogue; a scan sums
/// only the indices handed out so far ([`registered::high`]).
pub const SLOTS: usize = if cfg!(fencebench_loom) { 2 } else { 256 };

/// The bit of a domain's index word that says which half new readers count in (the
/// flips add it): bit 4, 16, the size of a record's [`Half`], so the byte offset of a
/// reader's half in its record is the word masked, with no shift.
const HALF_SHIFT: u32 = 4;
const HALF: u64 = 1 << HALF_SHIFT;
#[cfg(not(fencebench_loom))]
const _: () = assert!(std::mem::size_of::<Half>() as u64 == HALF);

/// Set in a domain's index word when its readers' barrier must be a full fence (an
/// asymmetric flavour without membarrier): far above the half bit.
const FULL_FENCE: u64 = 1 << 63;
const _: () = assert!(FULL_FENCE.is_power_of_two() && FULL_FENCE > HALF);

/// Whether an index word carries the full-fence mode bit: the readers' barrier is then a
/// full fence.
#[inline(always)]
fn full_fence_in(word: u64) -> bool {
    word & FULL_FENCE != 0
}

/// The half an index word says new readers count in.
#[inline(always)]
fn half_of(word: u64) -> usize {
    ((word >> HALF_SHIFT) & 1) as usize
}

/// Retired objects queued before a signaller starts (or advances) a grace period.
#[cfg(not(fencebench_loom))]
const BATCH_LEN: usize = 64;

/// Where a domain's barriers are: what separates `srcu_read_lock` from
/// `srcu_read_lock_fast`. The fences named B and C (reader), A (scan) and the flip's are
/// described where [`Domain`] issues them.
pub trait Flavor: Sized + Send + Sync + 'static {
    /// The implementation's name.
    const NAME: &'static str;
    /// One line for `fencebench list`.
    const SUMMARY: &'static str;
    /// Whether the read side is the cheap half of an asymmetric pair (its scans pay the
    /// heavy barrier, which is worth avoiding while the sums show a reader still inside).
    const ASYMMETRIC: bool;
    /// Fences B (after the lock count) and C (before the unlock count); `full` is the
    /// domain's [`FULL_FENCE`] bit, read with the index: whether the asymmetric pair
    /// has no cheap half in this process.
    fn reader_barrier(full: bool);
    /// Fence A, between a scan's unlock and lock sums.
    fn scan_barrier();
    /// The barriers on both sides of the flip.
    fn flip_barrier();
}

/// The classic read side (`srcu_read_lock`): full barriers on both sides.
pub enum Classic {}

impl Flavor for Classic {
    const NAME: &'static str = "srcu";
    const SUMMARY: &'static str =
        "SRCU: per-driver domain, per-thread lock/unlock counters in two halves, full barrier per section";
    const ASYMMETRIC: bool = false;

    #[inline]
    fn reader_barrier(_: bool) {
        fence(SeqCst);
    }

    #[inline]
    fn scan_barrier() {
        fence(SeqCst);
    }

    #[inline]
    fn flip_barrier() {
        fence(SeqCst);
    }
}

/// `srcu_read_lock_fast` (Linux 6.15+): the read side has no CPU barrier, the grace
/// period pays with an RCU grace period in each scan.
pub enum Fast {}

impl Flavor for Fast {
    const NAME: &'static str = "srcu-fast";
    const SUMMARY: &'static str =
        "SRCU-fast: per-driver domain as srcu, no reader barrier, an RCU grace period in each scan";
    const ASYMMETRIC: bool = true;

    /// A compiler barrier where membarrier works (a full fence where it does not, as the
    /// heavy side then is one too): the mode comes with the index, no load of its own.
    #[inline]
    fn reader_barrier(full: bool) {
        membarrier::light_in(full);
    }

    /// The kernel runs `synchronize_rcu()` here for fast readers (`srcu_readers_active_idx_check`):
    /// so does this scan, a grace period of the process's RCU domain, with its wait for
    /// that domain's readers. Its heavy barriers (`membarrier(PRIVATE_EXPEDITED)`) make
    /// every thread of this process pass a full barrier, which orders each fast reader's
    /// counter store as the kernel's grace period orders a `this_cpu_inc()`.
    #[inline]
    fn scan_barrier() {
        // Planted: the scan trusts sums no barrier ordered against the readers.
        #[cfg(not(fencebench_plant = "srcu-fast-no-heavy"))]
        crate::reclaim::rcu::synchronize_rcu();
    }

    /// The classic flip's fences pair with the reader's, which fast readers do not issue;
    /// the kernel keeps them, inoperative for these readers. What they ordered, the scan's
    /// heavy barrier before the flip orders: a reader that reads the new index runs after
    /// that barrier, so it sees everything retired before the grace period.
    #[inline]
    fn flip_barrier() {}
}

/// One reader's counters, per index half: sections begun and ended. Only the thread
/// that owns the record's index writes them; the scans read them.
#[derive(Default)]
struct Counters {
    half: [Half; 2],
}

/// The counts of one half, side by side: a section finds its unlock count beside the
/// lock count it bumped, with no index kept for the unlock.
#[derive(Default)]
struct Half {
    lock: AtomicU64,
    unlock: AtomicU64,
}

/// Where the domain's grace period stands.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    /// No grace period under way.
    Idle,
    /// Waiting for the inactive half to drain, before the flip.
    Scan1,
    /// Flipped; waiting for the formerly active half to drain.
    Scan2,
}

struct GpState {
    phase: Phase,
    /// Retired, waiting for the next grace period.
    pending: Vec<DriverRef>,
    /// Retired before the grace period under way began: freed when it ends.
    in_gp: Vec<DriverRef>,
    /// Grace periods completed.
    completed: u64,
}

/// An SRCU domain (`struct srcu_struct`) whose readers are of flavour `F`.
pub struct Domain<F: Flavor> {
    /// `srcu_idx`: its [`HALF`] bit is the half new readers count in; [`FULL_FENCE`] set
    /// when the readers' barrier must be a full fence.
    idx: CachePadded<AtomicU64>,
    /// A record per index, a fixed number: the reader's bounds check is against a
    /// constant. Inline, not boxed: a reader reaches its record from the domain's
    /// address with no load of a pointer to the array (the domain lives in the driver's
    /// `Arc`, so the 32 KiB are one allocation per driver).
    slots: [CachePadded<Counters>; SLOTS],
    gp: Mutex<GpState>,
    flavor: PhantomData<F>,
}

impl<F: Flavor> Default for Domain<F> {
    fn default() -> Self {
        Self::new()
    }
}

/// The end of a read-side section: `srcu_read_unlock`, also on unwind.
struct Unlock<'a, F: Flavor> {
    half: &'a Half,
    full: bool,
    flavor: PhantomData<F>,
}

impl<F: Flavor> Drop for Unlock<'_, F> {
    #[inline]
    fn drop(&mut self) {
        // Fence C: the section's loads happen before the unlock count; pairs with fence A
        // after the scan's unlock sum, which a grace period passes only after seeing this
        // count.
        #[cfg(not(fencebench_plant = "srcu-no-reader-barrier"))]
        F::reader_barrier(self.full);
        bump(&self.half.unlock);
    }
}

impl<F: Flavor> Domain<F> {
    pub fn new() -> Self {
        // Registers for membarrier before the first section, so the reader's light
        // barrier is the cheap one from the start.
        let full = F::ASYMMETRIC && membarrier::mode() != membarrier::BarrierMode::Membarrier;
        Domain {
            idx: CachePadded::new(AtomicU64::new(if full { FULL_FENCE } else { 0 })),
            slots: std::array::from_fn(|_| CachePadded::default()),
            gp: Mutex::new(GpState {
                phase: Phase::Idle,
                pending: Vec::new(),
                in_gp: Vec::new(),
                completed: 0,
            }),
            flavor: PhantomData,
        }
    }

    /// Runs `f` inside one read-side section, counted in record `slot`, which must be
    /// this thread's own: no other thread may write it during the section ([`with_slot`]
    /// hands out such an index; a shared one loses counts, and the race
    /// suite and loom would see the early free). Closure-scoped: the section ends
    /// exactly once, on this thread. `f` may block. Panics if `slot >= SLOTS`.
    #[inline]
    pub fn read<R>(&self, slot: usize, f: impl FnOnce() -> R) -> R {
        self.read_after(slot, || {}, f)
    }

    /// [`read`](Self::read) in `slot`, whose barriers need no mode test (the index word
    /// then has no [`FULL_FENCE`] bit to test: see [`HotSlot`]).
    #[inline]
    pub fn read_hot<R>(&self, slot: HotSlot<F>, f: impl FnOnce() -> R) -> R {
        // Relaxed: as in `read_after`.
        self.section_at(slot.0, self.idx.load(Relaxed) & HALF, || {}, f)
    }

    /// [`read`](Self::read), running `between` after the section read the index and
    /// before it counts itself: a test's reader preempted there, which the grace periods
    /// that run meanwhile do not see, and the next must wait for.
    #[doc(hidden)]
    #[inline(always)]
    pub fn read_after<R>(&self, slot: usize, between: impl FnOnce(), f: impl FnOnce() -> R) -> R {
        // Relaxed: a stale index is fine: a reader counted in either half is waited for
        // by the scan of that half, and one counted after that scan passed sees the
        // retirement through fence B (see `readers_done`).
        let word = self.idx.load(Relaxed);
        self.section_at(slot, word, between, f)
    }

    /// The section of [`read_after`](Self::read_after), on the index word `word` it read.
    #[inline(always)]
    fn section_at<R>(
        &self,
        slot: usize,
        word: u64,
        between: impl FnOnce(),
        f: impl FnOnce() -> R,
    ) -> R {
        let counters = &self.slots[slot];
        between();
        let (half, full) = (&counters.half[half_of(word)], full_fence_in(word));
        // Ordered before the section's loads by fence B below.
        bump(&half.lock);
        // Fence B: pairs with fence A in `readers_done` (either the scan sees this count,
        // or this section sees everything retired before the scan) and with the flip's
        // fences (a reader that read the new index sees what was retired before).
        #[cfg(not(fencebench_plant = "srcu-no-reader-barrier"))]
        F::reader_barrier(full);
        let _unlock = Unlock::<F> {
            half,
            full,
            flavor: PhantomData,
        };
        f()
    }

    /// Whether every section counted in half `idx` has ended (`srcu_readers_active_idx_check`):
    /// the unlock sum first, then a full barrier, then the lock sum. A section whose
    /// unlock was counted had its lock counted before it, so equal sums mean no section
    /// of this half is in progress, except one whose lock the sum missed: by fences B and
    /// A, that one sees everything written before this check.
    ///
    /// Only the records of indices handed out so far are summed. The unlock sum covers
    /// those handed out before it, the lock sum (read after fence A) at least those: a
    /// record in the lock sum alone can only make the sums differ ("check again"). A
    /// record left out of the lock sum had its index handed out after fence A (the
    /// hand-out is a `SeqCst` read-modify-write followed by a `SeqCst` fence, before the
    /// index's first section): every section counted in it sees what was written before
    /// fence A, as one whose lock the sum missed does.
    fn readers_done(&self, idx: usize) -> bool {
        // Relaxed: ordered by fence A below.
        let unlocks: u64 = self.slots[..registered::high()]
            .iter()
            .map(|c| c.half[idx].unlock.load(Relaxed))
            .sum();
        // A grace period costs microseconds: sums that do not match yet (a reader still
        // inside) are not worth one. Returning false only means "check again later".
        if F::ASYMMETRIC && self.locks(idx) != unlocks {
            return false;
        }
        // Fence A: pairs with fences B and C; also the acquire that lets the caller free
        // what the counted sections read.
        F::scan_barrier();
        self.locks(idx) == unlocks
    }

    /// The lock sum of half `idx`, over the indices handed out so far.
    fn locks(&self, idx: usize) -> u64 {
        // Relaxed: ordered by fence A in `readers_done`.
        self.slots[..registered::high()]
            .iter()
            .map(|c| c.half[idx].lock.load(Relaxed))
            .sum()
    }

    /// The half new readers do not count in now.
    fn inactive(&self) -> usize {
        // Relaxed: only the grace-period holder (under `gp`) writes it.
        half_of(self.idx.load(Relaxed)) ^ 1
    }

    /// Advances the grace period as far as it can without waiting; true when idle with
    /// nothing pending. Frees what a completed grace period covered.
    fn advance(&self, st: &mut GpState) -> bool {
        loop {
            match st.phase {
                Phase::Idle => {
                    if st.pending.is_empty() {
                        return true;
                    }
                    st.in_gp = std::mem::take(&mut st.pending);
                    st.phase = Phase::Scan1;
                }
                Phase::Scan1 => {
                    if !self.readers_done(self.inactive()) {
                        return false;
                    }
                    // `srcu_flip`. Barriers on both sides: what was retired before is
                    // seen by readers that read the new index (pairs with fence B).
                    F::flip_barrier();
                    // Relaxed: ordered by the barriers around it (or, for fast readers,
                    // by fence A of the scan just passed).
                    self.idx.fetch_add(HALF, Relaxed);
                    F::flip_barrier();
                    st.phase = Phase::Scan2;
                }
                Phase::Scan2 => {
                    // Planted: the formerly active half (the readers of this period) is
                    // not waited for.
                    #[cfg(not(fencebench_plant = "srcu-gp-early"))]
                    if !self.readers_done(self.inactive()) {
                        return false;
                    }
                    for d in std::mem::take(&mut st.in_gp) {
                        d.free();
                    }
                    st.completed += 1;
                    st.phase = Phase::Idle;
                }
            }
        }
    }

    /// `call_srcu(kfree)`: frees `data` after a grace period of this domain. Once a batch
    /// is queued, or while a grace period is under way, each call advances it as far as
    /// it can without waiting.
    #[cfg(not(fencebench_loom))]
    pub fn call_srcu_free(&self, data: DriverRef) {
        #[cfg(fencebench_plant = "srcu-free-at-once")]
        return data.free();
        #[cfg_attr(fencebench_plant = "srcu-free-at-once", allow(unreachable_code))]
        let mut st = self.gp.lock().unwrap();
        st.pending.push(data);
        if st.phase != Phase::Idle || st.pending.len() >= BATCH_LEN {
            self.advance(&mut st);
        }
    }

    /// Under loom, `call_srcu(kfree)` synchronously: a grace period, then the free.
    #[cfg(fencebench_loom)]
    pub fn call_srcu_free(&self, data: DriverRef) {
        self.synchronize();
        data.free();
    }

    /// `srcu_barrier()`: waits until everything retired to this domain before the call
    /// has been freed, advancing grace periods itself (sleeping between checks).
    pub fn barrier(&self) {
        let target = {
            let st = self.gp.lock().unwrap();
            st.completed + u64::from(st.phase != Phase::Idle) + u64::from(!st.pending.is_empty())
        };
        let mut backoff = Backoff::new(0, 16);
        loop {
            {
                let mut st = self.gp.lock().unwrap();
                if st.completed >= target {
                    return;
                }
                self.advance(&mut st);
                if st.completed >= target {
                    return;
                }
            }
            backoff.wait();
        }
    }

    /// `synchronize_srcu()` for data the caller frees itself: a full grace period.
    pub fn synchronize(&self) {
        let target = {
            let st = self.gp.lock().unwrap();
            // A grace period under way may have flipped before the caller retired: only
            // the next one is sure to start after.
            st.completed + 1 + u64::from(st.phase != Phase::Idle)
        };
        loop {
            {
                let mut st = self.gp.lock().unwrap();
                if st.completed >= target {
                    return;
                }
                if st.phase == Phase::Idle {
                    // An empty grace period: no objects, just the scans and the flip.
                    st.phase = Phase::Scan1;
                }
                self.advance(&mut st);
                if st.completed >= target {
                    return;
                }
            }
            crate::sync::yield_now();
        }
    }
}

impl<F: Flavor> Drop for Domain<F> {
    /// The last fence of the driver is gone, so no section can be in progress: whatever
    /// is still queued is freed now.
    fn drop(&mut self) {
        let mut st = self.gp.lock().unwrap();
        let st = &mut *st;
        for d in st.pending.drain(..).chain(st.in_gp.drain(..)) {
            d.free();
        }
    }
}

/// `this_cpu_inc()` on a counter only this thread writes: a plain load and store, no
/// locked read-modify-write. Relaxed: the flavour's barriers order it.
#[inline(always)]
fn bump(counter: &AtomicU64) {
    counter.store(counter.load(Relaxed).wrapping_add(1), Relaxed);
}

pub use registered::{with_slot, Registered};

/// A record index this thread owns, for a section of a flavour-`F` domain that needs no
/// test of the barrier mode: the classic flavour's (full fences in every mode), or the
/// asymmetric flavour's where membarrier is registered. Only [`hot_slot`] makes one.
pub struct HotSlot<F>(usize, PhantomData<F>);

/// This thread's [`HotSlot`] for flavour `F`: one thread-local load and one test. `None`
/// before the thread's first section, after it gave its index back, and for the
/// asymmetric flavour without membarrier: then [`with_slot`] and [`Domain::read`].
#[inline]
pub fn hot_slot<F: Flavor>() -> Option<HotSlot<F>> {
    let i = if F::ASYMMETRIC {
        registered::current_light_slot()
    } else {
        registered::current_slot()
    };
    i.map(|i| HotSlot(i, PhantomData))
}

/// Every domain of a flavour, and each thread's record index.
mod registered {
    use super::{Classic, Domain, Fast, Flavor};
    use std::sync::{Mutex, Weak};

    /// Every domain of one flavour, for the schemes' `quiesce`, which is not told which
    /// driver (per flavour, so quiescing one implementation never waits on the other's
    /// readers).
    pub trait Registered: Flavor {
        fn domains() -> &'static Mutex<Vec<Weak<Domain<Self>>>>;
    }

    impl Registered for Classic {
        fn domains() -> &'static Mutex<Vec<Weak<Domain<Self>>>> {
            static DOMAINS: Mutex<Vec<Weak<Domain<Classic>>>> = Mutex::new(Vec::new());
            &DOMAINS
        }
    }

    impl Registered for Fast {
        fn domains() -> &'static Mutex<Vec<Weak<Domain<Self>>>> {
            static DOMAINS: Mutex<Vec<Weak<Domain<Fast>>>> = Mutex::new(Vec::new());
            &DOMAINS
        }
    }

    #[cfg(not(fencebench_loom))]
    pub use owned::{current_light_slot, current_slot, high, with_slot};

    /// Under loom every index is the test's to give (each reader thread its own), and
    /// every record is scanned.
    #[cfg(fencebench_loom)]
    pub fn high() -> usize {
        crate::reclaim::srcu::SLOTS
    }

    /// Under loom, each thread of the execution its own index, in the order they first
    /// read (the counter and the thread-local are loom's, so every execution starts
    /// afresh).
    #[cfg(fencebench_loom)]
    pub fn with_slot<R>(f: impl FnOnce(usize) -> R) -> R {
        use crate::sync::AtomicUsize;
        use std::sync::atomic::Ordering::Relaxed;
        loom::lazy_static! {
            static ref NEXT: AtomicUsize = AtomicUsize::new(0);
        }
        let i = LOOM_INDEX.with(|c| {
            if c.get() == usize::MAX {
                // Relaxed: a unique number, nothing is published with it.
                c.set(NEXT.fetch_add(1, Relaxed));
            }
            c.get()
        });
        assert!(
            i < crate::reclaim::srcu::SLOTS,
            "more loom threads read than SLOTS"
        );
        f(i)
    }

    #[cfg(fencebench_loom)]
    loom::thread_local! {
        static LOOM_INDEX: std::cell::Cell<usize> = std::cell::Cell::new(usize::MAX);
    }

    /// Under loom, the index [`with_slot`] gave this thread, if it gave one.
    #[cfg(fencebench_loom)]
    pub fn current_slot() -> Option<usize> {
        let i = LOOM_INDEX.with(std::cell::Cell::get);
        (i < crate::reclaim::srcu::SLOTS).then_some(i)
    }

    /// Under loom the asymmetric flavour has no light barrier (see [`membarrier::mode`]).
    ///
    /// [`membarrier::mode`]: crate::sync::membarrier::mode
    #[cfg(fencebench_loom)]
    pub fn current_light_slot() -> Option<usize> {
        None
    }

    /// The owned indices: one per live thread, reused after a thread exits.
    #[cfg(not(fencebench_loom))]
    mod owned {
        use crate::reclaim::srcu::SLOTS;
        use crate::sync::membarrier::{self, BarrierMode};
        use std::cell::Cell;
        use std::sync::atomic::{fence, AtomicUsize, Ordering::SeqCst};
        use std::sync::Mutex;

        /// Indices handed out so far (the next new one): what a scan sums up to.
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        /// Indices of exited threads, for the next thread that needs one.
        static FREE: Mutex<Vec<usize>> = Mutex::new(Vec::new());

        /// The number of indices handed out so far: no section is counted at or above it
        /// without fence A of a scan that read it ordering before the section (see
        /// `Domain::readers_done`).
        pub fn high() -> usize {
            // SeqCst: read after fence A, in the total order with the hand-out's
            // read-modify-write.
            NEXT.load(SeqCst).min(SLOTS)
        }

        thread_local! {
            /// This thread's index while its [`Owner`] lives, `usize::MAX` before and
            /// after: a constant without destructor, one load on the read side.
            static INDEX: Cell<usize> = const { Cell::new(usize::MAX) };
            /// `INDEX` where the asymmetric flavour's light barrier is a compiler barrier
            /// (membarrier registered: the process's mode, fixed once detected),
            /// `usize::MAX` otherwise: `srcu-fast`'s one first-use test then also sends
            /// the full-fence mode out of line, and its section tests no mode bit.
            static LIGHT: Cell<usize> = const { Cell::new(usize::MAX) };
            /// Gives the index back at thread exit.
            static OWNER: Owner = Owner(take());
        }

        /// Owns an index; dropping it (thread exit) gives it back.
        struct Owner(usize);

        impl Drop for Owner {
            fn drop(&mut self) {
                INDEX.with(|i| i.set(usize::MAX));
                LIGHT.with(|i| i.set(usize::MAX));
                // The mutex orders this thread's last counter stores before the next
                // owner's first loads of them.
                FREE.lock().unwrap().push(self.0);
            }
        }

        /// An index no live thread owns.
        fn take() -> usize {
            if let Some(i) = FREE.lock().unwrap().pop() {
                return i;
            }
            let i = NEXT.fetch_add(1, SeqCst);
            assert!(
                i < SLOTS,
                "more than {SLOTS} threads inside SRCU sections at once"
            );
            // With the SeqCst hand-out: a scan that summed below `i` (read `NEXT` before
            // the hand-out, after its fence A) is ordered before this index's sections.
            fence(SeqCst);
            i
        }

        /// This thread's index, if it owns one: one thread-local load and one test,
        /// `INDEX` holding an index below `SLOTS` or `usize::MAX`, so the test is both
        /// the first-use test and, where the caller indexes a domain's records with it,
        /// the bound the compiler then need not check again. A caller that gets `None`
        /// goes to [`with_slot`] out of line, so nothing of its own first-use path (the
        /// closure it would hand over) is set up on the common one.
        #[inline]
        pub fn current_slot() -> Option<usize> {
            let i = INDEX.with(Cell::get);
            (i < SLOTS).then_some(i)
        }

        /// [`current_slot`] where the process's barriers are membarrier's, `None`
        /// otherwise (and before the thread's first section).
        #[inline]
        pub fn current_light_slot() -> Option<usize> {
            let i = LIGHT.with(Cell::get);
            (i < SLOTS).then_some(i)
        }

        /// Runs `f` with this thread's index, which no other live thread has: the
        /// thread's records in every domain are written only by it. After the thread's
        /// index was given back (a thread-local destructor), on one taken for this call.
        #[inline]
        pub fn with_slot<R>(f: impl FnOnce(usize) -> R) -> R {
            match current_slot() {
                Some(i) => f(i),
                None => with_new_slot(f),
            }
        }

        #[cold]
        #[inline(never)]
        fn with_new_slot<R>(f: impl FnOnce(usize) -> R) -> R {
            if let Ok(i) = OWNER.try_with(|o| o.0) {
                INDEX.with(|c| c.set(i));
                if membarrier::mode() == BarrierMode::Membarrier {
                    LIGHT.with(|c| c.set(i));
                }
                return f(i);
            }
            let owner = Owner(take());
            f(owner.0)
        }
    }
}

//! Type-stable, poisoning pool for driver-private data.
//!
//! A fence's driver data (names, the exporter's lock, the ops word) lives in a pool slot.
//! Slots are never returned to the allocator while the pool lives; freeing one bumps
//! its generation and overwrites it with poison. Every read of slot memory is atomic and
//! is validated against the generation the reader expected *after* the read, so a read
//! that overlapped a free (the use-after-free the dma-fence contract exists to prevent)
//! is detected and counted as a violation instead of being undefined behaviour.
//!
//! The pool also counts allocations, retirements (driver data the exporter is done
//! with: its fence signalled or was released) and frees, from which live and
//! retired-but-unreclaimed figures are derived for the retained-memory reports.

use crate::sync::backoff::Backoff;
use crate::sync::{fence, AtomicU64, Mutex};
use crossbeam_utils::CachePadded;
use std::ptr::NonNull;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::Arc;

/// Bytes in a name field: the size of `sync_fence_info`'s `obj_name` and `driver_name`.
pub const NAME_LEN: usize = 32;
const NAME_WORDS: usize = NAME_LEN / 8;
/// Byte written over freed slots (the kernel's `POISON_FREE`).
pub const POISON_BYTE: u8 = 0x6b;
const POISON: u64 = u64::from_ne_bytes([POISON_BYTE; 8]);
/// Slots allocated at a time. Under loom every slot's atomics are modelled objects that
/// each fence walks, so loom models (one object each) get tiny chunks.
const CHUNK: usize = if cfg!(fencebench_loom) { 2 } else { 256 };

/// Bytes one driver-data object occupies (a cache-aligned slot): the unit of retained and
/// pinned memory.
pub const OBJECT_BYTES: usize = std::mem::size_of::<Slot>();

/// One driver-data object. Generation even: live; odd: free.
#[repr(align(128))]
pub(crate) struct Slot {
    gen: AtomicU64,
    /// The exporter's lock: `(generation << 1) | locked`, so a lock attempt on a freed or
    /// reused slot fails its compare-exchange instead of corrupting someone else's lock.
    lock: AtomicU64,
    /// Reference count, used by the `refcount` implementation only.
    refs: AtomicU64,
    ops: AtomicU64,
    /// When the data was retired (ns, [`crate::sync::clock::now_ns`] clock), for free-delay tracking.
    retired_at: AtomicU64,
    driver: [AtomicU64; NAME_WORDS],
    timeline: [AtomicU64; NAME_WORDS],
}

impl Slot {
    fn new() -> Self {
        Slot {
            gen: AtomicU64::new(1),
            lock: AtomicU64::new(1 << 1),
            refs: AtomicU64::new(0),
            ops: AtomicU64::new(POISON),
            retired_at: AtomicU64::new(0),
            driver: std::array::from_fn(|_| AtomicU64::new(POISON)),
            timeline: std::array::from_fn(|_| AtomicU64::new(POISON)),
        }
    }
}

/// A name copied out of driver data: at most [`NAME_LEN`] bytes, NUL padded, as the
/// `sync_file` info ioctl copies it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Name {
    bytes: [u8; NAME_LEN],
}

impl Name {
    /// Builds a name, truncated to `NAME_LEN - 1` bytes on a character boundary (as
    /// `strscpy` would) so the field always keeps a terminating NUL.
    pub fn new(s: &str) -> Self {
        let mut end = s.len().min(NAME_LEN - 1);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        let mut bytes = [0u8; NAME_LEN];
        bytes[..end].copy_from_slice(&s.as_bytes()[..end]);
        Name { bytes }
    }

    #[inline]
    fn from_words(words: [u64; NAME_WORDS]) -> Self {
        let mut bytes = [0u8; NAME_LEN];
        for (chunk, w) in bytes.chunks_exact_mut(8).zip(words) {
            chunk.copy_from_slice(&w.to_ne_bytes());
        }
        Name { bytes }
    }

    fn words(&self) -> [u64; NAME_WORDS] {
        std::array::from_fn(|i| {
            u64::from_ne_bytes(self.bytes[i * 8..i * 8 + 8].try_into().unwrap())
        })
    }

    /// The raw 32-byte field.
    pub fn bytes(&self) -> &[u8; NAME_LEN] {
        &self.bytes
    }

    /// The text up to the first NUL; poisoned (late-read) bytes show as `k`s, as a
    /// use-after-free would print them.
    pub fn as_str(&self) -> &str {
        let len = self.bytes.iter().position(|&b| b == 0).unwrap_or(NAME_LEN);
        std::str::from_utf8(&self.bytes[..len]).unwrap_or("<invalid utf-8>")
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

/// Counters of a pool at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Slots obtained from the system allocator (never given back while the pool lives).
    pub capacity: u64,
    /// Driver data allocated and not yet retired: its fence is unsignalled and alive.
    pub live: u64,
    /// Retired (fence signalled or released) but not yet freed: the memory the
    /// reclamation scheme is holding back.
    pub retained: u64,
    /// Objects freed so far.
    pub freed: u64,
    /// Reads that overlapped a free: use-after-free detected.
    pub violations: u64,
    /// Retire-to-free delay, when the pool tracks it.
    pub free_delay: FreeDelay,
}

/// Retire (signal) to free delay of the objects freed so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FreeDelay {
    pub count: u64,
    pub total_ns: u64,
    pub max_ns: u64,
}

impl FreeDelay {
    pub fn mean_ns(&self) -> Option<f64> {
        (self.count > 0).then(|| self.total_ns as f64 / self.count as f64)
    }
}

impl std::ops::Add for PoolStats {
    type Output = PoolStats;
    fn add(self, o: PoolStats) -> PoolStats {
        PoolStats {
            capacity: self.capacity + o.capacity,
            live: self.live + o.live,
            retained: self.retained + o.retained,
            freed: self.freed + o.freed,
            violations: self.violations + o.violations,
            free_delay: FreeDelay {
                count: self.free_delay.count + o.free_delay.count,
                total_ns: self.free_delay.total_ns + o.free_delay.total_ns,
                max_ns: self.free_delay.max_ns.max(o.free_delay.max_ns),
            },
        }
    }
}

struct Free {
    chunks: Vec<Box<[Slot]>>,
    slots: Vec<NonNull<Slot>>,
}

/// The pool. Share it with `Arc`; every [`DriverRef`] keeps its pool alive.
pub struct Pool {
    free: Mutex<Free>,
    /// Each counter is written by one role (creator, signaller, reclaimer), so each gets
    /// its own cache line.
    allocs: CachePadded<AtomicU64>,
    retires: CachePadded<AtomicU64>,
    frees: CachePadded<AtomicU64>,
    violations: CachePadded<AtomicU64>,
    /// `Some` when retire-to-free delays are tracked (costs a clock read per free).
    delay: Option<Box<DelayCounters>>,
}

#[derive(Default)]
struct DelayCounters {
    count: AtomicU64,
    total_ns: AtomicU64,
    max_ns: AtomicU64,
}

// SAFETY: the raw slot pointers in `Free` point into `chunks`, which the same mutex
// owns; slots are only ever accessed through atomics.
unsafe impl Send for Pool {}
// SAFETY: as above; all shared access goes through the mutex or atomics.
unsafe impl Sync for Pool {}

impl Default for Pool {
    fn default() -> Self {
        Pool {
            free: Mutex::new(Free {
                chunks: Vec::new(),
                slots: Vec::new(),
            }),
            allocs: Default::default(),
            retires: Default::default(),
            frees: Default::default(),
            violations: Default::default(),
            delay: None,
        }
    }
}

impl Pool {
    pub fn new() -> Arc<Pool> {
        Arc::new(Pool::default())
    }

    /// A pool that also records each object's retire-to-free delay (the `stall`
    /// workload's signal-to-free figure). Needs a clock, so not under loom.
    #[cfg(not(fencebench_loom))]
    pub fn with_delay_tracking() -> Arc<Pool> {
        Arc::new(Pool {
            delay: Some(Box::default()),
            ..Pool::default()
        })
    }

    /// Allocates driver data with the given names and ops word.
    pub fn alloc(self: &Arc<Self>, driver: &Name, timeline: &Name, ops: u64) -> DriverRef {
        let slot = {
            let mut free = self.free.lock().unwrap();
            if free.slots.is_empty() {
                let chunk: Box<[Slot]> = (0..CHUNK).map(|_| Slot::new()).collect();
                free.slots.extend(chunk.iter().rev().map(NonNull::from));
                free.chunks.push(chunk);
            }
            free.slots.pop().unwrap()
        };
        // SAFETY: the slot lives in a chunk owned by this pool, which outlives the call.
        let s = unsafe { slot.as_ref() };
        // Relaxed: the slot is ours (popped from the free list under its mutex).
        let gen = s.gen.load(Relaxed) + 1;
        debug_assert!(gen % 2 == 0, "allocated a live slot");
        s.gen.store(gen, Relaxed);
        // Release fence: the new generation is ordered before the new contents, pairing with
        // the Acquire fence in `validate`: a reader that read new contents sees the new
        // generation, so a stale reader's validation fails.
        fence(Release);
        for (w, v) in s.driver.iter().zip(driver.words()) {
            w.store(v, Relaxed);
        }
        for (w, v) in s.timeline.iter().zip(timeline.words()) {
            w.store(v, Relaxed);
        }
        // Relaxed contents: published to other threads with the fence (the `DriverRef` is
        // handed over by whatever publishes the fence: an `Arc`, a mutex).
        s.ops.store(ops, Relaxed);
        s.refs.store(1, Relaxed);
        // Release: pairs with the Acquire lock compare-exchange: a locker sees the contents.
        s.lock.store(gen << 1, Release);
        self.allocs.fetch_add(1, Relaxed);
        DriverRef {
            pool: self.clone(),
            slot,
            gen,
        }
    }

    /// Current counters.
    pub fn stats(&self) -> PoolStats {
        // Read in reverse causal order so derived figures never go negative.
        // Acquire: pairs with the Release increment of `frees` in `free`, so the retire
        // (and alloc) of every free counted here, which happened before it, is seen by the
        // loads below: `retires` is at least `frees`. `retires` and `allocs` are
        // incremented Relaxed, so nothing pairs with their loads and `allocs` may lag a
        // concurrent retire: `live` saturates.
        // Under the free list's lock, where `free` counts a free and its delay together.
        let free = self.free.lock().unwrap();
        let frees = self.frees.load(Acquire);
        let free_delay = self
            .delay
            .as_ref()
            .map(|d| FreeDelay {
                // Relaxed: written under the lock held here.
                count: d.count.load(Relaxed),
                total_ns: d.total_ns.load(Relaxed),
                max_ns: d.max_ns.load(Relaxed),
            })
            .unwrap_or_default();
        let capacity = (free.chunks.len() * CHUNK) as u64;
        drop(free);
        let retires = self.retires.load(Relaxed);
        let allocs = self.allocs.load(Relaxed);
        PoolStats {
            capacity,
            live: allocs.saturating_sub(retires),
            retained: retires.saturating_sub(frees),
            freed: frees,
            // Relaxed: statistics counters, read after the run's threads were joined.
            violations: self.violations.load(Relaxed),
            free_delay,
        }
    }

    fn violation(&self) {
        // Relaxed: a statistics counter.
        self.violations.fetch_add(1, Relaxed);
    }
}

/// A fence's link to its driver data: slot plus the generation it was allocated with.
#[derive(Clone)]
pub struct DriverRef {
    pool: Arc<Pool>,
    slot: NonNull<Slot>,
    gen: u64,
}

// SAFETY: a DriverRef only reads and writes its slot through atomics, and the Arc keeps
// the (type-stable) slot memory alive.
unsafe impl Send for DriverRef {}
// SAFETY: as above.
unsafe impl Sync for DriverRef {}

/// The exporter's lock, held. Unlocks on drop.
pub struct DataLock<'a> {
    data: &'a DriverRef,
}

impl Drop for DataLock<'_> {
    fn drop(&mut self) {
        let held = (self.data.gen << 1) | 1;
        if self
            .data
            .slot()
            .lock
            // Release: pairs with the next locker's Acquire compare-exchange.
            .compare_exchange(held, held & !1, Release, Relaxed)
            .is_err()
        {
            // Freed while we held it: only possible without protection.
            self.data.pool.violation();
        }
    }
}

impl DriverRef {
    #[inline]
    fn slot(&self) -> &Slot {
        // SAFETY: slots are type-stable for the pool's lifetime and `self.pool` keeps the
        // pool alive; all fields are atomics, so concurrent frees cannot make this UB.
        unsafe { self.slot.as_ref() }
    }

    /// The pool this data came from.
    pub fn pool(&self) -> &Arc<Pool> {
        &self.pool
    }

    /// Address of the slot, used as the hazard-pointer value.
    #[inline]
    pub fn addr(&self) -> usize {
        self.slot.as_ptr() as usize
    }

    /// Checks, after reads, that the slot was not freed or reused; counts a violation if it was.
    #[inline]
    pub(crate) fn validate(&self) -> bool {
        // Acquire fence: orders the caller's content loads before the generation load, pairing
        // with the Release fence in `free` (generation bumped before poison is written): a
        // read that saw poison or new contents sees the new generation.
        fence(Acquire);
        let ok = self.slot().gen.load(Relaxed) == self.gen;
        if !ok {
            self.pool.violation();
        }
        ok
    }

    /// Copies the driver and timeline names (the `get_driver_name`/`get_timeline_name`
    /// ops). Returns `false` (and counts a violation) when the data was freed during or
    /// before the read; the names are then whatever was read, typically poison.
    #[inline]
    pub fn read_names(&self) -> (Name, Name, bool) {
        let s = self.slot();
        // Relaxed: validated against the generation afterwards (`validate`).
        let d = std::array::from_fn(|i| s.driver[i].load(Relaxed));
        let t = std::array::from_fn(|i| s.timeline[i].load(Relaxed));
        let ok = self.validate();
        (Name::from_words(d), Name::from_words(t), ok)
    }

    /// Copies the driver name alone (one `get_driver_name` op, as one
    /// `dma_fence_driver_name()` helper reads it); a violation as in
    /// [`read_names`](Self::read_names).
    #[inline]
    pub fn read_driver_name(&self) -> Name {
        // Relaxed: validated against the generation afterwards (`validate`).
        let d = std::array::from_fn(|i| self.slot().driver[i].load(Relaxed));
        self.validate();
        Name::from_words(d)
    }

    /// Copies the timeline name alone (one `get_timeline_name` op); a violation as in
    /// [`read_names`](Self::read_names).
    #[inline]
    pub fn read_timeline_name(&self) -> Name {
        // Relaxed: validated against the generation afterwards (`validate`).
        let t = std::array::from_fn(|i| self.slot().timeline[i].load(Relaxed));
        self.validate();
        Name::from_words(t)
    }

    /// Reads the ops word (the `fence->ops` table pointer of the model).
    #[inline]
    pub fn read_ops(&self) -> Option<u64> {
        // Relaxed: validated against the generation afterwards (`validate`).
        let v = self.slot().ops.load(Relaxed);
        self.validate().then_some(v)
    }

    /// Takes the exporter's lock. `None` (and a violation) if the data was freed.
    pub fn lock(&self) -> Option<DataLock<'_>> {
        let lock = &self.slot().lock;
        let free = self.gen << 1;
        let mut backoff = Backoff::spin_then_yield(64);
        loop {
            // Acquire: pairs with the Release unlock (and the Release store in `alloc`).
            match lock.compare_exchange_weak(free, free | 1, Acquire, Relaxed) {
                Ok(_) => return Some(DataLock { data: self }),
                Err(cur) if cur >> 1 != self.gen => {
                    self.pool.violation();
                    return None;
                }
                Err(_) => backoff.wait(),
            }
        }
    }

    /// Whether the data is still allocated with this generation (no violation counted:
    /// for assertions and tests).
    pub fn is_live(&self) -> bool {
        // Acquire: pairs with the Release fence in `free`.
        self.slot().gen.load(Acquire) == self.gen
    }

    /// Records that the exporter is done with this data (its fence signalled or was
    /// released at `at_ns`). From here until [`free`](Self::free) it counts as retained.
    pub fn retire(&self, at_ns: u64) {
        if self.pool.delay.is_some() {
            // Relaxed: read by `free`, which the reclamation scheme orders after this.
            self.slot().retired_at.store(at_ns, Relaxed);
        }
        // Relaxed: a counter; `stats` tolerates the skew (saturating).
        self.pool.retires.fetch_add(1, Relaxed);
    }

    /// Reference-count get-unless-zero (the `refcount` implementation's read side).
    #[inline]
    pub fn try_get(&self) -> bool {
        let refs = &self.slot().refs;
        // Relaxed: the compare-exchange below decides.
        let mut cur = refs.load(Relaxed);
        loop {
            if cur == 0 {
                return false;
            }
            // Acquire: pairs with the Release decrement of the last put before a reuse.
            match refs.compare_exchange_weak(cur, cur + 1, Acquire, Relaxed) {
                Ok(_) => break,
                Err(c) => cur = c,
            }
        }
        // Type-stable memory can be reused: re-check, as `dma_fence_get_rcu_safe` does.
        if self.validate() {
            true
        } else {
            // Release: pairs with the Acquire fence of whoever drops the last reference.
            refs.fetch_sub(1, Release);
            false
        }
    }

    /// Drops a reference; frees the data when it was the last one.
    #[inline]
    pub fn put(&self) {
        // Release: every holder's reads happen before the last holder's free; the Acquire
        // fence below pairs with the other holders' Release decrements.
        if self.slot().refs.fetch_sub(1, Release) == 1 {
            fence(Acquire);
            self.free();
        }
    }

    /// Poisons the slot and returns it to the pool. Panics on a double free: that is a
    /// bug in a reclamation scheme, never a detectable reader race.
    pub fn free(&self) {
        let s = self.slot();
        s.gen
            // Relaxed: the Release fence below orders it before the poison; a second free of
            // the same generation fails here.
            .compare_exchange(self.gen, self.gen + 1, Relaxed, Relaxed)
            .expect("driver data freed twice");
        // Release fence: the generation bump is ordered before the poison and the lock
        // word, pairing with the Acquire fence in `validate`.
        fence(Release);
        s.lock.store((self.gen + 1) << 1, Relaxed);
        #[cfg(not(fencebench_loom))]
        let delay = self.pool.delay.as_ref().map(|d| {
            let ns = crate::sync::clock::now_ns().saturating_sub(s.retired_at.load(Relaxed));
            (d, ns)
        });
        // Relaxed poison: ordered after the generation bump by the fence above.
        s.ops.store(POISON, Relaxed);
        for w in s.driver.iter().chain(&s.timeline) {
            w.store(POISON, Relaxed);
        }
        let mut free = self.pool.free.lock().unwrap();
        free.slots.push(self.slot);
        // The free and its delay are counted under the lock `stats` reads them under, so
        // a snapshot taken while frees run (a window's ends) counts each in both or in
        // neither.
        #[cfg(not(fencebench_loom))]
        if let Some((d, ns)) = delay {
            d.count.fetch_add(1, Relaxed);
            d.total_ns.fetch_add(ns, Relaxed);
            d.max_ns.fetch_max(ns, Relaxed);
        }
        // Release: pairs with the Acquire load in `stats`.
        self.pool.frees.fetch_add(1, Release);
        drop(free);
    }
}

#[cfg(all(test, not(fencebench_loom)))]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_truncate() {
        assert_eq!(Name::new("xe").as_str(), "xe");
        let long = "a".repeat(40);
        assert_eq!(Name::new(&long).as_str().len(), NAME_LEN - 1);
        assert_eq!(Name::new(&"é".repeat(20)).as_str(), "é".repeat(15));
    }

    /// The raw field, `Display` (the text) and `Debug` (the text, quoted).
    #[test]
    fn names_show_as_their_text() {
        let name = Name::new("xe");
        let mut raw = [0u8; NAME_LEN];
        raw[..2].copy_from_slice(b"xe");
        assert_eq!(name.bytes(), &raw);
        assert_eq!(format!("{name} {name:?}"), "xe \"xe\"");
    }

    /// A mean of no frees is none, not a division by zero.
    #[test]
    fn free_delay_mean() {
        let delay = |count, total_ns| FreeDelay {
            count,
            total_ns,
            max_ns: total_ns,
        };
        assert_eq!(delay(0, 0).mean_ns(), None);
        assert_eq!(delay(4, 12).mean_ns(), Some(3.0));
    }

    /// Pools' counters add field by field; the largest delay is the larger of the two.
    #[test]
    fn stats_add_field_by_field() {
        let stats = |n: u64| PoolStats {
            capacity: n,
            live: n + 1,
            retained: n + 2,
            freed: n + 3,
            violations: n + 4,
            free_delay: FreeDelay {
                count: n + 5,
                total_ns: n + 6,
                max_ns: n + 7,
            },
        };
        let sum = stats(3) + stats(20);
        let expected = PoolStats {
            capacity: 23,
            live: 25,
            retained: 27,
            freed: 29,
            violations: 31,
            free_delay: FreeDelay {
                count: 33,
                total_ns: 35,
                max_ns: 27,
            },
        };
        assert_eq!(sum, expected);
        assert_eq!(stats(20) + stats(3), expected);
    }

    /// The lock word is `(generation << 1) | locked`: set while held, clear once
    /// released, and a freed slot's word names the free generation, so no holder of
    /// the old one can take or release it.
    #[test]
    fn lock_word_follows_the_holder_and_the_generation() {
        let pool = Pool::new();
        let d = pool.alloc(&Name::new("a"), &Name::new("b"), 0);
        assert!(Arc::ptr_eq(d.pool(), &pool));
        let word = || d.slot().lock.load(Relaxed);
        let held = d.lock().expect("live data locks");
        assert_eq!(word(), (d.gen << 1) | 1);
        drop(held);
        assert_eq!(word(), d.gen << 1);
        assert!(d.lock().is_some(), "released, it locks again");
        assert_eq!(pool.stats().violations, 0);
        // Freed while held: the release finds the new generation and counts a violation.
        let held = d.lock().unwrap();
        d.free();
        assert_eq!(word(), (d.gen + 1) << 1);
        drop(held);
        assert_eq!(word(), (d.gen + 1) << 1);
        assert_eq!(pool.stats().violations, 1);
    }

    /// A second locker waits for the holder instead of reporting the data freed. It
    /// can only miss a broken lock (one that gives up at once) if it first tries after
    /// the holder released, 50 ms on; it never fails a correct one.
    #[test]
    fn a_contended_lock_waits_for_its_holder() {
        let pool = Pool::new();
        let d = pool.alloc(&Name::new("a"), &Name::new("b"), 0);
        let held = d.lock().unwrap();
        std::thread::scope(|s| {
            let other = s.spawn(|| d.lock().is_some());
            std::thread::sleep(std::time::Duration::from_millis(50));
            drop(held);
            assert!(other.join().unwrap(), "the second locker gave up");
        });
        assert_eq!(pool.stats().violations, 0);
    }

    #[test]
    fn free_poisons_and_late_reads_count() {
        let pool = Pool::new();
        let d = pool.alloc(&Name::new("drv"), &Name::new("tl"), 7);
        let (a, b, ok) = d.read_names();
        assert!(ok);
        assert_eq!((a.as_str(), b.as_str()), ("drv", "tl"));
        assert_eq!(d.read_ops(), Some(7));
        d.retire(0);
        assert_eq!(pool.stats().retained, 1);
        d.free();
        let (a, _, ok) = d.read_names();
        assert!(!ok);
        assert_eq!(a.as_str(), "k".repeat(NAME_LEN));
        assert!(d.lock().is_none());
        let st = pool.stats();
        assert_eq!(
            (st.live, st.retained, st.freed, st.violations),
            (0, 0, 1, 2)
        );
    }

    /// Capacity counts whole chunks of slots; a delay-tracking pool (the stall
    /// workload's) times each free from its retire, and a plain pool times none.
    #[test]
    fn capacity_is_whole_chunks_and_only_delay_pools_time_frees() {
        for (pool, tracks) in [(Pool::new(), false), (Pool::with_delay_tracking(), true)] {
            assert_eq!(pool.stats().capacity, 0);
            let d = pool.alloc(&Name::new("drv"), &Name::new("tl"), 0);
            assert_eq!(pool.stats().capacity, CHUNK as u64);
            // Retired at least 1 ms before the free, so the delay is at least that.
            let at = crate::sync::clock::now_ns();
            std::thread::sleep(std::time::Duration::from_millis(1));
            d.retire(at);
            d.free();
            let delay = pool.stats().free_delay;
            assert_eq!(delay.count, u64::from(tracks), "tracks: {tracks}");
            assert_eq!(delay.max_ns >= 1_000_000, tracks, "{delay:?}");
            assert_eq!(delay.total_ns, delay.max_ns);
        }
    }

    #[test]
    fn reused_slot_is_detected() {
        let pool = Pool::new();
        let old = pool.alloc(&Name::new("a"), &Name::new("b"), 0);
        old.retire(0);
        old.free();
        let new = pool.alloc(&Name::new("c"), &Name::new("d"), 0);
        assert_eq!(
            old.addr(),
            new.addr(),
            "the free list should hand the slot back"
        );
        assert!(!old.read_names().2);
        assert!(!old.try_get());
        assert!(new.read_names().2);
        assert_eq!(pool.stats().violations, 2);
    }

    #[test]
    fn refcount_frees_on_last_put() {
        let pool = Pool::new();
        let d = pool.alloc(&Name::new("a"), &Name::new("b"), 0);
        assert!(d.try_get());
        d.put();
        assert!(d.is_live());
        d.put();
        assert!(!d.is_live());
        assert!(!d.try_get());
    }

    #[test]
    #[should_panic(expected = "freed twice")]
    fn double_free_panics() {
        let pool = Pool::new();
        let d = pool.alloc(&Name::new("a"), &Name::new("b"), 0);
        d.free();
        d.free();
    }
}

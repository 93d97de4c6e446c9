//! A published fence pointer (`struct dma_fence __rcu *`) and `dma_fence_get_rcu_safe`.
//!
//! The kernel allocates fences from `SLAB_TYPESAFE_BY_RCU` caches: a fence freed while a
//! reader holds its address may be reused at once for another fence, but the memory stays
//! a fence. So `dma_fence_get_rcu_safe` loads the published pointer, takes a reference
//! only if the count is non-zero (`kref_get_unless_zero`), and then re-checks that the
//! pointer still designates the same object; otherwise it drops the reference and retries.
//! Here a published fence lives in a [`Cells`] cell: cells are never freed (so a stale
//! address is always a cell, as type-stable slabs guarantee) and are recycled as soon as
//! their count drops to zero, shared by every [`Published`] of the same pool, so the reuse
//! the re-check defends against happens for real.

use crate::sync::{spin_hint, AtomicPtr, AtomicUsize, Mutex};
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use std::sync::Arc;

/// One type-stable cell: a count and the fence it holds while the count is non-zero.
struct Cell<F> {
    refs: AtomicUsize,
    fence: Mutex<Option<F>>,
}

/// The type-stable cells `Published` pointers share; cells are leaked, never freed.
pub struct Cells<F: 'static> {
    free: Mutex<Vec<&'static Cell<F>>>,
}

impl<F: Clone + Send + Sync + 'static> Cells<F> {
    /// An empty pool of cells.
    pub fn new() -> Arc<Self> {
        Arc::new(Cells {
            free: Mutex::new(Vec::new()),
        })
    }

    /// A cell holding `fence` with one reference: recycled (most recently freed first, as
    /// a slab's free list hands objects out) or new.
    fn get_cell(&self, fence: F) -> &'static Cell<F> {
        let cell = self.free.lock().unwrap().pop().unwrap_or_else(|| {
            Box::leak(Box::new(Cell {
                refs: AtomicUsize::new(0),
                fence: Mutex::new(None),
            }))
        });
        *cell.fence.lock().unwrap() = Some(fence);
        // Release: pairs with the Acquire of a get-unless-zero: whoever takes a reference
        // sees the fence stored above.
        cell.refs.store(1, Release);
        cell
    }

    /// `dma_fence_put` of the cell's reference; the last one empties and recycles it.
    fn put(&self, cell: &'static Cell<F>) {
        // AcqRel: the last holder sees every other holder's use before emptying the cell.
        if cell.refs.fetch_sub(1, AcqRel) == 1 {
            cell.fence.lock().unwrap().take();
            self.free.lock().unwrap().push(cell);
        }
    }
}

/// `kref_get_unless_zero`.
fn get_unless_zero<F>(cell: &Cell<F>) -> bool {
    // Relaxed: the compare-exchange decides.
    let mut cur = cell.refs.load(Relaxed);
    while cur != 0 {
        // Acquire: pairs with the Release in `get_cell`.
        match cell
            .refs
            .compare_exchange_weak(cur, cur + 1, Acquire, Relaxed)
        {
            Ok(_) => return true,
            Err(c) => cur = c,
        }
    }
    false
}

/// A published fence pointer, `None` or a cell of its [`Cells`].
pub struct Published<F: Clone + Send + Sync + 'static> {
    slot: AtomicPtr<Cell<F>>,
    cells: Arc<Cells<F>>,
}

impl<F: Clone + Send + Sync + 'static> Published<F> {
    /// An empty pointer whose fences live in `cells`.
    pub fn new(cells: &Arc<Cells<F>>) -> Self {
        Published {
            slot: AtomicPtr::new(std::ptr::null_mut()),
            cells: cells.clone(),
        }
    }

    /// `rcu_assign_pointer` of a new fence (or `None`), then the put of the old one.
    pub fn publish(&self, fence: Option<F>) {
        let new = fence.map_or(std::ptr::null_mut(), |f| {
            self.cells.get_cell(f) as *const Cell<F> as *mut Cell<F>
        });
        // AcqRel: Release publishes the cell's contents to `get_rcu_safe`'s Acquire load;
        // Acquire orders our put after the previous publisher's stores.
        let old = self.slot.swap(new, AcqRel);
        if !old.is_null() {
            // SAFETY: cells are leaked and never freed, so any pointer ever published
            // designates a live `Cell` (possibly recycled: type-stable).
            self.cells.put(unsafe { &*old });
        }
    }

    /// `dma_fence_get_rcu_safe`: a reference to the published fence, or `None`.
    pub fn get_rcu_safe(&self) -> Option<F> {
        loop {
            // Acquire: pairs with the AcqRel swap in `publish`.
            let p = self.slot.load(Acquire);
            if p.is_null() {
                return None;
            }
            // SAFETY: cells are leaked and never freed (type-stable), so `p` designates a
            // live `Cell`, even if it was recycled since it was published here.
            let cell: &'static Cell<F> = unsafe { &*p };
            if !get_unless_zero(cell) {
                spin_hint();
                continue;
            }
            // The re-check: the cell may have been freed and reused for another fence
            // between the load and the get. Acquire: as above.
            #[cfg(not(fencebench_plant = "get-rcu-safe-no-recheck"))]
            if self.slot.load(Acquire) != p {
                self.cells.put(cell);
                continue;
            }
            let fence = cell.fence.lock().unwrap().clone();
            self.cells.put(cell);
            return fence;
        }
    }
}

impl<F: Clone + Send + Sync + 'static> Drop for Published<F> {
    fn drop(&mut self) {
        self.publish(None);
    }
}

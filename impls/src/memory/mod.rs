//! Driver-data memory: the type-stable poisoning [`pool`] that detects late reads, and
//! the [`published`] pointer (`dma_fence_get_rcu_safe`) over type-stable cells.

pub mod pool;
pub mod published;

//! The running kernel's dma-fence through vgem and sync_file: the [`backend`] measured
//! like the models, its [`uapi`], and the conformance [`check`] of the models against it.

pub mod backend;
pub mod check;
pub mod paths;
mod uapi;

pub use backend::{Kernel, KernelFence};

//! The dma-fence model shared by the hand-written schemes and the library peers: the
//! [`Scheme`](scheme::Scheme) hooks an implementation provides, the generic [`fence`]
//! built on them (split by concern: the fence itself, its signal and retirement, its
//! wait), and the fence's [`inline_lock`] (Linux 7.1).

pub mod fence;
pub mod inline_lock;
pub mod scheme;

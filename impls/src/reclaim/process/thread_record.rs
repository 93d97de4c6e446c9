//! A thread's reader record reached through a constant thread-local: the pattern the
//! process-wide RCU and QSBR domains share, with its safety argument written once (per
//! flavour: null while unregistered, or a static stand-in record).

use std::cell::Cell;
use std::ptr::null;
use std::sync::Arc;
use std::thread::LocalKey;

/// The address of this thread's record while its [`Registration`] lives, null before
/// and after. Kept in a constant thread-local without destructor, so the read side
/// reaches the record with one load and no lazy-initialisation check.
pub struct RecordPtr<T: 'static>(Cell<*const T>);

impl<T> RecordPtr<T> {
    #[allow(clippy::new_without_default)] // a `const` thread-local's initialiser
    pub const fn new() -> Self {
        RecordPtr(Cell::new(null()))
    }

    /// Whether this thread's registration is alive.
    #[inline]
    pub fn is_set(key: &'static LocalKey<Self>) -> bool {
        key.with(|p| !p.0.get().is_null())
    }

    /// Runs `f` with this thread's record, or `None` before registration and after the
    /// registration's destructor; the borrow cannot leave `f`. The thread-local is read
    /// in a closure of its own so that `f` is not moved into one (which would keep
    /// `LocalKey::with` out of line on the read side).
    #[inline(always)]
    pub fn with<R>(key: &'static LocalKey<Self>, f: impl FnOnce(Option<&T>) -> R) -> R {
        let p = key.with(|p| p.0.get());
        // SAFETY: only `Registration::publish` stores a non-null address here (the field
        // is private to this module): that of the record its registration holds (an
        // `Arc`), while the registration lives in this thread's thread-local. Its
        // destructor stores null before the `Arc` is released. Thread-local destructors
        // run only at thread exit, one at a time, so the registration outlives `f`, which
        // the borrow cannot outlive.
        f(unsafe { p.as_ref() })
    }
}

/// A thread's record reached through a constant thread-local that is never null: the
/// address of this thread's record while its [`Registration`] lives, before and after
/// that of `idle`, a static record the thread may read but never writes. For a read side
/// that tests a field of its record anyway: `idle`'s field says "not registered" to that
/// test, so reaching the record needs no null test of its own.
pub struct StandInPtr<T: 'static> {
    current: Cell<*const T>,
    idle: &'static T,
}

impl<T> StandInPtr<T> {
    /// A thread-local's constant initialiser: `idle` until the thread registers.
    pub const fn new(idle: &'static T) -> Self {
        StandInPtr {
            current: Cell::new(idle as *const T),
            idle,
        }
    }

    /// Runs `f` with this thread's record, or `idle` before registration and after the
    /// registration's destructor; the borrow cannot leave `f`. As [`RecordPtr::with`],
    /// the thread-local is read in a closure of its own.
    #[inline(always)]
    pub fn with<R>(key: &'static LocalKey<Self>, f: impl FnOnce(&T) -> R) -> R {
        let p = key.with(|p| p.current.get());
        // SAFETY: `current` holds `idle` (a `'static` reference) or, stored only by
        // `Registration::publish` (the field is private to this module), the address of
        // the record its registration holds (an `Arc`) while the registration lives in
        // this thread's thread-local; its destructor stores `idle` back before the `Arc`
        // is released. Thread-local destructors run only at thread exit, one at a time,
        // so the record outlives `f`, which the borrow cannot outlive.
        f(unsafe { &*p })
    }
}

/// Where a [`Registration`] publishes its record while it lives.
pub trait Publish<T>: 'static {
    /// Publishes `record`.
    fn set(&self, record: *const T);
    /// Back to "not registered".
    fn reset(&self);
}

impl<T> Publish<T> for RecordPtr<T> {
    fn set(&self, record: *const T) {
        self.0.set(record);
    }

    fn reset(&self) {
        self.0.set(null());
    }
}

impl<T> Publish<T> for StandInPtr<T> {
    fn set(&self, record: *const T) {
        self.current.set(record);
    }

    fn reset(&self) {
        self.current.set(self.idle);
    }
}

/// A thread's registration: holds its record and the `owner` that unregisters it when
/// dropped, and publishes the record in a [`RecordPtr`] or [`StandInPtr`] until then.
pub struct Registration<T: 'static, O, P: Publish<T> = RecordPtr<T>> {
    record: Arc<T>,
    ptr: &'static LocalKey<P>,
    _owner: O,
}

impl<T, O, P: Publish<T>> Registration<T, O, P> {
    /// `record`, published in `ptr` once the registration is in its thread-local.
    pub fn new(record: Arc<T>, owner: O, ptr: &'static LocalKey<P>) -> Self {
        Registration {
            record,
            ptr,
            _owner: owner,
        }
    }

    /// Creates this thread's registration (on first use) and publishes its record;
    /// false once the registration was destroyed (thread exit).
    pub fn publish(key: &'static LocalKey<Self>) -> bool {
        key.try_with(|r| r.ptr.with(|p| p.set(Arc::as_ptr(&r.record))))
            .is_ok()
    }
}

impl<T, O, P: Publish<T>> Drop for Registration<T, O, P> {
    /// Unpublishes the record before it (and then the owner) goes.
    fn drop(&mut self) {
        self.ptr.with(Publish::reset);
    }
}

//! How long work reports its progress: the library calls a [`Progress`]
//! the caller gives (the command line draws spinners and bars on a
//! terminal); it prints nothing itself.

/// Receives the steps of long work.
pub trait Progress {
    /// A step starts (`"proving"`, `"generating keys"`).
    fn begin(&self, _step: &str) {}
    /// The current step ends.
    fn end(&self) {}
    /// `done` of `total` units of the current step are done.
    fn advance(&self, _done: u64, _total: u64, _message: &str) {}
}

/// Progress nobody watches.
pub struct Silent;

impl Progress for Silent {}

/// Runs `f` as the step `name`.
pub fn step<T>(progress: &dyn Progress, name: &str, f: impl FnOnce() -> T) -> T {
    progress.begin(name);
    let out = f();
    progress.end();
    out
}

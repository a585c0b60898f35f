//! [`Slots`]: per-isolate values addressed by a small number the build gave (a policy's or an
//! upstream's index in the table), each built on first use. A vector, not a hash map: the
//! numbers are dense and few, so a lookup is one bounds check and the wasm carries no hashing
//! code for it.

/// Values by index, built on first use. `const`-constructible, so a `thread_local!` holding
/// one needs no lazy initialisation.
#[derive(Debug)]
pub struct Slots<T>(Vec<Option<T>>);

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Slots<T> {
    /// No values yet.
    pub const fn new() -> Self {
        Slots(Vec::new())
    }

    /// The value at `index`, if built.
    pub fn get(&self, index: usize) -> Option<&T> {
        self.0.get(index)?.as_ref()
    }

    /// The value at `index`, if built, to change.
    pub fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        self.0.get_mut(index)?.as_mut()
    }

    /// The value at `index`, built by `make` if absent. Memory grows with the largest index
    /// used, which the build bounds (the table's size).
    pub fn get_or_insert_with(&mut self, index: usize, make: impl FnOnce() -> T) -> &mut T {
        self.slot(index).get_or_insert_with(make)
    }

    /// Sets the value at `index`.
    pub fn insert(&mut self, index: usize, value: T) {
        *self.slot(index) = Some(value);
    }

    fn slot(&mut self, index: usize) -> &mut Option<T> {
        if self.0.len() <= index {
            self.0.resize_with(index + 1, || None);
        }
        &mut self.0[index]
    }
}

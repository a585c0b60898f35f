//! [`TtlCache`]: a small per-isolate map whose entries expire, bounded in size. Used for
//! verified tokens, API-key lookups and imported WebCrypto keys. Time is seconds since the
//! epoch, passed in.

use std::collections::HashMap;
use std::hash::Hash;

pub struct TtlCache<K, V> {
    entries: HashMap<K, (V, f64)>,
    capacity: usize,
}

impl<K: Hash + Eq, V: Clone> TtlCache<K, V> {
    pub fn new(capacity: usize) -> Self {
        TtlCache {
            entries: HashMap::new(),
            capacity,
        }
    }

    /// The value, if present and `now` is before its expiry.
    pub fn get(&self, key: &K, now: f64) -> Option<V> {
        self.entries
            .get(key)
            .filter(|(_, until)| now < *until)
            .map(|(v, _)| v.clone())
    }

    /// Stores `value` until `until`. When full, expired entries go first; if none have
    /// expired, the whole map is cleared (cheap, bounded, and only costs re-verification).
    pub fn insert(&mut self, key: K, value: V, until: f64, now: f64) {
        if self.entries.len() >= self.capacity && !self.entries.contains_key(&key) {
            self.entries.retain(|_, (_, u)| now < *u);
            if self.entries.len() >= self.capacity {
                self.entries.clear();
            }
        }
        self.entries.insert(key, (value, until));
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

//! The isolate's hot tier, its rules: which copies of Cache API entries it keeps and for how
//! long. A copy is a complete entry of at most [`MAX_ENTRY_BYTES`]; all copies together stay
//! within [`MAX_BYTES`]; each is kept no longer than the Cache API keeps the entry. When a new
//! copy does not fit, copies past their time and the least recently used go, oldest use
//! first, until an eighth of the budget is free: one scan makes room for many admissions.
//! The bytes themselves stay in JS (`platform.js`): this index decides, and the adapter tells
//! JS what to keep and what to drop.

use std::collections::HashMap;

/// The largest entry body the hot tier keeps.
pub const MAX_ENTRY_BYTES: u64 = 64 * 1024;
/// All copies together, each counted as its body plus [`OVERHEAD_BYTES`].
pub const MAX_BYTES: u64 = 8 * 1024 * 1024;
/// What a copy costs beyond its body (status, headers, bookkeeping).
pub const OVERHEAD_BYTES: u64 = 512;
/// What making room frees: the budget is filled to at most `MAX_BYTES - ROOM_BYTES` after it.
pub const ROOM_BYTES: u64 = MAX_BYTES / 8;

#[derive(Debug)]
struct Slot {
    url: String,
    size: u64,
    until_ms: f64,
    /// When it was admitted or last served, on the index's clock.
    used: u64,
}

/// Which copies the hot tier holds, by entry URL: at most `MAX_BYTES / OVERHEAD_BYTES`.
#[derive(Debug, Default)]
pub struct HotIndex {
    /// URL -> its slot's position in `slots`.
    at: HashMap<String, u64>,
    slots: Vec<Slot>,
    bytes: u64,
    clock: u64,
}

/// What [`HotIndex::admit`] decided.
#[derive(Debug, PartialEq, Eq)]
pub enum Admission {
    /// Keep the copy, after dropping these copies (in no particular order) to make room.
    Keep { drop: Vec<String> },
    /// Not kept: larger than [`MAX_ENTRY_BYTES`], or the Cache API already dropped the entry.
    Refuse,
}

impl HotIndex {
    /// Whether the copy of `url` may be served at `now_ms`: `None` when none is held,
    /// `Some(false)` when it is past its time (it is dropped: the caller drops its bytes too),
    /// `Some(true)` when it is usable (it becomes the most recently used).
    pub fn usable(&mut self, url: &str, now_ms: f64) -> Option<bool> {
        let i = *self.at.get(url)? as usize;
        if self.slots[i].until_ms <= now_ms {
            self.forget(url);
            return Some(false);
        }
        self.clock += 1;
        self.slots[i].used = self.clock;
        Some(true)
    }

    /// Decides whether to keep a copy of `url` with a `body_bytes` body until `until_ms` (when
    /// the Cache API drops the entry), in place of any copy of `url` held, and which copies to
    /// drop to make room for it.
    pub fn admit(&mut self, url: &str, body_bytes: u64, until_ms: f64, now_ms: f64) -> Admission {
        self.forget(url);
        if body_bytes > MAX_ENTRY_BYTES || until_ms <= now_ms {
            return Admission::Refuse;
        }
        let size = body_bytes + OVERHEAD_BYTES;
        let mut drop = Vec::new();
        if self.bytes + size > MAX_BYTES {
            self.make_room(now_ms, &mut drop);
        }
        self.clock += 1;
        self.at.insert(url.to_string(), self.slots.len() as u64);
        self.slots.push(Slot {
            url: url.to_string(),
            size,
            until_ms,
            used: self.clock,
        });
        self.bytes += size;
        Admission::Keep { drop }
    }

    /// Drops copies past their time and then the least recently used, in steps of an eighth
    /// of the span of last uses, until [`ROOM_BYTES`] are free.
    fn make_room(&mut self, now_ms: f64, drop: &mut Vec<String>) {
        let oldest = self.slots.iter().map(|s| s.used).min().unwrap_or(0);
        let span = self.clock + 1 - oldest;
        let mut eighths = 0;
        while self.bytes > MAX_BYTES - ROOM_BYTES {
            eighths += 1;
            let before = oldest + span * eighths / 8;
            let mut i = 0;
            while i < self.slots.len() {
                let s = &self.slots[i];
                if s.used < before || s.until_ms <= now_ms {
                    drop.push(self.remove(i));
                } else {
                    i += 1;
                }
            }
        }
    }

    /// Drops `url`'s copy, if held.
    pub fn forget(&mut self, url: &str) {
        if let Some(&i) = self.at.get(url) {
            self.remove(i as usize);
        }
    }

    /// Removes the slot at `i` (the last slot takes its place); returns its URL.
    fn remove(&mut self, i: usize) -> String {
        let slot = self.slots.swap_remove(i);
        self.at.remove(&slot.url);
        if let Some(moved) = self.slots.get(i) {
            self.at.insert(moved.url.clone(), i as u64);
        }
        self.bytes -= slot.size;
        slot.url
    }

    /// Bytes held, overheads included.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Copies held.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }
}

//! Purge counters as an isolate sees them: the CacheGenerations object's map of
//! `route:<id>`, `tag:<name>` and path-bucket (`p:<bucket>`, see [`super::invalidate`]) counters
//! ([`Generations`], pure; [`invalidate_paths`] is how the object moves path counters), and
//! (wasm) the isolate's
//! copy, re-read from the object at most every [`REFRESH_MS`]. A purge therefore reaches
//! every isolate within about a second; the isolate that runs the purge sees it at once.
//!
//! Contract: when the counters cannot be read and the isolate has no copy, the caller must
//! bypass the cache (an entry purged earlier could otherwise be served).

use std::collections::{BTreeMap, HashMap};

/// Paths are counted in this many hashed buckets: a write moves its path's bucket, so it also
/// invalidates the other cached paths in that bucket (about one in this many), and however
/// many distinct paths are written there are never more counters than this, nor a write that
/// invalidates more than one bucket's share.
pub const PATH_BUCKETS: u64 = 1_024;

/// The last value given to a path counter.
const PATH_SEQ: &str = "p:seq";

/// How often an isolate re-reads the counters, at most.
pub const REFRESH_MS: u64 = 1_000;

/// How long an isolate goes on using its copy of the counters when it cannot re-read them.
/// Past this the copy is dropped and cached routes bypass the cache until a read succeeds, so
/// an entry purged in the meantime is served for at most this long.
pub const MAX_COPY_AGE_MS: u64 = 10_000;

/// Whether a copy of the counters read `age_ms` ago may still be used while a re-read is
/// running or after one failed.
pub fn copy_usable(age_ms: u64) -> bool {
    age_ms < MAX_COPY_AGE_MS
}

/// Paths one client's writes may invalidate per minute in one isolate. Every path bucket a
/// write moves invalidates about one in [`PATH_BUCKETS`] cached paths and costs a round trip
/// to the one global object: without a bound, one client writing to a few thousand distinct
/// paths would move most buckets, invalidating most of the cache, each write waiting on it.
pub const CLIENT_PATHS_PER_MINUTE: u32 = 100;

/// Clients a [`WriteBudget`] counts at most.
pub const MAX_CLIENTS: usize = 10_000;

/// This isolate's count of paths each client's writes invalidated in the current minute, for
/// at most [`MAX_CLIENTS`] clients.
#[derive(Debug, Default)]
pub struct WriteBudget {
    /// client -> (minute, paths invalidated in it)
    used: HashMap<String, (u64, u32)>,
}

impl WriteBudget {
    /// Takes `paths` from `client`'s budget for the minute of `now_ms`; `false` (and nothing
    /// taken) when that would go over [`CLIENT_PATHS_PER_MINUTE`]. A new client when
    /// [`MAX_CLIENTS`] are counted first drops the counts of earlier minutes; if all are of
    /// this minute, it takes the place of one of them (whose count starts again).
    pub fn take(&mut self, client: &str, paths: u32, now_ms: u64) -> bool {
        let minute = now_ms / 60_000;
        if self.used.len() >= MAX_CLIENTS && !self.used.contains_key(client) {
            self.used.retain(|_, (m, _)| *m == minute);
            if self.used.len() >= MAX_CLIENTS {
                if let Some(other) = self.used.keys().next().cloned() {
                    self.used.remove(&other);
                }
            }
        }
        let used = self.used.entry(client.to_string()).or_insert((minute, 0));
        if used.0 != minute {
            *used = (minute, 0);
        }
        if used.1.saturating_add(paths) > CLIENT_PATHS_PER_MINUTE {
            return false;
        }
        used.1 += paths;
        true
    }

    /// How many clients are counted: at most [`MAX_CLIENTS`].
    pub fn clients(&self) -> usize {
        self.used.len()
    }
}

/// The counters; absent means 0.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Generations(pub HashMap<String, u64>);

impl Generations {
    /// Parses the object's JSON answer.
    pub fn parse(json: &str) -> Option<Generations> {
        serde_json::from_str(json).ok().map(Generations)
    }

    pub fn route(&self, id: &str) -> u64 {
        self.0.get(&format!("route:{id}")).copied().unwrap_or(0)
    }

    pub fn tag(&self, name: &str) -> u64 {
        self.0.get(&format!("tag:{name}")).copied().unwrap_or(0)
    }

    /// The counter of a path bucket (`p:<bucket>`, [`super::invalidate::path_key`]).
    pub fn path(&self, key: &str) -> u64 {
        self.0.get(key).copied().unwrap_or(0)
    }
}

/// Whether `k` is a path-bucket key: `p:` and 3 hex digits.
fn is_path(k: &str) -> bool {
    k.len() == 5 && k.starts_with("p:") && k[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// Gives each path-bucket key a value no bucket has had before, so every entry stored under
/// it is a miss. Other keys are ignored. Bounded: there are [`PATH_BUCKETS`] buckets.
pub fn invalidate_paths(map: &mut BTreeMap<String, u64>, keys: &[&str]) {
    for key in keys.iter().copied().filter(|k| is_path(k)) {
        let seq = map.get(PATH_SEQ).copied().unwrap_or(0) + 1;
        map.insert(PATH_SEQ.to_string(), seq);
        map.insert(key.to_string(), seq);
    }
}

//! Exact mode, batched: concurrent requests in one isolate for the same limiter object share
//! one round trip, and the count stays exact.
//!
//! ```
//! use gatehouse::ratelimit::batch::{Batches, Join};
//!
//! let mut batches: Batches<&str> = Batches::new(10_000, 1_000);
//! let key = (1, "policy|client");
//! // Alone: a request leads a call for itself at once (no waiting window).
//! let Join::Lead(call) = batches.join(key, 0, 1_000, || "a") else { panic!() };
//! // Meanwhile two more arrive: they queue for the next call.
//! assert!(matches!(batches.join(key, 1, 1_000, || "b"), Join::Queued));
//! assert!(matches!(batches.join(key, 2, 1_000, || "c"), Join::Queued));
//! // The first call answers: the queue goes out as ONE call for 2 units, led by "b".
//! let (next, batch) = batches.finish(key, call, 5).unwrap();
//! assert_eq!(batch, ["b", "c"]);
//! // Nobody queued behind it: the key's state is dropped.
//! assert!(batches.finish(key, next, 9).is_none());
//! assert!(batches.is_empty());
//! ```
//!
//! Contract:
//! - At most one call per key is in flight in an isolate. A request that finds none leads a
//!   call for itself alone: one round trip, exactly as without batching.
//! - A request that finds a call in flight joins the key's next batch (up to `max_batch`
//!   waiters; beyond that it makes its own call, outside the batching). When the call in
//!   flight answers, its leader hands the whole next batch to the batch's first waiter, who
//!   asks the object for `n` units in one call ([`super::TakeRequest`] with `lease = n` and
//!   no lease lifetime: the units are consumed at once, nothing is held or given back).
//! - The object grants the largest `g <= n` that every limit admits ([`super::lease::lease_all`]).
//!   The first `g` waiters in arrival order are admitted, the rest refused with the object's
//!   retry time ([`share`]); admitted waiter `i` reports the remaining count after the batch
//!   plus the `g - 1 - i` units granted after it, so `RateLimit` headers stay truthful and
//!   decrease in arrival order.
//! - A call that fails or times out fails every waiter in its batch ([`Outcome::Failed`]);
//!   each then answers as the policy's `on_error` says, as a single request would.
//! - A call in flight longer than `stale_ms` (the limiter timeout plus slack: its leader's
//!   request was cancelled) is taken as lost: the next arrival hands the queue on as if it
//!   had answered. At most `capacity` keys have state; beyond that new keys take alone. A
//!   key's state is removed when nothing is in flight for it.

use super::Decision;
use std::collections::HashMap;

/// Identifies one call in flight for a key (to tell a lost call's late answer from the
/// current one's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallId(u64);

/// What a request should do with its exact take.
#[derive(Debug, PartialEq)]
pub enum Join<W> {
    /// No call is in flight for the key: make one for this request alone, then
    /// [`Batches::finish`] it with this id.
    Lead(CallId),
    /// Queued for the key's next batch (the waiter made by `make` is held): wait to be woken,
    /// either with an outcome or to lead that batch.
    Queued,
    /// The key's call in flight was lost: this request is queued last in the batch returned,
    /// which is now the call in flight. Wake the batch's first waiter to lead it (with this
    /// id), then wait like [`Join::Queued`].
    HandOn(CallId, Vec<W>),
    /// The key's batch or the isolate's key count is at its bound: make a call alone, outside
    /// the batching (nothing to finish).
    Alone,
}

/// What one waiter of a batch learns.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The object's decisions for this waiter (admitted when all are `allowed`).
    Decided(Vec<Decision>),
    /// The call failed or timed out: the policy's `on_error` applies.
    Failed(String),
}

/// The isolate's batching state: per key (limit list identity, limiter object name), the
/// call in flight and the waiters queued for the next one. `W` is how a queued request is
/// woken (the worker's is a promise resolver; tests use plain values).
#[derive(Debug)]
pub struct Batches<W> {
    entries: HashMap<(usize, String), Entry<W>>,
    capacity: usize,
    max_batch: usize,
    calls: u64,
}

#[derive(Debug)]
struct Entry<W> {
    /// The call in flight and when it was sent (isolate clock).
    call: CallId,
    since_ms: u64,
    /// Waiters for the next call, in arrival order.
    next: Vec<W>,
}

impl<W> Batches<W> {
    /// State for at most `capacity` keys, with at most `max_batch` waiters queued per key.
    pub fn new(capacity: usize, max_batch: usize) -> Self {
        Batches {
            entries: HashMap::new(),
            capacity,
            max_batch,
            calls: 0,
        }
    }

    /// Keys with a call in flight.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Waiters queued for `key`'s next call.
    pub fn queued(&self, key: (usize, &str)) -> usize {
        self.entries
            .get(&(key.0, key.1.to_string()))
            .map_or(0, |e| e.next.len())
    }

    fn call_id(&mut self) -> CallId {
        self.calls += 1;
        CallId(self.calls)
    }

    /// Places one request for `key` at `now_ms`. `make` builds its waiter, called only when
    /// the request is queued. A call in flight for `stale_ms` or longer is taken as lost (its
    /// leader's request was cancelled): its queue, this request last, is handed on at once.
    pub fn join(
        &mut self,
        key: (usize, &str),
        now_ms: u64,
        stale_ms: u64,
        make: impl FnOnce() -> W,
    ) -> Join<W> {
        let map_key = (key.0, key.1.to_string());
        if let Some(e) = self.entries.get_mut(&map_key) {
            let lost = now_ms.saturating_sub(e.since_ms) >= stale_ms;
            if !lost {
                if e.next.len() >= self.max_batch {
                    return Join::Alone;
                }
                e.next.push(make());
                return Join::Queued;
            }
            self.calls += 1;
            e.call = CallId(self.calls);
            e.since_ms = now_ms;
            if e.next.is_empty() {
                return Join::Lead(e.call);
            }
            let mut batch = std::mem::take(&mut e.next);
            batch.push(make());
            return Join::HandOn(e.call, batch);
        }
        if self.entries.len() >= self.capacity {
            self.entries
                .retain(|_, e| now_ms.saturating_sub(e.since_ms) < stale_ms || !e.next.is_empty());
            if self.entries.len() >= self.capacity {
                return Join::Alone;
            }
        }
        let call = self.call_id();
        self.entries.insert(
            map_key,
            Entry {
                call,
                since_ms: now_ms,
                next: Vec::new(),
            },
        );
        Join::Lead(call)
    }

    /// Call `call` for `key` answered (or failed) at `now_ms`. Returns the next batch, now the
    /// call in flight, for the caller to wake: its first waiter leads it with the returned id
    /// and asks for one unit per waiter. `None` when nothing is queued (the key's state is
    /// removed) or when `call` is no longer the key's call in flight (it was taken as lost).
    pub fn finish(
        &mut self,
        key: (usize, &str),
        call: CallId,
        now_ms: u64,
    ) -> Option<(CallId, Vec<W>)> {
        let map_key = (key.0, key.1.to_string());
        let e = self.entries.get(&map_key)?;
        if e.call != call {
            return None;
        }
        if e.next.is_empty() {
            self.entries.remove(&map_key);
            return None;
        }
        let next = self.call_id();
        let e = self.entries.get_mut(&map_key).expect("present");
        e.call = next;
        e.since_ms = now_ms;
        Some((next, std::mem::take(&mut e.next)))
    }
}

/// Each waiter's outcome, in arrival order, for a batch of `n` waiters that the object
/// granted `granted` units: its decisions after the grant (or, when it granted none, its
/// refusal) and `next_ms`, how long until another unit could be had (a
/// [`super::TakeResponse`]'s `granted`, `decisions` and `next_ms`).
///
/// The first `granted` waiters are admitted: waiter `i` sees each limit's remaining count plus
/// the `granted - 1 - i` units granted after it. The others are refused: each limit left at 0
/// says to retry after `next_ms` (at least 1 ms), as a single refused request would hear.
pub fn share(n: usize, granted: u64, decisions: &[Decision], next_ms: u64) -> Vec<Outcome> {
    let g = usize::try_from(granted).unwrap_or(usize::MAX).min(n);
    (0..n)
        .map(|i| {
            let each = decisions.iter().map(|d| {
                if i < g {
                    Decision {
                        allowed: true,
                        remaining: d.remaining + (g - 1 - i) as u64,
                        reset_ms: d.reset_ms,
                        retry_after_ms: None,
                    }
                } else if g == 0 {
                    // Nothing granted: the object's refusal, as it would answer one request.
                    Decision {
                        allowed: false,
                        ..*d
                    }
                } else {
                    Decision {
                        allowed: false,
                        remaining: d.remaining,
                        reset_ms: d.reset_ms,
                        retry_after_ms: (d.remaining == 0).then_some(next_ms.max(1)),
                    }
                }
            });
            Outcome::Decided(each.collect())
        })
        .collect()
}

//! Exact mode, batched: concurrent requests in one isolate for the same limiter object share
//! one round trip, and the count stays exact.
//!
//! ```
//! use gatehouse::ratelimit::batch::{Batches, Outcome, Step};
//!
//! let mut batches = Batches::new(10_000, 1_000);
//! let key = (1, "policy|client");
//! let stale = 2_000;
//! // Alone: a request leads a call for itself at once (no waiting window).
//! let (a, Step::Lead(call, 1)) = batches.join(key, 0, stale) else { panic!() };
//! // Meanwhile two more arrive: they queue for the next call and poll.
//! let (b, Step::Wait) = batches.join(key, 1, stale) else { panic!() };
//! let (c, Step::Wait) = batches.join(key, 2, stale) else { panic!() };
//! // The first call answers; its leader reads its own outcome.
//! batches.finish(key, call, vec![Outcome::Failed("example".into())], 5, stale);
//! assert!(matches!(batches.poll(key, a, 5, stale), Step::Done(_)));
//! // The first of the queue to poll leads ONE call for both of them (2 units).
//! let Step::Lead(next, 2) = batches.poll(key, c, 6, stale) else { panic!() };
//! assert!(matches!(batches.poll(key, b, 6, stale), Step::Wait));
//! # let _ = next;
//! ```
//!
//! Contract:
//! - At most one call per key is in flight in an isolate. A request that finds none leads a
//!   call for anyone queued and itself: one round trip, exactly as without batching.
//! - A request that finds a call in flight queues for the key's next call (up to `max_batch`;
//!   beyond that it takes alone, outside the batching) and polls [`Batches::poll`] from its
//!   own request until it has an outcome. When no call is in flight, the first queued request
//!   to poll leads the next call for the whole queue: it asks the object for `n` units in one
//!   call ([`super::TakeRequest`] with `lease = n` and no lease lifetime: the units are
//!   consumed at once, nothing is held or given back). No request ever wakes or resumes
//!   another: each one's code, and so its I/O, runs in its own request.
//! - The object grants the largest `g <= n` that every limit admits ([`super::lease::lease_all`]).
//!   The first `g` requests in arrival order are admitted, the rest refused with the object's
//!   retry time ([`share`]); admitted request `i` reports the remaining count after the batch
//!   plus the `g - 1 - i` units granted after it, so `RateLimit` headers stay truthful and
//!   decrease in arrival order.
//! - A call that fails or times out fails every request in it ([`Outcome::Failed`]); each
//!   then answers as the policy's `on_error` says, as a single request would.
//! - A call in flight for `stale_ms` or longer (the limiter timeout plus slack: its leader's
//!   request was cancelled) is taken as lost: its requests that still look go back to the
//!   front of the queue and are asked for again (a unit the lost call may have taken is
//!   counted twice: never fewer units than admissions), the queue is cut to `max_batch`, and
//!   the lost call's late answer is ignored. A cancelled request therefore never strands the
//!   others, and is never a reason to let anyone through.
//! - A queued request that has not looked for `stale_ms` is gone: it is left out of the next
//!   call (no unit is taken for it). A request that stops waiting (the caller's bound) leaves
//!   the queue ([`Batches::leave`]) and takes alone. An outcome nobody picked up is dropped
//!   after `stale_ms`, at the key's next arrival or answer; a request whose outcome or key
//!   state is gone is told to take alone ([`Step::Alone`]).
//! - At most `capacity` keys have state: at the bound, keys without a live call are dropped
//!   (their requests take alone), and if none can be, new keys take alone. A key's state is
//!   removed when nothing is in flight, queued or unread.

use super::Decision;
use std::collections::HashMap;

/// Identifies one call in flight for a key (to tell a lost call's late answer from the
/// current one's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallId(u64);

/// One request's place in a key's batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ticket(u64);

/// What a request does next.
#[derive(Debug, PartialEq)]
pub enum Step {
    /// Lead call `CallId` for `n` units (one per request in it, this one included, in arrival
    /// order), then [`Batches::finish`] it with one outcome per unit and poll for this
    /// request's own.
    Lead(CallId, usize),
    /// Queued or in a call: wait a moment and [`Batches::poll`] again.
    Wait,
    /// This request's outcome.
    Done(Outcome),
    /// Take alone, outside the batching (a bound was reached, or the request's state is gone).
    Alone,
}

/// What one request of a batch learns.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The object's decisions for this request (admitted when all are `allowed`).
    Decided(Vec<Decision>),
    /// The call failed or timed out: the policy's `on_error` applies.
    Failed(String),
}

/// The isolate's batching state, per key (limit list identity, limiter object name).
#[derive(Debug)]
pub struct Batches {
    entries: HashMap<(usize, String), Entry>,
    capacity: usize,
    max_batch: usize,
    counter: u64,
}

#[derive(Debug, Default)]
struct Entry {
    /// The call in flight: its id, when it was sent (isolate clock) and its requests in order.
    flight: Option<(CallId, u64, Vec<Ticket>)>,
    /// Requests for the next call, in arrival order.
    next: Vec<Ticket>,
    /// Where each request of the key stands.
    tickets: HashMap<Ticket, Place>,
}

#[derive(Debug)]
enum Place {
    /// Waiting for a call; the request last looked at this time (isolate clock).
    Queued(u64),
    /// In the call in flight; last looked at this time.
    Flying(u64),
    /// Answered at (isolate clock), not yet read.
    Answered(Outcome, u64),
}

impl Entry {
    /// A call in flight for `stale_ms` or more is lost: its requests that still look go back
    /// to the front of the queue (they arrived first; the others are forgotten), which is then
    /// cut to `max_batch` (the newest beyond it are forgotten and take alone).
    fn drop_lost_call(&mut self, now_ms: u64, stale_ms: u64, max_batch: usize) {
        let lost =
            matches!(self.flight, Some((_, since, _)) if now_ms.saturating_sub(since) >= stale_ms);
        if !lost {
            return;
        }
        let (_, _, mut flying) = self.flight.take().expect("checked");
        // Its live requests kept looking; its leader (cancelled) has not since it was sent.
        flying.retain(|t| match self.tickets.get(t) {
            Some(Place::Flying(seen)) if now_ms.saturating_sub(*seen) < stale_ms => {
                let seen = *seen;
                self.tickets.insert(*t, Place::Queued(seen));
                true
            }
            _ => {
                self.tickets.remove(t);
                false
            }
        });
        flying.append(&mut self.next);
        for t in flying.drain(max_batch.min(flying.len())..) {
            self.tickets.remove(&t);
        }
        self.next = flying;
    }

    /// Unread outcomes older than `stale_ms` (their requests are gone) are dropped.
    fn drop_unread(&mut self, now_ms: u64, stale_ms: u64) {
        self.tickets.retain(|_, p| match p {
            Place::Answered(_, at) => now_ms.saturating_sub(*at) < stale_ms,
            _ => true,
        });
    }

    /// Queued requests that have not looked for `stale_ms` are gone (a waiting request looks
    /// every few milliseconds): they are forgotten, so no unit is taken for them.
    fn drop_gone(&mut self, now_ms: u64, stale_ms: u64) {
        let tickets = &mut self.tickets;
        self.next.retain(|t| match tickets.get(t) {
            Some(Place::Queued(seen)) if now_ms.saturating_sub(*seen) < stale_ms => true,
            _ => {
                tickets.remove(t);
                false
            }
        });
    }

    /// Nothing in flight, queued or unread.
    fn idle(&self) -> bool {
        self.flight.is_none() && self.tickets.is_empty()
    }

    /// The queue, in arrival order and without the requests that are gone, becomes the call
    /// in flight.
    fn launch(&mut self, call: CallId, now_ms: u64, stale_ms: u64) -> usize {
        self.drop_gone(now_ms, stale_ms);
        let batch = std::mem::take(&mut self.next);
        for t in &batch {
            self.tickets.insert(*t, Place::Flying(now_ms));
        }
        let n = batch.len();
        self.flight = Some((call, now_ms, batch));
        n
    }
}

impl Batches {
    /// State for at most `capacity` keys, with at most `max_batch` requests queued per key.
    pub fn new(capacity: usize, max_batch: usize) -> Self {
        Batches {
            entries: HashMap::new(),
            capacity,
            max_batch,
            counter: 0,
        }
    }

    /// Keys with state.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Requests queued for `key`'s next call.
    pub fn queued(&self, key: (usize, &str)) -> usize {
        self.entries
            .get(&(key.0, key.1.to_string()))
            .map_or(0, |e| e.next.len())
    }

    fn next_id(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    /// Places one request for `key` at `now_ms`: it leads a call (for anyone queued and itself,
    /// last) when none is in flight, else it queues ([`Step::Wait`]).
    pub fn join(&mut self, key: (usize, &str), now_ms: u64, stale_ms: u64) -> (Ticket, Step) {
        let ticket = Ticket(self.next_id());
        let map_key = (key.0, key.1.to_string());
        if !self.entries.contains_key(&map_key) && self.entries.len() >= self.capacity {
            self.entries.retain(|_, e| {
                matches!(e.flight, Some((_, since, _)) if now_ms.saturating_sub(since) < stale_ms)
            });
            if self.entries.len() >= self.capacity {
                return (ticket, Step::Alone);
            }
        }
        let max_batch = self.max_batch;
        let e = self.entries.entry(map_key).or_default();
        e.drop_lost_call(now_ms, stale_ms, max_batch);
        e.drop_unread(now_ms, stale_ms);
        if e.next.len() >= max_batch {
            e.drop_gone(now_ms, stale_ms);
            if e.next.len() >= max_batch {
                return (ticket, Step::Alone);
            }
        }
        e.tickets.insert(ticket, Place::Queued(now_ms));
        e.next.push(ticket);
        if e.flight.is_some() {
            return (ticket, Step::Wait);
        }
        // No call in flight: this request leads one for the queue, itself last.
        self.counter += 1;
        let call = CallId(self.counter);
        (ticket, Step::Lead(call, e.launch(call, now_ms, stale_ms)))
    }

    /// Where `ticket` stands at `now_ms` (which is also when it last looked): its outcome
    /// (read once), [`Step::Lead`] when no call is in flight and it is queued (it leads the
    /// whole queue, in arrival order), [`Step::Wait`], or [`Step::Alone`] when its state is
    /// gone.
    pub fn poll(&mut self, key: (usize, &str), ticket: Ticket, now_ms: u64, stale_ms: u64) -> Step {
        let map_key = (key.0, key.1.to_string());
        let Some(e) = self.entries.get_mut(&map_key) else {
            return Step::Alone;
        };
        e.drop_lost_call(now_ms, stale_ms, self.max_batch);
        let step = match e.tickets.get_mut(&ticket) {
            None => Step::Alone,
            Some(Place::Answered(..)) => match e.tickets.remove(&ticket) {
                Some(Place::Answered(outcome, _)) => Step::Done(outcome),
                _ => unreachable!("matched above"),
            },
            Some(Place::Flying(seen)) => {
                *seen = now_ms;
                Step::Wait
            }
            Some(Place::Queued(seen)) => {
                *seen = now_ms;
                if e.flight.is_some() {
                    Step::Wait
                } else {
                    // This request leads the queue, in arrival order.
                    self.counter += 1;
                    let call = CallId(self.counter);
                    Step::Lead(call, e.launch(call, now_ms, stale_ms))
                }
            }
        };
        if e.idle() {
            self.entries.remove(&map_key);
        }
        step
    }

    /// Call `call` for `key` answered at `now_ms` with one outcome per unit, in the order the
    /// call's requests were in. Ignored when `call` is no longer the key's call in flight (it
    /// was taken as lost and its requests asked for again).
    pub fn finish(
        &mut self,
        key: (usize, &str),
        call: CallId,
        outcomes: Vec<Outcome>,
        now_ms: u64,
        stale_ms: u64,
    ) {
        let map_key = (key.0, key.1.to_string());
        let Some(e) = self.entries.get_mut(&map_key) else {
            return;
        };
        if !matches!(e.flight, Some((id, _, _)) if id == call) {
            return;
        }
        let (_, _, flying) = e.flight.take().expect("checked");
        e.drop_unread(now_ms, stale_ms);
        for (t, outcome) in flying.into_iter().zip(outcomes) {
            if let Some(place) = e.tickets.get_mut(&t) {
                *place = Place::Answered(outcome, now_ms);
            }
        }
        if e.idle() {
            self.entries.remove(&map_key);
        }
    }

    /// `ticket` stops waiting: it leaves the queue (a call already carrying it still counts
    /// its unit, and its outcome is dropped).
    pub fn leave(&mut self, key: (usize, &str), ticket: Ticket) {
        let map_key = (key.0, key.1.to_string());
        let Some(e) = self.entries.get_mut(&map_key) else {
            return;
        };
        e.tickets.remove(&ticket);
        e.next.retain(|t| *t != ticket);
        if e.idle() {
            self.entries.remove(&map_key);
        }
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

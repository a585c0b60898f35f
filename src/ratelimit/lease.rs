//! Leased mode: an isolate takes a small batch of permits from the limiter object and spends
//! them locally, so most requests cost no round trip.
//!
//! The object side ([`lease_all`], [`lease_ms`]) grants at most what all limits admit now and
//! says how long the permits stay valid: never past the end of the window they were counted
//! in, nor past the policy's `lease_ttl`. The isolate side ([`LeasePool`]) spends them.
//!
//! Contract (the bound on over-admission, documented in docs/src/policies/rate-limit.md):
//! - Window limits (`fixed_window`, `sliding_window`, calendar quotas): every admitted request
//!   spent a permit the object counted in the same window, so a window never admits more than
//!   its limit (up to clock skew between the isolate and the object's machine).
//! - Token buckets: permits drawn at `t` may be spent until `t + lease_ttl`, so over any
//!   interval up to `isolates x lease` more requests than the bucket allows can get through.
//! - The price is under-admission: permits one isolate holds are unavailable to others until
//!   spent or expired (at most `isolates x lease` per `lease_ttl`).
//! - Each isolate holds at most one lease per key; while it is being refilled other requests
//!   for the key wait for the refill (polling the pool), then spend from it or refill again.
//!   A refill that does not answer within the limiter timeout is taken as lost.
//! - The lease size adapts: a key's first lease is 1 permit; a lease used up before it expired
//!   doubles the next (up to `lease`); an expired one sizes the next by what was used. Cold
//!   keys therefore waste almost nothing, hot keys reach the full batch within a few refills.
//! - A refusal is remembered until its `Retry-After`, and a lease that used up everything
//!   available until the next permit would be free: in that time the key's requests are
//!   refused locally, as the object would have refused them (no one can return permits). When
//!   isolates contend for a saturated key (refused again right after waiting), each backs off,
//!   doubling its wait up to the lease lifetime; other isolates take the permits meanwhile, so
//!   this trades round trips for some fairness between isolates, not for admissions.

use super::{take_all, Decision, Limit, State};
use crate::ratelimit::algorithm;
use std::collections::HashMap;

/// Grants up to `want` permits from every limit at once: as many as all of them admit now,
/// at least 1 when a single request fits. Returns the number granted (0 = refused), the
/// decisions after taking them (on a refusal, as [`take_all`] reports one request's), and -
/// when the grant used up what is available - how long until the next permit (else 0).
pub fn lease_all(
    limits: &[Limit],
    states: &mut [State],
    now_ms: u64,
    want: u64,
) -> (u64, Vec<Decision>, u64) {
    let fits = limits
        .iter()
        .zip(states.iter())
        .map(|(l, s)| algorithm::take(l, &mut s.clone(), now_ms, 0).remaining)
        .min()
        .unwrap_or(0);
    let mut grant = want.min(fits).max(1);
    let mut decisions = take_all(limits, states, now_ms, grant);
    if grant > 1 && !decisions.iter().all(|d| d.allowed) {
        // `remaining` rounds down, so this is not expected; fall back to one permit.
        grant = 1;
        decisions = take_all(limits, states, now_ms, 1);
    }
    if !decisions.iter().all(|d| d.allowed) {
        return (0, decisions, 0);
    }
    let next = take_all(limits, &mut states.to_vec(), now_ms, 1);
    let next_ms = if next.iter().all(|d| d.allowed) {
        0
    } else {
        next.iter()
            .filter_map(|d| d.retry_after_ms)
            .max()
            .unwrap_or(0)
    };
    (grant, decisions, next_ms)
}

/// How long permits leased at `now_ms` stay valid: `ttl_ms`, cut at the end of the earliest
/// window any limit counts them in.
pub fn lease_ms(limits: &[Limit], now_ms: u64, ttl_ms: u64) -> u64 {
    limits
        .iter()
        .filter_map(|l| algorithm::window_left_ms(l, now_ms))
        .fold(ttl_ms, u64::min)
}

/// What the isolate should do with one request under a leased policy.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// Admitted from the isolate's lease; the decisions estimate the limits' state.
    Admitted(Vec<Decision>),
    /// Refused: the object refused the key and its `Retry-After` has not passed.
    Refused(Vec<Decision>),
    /// Ask the object for a lease of `want` permits, then call [`LeasePool::filled`] (or
    /// [`LeasePool::failed`]) with the same key.
    Refill { want: u64 },
    /// Another request's refill for this key is in flight: wait a moment and plan again.
    Wait,
    /// Take exactly (cost 1, no lease): the pool is full.
    Exact,
}

/// The isolate's leases, by key (limit list identity and limiter object name).
#[derive(Debug)]
pub struct LeasePool {
    entries: HashMap<(usize, String), Entry>,
    capacity: usize,
}

#[derive(Debug, Default)]
struct Entry {
    /// Permits still to spend.
    left: u64,
    /// Permits in the current lease (0: the last answer was a refusal).
    granted: u64,
    /// The size last asked for.
    size: u64,
    /// When the lease or refusal was asked for (isolate clock).
    at_ms: u64,
    expires_ms: u64,
    /// Once the lease is spent, no permit can be had before this.
    refused_until_ms: u64,
    /// Refusals in a row (for backing off).
    refusals: u32,
    /// The object's decisions at `at_ms`.
    decisions: Vec<Decision>,
    /// Set while a refill is in flight.
    refilling_since: Option<u64>,
}

impl Entry {
    fn live(&self, now_ms: u64) -> bool {
        self.refilling_since.is_some() || now_ms < self.expires_ms || now_ms < self.refused_until_ms
    }

    /// The object's decisions aged to `now_ms`, with the lease's unspent permits added back.
    fn estimate(&self, now_ms: u64) -> Vec<Decision> {
        let elapsed = now_ms.saturating_sub(self.at_ms);
        self.decisions
            .iter()
            .map(|d| Decision {
                allowed: d.allowed,
                remaining: d.remaining + self.left,
                reset_ms: d.reset_ms.saturating_sub(elapsed),
                retry_after_ms: d.retry_after_ms.map(|r| r.saturating_sub(elapsed).max(1)),
            })
            .collect()
    }
}

impl LeasePool {
    /// A pool that holds at most `capacity` keys (beyond that, new keys take exactly).
    pub fn new(capacity: usize) -> Self {
        LeasePool {
            entries: HashMap::new(),
            capacity,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Decides one request for `key` at `now_ms`. `max_lease` is the policy's `lease`; a
    /// refill in flight longer than `stale_ms` (the limiter timeout) is taken as lost.
    pub fn plan(&mut self, key: (usize, &str), now_ms: u64, max_lease: u64, stale_ms: u64) -> Plan {
        let map_key = (key.0, key.1.to_string());
        if !self.entries.contains_key(&map_key) {
            if self.entries.len() >= self.capacity {
                self.entries.retain(|_, e| e.live(now_ms));
                if self.entries.len() >= self.capacity {
                    return Plan::Exact;
                }
            }
            self.entries.insert(
                map_key,
                Entry {
                    size: 1,
                    refilling_since: Some(now_ms),
                    ..Entry::default()
                },
            );
            return Plan::Refill { want: 1 };
        }
        let e = self.entries.get_mut(&map_key).expect("present");
        if e.left > 0 && now_ms < e.expires_ms {
            e.left -= 1;
            return Plan::Admitted(e.estimate(now_ms));
        }
        if now_ms < e.refused_until_ms {
            let wait = e.refused_until_ms - now_ms;
            let mut refused = e.estimate(now_ms);
            for d in &mut refused {
                d.allowed = false;
                d.retry_after_ms = (d.remaining == 0).then_some(wait);
            }
            return Plan::Refused(refused);
        }
        if let Some(since) = e.refilling_since {
            if now_ms.saturating_sub(since) < stale_ms {
                return Plan::Wait;
            }
        }
        let want = if e.granted == 0 {
            e.size
        } else if now_ms < e.expires_ms {
            // Used up before it expired: demand outruns the lease.
            e.size.saturating_mul(2)
        } else {
            e.granted - e.left
        }
        .clamp(1, max_lease.max(1));
        e.size = want;
        e.left = 0;
        e.refilling_since = Some(now_ms);
        Plan::Refill { want }
    }

    /// Records the object's answer to a refill sent at `sent_ms` (a [`TakeResponse`]'s
    /// `granted`, `lease_ms`, `next_ms` and decisions): permits, one of which the refilling
    /// request spends, or a refusal. Returns the decisions to report for the refilling request.
    ///
    /// [`TakeResponse`]: super::TakeResponse
    pub fn filled(
        &mut self,
        key: (usize, &str),
        sent_ms: u64,
        answer: (u64, u64, u64),
        decisions: Vec<Decision>,
    ) -> Vec<Decision> {
        let (granted, lease_ms, next_ms) = answer;
        let mut entry = Entry::default();
        let e = self
            .entries
            .get_mut(&(key.0, key.1.to_string()))
            .unwrap_or(&mut entry);
        e.refilling_since = None;
        e.at_ms = sent_ms;
        e.granted = granted;
        e.left = granted.saturating_sub(1);
        if granted > 0 {
            e.refusals = 0;
            e.expires_ms = sent_ms + lease_ms;
            e.refused_until_ms = if next_ms > 0 { sent_ms + next_ms } else { 0 };
        } else {
            let retry = decisions
                .iter()
                .filter_map(|d| d.retry_after_ms)
                .max()
                .unwrap_or(0);
            // Refused again right after waiting: another isolate is taking the permits.
            let backoff = retry
                .saturating_mul(1 << e.refusals.min(16))
                .min(lease_ms.max(retry));
            e.refusals += 1;
            e.expires_ms = 0;
            e.refused_until_ms = sent_ms + backoff;
        }
        e.decisions = decisions;
        e.estimate(sent_ms)
    }

    /// The refill for `key` failed: the next request tries again.
    pub fn failed(&mut self, key: (usize, &str)) {
        let map_key = (key.0, key.1.to_string());
        if let Some(e) = self.entries.get_mut(&map_key) {
            e.refilling_since = None;
            if e.decisions.is_empty() {
                self.entries.remove(&map_key);
            }
        }
    }
}

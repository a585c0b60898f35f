//! A pool's state in one isolate: its round-robin position, one breaker per target and its
//! retry budget. Pure (time and randomness are arguments); [`with_pool`] keeps one per
//! upstream for the isolate's life.
//!
//! Per isolate means: Workers runs many isolates, each learning on its own. A breaker opens
//! in an isolate after *that isolate* saw the failures, and a retry budget counts only that
//! isolate's requests (docs/src/concepts/upstreams.md).

use super::balance::{pick_hash, pick_random, SmoothRoundRobin};
use super::breaker::Breaker;
use super::retry::Budget;
use super::settings::{Balance, Upstream};
use crate::slots::Slots;
use std::cell::RefCell;

/// What [`PoolState::choose`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Send this attempt to the target at this index.
    Target(usize),
    /// Every target's breaker is open; the earliest admits probes in this many seconds.
    AllOpen { retry_after_s: u64 },
}

/// One upstream's per-isolate state.
#[derive(Debug, Clone)]
pub struct PoolState {
    round_robin: SmoothRoundRobin,
    breakers: Vec<Option<Breaker>>,
    pub budget: Budget,
}

impl PoolState {
    /// Each target's breaker state (`None` without a breaker), for the admin API.
    pub fn breaker_states(&self) -> Vec<Option<crate::upstream::breaker::State>> {
        self.breakers
            .iter()
            .map(|b| b.as_ref().map(|b| b.state()))
            .collect()
    }

    pub fn new(upstream: &Upstream) -> PoolState {
        PoolState {
            round_robin: SmoothRoundRobin::default(),
            breakers: upstream
                .targets
                .iter()
                .map(|_| upstream.breaker.map(Breaker::new))
                .collect(),
            budget: Budget::default(),
        }
    }

    /// Picks the target for the next attempt among those whose breaker admits a request
    /// (admitting counts a half-open probe), preferring targets not in `tried`, so a retry
    /// goes to another target when the pool has one. `hash_key` is the request's key for
    /// `balance = "hash"` (without one, round robin decides); `r` is uniform in `[0, 1)`.
    pub fn choose(
        &mut self,
        upstream: &Upstream,
        hash_key: Option<&str>,
        tried: &[usize],
        now_ms: f64,
        r: f64,
    ) -> Choice {
        let n = upstream.targets.len();
        let weights: Vec<u32> = upstream.targets.iter().map(|t| t.weight).collect();
        let admitting: Vec<bool> = self
            .breakers
            .iter()
            .map(|b| b.as_ref().is_none_or(|b| b.would_admit(now_ms)))
            .collect();
        let mut candidates: Vec<bool> = (0..n)
            .map(|i| admitting[i] && !tried.contains(&i))
            .collect();
        if !candidates.contains(&true) {
            candidates = admitting; // every target was tried: one may be tried again
        }
        if !candidates.contains(&true) {
            let wait = self
                .breakers
                .iter()
                .flatten()
                .map(|b| b.retry_after_s(now_ms))
                .min()
                .unwrap_or(1);
            return Choice::AllOpen {
                retry_after_s: wait.max(1),
            };
        }
        let usable = |i: usize| candidates[i];
        let picked = match (upstream.balance, hash_key) {
            (Balance::Hash(_), Some(key)) => {
                let ids: Vec<&str> = upstream.targets.iter().map(|t| t.id).collect();
                pick_hash(key, &ids, &weights, usable)
            }
            (Balance::Random, _) => pick_random(&weights, usable, r),
            _ => self.round_robin.pick(&weights, usable),
        };
        // A candidate always has a weight (weights are at least 1), so one is picked.
        let i = picked.unwrap_or(0);
        if let Some(b) = self.breakers[i].as_mut() {
            b.admit(now_ms);
        }
        Choice::Target(i)
    }

    /// Records an attempt's outcome on its target's breaker.
    pub fn record(&mut self, target: usize, failed: bool, now_ms: f64) {
        if let Some(Some(b)) = self.breakers.get_mut(target) {
            b.record(!failed, now_ms);
        }
    }
}

thread_local! {
    /// By upstream index.
    static POOLS: RefCell<Slots<PoolState>> = const { RefCell::new(Slots::new()) };
}

/// Runs `f` on the isolate's state for upstream number `index`.
pub fn with_pool<R>(index: usize, upstream: &Upstream, f: impl FnOnce(&mut PoolState) -> R) -> R {
    POOLS.with(|pools| {
        let mut pools = pools.borrow_mut();
        f(pools.get_or_insert_with(index, || PoolState::new(upstream)))
    })
}

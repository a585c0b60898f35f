//! Choosing a pool's target. Pure: the caller says which targets are usable (their breaker
//! admits them and this request has not tried them yet) and supplies the randomness.
//!
//! - [`SmoothRoundRobin`] (the default): over any `sum(weights)` consecutive picks each target
//!   is chosen exactly `weight` times, interleaved rather than in runs.
//! - [`pick_random`]: weighted random.
//! - [`pick_hash`]: weighted rendezvous hashing on a request key. Every isolate maps a key to
//!   the same target, and removing a target moves only the keys that were on it.

use crate::http::hash::stable_hash;

/// Smooth weighted round robin: each pick adds every usable target's weight to its running
/// value, takes the largest, and subtracts the usable total from the one taken. Per isolate.
#[derive(Debug, Default, Clone)]
pub struct SmoothRoundRobin {
    current: Vec<i64>,
}

impl SmoothRoundRobin {
    /// The next target, or `None` when no target with a weight is usable.
    pub fn pick(&mut self, weights: &[u32], usable: impl Fn(usize) -> bool) -> Option<usize> {
        if self.current.len() != weights.len() {
            self.current = vec![0; weights.len()];
        }
        let mut total = 0i64;
        let mut best: Option<usize> = None;
        for (i, &w) in weights.iter().enumerate() {
            if w == 0 || !usable(i) {
                continue;
            }
            self.current[i] += i64::from(w);
            total += i64::from(w);
            if best.is_none_or(|b| self.current[i] > self.current[b]) {
                best = Some(i);
            }
        }
        let chosen = best?;
        self.current[chosen] -= total;
        Some(chosen)
    }
}

/// Weighted random among the usable targets; `r` is uniform in `[0, 1)`.
pub fn pick_random(weights: &[u32], usable: impl Fn(usize) -> bool, r: f64) -> Option<usize> {
    let total: u64 = weights
        .iter()
        .enumerate()
        .filter(|&(i, _)| usable(i))
        .map(|(_, &w)| u64::from(w))
        .sum();
    if total == 0 {
        return None;
    }
    let mut left = ((r.clamp(0.0, 1.0) * total as f64) as u64).min(total - 1);
    for (i, &w) in weights.iter().enumerate() {
        if w == 0 || !usable(i) {
            continue;
        }
        if left < u64::from(w) {
            return Some(i);
        }
        left -= u64::from(w);
    }
    None
}

/// Weighted rendezvous (highest random weight) hashing: each usable target scores
/// `-weight / ln(u)` with `u` in `(0, 1)` drawn from a stable hash of (key, target id); the
/// highest score wins. A target's removal changes no other target's score, so only its keys
/// move; a target with twice the weight gets twice the keys.
pub fn pick_hash(
    key: &str,
    ids: &[&str],
    weights: &[u32],
    usable: impl Fn(usize) -> bool,
) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, (&id, &w)) in ids.iter().zip(weights).enumerate() {
        if w == 0 || !usable(i) {
            continue;
        }
        let h = stable_hash(&[key.as_bytes(), b"\0", id.as_bytes()]);
        // 53 random bits into (0, 1), never 0 or 1, so ln(u) is finite and negative.
        let u = ((h >> 11) as f64 + 1.0) / ((1u64 << 53) as f64 + 2.0);
        let score = -f64::from(w) / u.ln();
        if best.is_none_or(|(_, s)| score > s) {
            best = Some((i, score));
        }
    }
    best.map(|(i, _)| i)
}

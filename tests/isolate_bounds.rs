//! Per-isolate state (thread-locals that live as long as the isolate) has a stated bound, and
//! each structure that distinct client input could grow holds its bound when `cap + N`
//! distinct keys arrive. The structures that grow only with the compiled table (per policy,
//! per upstream, per target: `Slots`) are bounded by the build; the hot tier's index is
//! checked in `tests/hot_tier.rs` (`under_endless_distinct_keys_the_index_stays_within_its_bounds`)
//! and the purge counters' path buckets in `tests/cache_conformance.rs`.

use gatehouse::auth::jwk::{parse_jwks, MAX_JWKS_KEYS};
use gatehouse::auth::jwks::IMPORTED_KEYS_CAPACITY;
use gatehouse::auth::ttl_cache::TtlCache;
use gatehouse::cache::generations::{WriteBudget, CLIENT_PATHS_PER_MINUTE, MAX_CLIENTS};
use gatehouse::cache::refreshes::{Refreshes, MAX_REFRESHES, MAX_REFRESH_AGE_MS};
use gatehouse::policy::api_key::LOOKUP_CACHE_CAPACITY;
use gatehouse::policy::jwt::TOKEN_CACHE_CAPACITY;
use gatehouse::policy::rate_limit::{LEASE_POOL_KEYS, MAX_BATCH};
use gatehouse::ratelimit::batch::{Batches, Step};
use gatehouse::ratelimit::lease::{LeasePool, Plan};
use gatehouse::upstream::breaker::Breaker;
use gatehouse::upstream::retry::Budget;

/// Past the bound by this many distinct keys.
const N: usize = 1_000;

/// Fills a [`TtlCache`] of `capacity` with `capacity + N` distinct live keys.
fn fill_ttl_cache(capacity: usize, until: f64) {
    let mut c = TtlCache::new(capacity);
    for i in 0..capacity + N {
        c.insert(i, i, until, 1.0);
        assert!(c.len() <= capacity, "{} entries after key {i}", c.len());
        assert_eq!(c.get(&i, 1.0), Some(i), "the newest entry is kept");
    }
}

#[test]
fn the_verified_token_cache_holds_at_most_its_capacity() {
    assert_eq!(TOKEN_CACHE_CAPACITY, 4096, "RELIABILITY.md states it");
    fill_ttl_cache(TOKEN_CACHE_CAPACITY, 1e12);
}

#[test]
fn the_api_key_lookup_cache_holds_at_most_its_capacity() {
    assert_eq!(LOOKUP_CACHE_CAPACITY, 4096, "RELIABILITY.md states it");
    fill_ttl_cache(LOOKUP_CACHE_CAPACITY, 1e12);
}

#[test]
fn imported_webcrypto_keys_never_expire_yet_stay_at_most_their_capacity() {
    assert_eq!(IMPORTED_KEYS_CAPACITY, 256, "RELIABILITY.md states it");
    fill_ttl_cache(IMPORTED_KEYS_CAPACITY, f64::INFINITY);
}

#[test]
fn a_jwks_document_with_more_keys_than_the_bound_keeps_the_first() {
    let keys: Vec<String> = (0..MAX_JWKS_KEYS + N)
        .map(|i| {
            let x = format!("{:0>43}", format!("{i:x}")).replace('0', "A");
            format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}","kid":"k{i}"}}"#)
        })
        .collect();
    let parsed = parse_jwks(&format!(r#"{{"keys":[{}]}}"#, keys.join(","))).unwrap();
    assert_eq!(parsed.len(), MAX_JWKS_KEYS);
    assert_eq!(parsed[0].kid.as_deref(), Some("k0"));
}

#[test]
fn leased_limit_keys_stay_at_most_the_pool_size_and_the_rest_take_exactly() {
    let mut pool = LeasePool::new(LEASE_POOL_KEYS);
    for i in 0..LEASE_POOL_KEYS + N {
        let plan = pool.plan((0, &format!("client-{i}")), 1_000, 8, 1_000);
        let expected = if i < LEASE_POOL_KEYS {
            Plan::Refill { want: 1 }
        } else {
            Plan::Exact
        };
        assert_eq!(plan, expected, "key {i}");
    }
    assert_eq!(pool.len(), LEASE_POOL_KEYS);
}

#[test]
fn exact_batches_hold_at_most_the_pool_size_of_keys_and_max_batch_waiters_each() {
    assert_eq!(MAX_BATCH, 1_000, "RELIABILITY.md states it");
    let mut batches = Batches::new(LEASE_POOL_KEYS, MAX_BATCH);
    for i in 0..LEASE_POOL_KEYS + N {
        let (_, step) = batches.join((0, &format!("client-{i}")), 1_000, 2_000);
        let expected = if i < LEASE_POOL_KEYS {
            matches!(step, Step::Lead(_, 1))
        } else {
            step == Step::Alone
        };
        assert!(expected, "key {i}: {step:?}");
    }
    assert_eq!(batches.len(), LEASE_POOL_KEYS);
    for i in 0..MAX_BATCH + N {
        let (_, step) = batches.join((0, "client-0"), 1_000, 2_000);
        let expected = if i < MAX_BATCH {
            Step::Wait
        } else {
            Step::Alone
        };
        assert_eq!(step, expected, "waiter {i}");
    }
    assert_eq!(batches.queued((0, "client-0")), MAX_BATCH);
}

/// Issue 26: 10,000 clients writing in the same minute grew the budget's map without bound
/// (only counts of earlier minutes were dropped).
#[test]
fn the_write_budget_counts_at_most_its_clients_even_within_one_minute() {
    let mut b = WriteBudget::default();
    let minute = 60_000 * 1_000;
    for i in 0..MAX_CLIENTS + N {
        assert!(
            b.take(&format!("c{i}"), 1, minute),
            "client {i} has its budget"
        );
        assert!(
            b.clients() <= MAX_CLIENTS,
            "{} clients after {i}",
            b.clients()
        );
    }
    assert_eq!(b.clients(), MAX_CLIENTS);
    // A counted client still has its count: the bound does not hand out fresh budgets to it.
    for _ in 0..CLIENT_PATHS_PER_MINUTE {
        assert!(b.take("mallory", 1, minute));
    }
    assert!(!b.take("mallory", 1, minute), "over the budget");
}

#[test]
fn background_refreshes_stay_at_most_their_bound_and_free_their_places() {
    let now = 1_700_000_000_000.0;
    let mut r = Refreshes::new();
    for i in 0..MAX_REFRESHES + N {
        let started = r.start(&format!("https://cache/k{i}"), now);
        assert_eq!(started, i < MAX_REFRESHES, "key {i}");
    }
    assert_eq!(r.len(), MAX_REFRESHES);
    assert!(!r.may_start("https://cache/k0", now), "one refresh per key");
    r.finish("https://cache/k0");
    assert!(
        r.may_start("https://cache/new", now),
        "a finished refresh frees its place"
    );
}

#[test]
fn a_refresh_that_never_says_it_ended_gives_its_place_back_after_its_age() {
    let now = 1_700_000_000_000.0;
    let mut r = Refreshes::new();
    for i in 0..MAX_REFRESHES {
        assert!(r.start(&format!("https://cache/k{i}"), now));
    }
    // Cancelled by the runtime without being dropped: their places stay taken...
    let later = now + MAX_REFRESH_AGE_MS - 1.0;
    assert!(!r.may_start("https://cache/new", later));
    // ...until they are older than any refresh can run.
    let after = now + MAX_REFRESH_AGE_MS;
    assert!(r.may_start("https://cache/new", after));
    assert!(r.start("https://cache/k0", after), "a key's own place too");
    assert_eq!(r.len(), 1);
}

#[test]
fn breakers_and_retry_budgets_are_fixed_size_windows() {
    // One breaker per target and one retry budget per upstream, each a fixed array of
    // buckets (no heap): their memory cannot grow with traffic, only with the table.
    assert!(
        !std::mem::needs_drop::<Budget>(),
        "the retry budget holds no heap data"
    );
    assert!(
        !std::mem::needs_drop::<Breaker>(),
        "a breaker holds no heap data"
    );
    assert!(std::mem::size_of::<Budget>() <= 256);
    assert!(std::mem::size_of::<Breaker>() <= 512);
}

//! `kind = "rate_limit"`: limits counted exactly in a Durable Object, one object per (policy,
//! key). In exact mode a request costs one round trip to its object, shared with the requests
//! for the same object that arrived in this isolate while the previous round trip was in
//! flight (one call asks for one unit per waiting request; see [`crate::ratelimit::batch`]);
//! all of the policy's limits are taken atomically there. The response carries
//! `RateLimit-Policy` and `RateLimit`; a refusal is a 429 problem with `Retry-After`.
//!
//! With `mode = "leased"` an isolate leases small batches of permits and spends them locally
//! (the contract and over-admission bound are in [`crate::ratelimit::lease`]).
//!
//! If the object errors or does not answer within `timeout`, `on_error = "deny"` (the
//! default) answers 503 `rate-limit-unavailable` with `Retry-After`; `on_error = "allow"` lets
//! the request through without rate-limit headers and logs a warning.

use crate::auth::backend::AuthBackend;
use crate::auth::identity::render;
use crate::auth::Identity;
use crate::error::GatewayError;
use crate::ratelimit::backend::LimiterBackend;
use crate::ratelimit::batch::{share, Batches, Outcome, Step};
use crate::ratelimit::headers::{policy_header, ratelimit_header, retry_after_s, PolicyItem};
use crate::ratelimit::lease::{LeasePool, Plan};
use crate::ratelimit::{Algorithm, Decision, Limit, TakeResponse, WireLimit};
use crate::slots::Slots;
use std::cell::RefCell;
use std::rc::Rc;

thread_local! {
    /// Each limit list as JSON, serialised once per isolate, by the policy's index and the
    /// list's slot.
    static LIMITS_JSON: RefCell<Slots<Slots<Rc<str>>>> = const { RefCell::new(Slots::new()) };
    /// Leased permits of `mode = "leased"` policies, per ([`RateLimit::list_key`], object
    /// name).
    static LEASES: RefCell<LeasePool> = RefCell::new(LeasePool::new(LEASE_POOL_KEYS));
    /// Exact takes in flight and the requests queued behind them, per
    /// ([`RateLimit::list_key`], object name).
    static BATCHES: RefCell<Batches> =
        RefCell::new(Batches::new(LEASE_POOL_KEYS, MAX_BATCH));
}

/// How many keys an isolate holds leases for; beyond that new keys take exactly. Also how many
/// keys may have an exact take in flight with requests queued behind it; beyond that a new
/// key's requests take alone.
pub const LEASE_POOL_KEYS: usize = 10_000;

/// How many requests may queue for one key's next exact take in an isolate; beyond that a
/// request makes its own round trip.
pub const MAX_BATCH: usize = 1_000;

/// How long past the limiter timeout an exact take in flight is still waited for; after that
/// it is taken as lost (its request was cancelled) and the requests queued behind it go on.
const LOST_AFTER_MS: u32 = 1_000;

/// How often a request waiting for another's lease refill looks at the pool again, and a
/// request queued for an exact batch looks at its wake-up slot.
const REFILL_POLL_MS: u32 = 1;

/// The JSON take request for `limits` (list `slot` of policy number `policy`): one permit
/// (`lease == 0`), a lease, or (`lease_ttl_ms == 0`) `lease` permits consumed at once by an
/// exact batch.
fn take_body(
    list: (usize, usize),
    limits: &'static [NamedLimit],
    lease: u64,
    lease_ttl_ms: u32,
) -> String {
    let json = limits_json(list, limits);
    format!(r#"{{"limits":{json},"cost":1,"lease":{lease},"lease_ttl_ms":{lease_ttl_ms}}}"#)
}

/// The limit list as JSON, made once per isolate.
fn limits_json((policy, slot): (usize, usize), limits: &'static [NamedLimit]) -> Rc<str> {
    LIMITS_JSON.with(|m| {
        m.borrow_mut()
            .get_or_insert_with(policy, Slots::new)
            .get_or_insert_with(slot, || {
                let wire: Vec<WireLimit> = limits
                    .iter()
                    .map(|l| WireLimit::from_limit(l.name, &l.limit))
                    .collect();
                serde_json::to_string(&wire).unwrap_or_default().into()
            })
            .clone()
    })
}

pub use gatehouse_config::kinds::rate_limit::{KeyPart, NamedLimit, OnError, RateLimit};

/// What a passed rate-limit step adds to the response.
pub struct Passed {
    pub headers: Vec<(&'static str, String)>,
    /// Set when the limiter failed and the policy has `on_error = "allow"` (to be logged).
    pub allowed_on_error: Option<String>,
}

/// The limits for this caller: their plan's, else the default.
pub fn limits_for(policy: &RateLimit, identity: Option<&Identity>) -> &'static [NamedLimit] {
    limits_slot(policy, identity).1
}

/// [`RateLimit::limits_for`] with its slot: 0 for the default limits, `i + 1` for plan
/// `i` (per-isolate state keys on [`RateLimit::list_key`]).
pub fn limits_slot(
    policy: &RateLimit,
    identity: Option<&Identity>,
) -> (usize, &'static [NamedLimit]) {
    identity
        .and_then(|i| i.plan.as_deref())
        .and_then(|plan| policy.plans.iter().position(|(p, _)| *p == plan))
        .map_or((0, policy.limits), |i| (i + 1, policy.plans[i].1))
}

/// The key of this policy's limit list `slot` in per-isolate state: the policy's index in
/// the table and the slot.
pub fn list_key(policy: &RateLimit, slot: usize) -> usize {
    (usize::from(policy.index) << 16) | (slot & 0xffff)
}

/// The object's name for key parts given directly (the admin API), joined as
/// [`RateLimit::object_name`] joins them.
pub fn object_name_from_parts(policy: &RateLimit, parts: &[String]) -> String {
    let mut name = policy.name.to_string();
    for value in parts {
        name.push('|');
        name.push_str(&value.replace('%', "%25").replace('|', "%7C"));
    }
    name
}

/// The limiter object's name: the policy name and each key part, `|`-separated, with `|`
/// and `%` in values escaped so no two keys can collide. `route` is the matched route's id,
/// `operation` the request's GraphQL operation name(s) (empty when none).
pub fn object_name<B: AuthBackend>(
    policy: &RateLimit,
    b: &B,
    identity: Option<&Identity>,
    route: &str,
    operation: &str,
) -> String {
    let mut name = policy.name.to_string();
    for part in policy.key {
        let value = match part {
            KeyPart::Ip => b.header("cf-connecting-ip").unwrap_or_default(),
            KeyPart::Consumer => identity.map(|i| i.subject.clone()).unwrap_or_default(),
            KeyPart::Claim(c) => identity
                .and_then(|i| i.claim(c))
                .map(render)
                .unwrap_or_default(),
            KeyPart::Header(h) => b.header(h).unwrap_or_default(),
            KeyPart::Route => route.to_string(),
            KeyPart::Operation => operation.to_string(),
            KeyPart::Global => "*".to_string(),
        };
        name.push('|');
        name.push_str(&value.replace('%', "%25").replace('|', "%7C"));
    }
    name
}

/// Takes one unit from this caller's limits: from the limiter object, or in leased mode
/// from the isolate's lease when it holds one (see [`crate::ratelimit::lease`]).
pub async fn check<B: AuthBackend + LimiterBackend>(
    policy: &RateLimit,
    b: &B,
    identity: Option<&Identity>,
    route: &str,
    operation: &str,
) -> Result<Passed, GatewayError> {
    let (slot, limits) = limits_slot(policy, identity);
    let object = object_name(policy, b, identity, route, operation);
    if policy.lease == 0 {
        return exact(policy, b, slot, limits, &object).await;
    }
    let key = (list_key(policy, slot), object.as_str());
    loop {
        let now = (b.now_s() * 1000.0) as u64;
        let plan = LEASES.with(|p| {
            p.borrow_mut().plan(
                key,
                now,
                u64::from(policy.lease),
                u64::from(policy.timeout_ms),
            )
        });
        return match plan {
            Plan::Admitted(decisions) | Plan::Refused(decisions) => {
                verdict(policy, limits, &decisions)
            }
            // Another request is refilling this key's lease; the pool stops answering
            // Wait once that refill is older than the limiter timeout.
            Plan::Wait => {
                b.pause(REFILL_POLL_MS).await;
                continue;
            }
            Plan::Exact => exact(policy, b, slot, limits, &object).await,
            Plan::Refill { want } => {
                let body = take_body(
                    (usize::from(policy.index), slot),
                    limits,
                    want,
                    policy.lease_ttl_ms,
                );
                match ask(policy, b, limits, &object, &body).await {
                    Ok(r) => {
                        let decisions = r.decisions.into_iter().map(Into::into).collect();
                        let answer = (r.granted, r.lease_ms, r.next_ms);
                        let decisions =
                            LEASES.with(|p| p.borrow_mut().filled(key, now, answer, decisions));
                        verdict(policy, limits, &decisions)
                    }
                    Err(why) => {
                        LEASES.with(|p| p.borrow_mut().failed(key));
                        unavailable(policy, why)
                    }
                }
            }
        };
    }
}

/// One permit, decided by the limiter object: in a call this request leads when no call for
/// the same object is in flight in this isolate, else in the next call, shared with the
/// requests that queued meanwhile ([`crate::ratelimit::batch`]). A queued request polls for
/// its outcome from its own request; one that has waited two limiter calls' worth without
/// one takes alone.
async fn exact<B: AuthBackend + LimiterBackend>(
    policy: &RateLimit,
    b: &B,
    slot: usize,
    limits: &'static [NamedLimit],
    object: &str,
) -> Result<Passed, GatewayError> {
    let key = (list_key(policy, slot), object);
    let stale_ms = u64::from(policy.timeout_ms.saturating_add(LOST_AFTER_MS));
    let (ticket, mut step) = BATCHES.with(|m| m.borrow_mut().join(key, now_ms(b), stale_ms));
    let give_up = now_ms(b) + 2 * stale_ms;
    loop {
        step = match step {
            Step::Done(outcome) => return settle(policy, limits, outcome),
            Step::Alone => {
                let mine = units(policy, b, (slot, limits), object, 1).await.remove(0);
                return settle(policy, limits, mine);
            }
            Step::Lead(call, n) => {
                let outcomes = units(policy, b, (slot, limits), object, n).await;
                BATCHES.with(|m| {
                    let mut m = m.borrow_mut();
                    m.finish(key, call, outcomes, now_ms(b), stale_ms);
                    m.poll(key, ticket, now_ms(b), stale_ms)
                })
            }
            Step::Wait if now_ms(b) >= give_up => {
                BATCHES.with(|m| m.borrow_mut().leave(key, ticket));
                Step::Alone
            }
            Step::Wait => {
                b.pause(REFILL_POLL_MS).await;
                BATCHES.with(|m| m.borrow_mut().poll(key, ticket, now_ms(b), stale_ms))
            }
        };
    }
}

/// One limiter call for `n` units (one per request, in arrival order): each request's
/// outcome. A single unit is an ordinary take; more are one batch take ([`share`]).
async fn units<B: LimiterBackend>(
    policy: &RateLimit,
    b: &B,
    (slot, limits): (usize, &'static [NamedLimit]),
    object: &str,
    n: usize,
) -> Vec<Outcome> {
    let lease = if n > 1 { n as u64 } else { 0 };
    let body = take_body((usize::from(policy.index), slot), limits, lease, 0);
    match ask(policy, b, limits, object, &body).await {
        Ok(r) => {
            let decisions: Vec<Decision> = r.decisions.into_iter().map(Into::into).collect();
            if n == 1 {
                vec![Outcome::Decided(decisions)]
            } else {
                share(n, r.granted, &decisions, r.next_ms)
            }
        }
        Err(why) => vec![Outcome::Failed(why); n],
    }
}

/// The isolate's clock, in ms.
fn now_ms<B: AuthBackend>(b: &B) -> u64 {
    (b.now_s() * 1000.0) as u64
}

/// One request's answer from its share of a limiter call.
fn settle(
    policy: &RateLimit,
    limits: &[NamedLimit],
    outcome: Outcome,
) -> Result<Passed, GatewayError> {
    match outcome {
        Outcome::Decided(decisions) => verdict(policy, limits, &decisions),
        Outcome::Failed(why) => unavailable(policy, why),
    }
}

/// One round trip to the limiter object, its answer checked against the limit list.
async fn ask<B: LimiterBackend>(
    policy: &RateLimit,
    b: &B,
    limits: &[NamedLimit],
    object: &str,
    body: &str,
) -> Result<TakeResponse, String> {
    let text = b.limiter_take(object, body, policy.timeout_ms).await?;
    let r: TakeResponse = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    if r.decisions.len() == limits.len() {
        Ok(r)
    } else {
        Err("wrong number of decisions".into())
    }
}

/// The limiter failed: 503 with `on_error = "deny"`, through with a warning with `"allow"`.
fn unavailable(policy: &RateLimit, why: String) -> Result<Passed, GatewayError> {
    if !policy.on_error.allows() {
        return Err(GatewayError::RateLimitUnavailable {
            policy: policy.name,
            why,
        });
    }
    Ok(Passed {
        headers: Vec::new(),
        allowed_on_error: Some(format!(
            "rate_limit policy {}: limiter failed ({why}); request let through (on_error = \"allow\")",
            policy.name
        )),
    })
}

/// Headers for the decisions, and a 429 if any limit refused.
fn verdict(
    policy: &RateLimit,
    limits: &[NamedLimit],
    decisions: &[Decision],
) -> Result<Passed, GatewayError> {
    let items: Vec<PolicyItem> = limits
        .iter()
        .map(|l| PolicyItem {
            name: l.name,
            quota: l.limit.limit,
            window_s: window_s(&l.limit),
        })
        .collect();
    let named: Vec<(&str, Decision)> = limits
        .iter()
        .map(|l| l.name)
        .zip(decisions.iter().copied())
        .collect();
    let headers = vec![
        ("ratelimit-policy", policy_header(&items)),
        ("ratelimit", ratelimit_header(&named)),
    ];
    if decisions.iter().all(|d| d.allowed) {
        Ok(Passed {
            headers,
            allowed_on_error: None,
        })
    } else {
        Err(GatewayError::RateLimited {
            policy: policy.name,
            retry_after_s: retry_after_s(decisions).unwrap_or(1),
            headers,
        })
    }
}

/// The window advertised in `RateLimit-Policy`, in seconds.
fn window_s(l: &Limit) -> u64 {
    match l.algorithm {
        Algorithm::Calendar(crate::http::dates::Period::Day) => 86_400,
        Algorithm::Calendar(crate::http::dates::Period::Month) => 2_592_000,
        _ => l.window_ms.div_ceil(1000).max(1),
    }
}

/// Tokens reserved from a `unit = "tokens"` policy for one LLM call, to be settled with the
/// real count ([`settle_tokens`]) once the answer is known.
#[derive(Debug, Clone)]
pub struct TokenHold {
    pub policy: &'static RateLimit,
    object: String,
    limits: &'static [NamedLimit],
    slot: usize,
    /// What was taken.
    pub reserved: u64,
    /// The limiter's clock when it took them.
    taken_ms: u64,
}

/// Reserves `cost` tokens from this caller's limits of a `unit = "tokens"` policy, in one
/// exact round trip to its object (never batched or leased: costs differ per request). A
/// refusal is a 429 with the RateLimit fields, as for requests; a limiter that fails follows
/// `on_error` (with `"allow"`, `Ok(None)`: nothing was reserved, nothing will be settled).
pub async fn reserve_tokens<B: AuthBackend + LimiterBackend>(
    policy: &'static RateLimit,
    b: &B,
    identity: Option<&Identity>,
    route: &str,
    cost: u64,
) -> Result<(Option<TokenHold>, Passed), GatewayError> {
    let (slot, limits) = limits_slot(policy, identity);
    let object = object_name(policy, b, identity, route, "");
    let body = token_body((usize::from(policy.index), slot), limits, cost, 0, 0);
    match ask(policy, b, limits, &object, &body).await {
        Ok(r) => {
            let now = r.now_ms;
            let decisions: Vec<Decision> = r.decisions.into_iter().map(Into::into).collect();
            let passed = verdict(policy, limits, &decisions)?;
            let hold = TokenHold {
                policy,
                object,
                limits,
                slot,
                reserved: cost,
                taken_ms: now,
            };
            Ok((Some(hold), passed))
        }
        Err(why) => unavailable(policy, why).map(|passed| (None, passed)),
    }
}

/// Settles a reservation with the tokens really used: gives back what was not used, or
/// charges what was used beyond it ([`crate::ratelimit::algorithm::settle`]). Returns the
/// limiter's error, if any (the caller logs it: the answer has already gone).
pub async fn settle_tokens<B: LimiterBackend>(
    hold: &TokenHold,
    b: &B,
    used: u64,
) -> Result<(), String> {
    let signed = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let delta = signed(used).saturating_sub(signed(hold.reserved));
    if delta == 0 {
        return Ok(());
    }
    let body = token_body(
        (usize::from(hold.policy.index), hold.slot),
        hold.limits,
        0,
        delta,
        hold.taken_ms,
    );
    ask(hold.policy, b, hold.limits, &hold.object, &body)
        .await
        .map(|_| ())
}

/// A take (`settle == 0`: `cost` units) or a settle request for a token limit list.
fn token_body(
    list: (usize, usize),
    limits: &'static [NamedLimit],
    cost: u64,
    settle: i64,
    taken_ms: u64,
) -> String {
    let json = limits_json(list, limits);
    format!(r#"{{"limits":{json},"cost":{cost},"settle":{settle},"taken_ms":{taken_ms}}}"#)
}

//! `kind = "rate_limit"`: limits counted exactly in a Durable Object, one object per (policy,
//! key). Every request costs one round trip to its object; all of the policy's limits are taken
//! atomically there. The response carries `RateLimit-Policy` and `RateLimit`; a refusal is a
//! 429 problem with `Retry-After`.
//!
//! If the object errors or does not answer within `timeout`, `fail = "open"` (the default)
//! lets the request through without rate-limit headers and logs it; `fail = "closed"` answers
//! 503.

use crate::auth::backend::{AuthBackend, LimiterBackend};
use crate::auth::identity::render;
use crate::auth::Identity;
use crate::error::GatewayError;
use crate::ratelimit::headers::{policy_header, ratelimit_header, retry_after_s, PolicyItem};
use crate::ratelimit::{Algorithm, Decision, Limit, TakeRequest, TakeResponse, WireLimit};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

thread_local! {
    /// The take request for each static limit list, serialised once per isolate.
    static TAKE_BODIES: RefCell<HashMap<usize, Rc<str>>> = RefCell::new(HashMap::new());
}

/// The JSON take request (cost 1) for a static limit list.
fn take_body(limits: &'static [NamedLimit]) -> Rc<str> {
    TAKE_BODIES.with(|m| {
        m.borrow_mut()
            .entry(limits.as_ptr() as usize)
            .or_insert_with(|| {
                let take = TakeRequest {
                    limits: limits
                        .iter()
                        .map(|l| WireLimit::from_limit(l.name, &l.limit))
                        .collect(),
                    cost: 1,
                };
                serde_json::to_string(&take).unwrap_or_default().into()
            })
            .clone()
    })
}

/// A compiled `rate_limit` policy.
#[derive(Debug)]
pub struct RateLimit {
    pub name: &'static str,
    /// What the count is per; the parts are joined into the object's name.
    pub key: &'static [KeyPart],
    /// The limits, unless the consumer's plan selects others.
    pub limits: &'static [NamedLimit],
    /// Plan name -> limits for consumers on that plan.
    pub plans: &'static [(&'static str, &'static [NamedLimit])],
    pub fail_closed: bool,
    pub timeout_ms: u32,
}

#[derive(Debug)]
pub struct NamedLimit {
    pub name: &'static str,
    pub limit: Limit,
}

/// One part of a rate-limit key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KeyPart {
    /// `CF-Connecting-IP`.
    Ip,
    /// The authenticated subject (JWT `sub`, API-key consumer id, certificate DN).
    Consumer,
    Claim(&'static str),
    Header(&'static str),
    /// The matched route's id.
    Route,
    /// One count for everyone.
    Global,
}

/// What a passed rate-limit step adds to the response.
pub struct Passed {
    pub headers: Vec<(&'static str, String)>,
    /// Set when the limiter failed and the policy failed open (to be logged).
    pub failed_open: Option<String>,
}

impl RateLimit {
    /// The limits for this caller: their plan's, else the default.
    pub fn limits_for(&self, identity: Option<&Identity>) -> &'static [NamedLimit] {
        identity
            .and_then(|i| i.plan.as_deref())
            .and_then(|plan| self.plans.iter().find(|(p, _)| *p == plan))
            .map_or(self.limits, |(_, l)| l)
    }

    /// The limiter object's name: the policy name and each key part, `|`-separated, with `|`
    /// and `%` in values escaped so no two keys can collide.
    pub fn object_name<B: AuthBackend>(
        &self,
        b: &B,
        identity: Option<&Identity>,
        route: &str,
    ) -> String {
        let mut name = self.name.to_string();
        for part in self.key {
            let value = match part {
                KeyPart::Ip => b.header("cf-connecting-ip").unwrap_or_default(),
                KeyPart::Consumer => identity.map(|i| i.subject.clone()).unwrap_or_default(),
                KeyPart::Claim(c) => identity
                    .and_then(|i| i.claim(c))
                    .map(render)
                    .unwrap_or_default(),
                KeyPart::Header(h) => b.header(h).unwrap_or_default(),
                KeyPart::Route => route.to_string(),
                KeyPart::Global => "*".to_string(),
            };
            name.push('|');
            name.push_str(&value.replace('%', "%25").replace('|', "%7C"));
        }
        name
    }

    /// Takes one unit from this caller's limits.
    pub async fn check<B: AuthBackend + LimiterBackend>(
        &self,
        b: &B,
        identity: Option<&Identity>,
        route: &str,
    ) -> Result<Passed, GatewayError> {
        let limits = self.limits_for(identity);
        let body = take_body(limits);
        let object = self.object_name(b, identity, route);
        let answer = b
            .limiter_take(&object, &body, self.timeout_ms)
            .await
            .and_then(|text| {
                let r: TakeResponse = serde_json::from_str(&text).map_err(|e| e.to_string())?;
                if r.decisions.len() == limits.len() {
                    Ok(r)
                } else {
                    Err("wrong number of decisions".into())
                }
            });
        let decisions: Vec<Decision> = match answer {
            Ok(r) => r.decisions.into_iter().map(Into::into).collect(),
            Err(why) if self.fail_closed => {
                return Err(GatewayError::RateLimitUnavailable {
                    policy: self.name,
                    why,
                })
            }
            Err(why) => {
                return Ok(Passed {
                    headers: Vec::new(),
                    failed_open: Some(format!("rate_limit policy {}: limiter failed ({why}); request let through (fail = \"open\")", self.name)),
                })
            }
        };
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
                failed_open: None,
            })
        } else {
            Err(GatewayError::RateLimited {
                policy: self.name,
                retry_after_s: retry_after_s(&decisions).unwrap_or(1),
                headers,
            })
        }
    }
}

/// The window advertised in `RateLimit-Policy`, in seconds.
fn window_s(l: &Limit) -> u64 {
    match l.algorithm {
        Algorithm::Calendar(crate::ratelimit::calendar::Period::Day) => 86_400,
        Algorithm::Calendar(crate::ratelimit::calendar::Period::Month) => 2_592_000,
        _ => l.window_ms.div_ceil(1000).max(1),
    }
}

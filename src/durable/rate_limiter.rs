//! [`RateLimiter`]: the Durable Object behind `kind = "rate_limit"`. One object per (policy,
//! key). The gateway calls its `take` RPC method with the limits and the request's cost (or
//! the lease wanted); it decides with [`crate::ratelimit::answer`], persists the counts before
//! answering (so a restart loses none), and deletes its storage with an alarm once it has been
//! idle longer than any of its windows. `fetch` offers the same over HTTP (`POST`) plus a
//! description of what is stored (`GET`), for operators and tests.
//!
//! A Durable Object handles one event at a time and storage calls close its input gate, so
//! the read-decide-write below cannot interleave with another request: the count is exact.

use crate::ratelimit::{answer, idle_after_ms, State as LimitState, TakeRequest};
use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use wasm_bindgen::prelude::*;
use worker::{durable_object, DurableObject, Env, Method, Request, Response, Result, State};

/// What the object stores, under one key.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Stored {
    /// Per limit name.
    limits: HashMap<String, LimitState>,
    /// After this time (ms) the state no longer matters and is deleted.
    idle_until: u64,
    /// Take requests answered since the storage was last cleared (an exact batch or a lease
    /// is one), for operators (the admin API's read) and tests.
    #[serde(default)]
    takes: u64,
}

const KEY: &str = "limiter";

#[durable_object]
pub struct RateLimiter {
    state: State,
    env: Env,
    cached: RefCell<Option<Stored>>,
    alarm_checked: Cell<bool>,
}

impl DurableObject for RateLimiter {
    fn new(state: State, env: Env) -> Self {
        RateLimiter {
            state,
            env,
            cached: RefCell::new(None),
            alarm_checked: Cell::new(false),
        }
    }

    /// `GET`: [`RateLimiter::describe`]; `POST`: a take request, as [`RateLimiter::take`].
    async fn fetch(&self, mut req: Request) -> Result<Response> {
        if req.method() == Method::Get {
            return self.describe().await;
        }
        match self.decide(&req.text().await?).await? {
            Ok(json) => {
                let mut res = Response::ok(json)?;
                res.headers_mut().set("content-type", "application/json")?;
                Ok(res)
            }
            Err(bad) => Response::error(bad, 400),
        }
    }

    async fn alarm(&self) -> Result<Response> {
        let now = self.now_ms();
        let stored = self.load().await?;
        if now >= stored.idle_until {
            // Idle past every window: nothing here can change a future decision.
            self.state.storage().delete_all().await?;
            *self.cached.borrow_mut() = Some(Stored::default());
            self.alarm_checked.set(false); // the next request schedules a new one
        } else {
            self.state
                .storage()
                .set_alarm((stored.idle_until - now) as i64)
                .await?;
        }
        Response::ok("")
    }
}

/// The gateway's entry point: an RPC method (cheaper than `fetch`, which needs a Request and
/// a Response built on both sides). Rejects on a malformed request or a storage failure.
#[wasm_bindgen]
impl RateLimiter {
    /// Admin: what the object holds, as JSON (`{"limits": {name: state}, "idle_until": ms,
    /// "takes": n}`).
    pub async fn peek(&self) -> std::result::Result<String, JsValue> {
        let stored = self
            .load()
            .await
            .map_err(|e| JsValue::from_str(&e.to_string()))?;
        serde_json::to_string(&stored).map_err(|e| JsValue::from_str(&e.to_string()))
    }

    /// Admin: forgets every count (storage deleted); the next request starts from zero.
    pub async fn reset(&self) -> std::result::Result<String, JsValue> {
        self.state
            .storage()
            .delete_all()
            .await
            .map_err(|e| JsValue::from_str(&e.to_string()))?;
        *self.cached.borrow_mut() = Some(Stored::default());
        Ok("reset".into())
    }

    pub async fn take(&self, body: String) -> std::result::Result<String, JsValue> {
        match self.decide(&body).await {
            Ok(Ok(json)) => Ok(json),
            Ok(Err(bad)) => Err(JsValue::from_str(bad)),
            Err(e) => Err(JsValue::from_str(&e.to_string())),
        }
    }
}

impl RateLimiter {
    /// The object's clock: the gateway's calendar ([`crate::runtime::calendar_now_ms`]), so
    /// a test clock moves quota days with it. Alarms are set as offsets, so they stay right.
    fn now_ms(&self) -> u64 {
        crate::runtime::calendar_now_ms(&self.env) as u64
    }

    /// Decides a [`TakeRequest`] (JSON) and persists the new counts before answering with
    /// the [`crate::ratelimit::TakeResponse`] as JSON. `Ok(Err)` is a malformed request.
    async fn decide(&self, body: &str) -> Result<std::result::Result<String, &'static str>> {
        let Ok(take) = serde_json::from_str::<TakeRequest>(body) else {
            return Ok(Err("bad take request"));
        };
        let Some(limits) = take
            .limits
            .iter()
            .map(|w| w.to_limit())
            .collect::<Option<Vec<_>>>()
        else {
            return Ok(Err("bad limit"));
        };
        let now = self.now_ms();
        let mut stored = self.load().await?;
        let mut states: Vec<LimitState> = take
            .limits
            .iter()
            .map(|w| stored.limits.get(&w.name).cloned().unwrap_or_default())
            .collect();
        let response = answer(&take, &limits, &mut states, now);
        for (w, s) in take.limits.iter().zip(states) {
            stored.limits.insert(w.name.clone(), s);
        }
        stored.idle_until = stored.idle_until.max(now + idle_after_ms(&limits));
        stored.takes += 1;
        self.state.storage().put(KEY, &stored).await?;
        let idle_until = stored.idle_until;
        *self.cached.borrow_mut() = Some(stored);
        self.ensure_alarm(now, idle_until).await?;
        Ok(Ok(serde_json::to_string(&response)?))
    }

    /// `GET`: what the object holds in storage, read from storage itself (not the in-memory
    /// copy): `{"keys": n, "alarm": ms|null}`. For operators and the clean-up tests; the
    /// gateway never routes client requests here.
    async fn describe(&self) -> Result<Response> {
        let keys = self.state.storage().list().await?.size();
        let alarm = self.state.storage().get_alarm().await?;
        Response::from_json(&serde_json::json!({ "keys": keys, "alarm": alarm }))
    }

    async fn load(&self) -> Result<Stored> {
        if let Some(s) = self.cached.borrow().clone() {
            return Ok(s);
        }
        let stored = self
            .state
            .storage()
            .get::<Stored>(KEY)
            .await?
            .unwrap_or_default();
        *self.cached.borrow_mut() = Some(stored.clone());
        Ok(stored)
    }

    /// Makes sure a clean-up alarm is scheduled (checked once per object lifetime; the alarm
    /// handler reschedules itself while the object is in use).
    async fn ensure_alarm(&self, now: u64, idle_until: u64) -> Result<()> {
        if self.alarm_checked.replace(true) {
            return Ok(());
        }
        if self.state.storage().get_alarm().await?.is_none() {
            // set_alarm takes an offset from now, in ms.
            self.state
                .storage()
                .set_alarm((idle_until.saturating_sub(now)).max(1) as i64)
                .await?;
        }
        Ok(())
    }
}

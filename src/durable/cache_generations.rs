//! [`CacheGenerations`]: the purge counters behind `kind = "cache"`. One object (named
//! `generations`) holds a counter per route (`route:<id>`) and per tag (`tag:<name>`). A
//! route's counter is part of every cache key on it, and a stored entry remembers its tags'
//! counters, so bumping a counter makes the matching entries unreachable everywhere at once
//! (isolates re-read the counters at most a second apart; see `crate::cache::generations`).
//!
//! It also holds the path counters unsafe requests move (`p:<hash>`, see
//! `crate::cache::invalidate`).
//!
//! Any `fetch` answers the counters as a JSON object: that is how isolates read them (a fetch,
//! not an RPC method; see `generationsGet` in `src/runtime/platform.js`). RPC: `bump(key)`
//! increments one, and `invalidate(keys)` moves the comma-separated path counters
//! ([`crate::cache::generations::invalidate_paths`]); both persist before answering and
//! answer the new counters.

use std::cell::RefCell;
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

const KEY: &str = "generations";

#[durable_object]
pub struct CacheGenerations {
    state: State,
    cached: RefCell<Option<BTreeMap<String, u64>>>,
}

impl DurableObject for CacheGenerations {
    fn new(state: State, _env: Env) -> Self {
        CacheGenerations {
            state,
            cached: RefCell::new(None),
        }
    }

    /// Any request: the counters, as JSON (the isolates' periodic read, and operators).
    async fn fetch(&self, _req: Request) -> Result<Response> {
        Response::from_json(&self.load().await?)
    }
}

#[wasm_bindgen]
impl CacheGenerations {
    pub async fn bump(&self, key: String) -> std::result::Result<String, JsValue> {
        let fail = |e: worker::Error| JsValue::from_str(&e.to_string());
        let mut map = self.load().await.map_err(fail)?;
        *map.entry(key).or_insert(0) += 1;
        self.state.storage().put(KEY, &map).await.map_err(fail)?;
        *self.cached.borrow_mut() = Some(map.clone());
        Ok(serde_json::to_string(&map).unwrap_or_default())
    }

    pub async fn invalidate(&self, keys: String) -> std::result::Result<String, JsValue> {
        let fail = |e: worker::Error| JsValue::from_str(&e.to_string());
        let mut map = self.load().await.map_err(fail)?;
        let keys: Vec<&str> = keys.split(',').collect();
        crate::cache::generations::invalidate_paths(&mut map, &keys);
        self.state.storage().put(KEY, &map).await.map_err(fail)?;
        *self.cached.borrow_mut() = Some(map.clone());
        Ok(serde_json::to_string(&map).unwrap_or_default())
    }
}

impl CacheGenerations {
    async fn load(&self) -> Result<BTreeMap<String, u64>> {
        if let Some(m) = self.cached.borrow().clone() {
            return Ok(m);
        }
        let map = self
            .state
            .storage()
            .get::<BTreeMap<String, u64>>(KEY)
            .await?
            .unwrap_or_default();
        *self.cached.borrow_mut() = Some(map.clone());
        Ok(map)
    }
}

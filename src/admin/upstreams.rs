//! This isolate's view of every upstream target: weight and, where the upstream has a
//! breaker, its state. Breakers are per isolate (docs/src/concepts/upstreams.md), so another
//! isolate may see a target differently.

use crate::config::Target;
use crate::runtime;
use crate::upstream::breaker::State;
use crate::upstream::pool::with_pool;
use serde_json::{json, Value};

/// `GET /__gatehouse/upstreams`.
pub fn health() -> String {
    let table = &crate::config::TABLE;
    let now = runtime::now_ms();
    let upstreams: Vec<Value> = table
        .upstreams
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let states = with_pool(i, u, |pool| pool.breaker_states());
            let targets: Vec<Value> = u
                .targets
                .iter()
                .zip(states)
                .map(|(t, state)| {
                    let (breaker, open_for_ms) = match state {
                        None => (Value::Null, Value::Null),
                        Some(State::Closed) => (json!("closed"), Value::Null),
                        Some(State::Open { until_ms }) => {
                            (json!("open"), json!((until_ms - now).max(0.0).round()))
                        }
                        Some(State::HalfOpen { .. }) => (json!("half-open"), Value::Null),
                    };
                    json!({ "target": describe(t), "weight": t.weight, "breaker": breaker, "open_for_ms": open_for_ms })
                })
                .collect();
            json!({ "name": u.name, "targets": targets })
        })
        .collect();
    json!({ "scope": "this isolate", "upstreams": upstreams }).to_string()
}

fn describe(t: &Target) -> &'static str {
    t.id
}

//! Purge counters as an isolate sees them: the CacheGenerations object's map of
//! `route:<id>` and `tag:<name>` counters ([`Generations`], pure), and (wasm) the isolate's
//! copy, re-read from the object at most every [`REFRESH_MS`]. A purge therefore reaches
//! every isolate within about a second; the isolate that runs the purge sees it at once.
//!
//! Contract: when the counters cannot be read and the isolate has no copy, the caller must
//! bypass the cache (an entry purged earlier could otherwise be served).

use std::collections::HashMap;

/// How often an isolate re-reads the counters, at most.
pub const REFRESH_MS: u64 = 1_000;

/// The counters; absent means 0.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Generations(pub HashMap<String, u64>);

impl Generations {
    /// Parses the object's JSON answer.
    pub fn parse(json: &str) -> Option<Generations> {
        serde_json::from_str(json).ok().map(Generations)
    }

    pub fn route(&self, id: &str) -> u64 {
        self.0.get(&format!("route:{id}")).copied().unwrap_or(0)
    }

    pub fn tag(&self, name: &str) -> u64 {
        self.0.get(&format!("tag:{name}")).copied().unwrap_or(0)
    }
}

#[cfg(target_arch = "wasm32")]
mod isolate {
    use super::{Generations, REFRESH_MS};
    use crate::runtime;
    use std::cell::RefCell;
    use std::rc::Rc;

    #[derive(Default)]
    struct Copy {
        current: Option<Rc<Generations>>,
        read_at_ms: u64,
        reading: bool,
    }

    thread_local! {
        static COPY: RefCell<Copy> = RefCell::new(Copy::default());
    }

    /// Stores a fresh answer (a read, or a purge's).
    pub fn remember(json: &str, now_ms: u64) -> Option<Rc<Generations>> {
        let g = Rc::new(Generations::parse(json)?);
        COPY.with(|c| {
            let mut c = c.borrow_mut();
            c.current = Some(g.clone());
            c.read_at_ms = now_ms;
        });
        Some(g)
    }

    /// The counters: this isolate's copy if recent (or being re-read by another request),
    /// else read from the object. `None` if there is no copy and the object cannot answer.
    pub async fn current(env: &worker::Env, now_ms: u64) -> Option<Rc<Generations>> {
        let (copy, fresh, reading) = COPY.with(|c| {
            let c = c.borrow();
            (
                c.current.clone(),
                now_ms.saturating_sub(c.read_at_ms) < REFRESH_MS,
                c.reading,
            )
        });
        if copy.is_some() && (fresh || reading) {
            return copy;
        }
        COPY.with(|c| c.borrow_mut().reading = true);
        let answer = runtime::io::generations_get(env, 1_000).await;
        COPY.with(|c| c.borrow_mut().reading = false);
        match answer {
            Some(json) => remember(&json, now_ms).or(copy),
            None => copy,
        }
    }
}

#[cfg(target_arch = "wasm32")]
pub use isolate::{current, remember};

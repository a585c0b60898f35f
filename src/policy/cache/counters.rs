//! This isolate's copy of the purge counters (wasm only): read from the `CacheGenerations`
//! object at most every [`REFRESH_MS`], trusted for [`crate::cache::generations::MAX_COPY_AGE_MS`]
//! when the object cannot answer (the rules are in [`crate::cache::generations`]).

use crate::cache::generations::{copy_usable, Generations, REFRESH_MS};
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
/// else read from the object. When the object cannot answer, the copy while it is
/// younger than [`crate::cache::generations::MAX_COPY_AGE_MS`]; `None` after that, or without a copy.
pub async fn current(env: &worker::Env, now_ms: u64) -> Option<Rc<Generations>> {
    let (copy, age, reading) = COPY.with(|c| {
        let c = c.borrow();
        (
            c.current.clone(),
            now_ms.saturating_sub(c.read_at_ms),
            c.reading,
        )
    });
    let copy = copy.filter(|_| copy_usable(age));
    if copy.is_some() && (age < REFRESH_MS || reading) {
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

//! Resolves a target's URL template (`http://${HOST}/api`) against the worker's vars and
//! secrets. Literal URLs were checked at build time; URLs with vars are checked here, once per
//! isolate: the result (or the error) is cached, so a missing var is reported once, not per
//! request.

use super::origin::Origin;
use crate::error::GatewayError;
use crate::http::url::{join_url, UrlPart};
use crate::slots::Slots;
use std::cell::RefCell;
use std::rc::Rc;

/// Joins a URL template's parts, looking vars up with `lookup`.
pub fn resolve_url(
    parts: &'static [UrlPart],
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<String, GatewayError> {
    join_url(parts, lookup).map_err(|name| GatewayError::MissingVariable { name })
}

/// Builds a URL target's base URL from its parts, looking vars up with `lookup`. The error
/// never quotes the URL: it is made of vars and secrets (credentials, internal hosts), and its
/// reason reaches the client's problem and the log.
pub fn resolve_origin(
    upstream: &'static str,
    parts: &'static [UrlPart],
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Origin, GatewayError> {
    let url = resolve_url(parts, lookup)?;
    Origin::parse(&url).map_err(|reason| GatewayError::InvalidUpstreamUrl {
        upstream,
        reason: reason.replace(&format!("`{url}`"), "assembled from vars"),
    })
}

/// A target's base URL, or why it could not be resolved.
type Resolved = Result<Rc<Origin>, GatewayError>;

thread_local! {
    /// By upstream index, then target index.
    static RESOLVED: RefCell<Slots<Slots<Resolved>>> = const { RefCell::new(Slots::new()) };
}

/// [`resolve_origin`] for target `target` of upstream number `index`, cached per isolate.
/// `on_first_error` runs once per target, the first time resolution fails (the caller logs
/// it).
pub fn cached_origin(
    (index, target): (usize, usize),
    upstream: &'static str,
    parts: &'static [UrlPart],
    lookup: impl Fn(&str) -> Option<String>,
    on_first_error: impl FnOnce(&GatewayError),
) -> Result<Rc<Origin>, GatewayError> {
    let hit = RESOLVED.with(|m| m.borrow().get(index).and_then(|u| u.get(target)).cloned());
    if let Some(hit) = hit {
        return hit;
    }
    let result = resolve_origin(upstream, parts, lookup).map(Rc::new);
    if let Err(e) = &result {
        on_first_error(e);
    }
    RESOLVED.with(|m| {
        m.borrow_mut()
            .get_or_insert_with(index, Slots::new)
            .insert(target, result.clone())
    });
    result
}

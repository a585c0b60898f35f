//! Canary and A/B splits between an upstream (stable) and a second one (canary). Pure.
//!
//! A request's side is, in order: forced by the canary header (`1`/`true` or `0`/`false`),
//! forced by the canary cookie (same values), the side it was given before (the sticky
//! cookie, or the sticky key's hash), else drawn by `percent`. With a sticky cookie, a drawn
//! side is remembered in a `Set-Cookie`. Forcing is opt-in: only a configured header or cookie
//! forces a side, so without them no client can reach a dark canary (`percent = 0`).

use crate::http::hash::stable_hash;

pub use gatehouse_config::table::upstream::{Canary, Sticky};

/// Which side, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Side {
    pub canary: bool,
    /// Drawn at random now (a sticky cookie then remembers it).
    pub drawn: bool,
}

fn flag(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" => Some(true),
        "0" | "false" => Some(false),
        _ => None,
    }
}

/// The request's side. `header` reads a request header, `cookie` a cookie; `sticky_key` is the
/// request's value for [`Sticky::Key`]; `r` is uniform in `[0, 1)`.
pub fn side(
    c: &Canary,
    header: impl Fn(&str) -> Option<String>,
    cookie: impl Fn(&str) -> Option<String>,
    sticky_key: Option<&str>,
    r: f64,
) -> Side {
    let forced = c
        .header
        .and_then(&header)
        .and_then(|v| flag(&v))
        .or_else(|| c.cookie.and_then(&cookie).and_then(|v| flag(&v)));
    let kept = match c.sticky {
        // The sticky cookie is the client's to send: it keeps only a side the split can
        // give, so it never opens a dark canary (or a stable side at 100%).
        Sticky::Cookie(name) => cookie(name).and_then(|v| flag(&v)).filter(|&canary| {
            if canary {
                c.percent > 0.0
            } else {
                c.percent < 100.0
            }
        }),
        Sticky::Key(_) => sticky_key.map(|k| {
            let bucket = stable_hash(&[b"canary\0", k.as_bytes()]) % 10_000;
            (bucket as f64) < f64::from(c.percent) * 100.0
        }),
    };
    match forced.or(kept) {
        Some(canary) => Side {
            canary,
            drawn: false,
        },
        None => Side {
            canary: r * 100.0 < f64::from(c.percent),
            drawn: true,
        },
    }
}

/// The `Set-Cookie` that keeps a drawn side, for a sticky cookie.
pub fn remember(c: &Canary, side: Side) -> Option<String> {
    match c.sticky {
        Sticky::Cookie(name) if side.drawn => Some(format!(
            "{name}={}; Path=/; Max-Age=86400; HttpOnly; SameSite=Lax",
            u8::from(side.canary)
        )),
        _ => None,
    }
}

//! Whether a request may be sent more than once - retried, sent to a fallback upstream,
//! copied to a mirror - decided once per proxied request from its method, its route and its
//! upstream. Pure; the exchange (wasm) buffers the body and sends accordingly.

use super::retry::idempotent;
use super::settings::{Fallback, Upstream};

/// What the request's sends may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replay {
    /// It may be sent again (retried, or to a fallback upstream) if its body is buffered.
    pub may_resend: bool,
    /// The upstream retries, and the request may be sent again.
    pub may_retry: bool,
    /// A copy goes to the upstream's mirror (drawn by its `percent`).
    pub mirrored: bool,
    /// The body is worth buffering (when small: see the exchange): a retry, a mirror or a
    /// fallback upstream may need it again.
    pub buffer_body: bool,
}

impl Replay {
    /// Decides for a request with method `client_method`, sent upstream as a call step's POST
    /// when `call_step` (gRPC, GraphQL), on a route with `retry_unsafe`, to `up`, with
    /// `draw` uniform in `[0, 1)` for the mirror's share. Contract:
    /// - a client's request may be resent when its method is idempotent (GET, HEAD, OPTIONS,
    ///   PUT, DELETE...); a call step's POST only when the client's method is GET or HEAD (a
    ///   PUT or DELETE binding's call may not be idempotent); `retry_unsafe` allows any;
    /// - it is retried only when the upstream has `retries` and it may be resent;
    /// - it is mirrored when the upstream has a `mirror` and `draw * 100 < percent` (so 0%
    ///   never, 100% always), whatever its method (the mirror's answer is discarded);
    /// - its body is buffered when retried, mirrored, or resendable to a fallback upstream.
    pub fn decide(
        client_method: &str,
        call_step: bool,
        retry_unsafe: bool,
        up: &Upstream,
        draw: f64,
    ) -> Replay {
        let safe = if call_step {
            matches!(client_method, "GET" | "HEAD")
        } else {
            idempotent(client_method)
        };
        let may_resend = safe || retry_unsafe;
        let may_retry = up.retries.is_some() && may_resend;
        let mirrored = up
            .mirror
            .as_ref()
            .is_some_and(|m| draw * 100.0 < f64::from(m.percent));
        let fallback_upstream = matches!(up.fallback, Some(Fallback::Upstream(_)));
        Replay {
            may_resend,
            may_retry,
            mirrored,
            buffer_body: may_retry || mirrored || (may_resend && fallback_upstream),
        }
    }

    /// Whether a failed attempt may be retried, once the body is known: never a streamed one.
    pub fn retryable(self, body_streamed: bool) -> bool {
        self.may_retry && !body_streamed
    }

    /// Whether the request may go to a fallback upstream, once the body is known: never a
    /// streamed one ([`super::fallback::may_resend`]).
    pub fn resendable(self, body_streamed: bool) -> bool {
        self.may_resend && !body_streamed
    }

    /// Whether the mirror gets a copy, once the body is known: a streamed body went to the
    /// upstream and cannot be copied.
    pub fn mirror_gets_copy(self, body_streamed: bool) -> bool {
        self.mirrored && !body_streamed
    }

    /// Whether the upstream call is the request's only one (no mirror beside it), so a
    /// timed-out attempt may be left to the runtime to cancel.
    pub fn alone(self) -> bool {
        !self.mirrored
    }
}

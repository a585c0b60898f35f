//! Header names the gateway reserves. Shared by the build-time checker (policies may not touch
//! them) and the runtime (they are stripped or overwritten on every request).

/// Headers the gateway owns: whatever a client sends under these names never reaches the
/// origin as sent; the gateway sets them itself (or drops them).
pub const GATEWAY_OWNED_HEADERS: &[&str] = &[
    "x-request-id",
    "traceparent",
    "tracestate",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "forwarded",
    "x-real-ip",
    "server-timing",
    "host",
    // Marks mirrored copies (upstream `mirror`); a client's own copy never reaches an origin.
    "x-gatehouse-mirror",
];

/// Hop-by-hop headers (RFC 9110 section 7.6.1 plus legacy ones): never forwarded either way.
/// Any header named in `Connection` is hop-by-hop too.
pub const HOP_BY_HOP_HEADERS: &[&str] = &[
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
];

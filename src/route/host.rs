//! The request host as routes and cache keys see it.

/// The request host for matching: lower-case, without port.
pub fn host_for_matching(host: &str) -> String {
    let without_port = match host.rfind(':') {
        Some(i) if !host[i..].contains(']') => &host[..i],
        _ => host,
    };
    without_port.to_ascii_lowercase()
}

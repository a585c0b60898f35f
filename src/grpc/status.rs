//! gRPC status codes: their names, the HTTP status each maps to (the table grpc-gateway and
//! Envoy's transcoder use), Connect's names for them, and `grpc-message` decoding.

/// (code, gRPC name, Connect name, HTTP status)
const CODES: [(u32, &str, &str, u16); 17] = [
    (0, "OK", "ok", 200),
    (1, "CANCELLED", "canceled", 499),
    (2, "UNKNOWN", "unknown", 500),
    (3, "INVALID_ARGUMENT", "invalid_argument", 400),
    (4, "DEADLINE_EXCEEDED", "deadline_exceeded", 504),
    (5, "NOT_FOUND", "not_found", 404),
    (6, "ALREADY_EXISTS", "already_exists", 409),
    (7, "PERMISSION_DENIED", "permission_denied", 403),
    (8, "RESOURCE_EXHAUSTED", "resource_exhausted", 429),
    (9, "FAILED_PRECONDITION", "failed_precondition", 400),
    (10, "ABORTED", "aborted", 409),
    (11, "OUT_OF_RANGE", "out_of_range", 400),
    (12, "UNIMPLEMENTED", "unimplemented", 501),
    (13, "INTERNAL", "internal", 500),
    (14, "UNAVAILABLE", "unavailable", 503),
    (15, "DATA_LOSS", "data_loss", 500),
    (16, "UNAUTHENTICATED", "unauthenticated", 401),
];

/// The HTTP status for gRPC status `code` (an unknown code is UNKNOWN's, 500).
pub fn http_status(code: u32) -> u16 {
    CODES.iter().find(|c| c.0 == code).map_or(500, |c| c.3)
}

/// The gRPC name of `code` (`NOT_FOUND`), `UNKNOWN` for a code outside the table.
pub fn name(code: u32) -> &'static str {
    CODES
        .iter()
        .find(|c| c.0 == code)
        .map_or("UNKNOWN", |c| c.1)
}

/// The code Connect names `name` (`not_found`).
pub fn from_connect(name: &str) -> Option<u32> {
    CODES.iter().find(|c| c.2 == name).map(|c| c.0)
}

/// Connect's name for `code`.
pub fn connect_name(code: u32) -> &'static str {
    CODES
        .iter()
        .find(|c| c.0 == code)
        .map_or("unknown", |c| c.2)
}

/// A `grpc-status` value: a decimal code, else UNKNOWN (2).
pub fn parse_code(v: &str) -> u32 {
    v.trim().parse().unwrap_or(2)
}

/// A `grpc-message` value, percent-decoded (invalid escapes and UTF-8 kept as they are).
pub fn decode_message(v: &str) -> String {
    let b = v.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| v.to_string())
}

/// A deadline as a `grpc-timeout` value: at most 8 digits and a unit (`m` milliseconds, `S`
/// seconds, `M` minutes).
pub fn timeout(ms: u64) -> String {
    if ms < 100_000_000 {
        format!("{ms}m")
    } else if ms / 1_000 < 100_000_000 {
        format!("{}S", ms / 1_000)
    } else {
        format!("{}M", (ms / 60_000).min(99_999_999))
    }
}

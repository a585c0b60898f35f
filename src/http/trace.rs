//! Request ids and W3C Trace Context (`traceparent`, version 00).

/// An inbound `X-Request-Id` is kept when it is 1-128 characters of `A-Z a-z 0-9 - _ . : @`;
/// anything else is replaced so logs and origins never see injected text.
pub fn is_valid_request_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:@".contains(&b))
}

/// A parsed `traceparent`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceParent {
    /// 32 lower-case hex digits, not all zero.
    pub trace_id: String,
    /// 16 lower-case hex digits, not all zero: the caller's span.
    pub parent_id: String,
    pub flags: u8,
}

impl TraceParent {
    /// Parses a `traceparent` per W3C Trace Context: version `00` exactly 55 characters;
    /// a higher version is read by its first four fields; `ff`, upper-case hex and all-zero
    /// ids are invalid.
    pub fn parse(s: &str) -> Option<TraceParent> {
        let s = s.trim();
        let version = s.get(0..2)?;
        if !is_lower_hex(version) || version == "ff" {
            return None;
        }
        if version == "00" && s.len() != 55 {
            return None;
        }
        if s.len() < 55 || (s.len() > 55 && s.as_bytes()[55] != b'-') {
            return None;
        }
        let b = s.as_bytes();
        if b[2] != b'-' || b[35] != b'-' || b[52] != b'-' {
            return None;
        }
        let (trace_id, parent_id, flags) = (&s[3..35], &s[36..52], &s[53..55]);
        if !is_lower_hex(trace_id) || !is_lower_hex(parent_id) || !is_lower_hex(flags) {
            return None;
        }
        if trace_id.bytes().all(|c| c == b'0') || parent_id.bytes().all(|c| c == b'0') {
            return None;
        }
        Some(TraceParent {
            trace_id: trace_id.to_string(),
            parent_id: parent_id.to_string(),
            flags: u8::from_str_radix(flags, 16).ok()?,
        })
    }
}

/// The ids of one request through the gateway.
#[derive(Debug, Clone)]
pub struct RequestIds {
    pub request_id: String,
    pub trace_id: String,
    /// The gateway's span id, sent upstream as the parent.
    pub span_id: String,
    pub flags: u8,
    /// Whether the trace continues a valid inbound `traceparent` (then `tracestate` is kept).
    pub continued: bool,
}

impl RequestIds {
    /// Continues the inbound request id and trace when valid; otherwise uses `random`
    /// (40 bytes from a CSPRNG: 16 for a request id, 16 for a trace id, 8 for a span id).
    pub fn new(
        inbound_id: Option<&str>,
        inbound_traceparent: Option<&str>,
        random: &[u8; 40],
    ) -> RequestIds {
        let request_id = match inbound_id {
            Some(id) if is_valid_request_id(id) => id.to_string(),
            _ => uuid_v4(&random[0..16]),
        };
        let mut span = hex(&random[32..40]);
        if span.bytes().all(|c| c == b'0') {
            span.replace_range(15..16, "1");
        }
        match inbound_traceparent.and_then(TraceParent::parse) {
            Some(tp) => RequestIds {
                request_id,
                trace_id: tp.trace_id,
                span_id: span,
                flags: tp.flags,
                continued: true,
            },
            None => {
                let mut trace_id = hex(&random[16..32]);
                if trace_id.bytes().all(|c| c == b'0') {
                    trace_id.replace_range(31..32, "1");
                }
                RequestIds {
                    request_id,
                    trace_id,
                    span_id: span,
                    flags: 1,
                    continued: false,
                }
            }
        }
    }

    /// A `traceparent` for a child call (a fan-out part) with span id `span` (16 hex digits).
    pub fn child_traceparent(&self, span: &str) -> String {
        format!("00-{}-{}-{:02x}", self.trace_id, span, self.flags)
    }

    /// The `traceparent` sent upstream: same trace, the gateway's span as parent.
    pub fn traceparent(&self) -> String {
        format!("00-{}-{}-{:02x}", self.trace_id, self.span_id, self.flags)
    }
}

fn is_lower_hex(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

pub fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

fn uuid_v4(r: &[u8]) -> String {
    let mut b = [0u8; 16];
    b.copy_from_slice(r);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

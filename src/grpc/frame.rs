//! gRPC-Web framing (the gRPC protocol over HTTP/1.1): each message is a frame of a flag byte,
//! a 4-byte big-endian length and the bytes; the trailers (`grpc-status`, `grpc-message`, and
//! any others) come last, as a frame with flag `0x80` holding `name: value` lines.

use super::wire::Malformed;

/// A data frame's flag.
const DATA: u8 = 0x00;
/// Set on the trailers frame.
const TRAILERS: u8 = 0x80;
/// Set when a frame is compressed (the gateway never asks for compression).
const COMPRESSED: u8 = 0x01;

/// One message as a data frame.
pub fn frame(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 5);
    out.push(DATA);
    out.extend_from_slice(&(message.len() as u32).to_be_bytes());
    out.extend_from_slice(message);
    out
}

/// A gRPC-Web response body, read.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Framed<'a> {
    pub messages: Vec<&'a [u8]>,
    /// Lower-cased names, values as sent.
    pub trailers: Vec<(String, String)>,
}

impl Framed<'_> {
    /// A trailer's value.
    pub fn trailer(&self, name: &str) -> Option<&str> {
        self.trailers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads a whole gRPC-Web response body: its data frames, then its trailers frame. A
/// compressed frame, a cut frame or anything after the trailers is [`Malformed`].
pub fn parse(body: &[u8]) -> Result<Framed<'_>, Malformed> {
    let mut out = Framed::default();
    let mut rest = body;
    while !rest.is_empty() {
        if rest.len() < 5 {
            return Err(Malformed);
        }
        let flag = rest[0];
        let len = u32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]]) as usize;
        let end = len.checked_add(5).ok_or(Malformed)?;
        let payload = rest.get(5..end).ok_or(Malformed)?;
        rest = &rest[end..];
        if flag & COMPRESSED != 0 {
            return Err(Malformed);
        }
        if flag & TRAILERS != 0 {
            out.trailers = trailers(payload)?;
            if !rest.is_empty() {
                return Err(Malformed);
            }
        } else {
            out.messages.push(payload);
        }
    }
    Ok(out)
}

/// `name: value` lines (CRLF or LF), names lower-cased.
fn trailers(block: &[u8]) -> Result<Vec<(String, String)>, Malformed> {
    let text = std::str::from_utf8(block).map_err(|_| Malformed)?;
    Ok(text
        .split('\n')
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect())
}

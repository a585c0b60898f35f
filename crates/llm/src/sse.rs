//! An incremental server-sent-events parser (the WHATWG `text/event-stream` rules).
//!
//! Bytes arrive in any pieces. Lines end at CR, LF or CRLF (a CR at the end of one piece and
//! an LF at the start of the next are one line end); one UTF-8 BOM at the very start is
//! ignored; a line starting with `:` is a comment; a line without a colon is a field name with
//! an empty value; one space after the colon is stripped; `data` lines are joined with `\n`; a
//! blank line dispatches the event (none when no `data` line came). Lines are decoded only
//! when complete, so a piece may end inside a UTF-8 sequence; invalid UTF-8 becomes U+FFFD.
//! Each event also carries the raw bytes it was read from, for byte-identical pass-through.

/// What the parser found in the bytes pushed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// A dispatched event: its `event` name (`message` when none), joined `data`, and the raw
    /// bytes of its lines, blank line included.
    Event {
        event: String,
        data: String,
        raw: Vec<u8>,
    },
    /// A block that dispatched nothing (comments, ids, blank lines): its raw bytes.
    Quiet { raw: Vec<u8> },
    /// The LF of a CRLF whose CR ended the previous piece's block: belongs to that block.
    TrailingLf,
    /// An incomplete line or one block's bytes passed the cap: parsing stopped.
    Overflow,
}

/// The parser's state between pushes.
#[derive(Debug)]
pub(crate) struct Parser {
    cap: usize,
    line: Vec<u8>,
    raw: Vec<u8>,
    data: String,
    has_data: bool,
    event: String,
    after_cr: bool,
    cr_dispatched: bool,
    first_line: bool,
    stopped: bool,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

impl Parser {
    /// A parser that holds at most `cap` bytes of an incomplete line or of one block (event).
    pub(crate) fn new(cap: usize) -> Parser {
        Parser {
            cap,
            line: Vec::new(),
            raw: Vec::new(),
            data: String::new(),
            has_data: false,
            event: String::new(),
            after_cr: false,
            cr_dispatched: false,
            first_line: true,
            stopped: false,
        }
    }

    /// Parses `bytes`, appending what they complete to `out`.
    pub(crate) fn push(&mut self, bytes: &[u8], out: &mut Vec<Piece>) {
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() && !self.stopped {
            let b = bytes[i];
            if self.after_cr {
                self.after_cr = false;
                if b == b'\n' {
                    if self.cr_dispatched {
                        out.push(Piece::TrailingLf);
                    } else {
                        self.raw.push(b'\n');
                    }
                    i += 1;
                    start = i;
                    continue;
                }
            }
            if b == b'\n' || b == b'\r' {
                self.line.extend_from_slice(&bytes[start..i]);
                let line = std::mem::take(&mut self.line);
                self.after_cr = b == b'\r';
                self.cr_dispatched = self.line_done(&line, &bytes[i..=i], out);
                i += 1;
                start = i;
                continue;
            }
            i += 1;
        }
        if !self.stopped {
            self.line.extend_from_slice(&bytes[start..]);
            if self.line.len() > self.cap {
                self.stop(out);
            }
        }
    }

    /// The body ended: an unterminated last line is taken as complete and a pending event is
    /// dispatched (the body's end completes it).
    pub(crate) fn finish(&mut self, out: &mut Vec<Piece>) {
        if self.stopped {
            return;
        }
        self.after_cr = false;
        if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            self.line_done(&line, b"", out);
        }
        if !self.raw.is_empty() || self.has_data {
            self.line_done(b"", b"", out);
        }
    }

    fn stop(&mut self, out: &mut Vec<Piece>) {
        self.stopped = true;
        self.line.clear();
        self.raw.clear();
        self.data.clear();
        out.push(Piece::Overflow);
    }

    /// Handles one complete line; returns whether it dispatched a block.
    fn line_done(&mut self, line: &[u8], end: &[u8], out: &mut Vec<Piece>) -> bool {
        let mut line = line;
        if self.first_line {
            self.first_line = false;
            if let Some(rest) = line.strip_prefix(BOM) {
                self.raw.extend_from_slice(BOM);
                line = rest;
            }
        }
        self.raw.extend_from_slice(line);
        self.raw.extend_from_slice(end);
        if self.raw.len() > self.cap {
            self.stop(out);
            return false;
        }
        if line.is_empty() {
            let raw = std::mem::take(&mut self.raw);
            let event = std::mem::take(&mut self.event);
            if self.has_data {
                self.has_data = false;
                let mut data = std::mem::take(&mut self.data);
                data.pop();
                let event = if event.is_empty() {
                    "message".to_owned()
                } else {
                    event
                };
                out.push(Piece::Event { event, data, raw });
            } else {
                out.push(Piece::Quiet { raw });
            }
            return true;
        }
        let text = String::from_utf8_lossy(line);
        if text.starts_with(':') {
            return false;
        }
        let (field, value) = match text.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (text.as_ref(), ""),
        };
        match field {
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
                self.has_data = true;
            }
            "event" => self.event = value.to_owned(),
            _ => {}
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &str) -> Vec<(String, String)> {
        let mut parser = Parser::new(1 << 20);
        let mut out = Vec::new();
        parser.push(input.as_bytes(), &mut out);
        parser.finish(&mut out);
        out.into_iter()
            .filter_map(|p| match p {
                Piece::Event { event, data, .. } => Some((event, data)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn one_leading_space_of_a_value_is_stripped_and_the_next_kept() {
        assert_eq!(
            parse("data:  two\n\ndata:none\n\n"),
            [
                ("message".into(), " two".into()),
                ("message".into(), "none".into())
            ]
        );
    }

    #[test]
    fn data_lines_join_with_newlines_and_event_names_the_event() {
        assert_eq!(
            parse("event: delta\ndata: a\ndata:\ndata: b\n\n"),
            [("delta".into(), "a\n\nb".into())]
        );
    }

    #[test]
    fn field_without_colon_is_a_field_with_an_empty_value() {
        assert_eq!(
            parse("data\n\nevent\ndata: x\n\n"),
            [
                ("message".into(), "".into()),
                ("message".into(), "x".into())
            ]
        );
    }

    #[test]
    fn block_without_data_dispatches_nothing_and_resets_the_event_name() {
        assert_eq!(
            parse("event: ping\n\ndata: y\n\n"),
            [("message".into(), "y".into())]
        );
    }

    #[test]
    fn bom_is_ignored_only_at_the_very_start() {
        assert_eq!(
            parse("\u{feff}data: a\n\n\u{feff}data: b\n\n"),
            [("message".into(), "a".into())]
        );
    }

    #[test]
    fn cr_lf_and_crlf_all_end_lines() {
        assert_eq!(
            parse("data: a\rdata: b\r\ndata: c\n\r\n"),
            [("message".into(), "a\nb\nc".into())]
        );
    }
}

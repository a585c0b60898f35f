//! Places for the checker's errors: each `routes/<file>: <context>: <rule>` message gets the
//! `file:line:column` of what it is about, and the line itself with a marker under it, as rustc
//! shows them.
//!
//! The checker's messages stay as they are (tests pin them word for word); this module reads
//! them back. A message names its file, then a context - `route "<id>"`, `upstream "<name>"`,
//! `policy "<name>"`, `gateway.<key>`, `grpc_routes`, an inline policy `policy #<n>` or
//! `policy "<id>#<n>"` - then the rule. The place is, most precise first: the line and column
//! TOML's parser reported; the value of the first key the rule names inside the context's
//! table (or, when the rule quotes one element of an array, that element); the context's
//! table; the first line of the file. JSON Schema files are placed by their `at <pointer>`.

use super::check::SourceFile;
use std::fmt;
use std::ops::Range;
use toml_edit::{ImDocument, Item, Table, Value};

/// One error with its place.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// The checker's message, unchanged.
    pub message: String,
    /// `routes/...`; empty when the message names no file that was read.
    pub file: String,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// The whole line, without its newline (empty when the file is unknown).
    pub source: String,
    /// How many characters the marker covers (at least 1).
    pub width: usize,
}

/// Places every message and returns them in file order (path, then line, then column); the
/// checker's own order breaks ties.
pub fn locate(files: &[SourceFile], errors: &[String]) -> Vec<Diagnostic> {
    let mut docs: Vec<(&str, Option<ImDocument<&str>>)> = Vec::new();
    let mut out: Vec<Diagnostic> = errors
        .iter()
        .map(|message| {
            // The longest file name that the message starts with (a name may hold ": ").
            let Some(file) = files
                .iter()
                .filter(|f| {
                    message.starts_with(&f.path) && message[f.path.len()..].starts_with(": ")
                })
                .max_by_key(|f| f.path.len())
            else {
                return unplaced(message);
            };
            let rest = &message[file.path.len() + 2..];
            let doc = match docs.iter().position(|(p, _)| *p == file.path) {
                Some(i) => &docs[i].1,
                None => {
                    let parsed = file
                        .path
                        .ends_with(".toml")
                        .then(|| ImDocument::parse(file.text.as_str()).ok())
                        .flatten();
                    docs.push((&file.path, parsed));
                    &docs[docs.len() - 1].1
                }
            };
            let span = reported(&file.text, rest)
                .or_else(|| doc.as_ref().and_then(|d| in_toml(d, rest)))
                .or_else(|| in_json(&file.text, rest))
                .unwrap_or(0..0);
            placed(message, file, span)
        })
        .collect();
    out.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    out
}

impl fmt::Display for Diagnostic {
    /// ```text
    /// error: routes/v2/users.toml: route "v2-get-user": upstream "userz" is not defined ...
    ///   --> routes/v2/users.toml:9:12
    ///    |
    ///  9 | upstream = "userz"
    ///    |            ^^^^^^^
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        if self.file.is_empty() {
            return Ok(());
        }
        let n = self.line.to_string();
        let pad = " ".repeat(n.len());
        writeln!(f, "{pad}--> {}:{}:{}", self.file, self.line, self.column)?;
        writeln!(f, "{pad} |")?;
        writeln!(f, "{n} | {}", self.source)?;
        let indent: String = self
            .source
            .chars()
            .take(self.column - 1)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        writeln!(f, "{pad} | {indent}{}", "^".repeat(self.width))
    }
}

fn unplaced(message: &str) -> Diagnostic {
    Diagnostic {
        message: message.to_string(),
        file: String::new(),
        line: 0,
        column: 0,
        source: String::new(),
        width: 0,
    }
}

fn placed(message: &str, file: &SourceFile, span: Range<usize>) -> Diagnostic {
    let text = &file.text;
    let start = floor_char(text, span.start.min(text.len()));
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let source = text[line_start..line_end].trim_end_matches('\r');
    let column = text[line_start..start].chars().count() + 1;
    let end = floor_char(text, span.end.clamp(start, line_end));
    Diagnostic {
        message: message.to_string(),
        file: file.path.clone(),
        line: text[..start].matches('\n').count() + 1,
        column,
        source: source.to_string(),
        width: text[start..end].chars().count().max(1),
    }
}

fn floor_char(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// `line 14, column 8: ...`: where TOML's parser stopped.
fn reported(text: &str, rest: &str) -> Option<Range<usize>> {
    let rest = rest.strip_prefix("line ")?;
    let (line, rest) = rest.split_once(", column ")?;
    let (column, _) = rest.split_once(':')?;
    let (line, column): (usize, usize) = (line.parse().ok()?, column.parse().ok()?);
    if line == 0 || column == 0 || line > text.split_inclusive('\n').count().max(1) {
        return None;
    }
    let start = text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum::<usize>();
    let offset: usize = text[start..]
        .chars()
        .take(column - 1)
        .map(char::len_utf8)
        .sum();
    Some(start + offset..start + offset + 1)
}

/// The place of `rest` (the message after the file) in a TOML file.
fn in_toml(doc: &ImDocument<&str>, rest: &str) -> Option<Range<usize>> {
    let root = doc.as_table();
    let (scope, rule): (Scope, &str) = if let Some((id, rule)) = quoted(rest, "route ") {
        let route = root
            .get("route")
            .and_then(Item::as_array_of_tables)?
            .iter()
            .find(|t| t.get("id").and_then(Item::as_str) == Some(id))?;
        match inline_policy(route, rule) {
            Some((policy, rule)) => (Scope::Inline(policy), rule),
            None => (Scope::Table(route), rule),
        }
    } else if let Some((name, rule)) = quoted(rest, "upstream ") {
        (Scope::Table(sub_table(root, &["upstreams", name])?), rule)
    } else if let Some((name, rule)) = quoted(rest, "policy ") {
        (Scope::Table(sub_table(root, &["policies", name])?), rule)
    } else if let Some(rule) = rest.strip_prefix("gateway.") {
        (Scope::Table(sub_table(root, &["gateway"])?), rule)
    } else if rest.starts_with("grpc_routes: ") {
        let key = root.get_key_value("grpc_routes")?.0;
        return key.span();
    } else {
        (Scope::Table(root), rest)
    };
    scope.find(rule).or_else(|| scope.span())
}

/// `<prefix>"<name>": <rule>` -> (name, rule).
fn quoted<'a>(rest: &'a str, prefix: &str) -> Option<(&'a str, &'a str)> {
    let rest = rest.strip_prefix(prefix)?.strip_prefix('"')?;
    let (name, rule) = rest.split_once("\": ")?;
    Some((name, rule))
}

/// `policy #<n>: ...` or `policy "<id>#<n>" (<kind>) ...`: the route's n-th policy.
fn inline_policy<'a>(route: &'a Table, rule: &'a str) -> Option<(&'a Value, &'a str)> {
    let (n, rule) = if let Some(r) = rule.strip_prefix("policy #") {
        let (n, rule) = r.split_once(": ")?;
        (n, rule)
    } else {
        let r = rule.strip_prefix("policy \"")?;
        let (name, rule) = r.split_once('"')?;
        let (_, n) = name.rsplit_once('#')?;
        (n, rule)
    };
    let n: usize = n.parse().ok()?;
    let policies = route.get("policies")?.as_array()?;
    Some((policies.get(n.checked_sub(1)?)?, rule))
}

fn sub_table<'a>(root: &'a Table, path: &[&str]) -> Option<&'a Table> {
    let mut t = root;
    for key in path {
        t = t.get(key)?.as_table()?;
    }
    Some(t)
}

/// What a message is about: a table (a route, an upstream, `[gateway]`, the file) or an
/// inline policy of a route.
enum Scope<'a> {
    Table(&'a Table),
    Inline(&'a Value),
}

impl Scope<'_> {
    fn span(&self) -> Option<Range<usize>> {
        match self {
            Scope::Table(t) => t
                .span()
                .or_else(|| t.iter().next().and_then(|(k, _)| t.key(k)?.span())),
            Scope::Inline(v) => v.span(),
        }
    }

    /// The first word of `rule` that names a key here (dotted keys too: `fallback.upstream`;
    /// serde's `unknown field \`x\`` names one too): its value, or the element of its array
    /// that the rule quotes. Else a value here equal to a string the rule quotes
    /// (`policy "user-jwt" is not defined` -> that element of `policies`).
    fn find(&self, rule: &str) -> Option<Range<usize>> {
        for word in rule
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-'))
            .filter(|w| !w.is_empty())
            .take(12)
        {
            if let Some((key, item)) = self.lookup(word.trim_matches('.')) {
                if let Some(span) = element(item, rule).or_else(|| item_span(item)).or(key) {
                    return Some(span);
                }
            }
        }
        let items: Vec<&Item> = match self {
            Scope::Table(t) => t.iter().filter_map(|(k, _)| t.get(k)).collect(),
            Scope::Inline(_) => Vec::new(),
        };
        items.into_iter().find_map(|item| {
            element(item, rule).or_else(|| {
                let s = item.as_str()?;
                rule.split('"')
                    .skip(1)
                    .step_by(2)
                    .any(|q| q == s)
                    .then(|| item_span(item))?
            })
        })
    }

    fn lookup(&self, dotted: &str) -> Option<(Option<Range<usize>>, &Item)> {
        let mut parts = dotted.split('.');
        let first = parts.next()?;
        let (mut key, mut item) = match self {
            Scope::Table(t) => t.get_key_value(first).map(|(k, i)| (k.span(), i))?,
            Scope::Inline(v) => v
                .as_inline_table()?
                .get_key_value(first)
                .map(|(k, i)| (k.span(), i))?,
        };
        for part in parts {
            let (k, i) = match item {
                Item::Table(t) => t.get_key_value(part)?,
                Item::Value(Value::InlineTable(t)) => t.get_key_value(part)?,
                _ => return None,
            };
            (key, item) = (k.span(), i);
        }
        Some((key, item))
    }
}

fn item_span(item: &Item) -> Option<Range<usize>> {
    match item {
        Item::Value(v) => v.span(),
        Item::Table(t) => t.span(),
        Item::ArrayOfTables(a) => a.span(),
        Item::None => None,
    }
}

/// The element of an array value that `rule` quotes (`algorithms: "none" is never accepted`).
fn element(item: &Item, rule: &str) -> Option<Range<usize>> {
    let array = item.as_array()?;
    let quoted: Vec<&str> = rule.split('"').skip(1).step_by(2).collect();
    array
        .iter()
        .find(|v| v.as_str().is_some_and(|s| quoted.contains(&s)))
        .and_then(Value::span)
}

/// `at /properties/name: ...` in a JSON file: the last member of the pointer, found by
/// walking its members in text order (a place to look, not a parse).
fn in_json(text: &str, rest: &str) -> Option<Range<usize>> {
    let pointer = rest.strip_prefix("at ")?.split(": ").next()?;
    let mut at = 0;
    let mut found = None;
    for member in pointer.split('/').filter(|m| !m.is_empty()) {
        let member = member.replace("~1", "/").replace("~0", "~");
        let needle = format!("\"{member}\"");
        if let Some(i) = text[at..].find(&needle) {
            found = Some(at + i..at + i + needle.len());
            at += i + needle.len();
        }
    }
    found
}

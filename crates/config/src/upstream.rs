//! `[upstreams.<name>]`: a pool of targets and how requests reach them (balancing, timeout,
//! deadline, retries, breaker, fallback). Parsed once into [`CheckedUpstream`], which
//! [`CheckedUpstream::upstream`] builds as the table's [`Upstream`].

use super::lex::{check_url, parse_duration_ms, UrlPart};
use super::schema::{BreakerSpec, CanarySpec, FallbackSpec, MirrorSpec, RetriesSpec, UpstreamSpec};
use crate::leak;
use crate::table::upstream::{
    Balance, BreakerSettings, Canary, FailureSet, Fallback, HashOn, Mirror, Provider, ProviderKind,
    RetrySettings, Sticky, Target, TargetAddr, Upstream,
};

/// Timeout used when an upstream sets none.
pub const DEFAULT_TIMEOUT_MS: u32 = 30_000;
const MAX_DURATION_MS: u64 = 10 * 60 * 1000;
const MAX_TARGETS: usize = 16;
const MAX_WEIGHT: u32 = 1_000;
const MAX_RETRIES: u8 = 5;

/// `canary = { ... }`, checked.
#[derive(Debug)]
pub struct CheckedCanary {
    pub upstream: String,
    pub percent: f64,
    /// The forcing header, lower case; `None`: no header forces a side.
    pub header: Option<String>,
    pub cookie: Option<String>,
    /// `cookie:<name>` or a `hash_on` key.
    pub sticky: String,
}

#[derive(Debug)]
pub enum CheckedTarget {
    Url(Vec<UrlPart>, String),
    Service(String),
}

#[derive(Debug, PartialEq)]
pub enum CheckedBalance {
    RoundRobin,
    Random,
    Hash(String),
}

/// Failure endings: connect errors, timeouts, statuses.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedFailures {
    pub connect: bool,
    pub timeout: bool,
    pub statuses: Vec<u16>,
}

#[derive(Debug)]
pub struct CheckedRetries {
    pub attempts: u8,
    pub on: CheckedFailures,
    pub backoff_ms: u32,
    pub max_backoff_ms: u32,
    pub budget_percent: u8,
}

#[derive(Debug)]
pub struct CheckedBreaker {
    pub failures: u32,
    pub error_ratio: Option<f64>,
    pub window_ms: u32,
    pub min_requests: u32,
    pub open_ms: u32,
    pub max_open_ms: u32,
    pub probes: u32,
    pub on: CheckedFailures,
}

#[derive(Debug)]
pub enum CheckedFallback {
    /// Another upstream, by name (its index is found once all upstreams are read).
    Upstream(String),
    Static {
        status: u16,
        content_type: String,
        body: String,
    },
}

#[derive(Debug)]
pub struct CheckedUpstream {
    pub name: String,
    /// (target, weight).
    pub targets: Vec<(CheckedTarget, u32)>,
    pub balance: CheckedBalance,
    pub timeout_ms: u32,
    pub deadline_ms: Option<u32>,
    pub retries: Option<CheckedRetries>,
    pub breaker: Option<CheckedBreaker>,
    pub fallback: Option<CheckedFallback>,
    /// (upstream name, percent).
    pub mirror: Option<(String, f64)>,
    pub canary: Option<CheckedCanary>,
    /// `provider = ...`, checked.
    pub provider: Option<CheckedProvider>,
}

/// `provider`, `key` and `binding` of an LLM provider upstream.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedProvider {
    pub kind: ProviderKind,
    /// The env var holding the key.
    pub key: Option<String>,
    pub binding: Option<String>,
}

/// Checks `provider`, `key` and `binding`; returns the provider and the URL to use when
/// `url` is not set (the provider's public API).
fn provider(
    spec: &UpstreamSpec,
) -> Result<Option<(CheckedProvider, Option<&'static str>)>, String> {
    let Some(p) = spec.provider.as_deref() else {
        if spec.key.is_some() || spec.binding.is_some() {
            return Err("key and binding are only used with provider = ...".into());
        }
        return Ok(None);
    };
    let (kind, default_url) = match p {
        "openai" => (ProviderKind::OpenAi, Some("https://api.openai.com/v1")),
        "anthropic" => (ProviderKind::Anthropic, Some("https://api.anthropic.com")),
        "openai-compatible" => (ProviderKind::OpenAiCompatible, None),
        "workers-ai" => (ProviderKind::WorkersAi, None),
        other => {
            return Err(format!(
                "provider \"{other}\": use \"openai\", \"anthropic\", \"openai-compatible\" or \"workers-ai\""
            ))
        }
    };
    let key = match spec.key.as_deref() {
        None => None,
        Some(k) => match k.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
            Some(var) if is_binding_name(var) => Some(var.to_string()),
            _ => return Err("key: a provider key is a secret: write \"${VAR}\" and set it with `wrangler secret put VAR`, never the key itself".into()),
        },
    };
    let binding = match (kind, spec.binding.as_deref()) {
        (ProviderKind::WorkersAi, b) => {
            let b = b.unwrap_or("AI");
            if !is_binding_name(b) {
                return Err(format!(
                    "binding \"{b}\" is not a binding name (A-Z, 0-9, _)"
                ));
            }
            if spec.url.is_some() || spec.targets.is_some() || key.is_some() {
                return Err("provider = \"workers-ai\" is reached through its binding: no url, targets or key".into());
            }
            Some(b.to_string())
        }
        (_, Some(_)) => return Err("binding is only used with provider = \"workers-ai\"".into()),
        (_, None) => None,
    };
    if matches!(kind, ProviderKind::OpenAi | ProviderKind::Anthropic) && key.is_none() {
        return Err(format!(
            "provider = \"{p}\" needs key = \"${{VAR}}\" (the API key, a secret)"
        ));
    }
    if kind == ProviderKind::OpenAiCompatible && spec.url.is_none() && spec.targets.is_none() {
        return Err(
            "provider = \"openai-compatible\" needs url (the API's base, e.g. \"https://host/v1\")"
                .into(),
        );
    }
    if spec.mirror.is_some() || spec.canary.is_some() || spec.fallback.is_some() {
        return Err("a provider upstream has no mirror, canary or fallback: list other providers in the llm policy's models instead".into());
    }
    Ok(Some((CheckedProvider { kind, key, binding }, default_url)))
}

fn duration(key: &str, v: Option<&str>, default_ms: u32) -> Result<u32, String> {
    match v {
        None => Ok(default_ms),
        Some(s) => match parse_duration_ms(s) {
            Ok(ms) if ms <= MAX_DURATION_MS => Ok(ms as u32),
            Ok(_) => Err(format!("{key} must be at most 10m")),
            Err(e) => Err(format!("{key}: {e}")),
        },
    }
}

/// `["connect", "timeout", 502, ...]`.
fn failures(key: &str, v: Option<&[toml::Value]>) -> Result<CheckedFailures, String> {
    let Some(items) = v else {
        return Ok(CheckedFailures {
            connect: true,
            timeout: true,
            statuses: vec![502, 503, 504],
        });
    };
    let mut out = CheckedFailures {
        connect: false,
        timeout: false,
        statuses: Vec::new(),
    };
    for item in items {
        match item {
            toml::Value::String(s) if s == "connect" => out.connect = true,
            toml::Value::String(s) if s == "timeout" => out.timeout = true,
            toml::Value::Integer(n) if *n == 408 || *n == 429 || (500..=599).contains(n) => {
                out.statuses.push(*n as u16)
            }
            other => {
                return Err(format!(
                    "{key}: {other} is not \"connect\", \"timeout\", 408, 429 or a 5xx status"
                ))
            }
        }
    }
    Ok(out)
}

fn is_binding_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && !s.as_bytes()[0].is_ascii_digit()
}

fn hash_on(s: &str) -> Result<String, String> {
    let err = || {
        format!("hash_on \"{s}\": use header:<name>, cookie:<name>, claim:<name>, consumer or ip")
    };
    match s.split_once(':') {
        None if s == "consumer" || s == "ip" => Ok(s.to_string()),
        Some((kind, name)) if ["header", "cookie", "claim"].contains(&kind) => {
            let ok = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
            if !ok {
                return Err(err());
            }
            let name = if kind == "header" {
                name.to_ascii_lowercase()
            } else {
                name.to_string()
            };
            Ok(format!("{kind}:{name}"))
        }
        _ => Err(err()),
    }
}

/// A checked `hash` key as the table's.
fn table_hash_on(on: &str) -> HashOn {
    match on.split_once(':') {
        Some(("header", n)) => HashOn::Header(leak::str(n)),
        Some(("cookie", n)) => HashOn::Cookie(leak::str(n)),
        Some((_, n)) => HashOn::Claim(leak::str(n)),
        None if on == "consumer" => HashOn::Consumer,
        None => HashOn::Ip,
    }
}

impl CheckedUpstream {
    /// Parses one upstream's settings (the fallback's name is checked by the caller).
    pub fn parse(name: &str, spec: &UpstreamSpec) -> Result<CheckedUpstream, String> {
        let provider = provider(spec)?;
        let default_url = provider.as_ref().and_then(|(_, url)| *url);
        let provider = provider.map(|(p, _)| p);
        let no_targets = matches!(&provider, Some(p) if p.kind == ProviderKind::WorkersAi);
        let url = match (&spec.url, &spec.targets) {
            (None, None) => default_url.map(str::to_string),
            _ => spec.url.clone(),
        };
        let targets = match (&url, &spec.targets) {
            _ if no_targets => Vec::new(),
            (Some(url), None) => vec![(CheckedTarget::Url(check_url(url)?, url.clone()), 1)],
            (None, Some(list)) => {
                if list.is_empty() || list.len() > MAX_TARGETS {
                    return Err(format!("targets: list 1 to {MAX_TARGETS} targets"));
                }
                let mut out = Vec::new();
                for (i, t) in list.iter().enumerate() {
                    let n = i + 1;
                    let target = match (&t.url, &t.service) {
                        (Some(url), None) => CheckedTarget::Url(
                            check_url(url).map_err(|e| format!("target {n}: {e}"))?,
                            url.clone(),
                        ),
                        (None, Some(b)) if is_binding_name(b) => CheckedTarget::Service(b.clone()),
                        (None, Some(b)) => {
                            return Err(format!(
                                "target {n}: service \"{b}\" is not a binding name (A-Z, 0-9, _)"
                            ))
                        }
                        _ => return Err(format!("target {n}: set exactly one of url or service")),
                    };
                    let weight = t.weight.unwrap_or(1);
                    if !(1..=MAX_WEIGHT).contains(&weight) {
                        return Err(format!("target {n}: weight must be 1 to {MAX_WEIGHT}"));
                    }
                    out.push((target, weight));
                }
                out
            }
            _ => return Err("set exactly one of url or targets".into()),
        };
        let balance = match (spec.balance.as_deref(), spec.hash_on.as_deref()) {
            (None | Some("round-robin"), None) => CheckedBalance::RoundRobin,
            (Some("random"), None) => CheckedBalance::Random,
            (Some("hash"), Some(on)) => CheckedBalance::Hash(hash_on(on)?),
            (Some("hash"), None) => return Err("balance = \"hash\" needs hash_on".into()),
            (Some("round-robin" | "random") | None, Some(_)) => {
                return Err("hash_on is only used with balance = \"hash\"".into())
            }
            (Some(other), _) => {
                return Err(format!(
                    "balance \"{other}\": use \"round-robin\", \"random\" or \"hash\""
                ))
            }
        };
        let timeout_ms = duration("timeout", spec.timeout.as_deref(), DEFAULT_TIMEOUT_MS)?;
        let deadline_ms = match &spec.deadline {
            None => None,
            Some(d) => Some(duration("deadline", Some(d), 0)?),
        };
        let retries = spec.retries.as_ref().map(retries).transpose()?;
        let breaker = spec.breaker.as_ref().map(breaker).transpose()?;
        let fallback = spec
            .fallback
            .as_ref()
            .map(|f| fallback(f, name))
            .transpose()?;
        let mirror = spec.mirror.as_ref().map(|m| mirror(m, name)).transpose()?;
        let canary = spec.canary.as_ref().map(|c| canary(c, name)).transpose()?;
        Ok(CheckedUpstream {
            provider,
            canary,
            mirror,
            name: name.to_string(),
            targets,
            balance,
            timeout_ms,
            deadline_ms,
            retries,
            breaker,
            fallback,
        })
    }

    /// The table's upstream; `upstream_index` finds another upstream's index by name.
    pub fn upstream(&self, upstream_index: impl Fn(&str) -> Option<usize>) -> Upstream {
        let index = |name: &str| upstream_index(name).unwrap_or(usize::MAX);
        let targets = self
            .targets
            .iter()
            .map(|(t, w)| match t {
                CheckedTarget::Url(parts, text) => Target {
                    id: leak::str(text),
                    addr: TargetAddr::Url(leak::url(parts)),
                    weight: *w,
                },
                CheckedTarget::Service(b) => Target {
                    id: leak::str(&format!("service:{b}")),
                    addr: TargetAddr::Service(leak::str(b)),
                    weight: *w,
                },
            })
            .collect();
        let balance = match &self.balance {
            CheckedBalance::RoundRobin => Balance::RoundRobin,
            CheckedBalance::Random => Balance::Random,
            CheckedBalance::Hash(on) => Balance::Hash(table_hash_on(on)),
        };
        let canary = self.canary.as_ref().map(|c| Canary {
            upstream: index(&c.upstream),
            percent: c.percent as f32,
            header: leak::opt(c.header.as_deref()),
            cookie: leak::opt(c.cookie.as_deref()),
            sticky: match c.sticky.strip_prefix("cookie:") {
                Some(n) => Sticky::Cookie(leak::str(n)),
                None => Sticky::Key(table_hash_on(&c.sticky)),
            },
        });
        let fails = |f: &CheckedFailures| FailureSet {
            connect: f.connect,
            timeout: f.timeout,
            statuses: leak::slice(f.statuses.clone()),
        };
        let retries = self.retries.as_ref().map(|r| RetrySettings {
            attempts: r.attempts,
            on: fails(&r.on),
            backoff_ms: r.backoff_ms,
            max_backoff_ms: r.max_backoff_ms,
            budget_percent: r.budget_percent,
        });
        let breaker = self.breaker.as_ref().map(|b| BreakerSettings {
            failures: b.failures,
            error_ratio: b.error_ratio.map(|r| r as f32),
            window_ms: b.window_ms,
            min_requests: b.min_requests,
            open_ms: b.open_ms,
            max_open_ms: b.max_open_ms,
            probes: b.probes,
            on: fails(&b.on),
        });
        let fallback = self.fallback.as_ref().map(|f| match f {
            CheckedFallback::Upstream(u) => Fallback::Upstream(index(u)),
            CheckedFallback::Static {
                status,
                content_type,
                body,
            } => Fallback::Static {
                status: *status,
                content_type: leak::str(content_type),
                body: leak::str(body),
            },
        });
        let mirror = self.mirror.as_ref().map(|(u, percent)| Mirror {
            upstream: index(u),
            percent: *percent as f32,
        });
        Upstream {
            name: leak::str(&self.name),
            targets: leak::slice(targets),
            balance,
            timeout_ms: self.timeout_ms,
            deadline_ms: self.deadline_ms,
            retries,
            breaker,
            fallback,
            mirror,
            canary,
            provider: self.provider.as_ref().map(|p| Provider {
                kind: p.kind,
                key: leak::opt(p.key.as_deref()),
                binding: leak::opt(p.binding.as_deref()),
            }),
        }
    }
}

/// `retries = { ... }`.
fn retries(r: &RetriesSpec) -> Result<CheckedRetries, String> {
    if !(1..=MAX_RETRIES).contains(&r.attempts) {
        return Err(format!("retries.attempts must be 1 to {MAX_RETRIES}"));
    }
    let backoff_ms = duration("retries.backoff", r.backoff.as_deref(), 25)?;
    let max_backoff_ms = duration("retries.max_backoff", r.max_backoff.as_deref(), 1_000)?;
    if max_backoff_ms < backoff_ms {
        return Err("retries.max_backoff must not be below retries.backoff".into());
    }
    let budget_percent = match r.budget.as_deref() {
        None => 20,
        Some(b) => b
            .strip_suffix('%')
            .and_then(|n| n.parse::<u8>().ok())
            .filter(|n| *n <= 100)
            .ok_or_else(|| format!("retries.budget \"{b}\": use a percentage, e.g. \"20%\""))?,
    };
    Ok(CheckedRetries {
        attempts: r.attempts,
        on: failures("retries.on", r.on.as_deref())?,
        backoff_ms,
        max_backoff_ms,
        budget_percent,
    })
}

/// `breaker = { ... }`.
fn breaker(b: &BreakerSpec) -> Result<CheckedBreaker, String> {
    let error_ratio = match b.error_ratio {
        Some(r) if !(r > 0.0 && r <= 1.0) => {
            return Err("breaker.error_ratio must be above 0 and at most 1".into())
        }
        r => r,
    };
    let failures_n = b
        .failures
        .unwrap_or(if error_ratio.is_some() { 0 } else { 5 });
    let open_ms = duration("breaker.open", b.open.as_deref(), 5_000)?;
    let max_open_ms = duration("breaker.max_open", b.max_open.as_deref(), 60_000)?;
    if max_open_ms < open_ms {
        return Err("breaker.max_open must not be below breaker.open".into());
    }
    let probes = b.probes.unwrap_or(1);
    if !(1..=10).contains(&probes) {
        return Err("breaker.probes must be 1 to 10".into());
    }
    if failures_n == 0 && error_ratio.is_none() {
        return Err("breaker: set failures, error_ratio or both".into());
    }
    Ok(CheckedBreaker {
        failures: failures_n,
        error_ratio,
        window_ms: duration("breaker.window", b.window.as_deref(), 10_000)?,
        min_requests: b.min_requests.unwrap_or(20).max(1),
        open_ms,
        max_open_ms,
        probes,
        on: failures("breaker.on", b.on.as_deref())?,
    })
}

/// `mirror = { ... }`: (upstream name, percent).
fn mirror(m: &MirrorSpec, name: &str) -> Result<(String, f64), String> {
    let percent = m.percent.unwrap_or(100.0);
    if !(percent > 0.0 && percent <= 100.0) {
        return Err("mirror.percent must be above 0 and at most 100".into());
    }
    if m.upstream == name {
        return Err("mirror.upstream must be another upstream".into());
    }
    Ok((m.upstream.clone(), percent))
}

/// `canary = { ... }`.
fn canary(c: &CanarySpec, name: &str) -> Result<CheckedCanary, String> {
    if !(0.0..=100.0).contains(&c.percent) {
        return Err("canary.percent must be 0 to 100".into());
    }
    if c.upstream == name {
        return Err("canary.upstream must be another upstream".into());
    }
    // Forcing a side is opt-in: without `header` (or `cookie`) no client can choose its side,
    // so a dark canary (`percent = 0`) stays unreachable.
    if let Some(header) = &c.header {
        if header.is_empty()
            || !header
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(format!("canary.header \"{header}\" is not a header name"));
        }
    }
    let cookie_ok = |n: &str| {
        !n.is_empty()
            && n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    };
    if let Some(k) = &c.cookie {
        if !cookie_ok(k) {
            return Err(format!("canary.cookie \"{k}\" is not a cookie name"));
        }
    }
    let sticky = match c.sticky.as_deref() {
        None => "cookie:gatehouse_canary".to_string(),
        Some(s) => match s.strip_prefix("cookie:") {
            Some(n) if cookie_ok(n) => s.to_string(),
            Some(_) => return Err(format!("canary.sticky \"{s}\": not a cookie name")),
            None => hash_on(s).map_err(|e| format!("canary.sticky: {e}"))?,
        },
    };
    Ok(CheckedCanary {
        upstream: c.upstream.clone(),
        percent: c.percent,
        header: c.header.as_ref().map(|h| h.to_ascii_lowercase()),
        cookie: c.cookie.clone(),
        sticky,
    })
}

/// `fallback = { ... }`.
fn fallback(f: &FallbackSpec, name: &str) -> Result<CheckedFallback, String> {
    Ok(match (&f.upstream, f.status) {
        (Some(u), None) if f.json.is_none() && f.body.is_none() => {
            if u == name {
                return Err("fallback.upstream must be another upstream".into());
            }
            CheckedFallback::Upstream(u.clone())
        }
        (None, Some(status)) => {
            if !(200..=599).contains(&status) {
                return Err("fallback.status must be 200 to 599".into());
            }
            if status == 304 {
                // A 304 answers a conditional request; the fallback would confirm an entry
                // (the cache's, or the client's copy) it has never seen.
                return Err("fallback.status must not be 304 (not modified)".into());
            }
            let (body, default_type) = match (&f.json, &f.body) {
                (Some(j), None) => {
                    serde_json::from_str::<serde_json::Value>(j)
                        .map_err(|e| format!("fallback.json is not JSON: {e}"))?;
                    (j.clone(), "application/json")
                }
                (None, Some(b)) => (b.clone(), "text/plain; charset=utf-8"),
                (None, None) => (String::new(), "text/plain; charset=utf-8"),
                (Some(_), Some(_)) => return Err("fallback: set json or body, not both".into()),
            };
            CheckedFallback::Static {
                status,
                content_type: f
                    .content_type
                    .clone()
                    .unwrap_or_else(|| default_type.to_string()),
                body,
            }
        }
        _ => return Err("fallback: set upstream, or status with json or body (not both)".into()),
    })
}

//! An upstream as compiled from `[upstreams.<name>]`: its pool of targets and how requests
//! reach them (balance, retries, breakers, fallback, mirror, canary). Indexes name other
//! upstreams in the table's `upstreams` list.

use super::http::UrlPart;

/// `[upstreams.<name>]`: a pool of targets and how requests reach them.
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::upstream))]
pub struct Upstream {
    pub name: &'static str,
    /// At least one.
    pub targets: &'static [Target],
    pub balance: Balance,
    /// Time allowed, per attempt, until the origin's response headers arrive.
    pub timeout_ms: u32,
    /// Time allowed for all attempts together, backoff included.
    pub deadline_ms: Option<u32>,
    pub retries: Option<RetrySettings>,
    /// One breaker per target, per isolate.
    pub breaker: Option<BreakerSettings>,
    /// Used when every attempt failed or every target is open.
    pub fallback: Option<Fallback>,
    /// A share of requests copied to another upstream, answers discarded.
    pub mirror: Option<Mirror>,
    /// A split with a second upstream.
    pub canary: Option<Canary>,
    /// `provider = ...`: an LLM provider, reached only by `llm` policies.
    pub provider: Option<Provider>,
}

/// `provider = "openai" | "anthropic" | "openai-compatible" | "workers-ai"` on an upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::upstream))]
pub struct Provider {
    pub kind: ProviderKind,
    /// The env var (a `wrangler secret`) holding the provider's API key, from
    /// `key = "${VAR}"`: sent as `Authorization: Bearer` (OpenAI's) or `x-api-key`
    /// (Anthropic's). The client's own credentials never reach a provider.
    pub key: Option<&'static str>,
    /// `workers-ai`: the AI binding's name (`[ai] binding` in wrangler.toml).
    pub binding: Option<&'static str>,
}

/// The wire format and defaults a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::upstream))]
pub enum ProviderKind {
    /// OpenAI's API; `url` defaults to `https://api.openai.com/v1`.
    OpenAi,
    /// Anthropic's Messages API; `url` defaults to `https://api.anthropic.com`.
    Anthropic,
    /// Any server speaking OpenAI's API at `url` (its base, ending before `/chat/completions`).
    OpenAiCompatible,
    /// Cloudflare Workers AI through the AI binding (`env.AI.run`).
    WorkersAi,
}

/// `mirror = { upstream, percent }`.
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::upstream))]
pub struct Mirror {
    /// Index into the table's `upstreams`.
    pub upstream: usize,
    /// 0-100.
    pub percent: f32,
}

/// One member of a pool.
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::upstream))]
pub struct Target {
    /// How it is named in logs and the `x-gatehouse-target` header: its URL template as
    /// written, or `service:<BINDING>`.
    pub id: &'static str,
    pub addr: TargetAddr,
    pub weight: u32,
}

/// Where a target is.
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::upstream))]
pub enum TargetAddr {
    /// A base URL (`${VAR}` parts resolved from the worker's env).
    Url(&'static [UrlPart]),
    /// A service binding: another Worker, reached without the public internet.
    Service(&'static str),
}

/// How a pool picks a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::upstream))]
pub enum Balance {
    RoundRobin,
    Random,
    Hash(HashOn),
}

/// What `balance = "hash"` hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::upstream))]
pub enum HashOn {
    Header(&'static str),
    Cookie(&'static str),
    Claim(&'static str),
    Consumer,
    Ip,
}

/// What answers when the pool cannot.
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::upstream))]
pub enum Fallback {
    /// Another upstream (index into the table's `upstreams`), tried once.
    Upstream(usize),
    /// A fixed answer.
    Static {
        status: u16,
        content_type: &'static str,
        body: &'static str,
    },
}

/// `canary = { upstream, percent, header, cookie, sticky }` on an upstream.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::upstream))]
pub struct Canary {
    /// Index of the canary upstream.
    pub upstream: usize,
    /// Share of unforced, unassigned clients sent to the canary, 0-100.
    pub percent: f32,
    /// Header that forces a side (`None`: no header does).
    pub header: Option<&'static str>,
    /// Cookie that forces a side.
    pub cookie: Option<&'static str>,
    pub sticky: Sticky,
}

/// How a client stays on its side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::upstream))]
pub enum Sticky {
    /// A cookie of this name remembers the side (`1` canary, `0` stable).
    Cookie(&'static str),
    /// The side follows from a hash of this request key (the same in every isolate); a
    /// request without the key is drawn at random.
    Key(HashOn),
}

/// Which endings count as failures: for retries (`retries.on`) and for breakers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::upstream))]
pub struct FailureSet {
    pub connect: bool,
    pub timeout: bool,
    pub statuses: &'static [u16],
}

impl FailureSet {
    /// Connect errors, timeouts, 502, 503 and 504: the default for both.
    pub const DEFAULT: FailureSet = FailureSet {
        connect: true,
        timeout: true,
        statuses: &[502, 503, 504],
    };
}

/// `[upstreams.<name>] retries = { ... }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::upstream))]
pub struct RetrySettings {
    /// Attempts after the first.
    pub attempts: u8,
    pub on: FailureSet,
    /// Backoff before the first retry, ms; it doubles per retry up to `max_backoff_ms`, and the
    /// wait is a uniformly random share of it ("full jitter").
    pub backoff_ms: u32,
    pub max_backoff_ms: u32,
    /// Retries allowed per isolate, as a percentage of its recent requests (plus
    /// the worker's `Budget::MIN_RETRIES` per window so a quiet isolate can still retry).
    pub budget_percent: u8,
}

/// A breaker's thresholds (`[upstreams.<name>] breaker = { ... }`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::upstream))]
pub struct BreakerSettings {
    /// Consecutive failures that trip it; 0: not used.
    pub failures: u32,
    /// Failure share over the window that trips it (0-1); `None`: not used.
    pub error_ratio: Option<f32>,
    /// Rolling window for the ratio, ms.
    pub window_ms: u32,
    /// Requests the window must hold before the ratio counts.
    pub min_requests: u32,
    /// First open period, ms.
    pub open_ms: u32,
    /// Longest open period, ms.
    pub max_open_ms: u32,
    /// Requests let through while half-open.
    pub probes: u32,
    /// What counts as a failure.
    pub on: FailureSet,
}

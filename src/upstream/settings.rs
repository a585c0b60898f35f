//! An upstream as compiled from `[upstreams.<name>]`: its pool of targets and how requests
//! reach them. Indexes name other upstreams in the table's `upstreams` list.

pub use super::breaker::BreakerSettings;
pub use super::canary::Canary;
pub use super::retry::RetrySettings;
use crate::http::url::UrlPart;

/// `[upstreams.<name>]`: a pool of targets and how requests reach them.
#[derive(Debug)]
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
}

/// `mirror = { upstream, percent }`.
#[derive(Debug)]
pub struct Mirror {
    /// Index into the table's `upstreams`.
    pub upstream: usize,
    /// 0-100.
    pub percent: f32,
}

/// One member of a pool.
#[derive(Debug)]
pub struct Target {
    /// How it is named in logs and the `x-gatehouse-target` header: its URL template as
    /// written, or `service:<BINDING>`.
    pub id: &'static str,
    pub addr: TargetAddr,
    pub weight: u32,
}

/// Where a target is.
#[derive(Debug)]
pub enum TargetAddr {
    /// A base URL (`${VAR}` parts resolved from the worker's env).
    Url(&'static [UrlPart]),
    /// A service binding: another Worker, reached without the public internet.
    Service(&'static str),
}

/// How a pool picks a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Balance {
    RoundRobin,
    Random,
    Hash(HashOn),
}

/// What `balance = "hash"` hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashOn {
    Header(&'static str),
    Cookie(&'static str),
    Claim(&'static str),
    Consumer,
    Ip,
}

/// What answers when the pool cannot.
#[derive(Debug)]
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

//! An upstream as compiled from `[upstreams.<name>]` (defined in `gatehouse-config`): its pool
//! of targets and how requests reach them. Indexes name other upstreams in the table's
//! `upstreams` list.

pub use super::breaker::BreakerSettings;
pub use super::canary::Canary;
pub use super::retry::RetrySettings;

pub use gatehouse_config::table::upstream::{
    Balance, Fallback, HashOn, Mirror, Provider, ProviderKind, Target, TargetAddr, Upstream,
};

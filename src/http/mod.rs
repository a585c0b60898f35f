//! HTTP plumbing shared by routing, policies and upstreams.

#[cfg(target_arch = "wasm32")]
pub mod answer;
pub mod forwarding;
pub mod header_edit;
pub mod trace;
pub mod url;

pub use header_edit::{HeaderEdit, HeaderList};

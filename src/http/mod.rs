//! HTTP plumbing shared by routing, policies and upstreams.

pub mod forwarding;
pub mod header_edit;
pub mod limits;
pub mod origin_syntax;
pub mod trace;
pub mod url;

pub use header_edit::{HeaderEdit, HeaderList};

//! HTTP plumbing shared by routing, policies and upstreams.

pub mod content_type;
pub mod dates;
pub mod forwarding;
pub mod hash;
pub mod header_edit;
pub mod limits;
pub mod method;
pub mod origin_syntax;
pub mod params;
pub mod reserved;
pub mod trace;
pub mod url;

pub use header_edit::{HeaderEdit, HeaderList};

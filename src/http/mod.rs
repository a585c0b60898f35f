//! HTTP plumbing shared by routing, policies and upstreams.

pub mod content_type;
pub mod forwarding;
pub mod hash;
pub mod header_edit;
pub mod limits;
pub mod method;
pub mod params;
pub mod trace;
pub mod url;

pub use gatehouse_shared::{dates, origin_syntax, reserved};
pub use header_edit::{HeaderEdit, HeaderList};

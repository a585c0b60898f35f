//! Fan-out, pure: part path templates and the merge of the parts' JSON (issue 14).

pub mod merge;
pub mod settings;
pub use gatehouse_shared::template;

//! Fan-out, pure: part path templates and the merge of the parts' JSON (issue 14).

pub mod merge;
#[cfg(target_arch = "wasm32")]
pub mod run;
pub mod settings;
pub mod template;

//! JSON body transforms, pure: edits addressed by JSON Pointer (RFC 6901), masking, and
//! keeping only listed fields. The `transform` policy (issue 14) and fan-out merges use them.

pub mod mask;
pub use gatehouse_shared::pointer;

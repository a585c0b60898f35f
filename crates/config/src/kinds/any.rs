//! `kind = "any"`: the first of several authentication policies that accepts the request.
//! Its members are named policies, resolved by the checker once every policy is known.

use super::super::schema::AnySpec;

/// Checks an `any` policy's own settings (its members are resolved later).
pub fn parse(spec: &AnySpec) -> Result<AnySpec, Vec<String>> {
    if spec.of.len() < 2 {
        return Err(vec!["`of` lists at least two policies".into()]);
    }
    Ok(spec.clone())
}

/// The `Policy::Any` value in Rust source; `members` index the table's policies.
pub fn emit(members: &[usize]) -> String {
    format!("Policy::Any(crate::policy::any::Any {{ of: &{members:?} }})")
}

//! `kind = "any"`: the first of several authentication policies that accepts the request.
//! Its members are named policies, resolved by the checker once every policy is known.

/// A compiled `any` policy.
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::kinds::any))]
pub struct Any {
    /// Indices into the table's policies; each is `jwt`, `api_key` or `mtls` (checked at build).
    pub of: &'static [u16],
}

#[cfg(feature = "check")]
pub use check::*;

/// The checker's part: the TOML shape, its parse and the value the table holds.
#[cfg(feature = "check")]
mod check {
    use super::Any;
    use crate::check::CheckedPolicy;
    use crate::kinds::PolicyIndex;
    use crate::leak;
    use serde::Deserialize;

    /// `kind = "any"`: the first of several authentication policies that succeeds.
    #[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct AnySpec {
        /// Names of `jwt`, `api_key` or `mtls` policies, tried in order.
        pub of: Vec<String>,
    }

    /// Checks an `any` policy's own settings (its members are resolved later).
    pub fn parse(spec: &AnySpec) -> Result<AnySpec, Vec<String>> {
        if spec.of.len() < 2 {
            return Err(vec!["`of` lists at least two policies".into()]);
        }
        Ok(spec.clone())
    }

    /// The table's `any` policy; `members` index the table's policies.
    pub fn policy(members: &[usize]) -> Any {
        Any {
            of: leak::slice(members.iter().map(|&m| m as u16).collect()),
        }
    }

    /// The members of an `any` policy: named `jwt`, `api_key` or `mtls` policies.
    pub fn members(
        spec: &AnySpec,
        ctx: &str,
        named: &PolicyIndex,
        policies: &[CheckedPolicy],
        errors: &mut Vec<String>,
    ) -> Vec<usize> {
        let mut members = Vec::new();
        for name in &spec.of {
            match named
                .get(name)
                .map(|i| i.map(|i| (i, &policies[i].settings)))
            {
                Some(None) => {}
                Some(Some((i, member))) if member.is_credential() => members.push(i),
                Some(_) => errors.push(format!(
                    "{ctx}: of: policy \"{name}\" is not a jwt, api_key or mtls policy"
                )),
                None => errors.push(format!(
                    "{ctx}: of: policy \"{name}\" is not defined in routes/gateway.toml [policies]"
                )),
            }
        }
        members
    }
}

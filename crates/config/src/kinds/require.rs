//! `kind = "require"`: checks the identity an authentication policy set (scopes, roles,
//! claims). Its settings are the spec as written, once checked.

/// A compiled `require` policy. Every listed condition must hold.
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::kinds::require))]
pub struct Require {
    /// All of these scopes.
    pub scopes: &'static [&'static str],
    /// At least one of these scopes.
    pub any_scopes: &'static [&'static str],
    /// At least one of these roles.
    pub roles: &'static [&'static str],
    pub claims: &'static [ClaimRule],
}

#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::kinds::require))]
pub struct ClaimRule {
    /// Claim name or dotted path.
    pub claim: &'static str,
    pub test: ClaimTest,
}

#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::kinds::require))]
pub enum ClaimTest {
    /// A string, number or boolean claim, compared as text.
    Equals(&'static str),
    OneOf(&'static [&'static str]),
    /// An array claim holding this value, or a space-separated string containing it as a word.
    Contains(&'static str),
}

#[cfg(feature = "check")]
pub use check::*;

/// The checker's part: the TOML shape, its parse and the value the table holds.
#[cfg(feature = "check")]
mod check {
    use super::{ClaimRule, ClaimTest, Require};
    use crate::leak;
    use serde::Deserialize;

    /// `kind = "require"`: what an authenticated caller must have.
    #[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct RequireSpec {
        /// Every one of these scopes.
        #[serde(default)]
        pub scopes: Vec<String>,
        /// At least one of these scopes.
        #[serde(default)]
        pub any_scopes: Vec<String>,
        /// At least one of these roles (from the `roles` claim).
        #[serde(default)]
        pub roles: Vec<String>,
        /// Claim rules; all must hold.
        #[serde(default)]
        pub claims: Vec<ClaimRuleSpec>,
    }

    /// One claim rule: exactly one of `equals`, `one_of`, `contains`. `claim` may be a dotted path.
    #[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct ClaimRuleSpec {
        pub claim: String,
        pub equals: Option<String>,
        pub one_of: Option<Vec<String>>,
        pub contains: Option<String>,
    }

    /// Checks a `require` policy; its settings are the spec itself.
    pub fn parse(spec: &RequireSpec) -> Result<RequireSpec, Vec<String>> {
        let mut found = Vec::new();
        let errors = &mut found;
        if spec.scopes.is_empty()
            && spec.any_scopes.is_empty()
            && spec.roles.is_empty()
            && spec.claims.is_empty()
        {
            errors.push("require nothing: list scopes, any_scopes, roles or claims".into());
        }
        for s in spec.scopes.iter().chain(&spec.any_scopes) {
            if s.is_empty()
                || !s
                    .bytes()
                    .all(|b| b > b' ' && b < 0x7f && b != b'"' && b != b'\\')
            {
                errors.push(format!("scope \"{s}\" is not a valid scope token"));
            }
        }
        for rule in &spec.claims {
            let n = [
                rule.equals.is_some(),
                rule.one_of.is_some(),
                rule.contains.is_some(),
            ]
            .iter()
            .filter(|b| **b)
            .count();
            if n != 1 {
                errors.push(format!(
                    "claims: rule for \"{}\" needs exactly one of equals, one_of, contains",
                    rule.claim
                ));
            }
        }
        if found.is_empty() {
            Ok(spec.clone())
        } else {
            Err(found)
        }
    }

    /// The table's `require` policy.
    pub fn policy(r: &RequireSpec) -> Require {
        let rules = r
            .claims
            .iter()
            .map(|c| ClaimRule {
                claim: leak::str(&c.claim),
                test: match (&c.equals, &c.one_of, &c.contains) {
                    (Some(v), _, _) => ClaimTest::Equals(leak::str(v)),
                    (_, Some(list), _) => ClaimTest::OneOf(leak::strs(list)),
                    (_, _, Some(v)) => ClaimTest::Contains(leak::str(v)),
                    _ => unreachable!("checked"),
                },
            })
            .collect();
        Require {
            scopes: leak::strs(&r.scopes),
            any_scopes: leak::strs(&r.any_scopes),
            roles: leak::strs(&r.roles),
            claims: leak::slice(rules),
        }
    }
}

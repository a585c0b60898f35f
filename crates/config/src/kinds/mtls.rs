//! `kind = "mtls"`: the table's [`Mtls`]; with `check`, parsed once into [`MtlsSettings`], which the
//! table's value is built from.

/// A compiled `mtls` policy.
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::kinds::mtls))]
pub struct Mtls {
    pub name: &'static str,
    /// Lower-case hex SHA-256 fingerprints; empty allows any verified certificate.
    pub fingerprints: &'static [&'static str],
    pub subjects: &'static [&'static str],
    pub forward: &'static [(&'static str, &'static str)],
}

#[cfg(feature = "check")]
pub use check::*;

/// The checker's part: the TOML shape, its parse and the value the table holds.
#[cfg(feature = "check")]
mod check {
    use super::Mtls;
    use crate::kinds::forward::{check_forward, Forward};
    use crate::leak;
    use serde::Deserialize;
    use std::collections::BTreeMap;

    /// `kind = "mtls"`: the client certificate Cloudflare verified at the TLS handshake.
    #[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct MtlsSpec {
        /// Allowed SHA-256 certificate fingerprints (hex); empty allows any verified certificate.
        #[serde(default)]
        pub fingerprints: Vec<String>,
        /// Allowed subject DNs, compared exactly; empty allows any.
        #[serde(default)]
        pub subjects: Vec<String>,
        /// `subject_dn`, `issuer_dn`, `fingerprint` or `serial` -> header sent to the origin.
        #[serde(default)]
        pub forward: BTreeMap<String, String>,
    }

    /// An `mtls` policy with fingerprints normalised to lower-case hex.
    #[derive(Debug)]
    pub struct MtlsSettings {
        /// Allowed certificate subjects, as written.
        pub subjects: Vec<String>,
        pub fingerprints: Vec<String>,
        pub forward: Forward,
    }

    /// Parses and checks an `mtls` policy.
    pub fn parse(spec: &MtlsSpec) -> Result<MtlsSettings, Vec<String>> {
        let mut errors = Vec::new();
        let mut fingerprints = Vec::new();
        for f in &spec.fingerprints {
            let hex: String = f
                .chars()
                .filter(|c| *c != ':')
                .collect::<String>()
                .to_ascii_lowercase();
            if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                errors.push(format!(
                    "fingerprints: \"{f}\" is not a SHA-256 fingerprint (64 hex digits)"
                ));
            }
            fingerprints.push(hex);
        }
        let forward = check_forward(
            &spec.forward,
            Some(&["subject_dn", "issuer_dn", "fingerprint", "serial"]),
            &mut errors,
        );
        if errors.is_empty() {
            Ok(MtlsSettings {
                subjects: spec.subjects.clone(),
                fingerprints,
                forward,
            })
        } else {
            Err(errors)
        }
    }

    impl MtlsSettings {
        /// The table's `mtls` policy.
        pub fn policy(&self, name: &str) -> Mtls {
            Mtls {
                name: leak::str(name),
                fingerprints: leak::strs(&self.fingerprints),
                subjects: leak::strs(&self.subjects),
                forward: leak::pairs(&self.forward),
            }
        }
    }
}

//! `kind = "mtls"`: requires a client certificate that Cloudflare verified at the TLS
//! handshake (`request.cf.tlsClientAuth`), optionally from an allow-list of SHA-256
//! fingerprints or subject DNs. The certificate check itself happens at Cloudflare's edge
//! (see docs/src/policies/mtls.md); the worker only sees its outcome.

use crate::auth::backend::ClientCert;
use crate::auth::{Denied, Identity};
use serde_json::{Map, Value};

pub use gatehouse_config::kinds::mtls::Mtls;

/// Accepts the certificate or says why not.
pub fn check(policy: &Mtls, cert: Option<ClientCert>) -> Result<Identity, Denied> {
    let cert = cert
        .filter(|c| c.presented)
        .ok_or(Denied::NoClientCertificate)?;
    if cert.verified != "SUCCESS" {
        return Err(Denied::CertificateNotVerified);
    }
    let fingerprint = cert.fingerprint_sha256.to_ascii_lowercase();
    if !policy.fingerprints.is_empty() && !policy.fingerprints.contains(&fingerprint.as_str()) {
        return Err(Denied::CertificateNotAllowed);
    }
    if !policy.subjects.is_empty() && !policy.subjects.contains(&cert.subject_dn.as_str()) {
        return Err(Denied::CertificateNotAllowed);
    }
    let mut claims = Map::new();
    for (k, v) in [
        ("subject_dn", &cert.subject_dn),
        ("issuer_dn", &cert.issuer_dn),
        ("fingerprint", &fingerprint),
        ("serial", &cert.serial),
    ] {
        claims.insert(k.into(), Value::String(v.clone()));
    }
    // A certificate with an empty subject is told apart by its fingerprint.
    let subject = if cert.subject_dn.is_empty() {
        format!("sha256:{fingerprint}")
    } else {
        cert.subject_dn
    };
    Ok(Identity {
        policy: policy.name,
        subject,
        plan: None,
        scopes: Vec::new(),
        roles: Vec::new(),
        claims,
    })
}

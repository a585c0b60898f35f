//! [`AuthBackend`]: what authentication policies need from the runtime. The worker implements
//! it over the request, `env`, WebCrypto, KV and the Cache API (`crate::runtime::auth`); native
//! tests implement it with fixed keys and jwt-compact's own verifiers, so the same policy code
//! runs against both.

use super::jwk::PublicJwk;
use super::jwks::{JwksSource, Need};
use super::Alg;
use std::rc::Rc;

/// The TLS client certificate facts Cloudflare puts in `request.cf.tlsClientAuth`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientCert {
    /// `certPresented == "1"`.
    pub presented: bool,
    /// `certVerified`: `SUCCESS`, `NONE`, or a `FAILED:<reason>` string.
    pub verified: String,
    pub subject_dn: String,
    pub issuer_dn: String,
    /// `certFingerprintSHA256`, lower-case hex.
    pub fingerprint_sha256: String,
    pub serial: String,
}

/// Why the runtime could not give an authentication policy what it needs; the gateway
/// answers it as `auth-unavailable` (503) or `auth-misconfigured` (500).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendError {
    /// A dependency (the IdP's keys, the API key store) cannot be reached.
    Unavailable { what: String },
    /// The deployment lacks what the policy needs (a secret or binding).
    Misconfigured { detail: String },
}

#[allow(async_fn_in_trait)] // single-threaded runtime: no Send bounds wanted
pub trait AuthBackend {
    /// Wall-clock seconds since the epoch.
    fn now_s(&self) -> f64;
    /// An inbound request header (as the client sent it; repeated headers joined by ", ").
    fn header(&self, name: &str) -> Option<String>;
    /// The raw query string, without `?`.
    fn query(&self) -> Option<&str>;
    /// `request.cf.tlsClientAuth`, when the request came over TLS with client auth enabled.
    fn client_cert(&self) -> Option<ClientCert>;
    /// A wrangler secret (or var) by name.
    fn secret(&self, name: &'static str) -> Option<String>;
    /// The policy's JWKS keys under the contract in [`super::jwks`]. `Err` only when no keys
    /// were ever obtained and the IdP cannot be reached.
    async fn jwks(
        &self,
        source: JwksSource,
        need: Need,
    ) -> Result<Rc<Vec<PublicJwk>>, BackendError>;
    /// Verifies an asymmetric JWS signature over `signing_input` (`header.payload`).
    async fn verify(
        &self,
        key: &PublicJwk,
        alg: Alg,
        signing_input: &str,
        signature: &[u8],
    ) -> bool;
    /// A value from a KV namespace binding.
    async fn kv_get(
        &self,
        binding: &'static str,
        key: &str,
    ) -> Result<Option<String>, BackendError>;
}

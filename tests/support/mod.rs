//! [`TestBackend`]: a native [`AuthBackend`] for policy tests. Request facts, secrets, KV and
//! JWKS are plain fields; signatures are verified with jwt-compact's own pure-Rust verifiers,
//! so the policy code is checked against an implementation independent of WebCrypto.
#![allow(dead_code)]

pub mod lenient_origin;
pub mod properties;
pub mod schema_agreement;

use gatehouse::auth::backend::{AuthBackend, BackendError, ClientCert};
use gatehouse::auth::jwk::{KeyMaterial, PublicJwk};
use gatehouse::auth::jwks::{JwksSource, JwksTimes, Need};
use gatehouse::auth::Alg;
use gatehouse::ratelimit::backend::LimiterBackend;
use gatehouse::ratelimit::{answer, State, TakeRequest};
use jwt_compact::alg::{Ed25519, Es256, Rsa, RsaPublicKey};
use jwt_compact::jwk::JsonWebKey;
use jwt_compact::{Algorithm, AlgorithmSignature};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

/// JWKS timing for test `jwt` policies: the defaults of routes/.
pub const JWKS_TIMES: JwksTimes = JwksTimes {
    min_ttl_s: 60,
    max_ttl_s: 86_400,
    refetch_interval_s: 30,
    max_stale_s: 3600,
};

#[derive(Default)]
pub struct TestBackend {
    pub now: f64,
    pub headers: HashMap<String, String>,
    pub query: Option<String>,
    pub cert: Option<ClientCert>,
    pub secrets: HashMap<&'static str, String>,
    /// `None`: the IdP is down and nothing is cached.
    pub jwks: Option<Vec<PublicJwk>>,
    pub jwks_calls: RefCell<Vec<Need>>,
    pub kv: HashMap<String, String>,
    pub kv_down: bool,
    pub kv_reads: Cell<usize>,
    pub verifies: Cell<usize>,
    /// In-process limiter objects by name (what the RateLimiter Durable Object does, minus
    /// storage), and the names asked for.
    pub limiters: RefCell<HashMap<String, HashMap<String, State>>>,
    pub limiter_calls: RefCell<Vec<String>>,
    /// The units each limiter call asked for (its lease, else its cost), in call order.
    pub limiter_units: RefCell<Vec<u64>>,
    pub limiter_down: bool,
    /// Each limiter call lets the executor's other tasks run once before it answers (a round
    /// trip during which other requests arrive).
    pub limiter_yields: bool,
}

/// Pending once (waking itself at once), then ready: lets other tasks of the executor run.
struct YieldNow(bool);

impl std::future::Future for YieldNow {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            return std::task::Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}

impl TestBackend {
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .insert(name.to_ascii_lowercase(), value.to_string());
        self
    }
}

impl AuthBackend for TestBackend {
    fn now_s(&self) -> f64 {
        self.now
    }
    fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).cloned()
    }
    fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }
    fn client_cert(&self) -> Option<ClientCert> {
        self.cert.clone()
    }
    fn secret(&self, name: &'static str) -> Option<String> {
        self.secrets.get(name).cloned()
    }
    async fn jwks(&self, _: JwksSource, need: Need) -> Result<Rc<Vec<PublicJwk>>, BackendError> {
        self.jwks_calls.borrow_mut().push(need);
        self.jwks
            .clone()
            .map(Rc::new)
            .ok_or(BackendError::Unavailable {
                what: "down".into(),
            })
    }
    async fn verify(&self, key: &PublicJwk, alg: Alg, input: &str, sig: &[u8]) -> bool {
        self.verifies.set(self.verifies.get() + 1);
        let KeyMaterial::Jwk(json) = &key.material else {
            panic!("native tests use JWK keys");
        };
        let jwk: JsonWebKey = serde_json::from_str(json).unwrap();
        let input = input.as_bytes();
        match alg {
            Alg::Es256 => {
                let Ok(k) = <Es256 as Algorithm>::VerifyingKey::try_from(&jwk) else {
                    return false;
                };
                let Ok(s) = <Es256 as Algorithm>::Signature::try_from_slice(sig) else {
                    return false;
                };
                Es256.verify_signature(&s, &k, input)
            }
            Alg::EdDsa => {
                let Ok(k) = <Ed25519 as Algorithm>::VerifyingKey::try_from(&jwk) else {
                    return false;
                };
                let Ok(s) = <Ed25519 as Algorithm>::Signature::try_from_slice(sig) else {
                    return false;
                };
                Ed25519.verify_signature(&s, &k, input)
            }
            rsa => {
                let Ok(k) = RsaPublicKey::try_from(&jwk) else {
                    return false;
                };
                let Ok(s) = <Rsa as Algorithm>::Signature::try_from_slice(sig) else {
                    return false;
                };
                let a = match rsa {
                    Alg::Rs256 => Rsa::rs256(),
                    Alg::Rs384 => Rsa::rs384(),
                    Alg::Rs512 => Rsa::rs512(),
                    Alg::Ps256 => Rsa::ps256(),
                    Alg::Ps384 => Rsa::ps384(),
                    Alg::Ps512 => Rsa::ps512(),
                    other => panic!("{other:?} is not RSA"),
                };
                a.verify_signature(&s, &k, input)
            }
        }
    }
    async fn kv_get(&self, _: &'static str, key: &str) -> Result<Option<String>, BackendError> {
        self.kv_reads.set(self.kv_reads.get() + 1);
        if self.kv_down {
            return Err(BackendError::Unavailable {
                what: "kv down".into(),
            });
        }
        Ok(self.kv.get(key).cloned())
    }
}

impl LimiterBackend for TestBackend {
    async fn limiter_take(
        &self,
        object: &str,
        body: &str,
        _timeout_ms: u32,
    ) -> Result<String, String> {
        self.limiter_calls.borrow_mut().push(object.to_string());
        if self.limiter_yields {
            YieldNow(false).await;
        }
        if self.limiter_down {
            return Err("timeout".into());
        }
        let take: TakeRequest = serde_json::from_str(body).map_err(|e| e.to_string())?;
        let units = if take.lease > 0 {
            take.lease
        } else {
            take.cost
        };
        self.limiter_units.borrow_mut().push(units);
        let limits: Vec<_> = take.limits.iter().map(|w| w.to_limit().unwrap()).collect();
        let mut objects = self.limiters.borrow_mut();
        let stored = objects.entry(object.to_string()).or_default();
        let mut states: Vec<State> = take
            .limits
            .iter()
            .map(|w| stored.get(&w.name).cloned().unwrap_or_default())
            .collect();
        let response = answer(&take, &limits, &mut states, (self.now * 1000.0) as u64);
        for (w, s) in take.limits.iter().zip(states) {
            stored.insert(w.name.clone(), s);
        }
        Ok(serde_json::to_string(&response).unwrap())
    }

    /// Gives the other requests of a test a turn (no time passes).
    async fn pause(&self, _ms: u32) {
        YieldNow(false).await;
    }
}

/// The issuer of [`HS_JWT`].
pub const HS_ISS: &str = "https://internal.gatehouse.test/";
/// The secret of [`HS_JWT`] (the backend's `JWT_SECRET`).
pub const HS_SECRET: &str = "0123456789abcdef0123456789abcdef-hmac";

/// An HS256 `jwt` policy: issuer [`HS_ISS`], `exp` required, 30 s leeway, no token cache.
pub static HS_JWT: gatehouse::policy::jwt::Jwt = gatehouse::policy::jwt::Jwt {
    name: "service-jwt",
    index: 0,
    algorithms: &[Alg::Hs256],
    issuer: Some(HS_ISS),
    audiences: &[],
    secret: Some("JWT_SECRET"),
    jwks_url: None,
    keys: &[],
    require_exp: true,
    leeway_s: 30,
    max_token_bytes: 8192,
    cookie: None,
    query: None,
    jwks: JWKS_TIMES,
    token_cache_ttl_s: 0,
    forward: &[],
};

/// Base64url without padding.
pub fn b64url(bytes: &[u8]) -> String {
    use base64ct::{Base64UrlUnpadded, Encoding};
    Base64UrlUnpadded::encode_string(bytes)
}

/// A compact JWS over raw header and claims JSON text, signed HS256 with [`HS_SECRET`].
pub fn sign_hs256(header: &str, claims: &str) -> String {
    use jwt_compact::alg::{Hs256, Hs256Key};
    let input = format!(
        "{}.{}",
        b64url(header.as_bytes()),
        b64url(claims.as_bytes())
    );
    let sig = Hs256.sign(&Hs256Key::new(HS_SECRET), input.as_bytes());
    format!("{input}.{}", b64url(sig.as_bytes().as_ref()))
}

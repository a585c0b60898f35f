//! Why a request was not authenticated or not authorised. Each reason is safe to show the
//! client: it names what was wrong with the credential, never key material or claim values.

/// How the client should authenticate: drives the `WWW-Authenticate` challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// RFC 6750 bearer token (JWT).
    Bearer,
    /// An API key in this header or query parameter.
    ApiKeyHeader(&'static str),
    ApiKeyQuery(&'static str),
    /// A TLS client certificate; there is no HTTP challenge for it.
    ClientCertificate,
}

/// The reason a credential was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// No credential of this scheme in the request.
    Missing,
    /// The `Authorization` header is not `Bearer <token>`.
    BadAuthorizationHeader,
    /// The credential appears more than once (two headers, a repeated query parameter).
    Ambiguous,
    TooLarge {
        limit: u32,
    },
    /// Not three base64url parts with JSON header and claims.
    Malformed,
    AlgorithmNotAllowed {
        alg: String,
    },
    /// The JOSE header (or the claims object) breaks a rule a verifier must not ignore.
    Header(super::jose_header::HeaderRefusal),
    /// No key with the token's `kid` (or none at all for its algorithm).
    UnknownKey,
    BadSignature,
    MissingExpiry,
    Expired,
    NotYetValid,
    IssuedInFuture,
    WrongIssuer,
    WrongAudience,
    /// A valid credential that names no subject (a JWT without `sub`, an API-key record
    /// without `id`): every such caller would share one consumer - one rate-limit bucket,
    /// one cache partition.
    NoSubject,
    /// The API key is not in the store.
    UnknownApiKey,
    ApiKeyDisabled,
    ApiKeyExpired,
    /// No client certificate was presented at the TLS handshake.
    NoClientCertificate,
    /// A certificate was presented but Cloudflare did not verify it against the CA.
    CertificateNotVerified,
    /// A verified certificate whose fingerprint or subject is not on the allow-list.
    CertificateNotAllowed,
    /// Authenticated, but without what the route requires (403 `insufficient_scope`).
    InsufficientScope {
        required: String,
    },
}

impl Denied {
    /// One sentence for the problem's `detail`.
    pub fn describe(&self) -> String {
        match self {
            Denied::Missing => "no credentials in the request".into(),
            Denied::BadAuthorizationHeader => {
                "the Authorization header must be `Bearer <token>`".into()
            }
            Denied::Ambiguous => "the credential appears more than once".into(),
            Denied::TooLarge { limit } => format!("the token is longer than {limit} bytes"),
            Denied::Malformed => "the token is not a well-formed JWT".into(),
            Denied::AlgorithmNotAllowed { alg } => {
                format!("the token's algorithm {alg:?} is not accepted here")
            }
            Denied::Header(refusal) => refusal.describe(),
            Denied::UnknownKey => "the token was signed with an unknown key".into(),
            Denied::BadSignature => "the token's signature is invalid".into(),
            Denied::MissingExpiry => "the token has no expiry (exp)".into(),
            Denied::Expired => "the token has expired".into(),
            Denied::NotYetValid => "the token is not valid yet (nbf)".into(),
            Denied::IssuedInFuture => "the token's issue time (iat) is in the future".into(),
            Denied::WrongIssuer => "the token was issued by an issuer not accepted here".into(),
            Denied::WrongAudience => "the token is not meant for this audience".into(),
            Denied::NoSubject => "the credential names no subject (sub)".into(),
            Denied::UnknownApiKey => "the API key is not valid".into(),
            Denied::ApiKeyDisabled => "the API key has been disabled".into(),
            Denied::ApiKeyExpired => "the API key has expired".into(),
            Denied::NoClientCertificate => "a client certificate is required".into(),
            Denied::CertificateNotVerified => "the client certificate could not be verified".into(),
            Denied::CertificateNotAllowed => "the client certificate is not allowed here".into(),
            Denied::InsufficientScope { required } => {
                format!("the credentials lack what this route requires: {required}")
            }
        }
    }

    /// The RFC 6750 error code for a bearer challenge (`None` when no token was sent).
    pub fn bearer_error(&self) -> Option<&'static str> {
        match self {
            Denied::Missing => None,
            Denied::BadAuthorizationHeader | Denied::Ambiguous => Some("invalid_request"),
            Denied::InsufficientScope { .. } => Some("insufficient_scope"),
            _ => Some("invalid_token"),
        }
    }
}

/// How an authentication attempt ended without an identity.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthError {
    /// The credential was missing or not acceptable (401 / 403).
    Denied(Scheme, Denied),
    /// The gateway could not decide (key store down, misconfiguration).
    Failed(super::backend::BackendError),
}

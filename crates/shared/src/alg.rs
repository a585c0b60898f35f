//! JWS algorithms Gatehouse accepts and the key type each one needs. Pairing every algorithm
//! with exactly one key kind is what rules out key-type confusion (an RSA public key used as an
//! HMAC secret, an EC key offered for RS256) by construction.

/// A JWS `alg` value. `none` and anything not listed here cannot be represented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_shared::alg))]
pub enum Alg {
    Hs256,
    Hs384,
    Hs512,
    Rs256,
    Rs384,
    Rs512,
    Ps256,
    Ps384,
    Ps512,
    Es256,
    EdDsa,
}

/// The kind of key an algorithm verifies with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_shared::alg))]
pub enum KeyKind {
    /// A shared secret from a wrangler secret; never from a JWKS or inline key.
    Hmac,
    Rsa,
    /// ECDSA on P-256.
    P256,
    Ed25519,
}

impl Alg {
    pub const ALL: [Alg; 11] = [
        Alg::Hs256,
        Alg::Hs384,
        Alg::Hs512,
        Alg::Rs256,
        Alg::Rs384,
        Alg::Rs512,
        Alg::Ps256,
        Alg::Ps384,
        Alg::Ps512,
        Alg::Es256,
        Alg::EdDsa,
    ];

    /// Parses the `alg` header value exactly (case-sensitive, as RFC 7515 requires).
    #[inline]
    pub fn parse(s: &str) -> Option<Alg> {
        Alg::ALL.into_iter().find(|a| a.name() == s)
    }

    #[inline]
    pub fn name(self) -> &'static str {
        match self {
            Alg::Hs256 => "HS256",
            Alg::Hs384 => "HS384",
            Alg::Hs512 => "HS512",
            Alg::Rs256 => "RS256",
            Alg::Rs384 => "RS384",
            Alg::Rs512 => "RS512",
            Alg::Ps256 => "PS256",
            Alg::Ps384 => "PS384",
            Alg::Ps512 => "PS512",
            Alg::Es256 => "ES256",
            Alg::EdDsa => "EdDSA",
        }
    }

    /// The only key kind this algorithm may be verified with.
    #[inline]
    pub fn key_kind(self) -> KeyKind {
        match self {
            Alg::Hs256 | Alg::Hs384 | Alg::Hs512 => KeyKind::Hmac,
            Alg::Rs256 | Alg::Rs384 | Alg::Rs512 | Alg::Ps256 | Alg::Ps384 | Alg::Ps512 => {
                KeyKind::Rsa
            }
            Alg::Es256 => KeyKind::P256,
            Alg::EdDsa => KeyKind::Ed25519,
        }
    }
}

//! Authentication building blocks shared by the `jwt`, `api_key`, `mtls`, `require` and `any`
//! policies. Everything here is pure (strings, bytes, numbers) and tested natively; the calls
//! into WebCrypto, KV and the Cache API live in `crate::runtime::auth` (wasm32 only).

pub mod backend;
pub mod credentials;
pub mod denied;
pub mod identity;
pub mod jose_header;
pub mod jwks;
pub mod ttl_cache;

pub use gatehouse_shared::{alg, jwk};

pub use alg::{Alg, KeyKind};
pub use backend::AuthBackend;
pub use denied::{AuthError, Denied, Scheme};
pub use identity::Identity;

//! `kind = "any"`: several authentication policies; the first that accepts the request wins.
//!
//! A credential that is present but wrong is reported over one that is simply absent, so a
//! client with an expired token learns that, not "no API key". When nothing was sent, the
//! 401 carries a challenge for every accepted scheme.

use super::{denied_error, Policy};
use crate::auth::{AuthBackend, AuthError, Denied, Identity, Scheme};
use crate::error::GatewayError;

use crate::policy;
pub use gatehouse_config::kinds::any::Any;

pub async fn authenticate<B: AuthBackend>(
    any: &Any,
    all: &'static [Policy],
    b: &B,
) -> Result<(&'static Policy, Identity, Scheme), GatewayError> {
    let mut schemes = Vec::new();
    let mut first_real: Option<AuthError> = None;
    for &i in any.of {
        let member = &all[i as usize];
        match policy::authenticate(member, b).await {
            Ok((identity, scheme)) => return Ok((member, identity, scheme)),
            Err(AuthError::Denied(scheme, Denied::Missing)) => schemes.push(scheme),
            Err(e) => {
                if let AuthError::Denied(scheme, _) = &e {
                    schemes.push(*scheme);
                }
                first_real.get_or_insert(e);
            }
        }
    }
    let err = first_real.unwrap_or_else(|| {
        AuthError::Denied(
            schemes.first().copied().unwrap_or(Scheme::Bearer),
            Denied::Missing,
        )
    });
    Err(denied_error(err, &schemes))
}

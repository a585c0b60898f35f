//! The OpenAPI `pattern` of a gRPC `bytes` field against the gateway's own base64 reader: a
//! string the document calls valid is one the gateway decodes (Schemathesis found `...h5==`,
//! non-canonical base64, refused with 400 while the pattern allowed it).
#![cfg(not(target_arch = "wasm32"))]

use gatehouse::grpc::wkt::{from_base64, to_base64};
use gatehouse_config::openapi_proto::BASE64_PATTERN;
use proptest::prelude::*;
use regex::Regex;

proptest! {
    #[test]
    fn every_string_the_pattern_accepts_the_gateway_decodes(
        bytes in proptest::collection::vec(any::<u8>(), 0..12),
        last in 0usize..64,
    ) {
        let re = Regex::new(BASE64_PATTERN).unwrap();
        let canonical = to_base64(&bytes);
        prop_assert!(re.is_match(&canonical), "{canonical}");
        // The same text with its last data character changed to any other base64 character:
        // non-canonical when it sets stray bits; the pattern must refuse exactly those.
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let data_end = canonical.trim_end_matches('=').len();
        if data_end > 0 {
            let mut changed = canonical.clone().into_bytes();
            changed[data_end - 1] = alphabet[last];
            let changed = String::from_utf8(changed).unwrap();
            if re.is_match(&changed) {
                prop_assert!(from_base64(&changed).is_some(), "{changed} matches the pattern but is refused");
            }
        }
    }
}

#[test]
fn the_pattern_refuses_the_non_canonical_text_schemathesis_found() {
    let re = Regex::new(BASE64_PATTERN).unwrap();
    assert!(from_base64("dAHQ9FBRNKik044nYPnaq+7qh5==").is_none());
    assert!(!re.is_match("dAHQ9FBRNKik044nYPnaq+7qh5=="));
    assert!(re.is_match("dAHQ9FBRNKik044nYPnaq+7qhw=="));
}

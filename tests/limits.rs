//! Request limits decided from the request head: header count (431), media type (415) and
//! declared body size (413).

use gatehouse::config::Limits;
use gatehouse::error::GatewayError;
use gatehouse::http::limits::{self, accepts, RequestFacts};

/// The limits' verdict as the gateway answers it.
fn check(l: &Limits, r: &RequestFacts<'_>) -> Result<(), GatewayError> {
    limits::check(l, r).map_err(GatewayError::from)
}

const LIMITS: Limits = Limits {
    max_body: Some(1024),
    max_headers: Some(10),
    content_types: &["application/json", "image/*"],
};

fn facts<'a>(method: &'a str, ct: Option<&'a str>, len: Option<&'a str>) -> RequestFacts<'a> {
    RequestFacts {
        method,
        header_count: Some(5),
        content_type: ct,
        content_length: len,
        chunked: false,
    }
}

#[test]
fn each_limit_refuses_with_its_status() {
    assert_eq!(
        check(
            &LIMITS,
            &facts("POST", Some("application/json"), Some("1024"))
        ),
        Ok(())
    );
    let big = check(
        &LIMITS,
        &facts("POST", Some("application/json"), Some("1025")),
    )
    .unwrap_err();
    assert_eq!((big.status(), big.slug()), (413, "payload-too-large"));
    let text = check(&LIMITS, &facts("POST", Some("text/plain"), Some("3"))).unwrap_err();
    assert_eq!(
        (text.status(), text.slug()),
        (415, "unsupported-media-type")
    );
    assert!(text.detail().contains("application/json, image/*"));
    let none = check(&LIMITS, &facts("PUT", None, Some("3"))).unwrap_err();
    assert_eq!(none.status(), 415, "a body needs a media type");
    let crowded = RequestFacts {
        header_count: Some(11),
        ..facts("GET", None, None)
    };
    assert_eq!(
        check(&LIMITS, &crowded),
        Err(GatewayError::TooManyHeaders { count: 11, max: 10 })
    );
    assert_eq!(
        GatewayError::TooManyHeaders { count: 11, max: 10 }.status(),
        431
    );
}

#[test]
fn requests_without_a_body_skip_the_body_limits() {
    assert_eq!(
        check(&LIMITS, &facts("GET", Some("text/plain"), Some("99999"))),
        Ok(())
    );
    assert_eq!(
        check(&LIMITS, &facts("POST", Some("text/plain"), Some("0"))),
        Ok(())
    );
    assert_eq!(check(&LIMITS, &facts("POST", None, None)), Ok(()));
    let chunked = RequestFacts {
        chunked: true,
        ..facts("POST", Some("text/plain"), None)
    };
    assert_eq!(
        check(&LIMITS, &chunked).unwrap_err().status(),
        415,
        "chunked bodies count"
    );
    assert_eq!(
        check(
            &Limits::NONE,
            &facts("POST", Some("text/plain"), Some("9999999"))
        ),
        Ok(())
    );
}

#[test]
fn media_types_match_by_essence_and_type_wildcards() {
    assert!(accepts(
        &["application/json"],
        "Application/JSON; charset=utf-8"
    ));
    assert!(accepts(&["image/*"], "image/png"));
    assert!(!accepts(&["image/*"], "image/"));
    assert!(!accepts(&["image/*"], "imagex/png"));
    assert!(!accepts(
        &["application/json"],
        "application/json-patch+json"
    ));
}

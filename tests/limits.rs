//! Request limits decided from the request head: the gateway's target length (414) and header
//! size (431), a route's header count (431), media type (415) and declared body size (413).

use gatehouse::config::Limits;
use gatehouse::error::GatewayError;
use gatehouse::http::limits::{
    self, accepts, check_target, HeaderTally, RequestFacts, MAX_HEADER_BYTES, MAX_TARGET_BYTES,
};

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
        headers: HeaderTally::Count(5),
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
        headers: HeaderTally::Count(11),
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
fn headers_over_the_gateway_size_are_431_on_every_route_with_or_without_limits() {
    let huge = RequestFacts {
        headers: HeaderTally::TooLarge(40_000),
        ..facts("GET", None, None)
    };
    for l in [&LIMITS, &Limits::NONE] {
        let err = check(l, &huge).unwrap_err();
        assert_eq!(
            (err.status(), err.slug()),
            (431, "request-headers-too-large")
        );
        assert_eq!(
            err,
            GatewayError::HeadersTooLarge {
                bytes: 40_000,
                max: MAX_HEADER_BYTES
            }
        );
    }
    assert_eq!(
        HeaderTally::from_runtime(-40_000.0),
        HeaderTally::TooLarge(40_000)
    );
    assert_eq!(HeaderTally::from_runtime(12.0), HeaderTally::Count(12));
    assert_eq!(check(&Limits::NONE, &facts("GET", None, None)), Ok(()));
}

#[test]
fn a_request_target_over_8_kib_is_414_and_one_at_the_bound_passes() {
    let path = format!("/{}", "a".repeat(MAX_TARGET_BYTES - 1));
    assert_eq!(check_target(&path, None), Ok(()));
    let over = GatewayError::from(check_target(&path, Some("")).unwrap_err());
    assert_eq!((over.status(), over.slug()), (414, "uri-too-long"));
    assert_eq!(
        over.detail(),
        "the request's path and query are 8193 bytes; the gateway accepts at most 8192"
    );
    let q = "q=".to_string() + &"b".repeat(MAX_TARGET_BYTES);
    assert!(check_target("/v1/find", Some(&q)).is_err());
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

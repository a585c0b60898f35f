//! API lifecycle natively: the stage of a route at the boundary times, the headers it gets,
//! the successor link, and version selection for unprefixed paths.
use gatehouse::route::lifecycle;
use gatehouse::route::lifecycle::{Lifecycle, Selected, Stage, Versioning};

const DEPRECATED: i64 = 1_780_272_000; // 2026-06-01T00:00:00Z
const SUNSET: i64 = 1_924_905_600; // 2030-12-31T00:00:00Z

static V1: Lifecycle = Lifecycle {
    version: "v1",
    deprecated_s: Some(DEPRECATED),
    sunset_s: Some(SUNSET),
    sunset_http: Some("Tue, 31 Dec 2030 00:00:00 GMT"),
    successor: Some("v2"),
    policy_link: Some("https://docs.example/deprecation"),
};

#[test]
fn the_stage_changes_exactly_at_the_deprecation_and_sunset_instants() {
    assert_eq!(lifecycle::stage(&V1, DEPRECATED - 1), Stage::Current);
    assert_eq!(lifecycle::stage(&V1, DEPRECATED), Stage::Deprecated);
    assert_eq!(lifecycle::stage(&V1, SUNSET - 1), Stage::Deprecated);
    assert_eq!(lifecycle::stage(&V1, SUNSET), Stage::Sunset);
    assert_eq!(lifecycle::stage(&Lifecycle::NONE, SUNSET), Stage::Current);
    let announced = Lifecycle {
        deprecated_s: None,
        ..V1
    };
    assert_eq!(
        lifecycle::stage(&announced, 0),
        Stage::Deprecated,
        "a sunset without a deprecation date is announced at once"
    );
}

#[test]
fn a_deprecated_route_announces_deprecation_sunset_successor_and_policy() {
    assert_eq!(
        lifecycle::headers(&V1, "/v1/users/42"),
        [
            ("deprecation", "@1780272000".to_string()),
            ("sunset", "Tue, 31 Dec 2030 00:00:00 GMT".to_string()),
            (
                "link",
                "</v2/users/42>; rel=\"successor-version\"".to_string()
            ),
            (
                "link",
                "<https://docs.example/deprecation>; rel=\"deprecation\"".to_string()
            ),
        ]
    );
    let alone = Lifecycle {
        successor: None,
        policy_link: None,
        sunset_http: None,
        sunset_s: None,
        ..V1
    };
    assert_eq!(
        lifecycle::headers(&alone, "/v1/x"),
        [("deprecation", "@1780272000".to_string())]
    );
}

#[test]
fn the_successor_path_swaps_only_a_whole_version_segment() {
    assert_eq!(
        lifecycle::successor_path(&V1, "/v1").as_deref(),
        Some("/v2")
    );
    assert_eq!(
        lifecycle::successor_path(&V1, "/v1/a/b").as_deref(),
        Some("/v2/a/b")
    );
    assert_eq!(lifecycle::successor_path(&V1, "/v10/a"), None);
    assert_eq!(lifecycle::successor_path(&Lifecycle::NONE, "/v1/a"), None);
}

#[test]
fn unprefixed_paths_pick_the_header_then_the_query_then_the_default() {
    let versions: &[&str] = &["v1", "v2"];
    let v = Versioning {
        header: Some("api-version"),
        query: Some("api-version"),
        default: Some("v2"),
    };
    assert_eq!(
        lifecycle::select(
            &v,
            "/users/42",
            Some("v1"),
            Some("api-version=v2"),
            versions
        ),
        Selected::Version("v1")
    );
    assert_eq!(
        lifecycle::select(&v, "/users/42", Some(" v1 "), None, versions),
        Selected::Version("v1")
    );
    assert_eq!(
        lifecycle::select(&v, "/users/42", None, Some("x=1&api-version=v1"), versions),
        Selected::Version("v1")
    );
    assert_eq!(
        lifecycle::select(&v, "/users/42", None, None, versions),
        Selected::Version("v2")
    );
    assert_eq!(
        lifecycle::select(&v, "/v1/users/42", Some("v2"), None, versions),
        Selected::AsIs,
        "a prefix wins"
    );
    assert_eq!(
        lifecycle::select(&v, "/users/42", Some("v9"), None, versions),
        Selected::Unknown("v9".into())
    );
    assert_eq!(
        lifecycle::select(&v, "/users/42", None, Some("api-version=../v1"), versions),
        Selected::Unknown("../v1".into()),
        "only a version folder's exact name selects it"
    );
    let no_default = Versioning { default: None, ..v };
    assert_eq!(
        lifecycle::select(&no_default, "/users/42", None, None, versions),
        Selected::AsIs
    );
}

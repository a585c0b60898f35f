//! Request ids and W3C trace context.

use gatehouse::http::trace::{is_valid_request_id, RequestIds, TraceParent};

const R: [u8; 40] = [7u8; 40];

#[test]
fn valid_traceparent_is_continued_with_a_new_span() {
    let tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    let ids = RequestIds::new(None, Some(tp), &R);
    assert!(ids.continued);
    assert_eq!(ids.trace_id, "0af7651916cd43dd8448eb211c80319c");
    assert_eq!(
        ids.traceparent(),
        "00-0af7651916cd43dd8448eb211c80319c-0707070707070707-01"
    );
}

#[test]
fn invalid_traceparents_start_a_new_trace() {
    let bad = [
        "",
        "garbage",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",
        "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
        "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0g",
        "00_0af7651916cd43dd8448eb211c80319c_b7ad6b7169203331_01",
    ];
    for tp in bad {
        assert_eq!(TraceParent::parse(tp), None, "{tp}");
        let ids = RequestIds::new(None, Some(tp), &R);
        assert!(!ids.continued);
        assert_eq!(ids.trace_id, "07".repeat(16));
        assert_eq!(
            ids.traceparent(),
            format!("00-{}-{}-01", "07".repeat(16), "07".repeat(8))
        );
    }
}

#[test]
fn future_versions_are_read_by_their_known_fields() {
    let tp =
        TraceParent::parse("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00-more").unwrap();
    assert_eq!(tp.flags, 0);
}

#[test]
fn well_formed_request_ids_are_kept_and_others_replaced() {
    assert!(is_valid_request_id("abc-123_x.y:z@w"));
    for bad in [
        "",
        "has space",
        "new\nline",
        "quote\"",
        &"a".repeat(129),
        "é",
    ] {
        assert!(!is_valid_request_id(bad), "{bad:?}");
        let ids = RequestIds::new(Some(bad), None, &R);
        assert_eq!(ids.request_id, "07070707-0707-4707-8707-070707070707");
    }
    assert_eq!(
        RequestIds::new(Some("abc-123"), None, &R).request_id,
        "abc-123"
    );
}

#[test]
fn all_zero_randomness_still_yields_valid_ids() {
    let ids = RequestIds::new(None, None, &[0u8; 40]);
    assert!(TraceParent::parse(&ids.traceparent()).is_some());
}

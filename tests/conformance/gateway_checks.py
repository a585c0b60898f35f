"""Schemathesis check for tests/conformance/openapi.test.mjs (loaded via SCHEMATHESIS_HOOKS).

gateway_accepts_valid_data: Schemathesis's positive_data_acceptance, with the gateway's part
told apart from the origin's. A schema-valid request may still be refused by the origin on its
own grounds (the demo catalog answers INVALID_ARGUMENT to a book without a title: proto3 has no
`required`, so no document can say it); the gateway relays that as problem type
`urn:gatehouse:problem:grpc-status`, naming the origin's status. Every other 4xx outside 401,
403, 404, 409 and 429 is the gateway refusing a request its own document calls valid: a failure,
but for a 413 to a body longer than the operation's `x-gatehouse-max-body` (a byte limit no JSON
Schema can state).
"""

import json

import schemathesis

ACCEPTED = {401, 403, 404, 409, 429}
# Problem types that relay the origin's own verdict rather than the gateway's.
ORIGIN_VERDICTS = {"urn:gatehouse:problem:grpc-status"}


def _sent_bytes(response):
    body = getattr(getattr(response, "request", None), "body", None)
    if body is None:
        return 0
    return len(body.encode() if isinstance(body, str) else body)


def _over_max_body(case, response):
    raw = getattr(getattr(case.operation, "definition", None), "raw", None) or {}
    limit = raw.get("x-gatehouse-max-body")
    return isinstance(limit, int) and _sent_bytes(response) > limit


def _problem_type(response):
    try:
        body = json.loads(response.content or b"")
    except ValueError:
        return None
    return body.get("type") if isinstance(body, dict) else None


@schemathesis.check
def gateway_accepts_valid_data(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    status = response.status_code
    if status < 400 or status >= 500 or status in ACCEPTED:
        return None
    if _problem_type(response) in ORIGIN_VERDICTS:
        return None
    if status == 413 and _over_max_body(case, response):
        return None
    text = (response.content or b"")[:400].decode("utf-8", "replace")
    raise AssertionError(f"The gateway refused a schema-valid request with {status}: {text}")

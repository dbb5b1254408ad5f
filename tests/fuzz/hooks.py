"""Schemathesis checks of our own, loaded with SCHEMATHESIS_HOOKS (see tests/fuzz/run)."""

import json
import os

import schemathesis


@schemathesis.check
def errors_are_problem_json(ctx, response, case):
    """Every error answer is RFC 9457 problem+json whose `status` is the HTTP status."""
    if response.status_code < 400:
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    if not content_type.startswith("application/problem+json"):
        raise AssertionError(
            f"{response.status_code} answered as `{content_type}`, not application/problem+json"
        )
    try:
        body = json.loads(response.content)
    except ValueError as e:
        raise AssertionError(f"{response.status_code}: the problem is not JSON ({e})")
    for key in ("type", "title", "status"):
        if key not in body:
            raise AssertionError(f"{response.status_code}: the problem has no `{key}`")
    if body["status"] != response.status_code:
        raise AssertionError(
            f"the problem says status {body['status']}, the answer is {response.status_code}"
        )
    if response.status_code == 422 and not body.get("errors"):
        raise AssertionError("a 422 problem names no field in `errors`")
    return None


FUZZ_USER_ID = os.environ.get("FUZZ_USER_ID", "")


@schemathesis.hook
def filter_case(ctx, case):
    """Leave the fuzzing account alone: changing its own password or role would end the run's
    session, and every later operation would only see 401."""
    if case.operation.path == "/api/v1/users/{id}" and case.method.upper() != "GET":
        return str((case.path_parameters or {}).get("id")) != FUZZ_USER_ID
    # An empty `limit=` (as a form with the field left blank sends it) means the default page
    # size by design; the document's integer type cannot say so, so it is not "invalid data".
    # Schemathesis also reaches a `limit` the server never sees as such by generating an object
    # (form style spreads its keys as other parameters, an empty one leaves `limit=`) or an
    # empty array: the wire then carries no invalid `limit`, so there is nothing to reject.
    if "limit" in (case.query or {}) and _not_sent_as_value(case.query["limit"]):
        return False
    return True


def _not_sent_as_value(value):
    """Whether a query value reaches the wire as something other than `limit=<value>`."""
    if value is None or value == "" or isinstance(value, dict):
        return True
    return isinstance(value, list | tuple) and not value

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
    # Schemathesis also reaches that same empty `limit=` by generating an empty object or array,
    # which serialises to nothing: every value that goes on the wire empty is the same case.
    if "limit" in (case.query or {}) and _sent_empty(case.query["limit"]):
        return False
    return True


def _sent_empty(value):
    """Whether a query value goes on the wire as `name=` with nothing after it."""
    if value is None or value == "":
        return True
    if isinstance(value, dict | list | tuple):
        return all(_sent_empty(v) for v in (value.values() if isinstance(value, dict) else value))
    return False

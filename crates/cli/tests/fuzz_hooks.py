"""Schemathesis hooks for tiercare's fuzz test (crates/cli/tests/it/fuzz.rs).

Loaded with SCHEMATHESIS_HOOKS=fuzz_hooks: adds the check that every
client error (4xx) is answered with a FHIR OperationOutcome, as
tiercare's API promises, besides schemathesis's own not_a_server_error.
"""

import schemathesis


@schemathesis.check
def error_is_operation_outcome(response, case):
    """A 4xx answer's body is an OperationOutcome with at least one issue."""
    if not 400 <= response.status_code < 500:
        return None
    try:
        body = response.json()
    except ValueError as e:
        raise AssertionError(
            f"{response.status_code} answer is not JSON: {response.text[:200]!r}"
        ) from e
    if not isinstance(body, dict) or body.get("resourceType") != "OperationOutcome":
        raise AssertionError(
            f"{response.status_code} answer is not an OperationOutcome: {response.text[:200]!r}"
        )
    if not body.get("issue"):
        raise AssertionError(f"{response.status_code} OperationOutcome without an issue")
    return None

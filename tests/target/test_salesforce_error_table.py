"""The error table (salesforce/errors.py): errorCode first, then HTTP status, then the root —
each with its fix, and no secret of the server's message left in it."""

from __future__ import annotations

import pytest
from target_salesforce_update.exceptions import (
    AccessDeniedError,
    BadRequestError,
    InvalidFieldError,
    MalformedQueryError,
    NotFoundError,
    RequestLimitExceededError,
    SalesforceError,
    SessionExpiredError,
)
from target_salesforce_update.salesforce.errors import BY_ERROR_CODE, BY_STATUS, error_for


@pytest.mark.parametrize(
    ("status", "code", "expected", "fix"),
    [
        (403, "REQUEST_LIMIT_EXCEEDED", RequestLimitExceededError, "daily API request limit"),
        (400, "MALFORMED_QUERY", MalformedQueryError, "MALFORMED_QUERY"),
        (400, "INVALID_FIELD", InvalidFieldError, "check the field's API name"),
        (400, "NO_SUCH_COLUMN", InvalidFieldError, "check the field's API name"),
        (404, "NOT_FOUND", NotFoundError, "check the object's API name"),
        (400, "INVALID_TYPE", NotFoundError, "check the object's API name"),
        (404, None, NotFoundError, "check the object's API name"),
        (403, "API_DISABLED_FOR_ORG", AccessDeniedError, "permission sets"),
        (403, None, AccessDeniedError, "permission sets"),
        (400, "SOMETHING_NEW", BadRequestError, "SOMETHING_NEW"),
        (401, "INVALID_SESSION_ID", SessionExpiredError, "freshly renewed session"),
        (409, None, SalesforceError, "HTTP 409"),
    ],
)
def test_status_and_code_map_to_named_errors(
    status: int, code: str | None, expected: type, fix: str
) -> None:
    error = error_for(status, code, "the server said no", "GET /services/data/v67.0/x")
    assert type(error) is expected
    assert (error.status, error.error_code) == (status, code)
    assert fix in str(error) and "GET /services/data/v67.0/x failed: HTTP" in str(error)


def test_error_code_wins_over_status_and_secrets_are_removed() -> None:
    assert set(BY_ERROR_CODE) >= {"REQUEST_LIMIT_EXCEEDED", "INVALID_FIELD", "NOT_FOUND"}
    assert set(BY_STATUS) == {400, 401, 403, 404}
    error = error_for(
        404, "INVALID_FIELD", "token s3cr3t-value leaked", "GET /x", secrets=("s3cr3t-value",)
    )
    assert isinstance(error, InvalidFieldError)
    assert "s3cr3t-value" not in str(error)


def test_expired_access_token_that_cannot_renew_says_so() -> None:
    error = error_for(401, "INVALID_SESSION_ID", "expired", "GET /x", can_renew=False)
    assert isinstance(error, SessionExpiredError)
    assert "supply a new one or use a renewable auth_flow" in str(error)

"""Request/response types and Salesforce's error shapes, shared by all handlers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Request:
    """One parsed HTTP request."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    client_ip: str
    base_url: str

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        if not self.body:
            raise ApiError(
                400, "JSON_PARSER_ERROR", "The request body is empty. A JSON body is required."
            )
        try:
            return json.loads(self.body)
        except json.JSONDecodeError as exc:
            raise ApiError(
                400,
                "JSON_PARSER_ERROR",
                f"Unexpected character: {exc.msg} at [line:{exc.lineno}, column:{exc.colno}]",
            ) from None
        except UnicodeDecodeError:
            raise ApiError(400, "JSON_PARSER_ERROR", "Invalid UTF-8 in the request body") from None

    def form(self) -> dict[str, str]:
        """Form-urlencoded body merged over the query string (first value wins)."""
        merged = {k: v[0] for k, v in self.query.items()}
        if self.body:
            try:
                text = self.body.decode("utf-8")
            except UnicodeDecodeError:
                text = ""
            merged.update({k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()})
        return merged


@dataclass
class Response:
    """An HTTP response; ``drop`` closes the connection without answering (a fault)."""

    status: int = 200
    body: bytes = b""
    content_type: str | None = "application/json;charset=UTF-8"
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        status, json.dumps(data, separators=(",", ":")).encode("utf-8"), headers=dict(headers or {})
    )


def empty(status: int = 204, headers: dict[str, str] | None = None) -> Response:
    return Response(status, b"", content_type=None, headers=dict(headers or {}))


class ApiError(Exception):
    """A REST error answered as ``[{"message", "errorCode", "fields"?}]``."""

    def __init__(
        self,
        status: int,
        error_code: str,
        message: str,
        fields: list[str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message
        self.fields = fields
        self.headers = headers or {}

    def response(self) -> Response:
        item: dict[str, Any] = {"message": self.message, "errorCode": self.error_code}
        if self.fields is not None:
            item["fields"] = self.fields
        return json_response([item], self.status, self.headers)


class OAuthError(Exception):
    """An OAuth endpoint error answered as ``{"error", "error_description"}``."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def response(self) -> Response:
        return json_response(
            {"error": self.error, "error_description": self.description}, self.status
        )


def not_found() -> ApiError:
    return ApiError(404, "NOT_FOUND", "The requested resource does not exist")


def session_invalid() -> ApiError:
    return ApiError(
        401,
        "INVALID_SESSION_ID",
        "Session expired or invalid",
        headers={"WWW-Authenticate": "Token"},
    )

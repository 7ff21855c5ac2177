"""One error tree for the whole bot.

    KaratBotError
    ├── ConfigError             a setting is missing or malformed
    ├── UserError               safe to show the person in Slack as it is
    │   └── FormErrors          one message per modal input
    └── UpstreamError           Slack, Greenhouse or Karat did not do what was asked
        ├── Unreachable         timeout or connection failure; no answer at all
        ├── MalformedResponse   an answer that is not what the API promises
        ├── AuthFailed          401: the credential is wrong or expired
        ├── PermissionDenied    403: the credential lacks a permission
        ├── NotFound            404
        ├── ValidationFailed    422, with the field errors
        ├── RateLimited         429, with how long to wait
        └── ServerError         5xx

`error_for_status` is the one place that maps an HTTP status to a class.
"""

from __future__ import annotations

from typing import Any


class KaratBotError(Exception):
    """Root of every error the bot raises on purpose."""


class ConfigError(KaratBotError):
    """A setting is missing or malformed; the message names it and the fix."""

    def __init__(self, message: str, *, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


class UserError(KaratBotError):
    """Something the person can fix; the message is written for them.

    `field` names the modal input the message belongs to, when there is one.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class FormErrors(UserError):
    """Problems with a submitted form, keyed by the input they belong to."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(next(iter(errors.values())), field=next(iter(errors)))
        self.errors = errors


SERVICE_NAMES = {"greenhouse": "Greenhouse", "karat": "Karat", "slack": "Slack"}


def service_name(service: str) -> str:
    """How people write a service's name ("greenhouse" -> "Greenhouse")."""
    return SERVICE_NAMES.get(service, service)


class UpstreamError(KaratBotError):
    """A call to Slack, Greenhouse or Karat failed.

    Carries what an operator needs to follow it up: which service, the HTTP status,
    the start of the body, and the upstream request id when one was sent.
    """

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        service: str,
        status: int | None = None,
        body: str = "",
        request_id: str | None = None,
        endpoint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.service = service
        self.status = status
        self.body = body[:2000]
        self.request_id = request_id
        self.endpoint = endpoint

    def __str__(self) -> str:
        parts = [f"{self.service}: {self.message}"]
        if self.status is not None:
            parts.append(f"status={self.status}")
        if self.endpoint:
            parts.append(f"endpoint={self.endpoint}")
        if self.request_id:
            parts.append(f"request_id={self.request_id}")
        return " ".join(parts)


class Unreachable(UpstreamError):
    """No answer. `maybe_delivered` is False only when the request never left."""

    retryable = True

    def __init__(
        self, message: str, *, maybe_delivered: bool = True, **kw: Any
    ) -> None:
        super().__init__(message, **kw)
        self.maybe_delivered = maybe_delivered


class MalformedResponse(UpstreamError):
    """The answer does not have the shape the API promises."""

    def __init__(
        self, message: str, *, errors: list[str] | None = None, **kw: Any
    ) -> None:
        super().__init__(message, **kw)
        self.errors = errors or [message]


class AuthFailed(UpstreamError):
    pass


class PermissionDenied(UpstreamError):
    pass


class NotFound(UpstreamError):
    pass


class ValidationFailed(UpstreamError):
    def __init__(
        self, message: str, *, fields: dict[str, str] | None = None, **kw: Any
    ) -> None:
        super().__init__(message, **kw)
        self.fields = fields or {}


class RateLimited(UpstreamError):
    retryable = True

    def __init__(self, message: str, *, retry_after: float = 10.0, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServerError(UpstreamError):
    retryable = True


_BY_STATUS: dict[int, type[UpstreamError]] = {
    401: AuthFailed,
    403: PermissionDenied,
    404: NotFound,
    422: ValidationFailed,
    429: RateLimited,
}


def error_for_status(status: int) -> type[UpstreamError]:
    """The error class for an HTTP status that is not a success."""
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, UpstreamError)

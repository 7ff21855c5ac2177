"""Karat's assessment API: the Assessment Partner API shape, with one or two keys.

Interviews and Code Challenges have separate keys (and may have separate base URLs);
`KaratClient` holds one `KaratEndpoint` per configured key and routes each call by the
test's kind. Every answer is checked against the shape the API promises; a malformed
one raises `MalformedResponse` carrying the list of problems, which the caller reports
back through `response_error`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import httpx

from bot.clients.http import DEFAULT_TIMEOUT, ApiClient, Backoff, Sleep
from bot.errors import MalformedResponse, UpstreamError

logger = logging.getLogger(__name__)


class TestKind(StrEnum):
    __test__ = False  # a Karat test, not a pytest one
    INTERVIEW = "interview"
    CODE_CHALLENGE = "code_challenge"

    @property
    def label(self) -> str:
        return "Interview" if self is TestKind.INTERVIEW else "Code Challenge"


@dataclass(frozen=True)
class KaratTest:
    kind: TestKind
    test_id: str
    name: str


@dataclass(frozen=True, kw_only=True)
class KaratCandidate:
    first_name: str
    last_name: str
    preferred_name: str
    email: str
    greenhouse_profile_url: str
    phone_number: str | None = None
    resume_url: str | None = None

    def as_json(self) -> dict[str, str]:
        body = {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "preferred_name": self.preferred_name,
            "email": self.email,
            "greenhouse_profile_url": self.greenhouse_profile_url,
        }
        if self.phone_number:
            body["phone_number"] = self.phone_number
        if self.resume_url:
            body["resume_url"] = self.resume_url
        return body


@dataclass(frozen=True)
class TestStatus:
    __test__ = False  # a Karat test, not a pytest one
    status: str
    profile_url: str | None = None
    score: float | None = None
    metadata: dict[str, str | int | float | bool | None] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return self.status == "complete"


class KaratEndpoint(ApiClient):
    """One Karat key at one base URL."""

    service = "karat"

    def __init__(self, *, kind: TestKind, base_url: str, key: str, **kw: Any) -> None:
        super().__init__(base_url=base_url, auth=(key, ""), **kw)
        self.kind = kind

    async def list_tests(self) -> list[KaratTest]:
        """GET list_tests: the assessments this key may send."""
        response = await self.send("GET", "list_tests", endpoint="list_tests")
        body = self.parse_json(response, endpoint="list_tests")
        if not isinstance(body, list):
            raise self._malformed(
                "list_tests", ["the answer is not a JSON array"], response
            )
        tests, problems = [], []
        for index, item in enumerate(body):
            test_id = item.get("partner_test_id") if isinstance(item, dict) else None
            name = item.get("partner_test_name") if isinstance(item, dict) else None
            if (
                not isinstance(test_id, str | int)
                or not isinstance(name, str)
                or not name
            ):
                problems.append(
                    f"item {index} lacks partner_test_id or partner_test_name"
                )
                continue
            tests.append(KaratTest(self.kind, str(test_id), name))
        if problems and not tests:
            raise self._malformed("list_tests", problems, response)
        if problems:
            logger.warning("karat list_tests skipped %d malformed items", len(problems))
        return tests

    async def send_test(
        self, *, test_id: str, candidate: KaratCandidate, sent_by: str | None, url: str
    ) -> str:
        """POST send_test: invite the candidate; return the partner_interview_id."""
        payload: dict[str, Any] = {
            "partner_test_id": test_id,
            "candidate": candidate.as_json(),
            "url": url,
        }
        if sent_by:
            payload["sent_by"] = sent_by
        response = await self.send_once(
            "POST", "send_test", json=payload, endpoint="send_test"
        )
        body = self.parse_json(response, endpoint="send_test")
        interview_id = (
            body.get("partner_interview_id") if isinstance(body, dict) else None
        )
        if isinstance(interview_id, int) and not isinstance(interview_id, bool):
            interview_id = str(interview_id)
        if not isinstance(interview_id, str) or not interview_id.strip():
            raise self._malformed(
                "send_test",
                ["partner_interview_id is missing or not a string"],
                response,
            )
        return interview_id

    async def test_status(self, interview_id: str) -> TestStatus:
        """GET test_status for one invitation."""
        response = await self.send(
            "GET",
            "test_status",
            params={"partner_interview_id": interview_id},
            endpoint="test_status",
        )
        body = self.parse_json(response, endpoint="test_status")
        return parse_test_status(
            body, raise_with=lambda p: self._malformed("test_status", p, response)
        )

    async def response_error(
        self, *, api_call: str, errors: list[str], **known: str | None
    ) -> None:
        """POST response_error: tell Karat it sent something malformed."""
        payload: dict[str, Any] = {"api_call": api_call, "errors": errors}
        payload.update({k: v for k, v in known.items() if v is not None})
        await self.send_once(
            "POST", "response_error", json=payload, endpoint="response_error"
        )

    def _malformed(
        self, endpoint: str, problems: list[str], response: httpx.Response
    ) -> MalformedResponse:
        return MalformedResponse(
            f"{endpoint} answered malformed: {'; '.join(problems)}",
            errors=problems,
            service=self.service,
            status=response.status_code,
            body=response.text,
            endpoint=endpoint,
        )


def parse_test_status(body: Any, *, raise_with: Any) -> TestStatus:
    """Check a test_status answer against the documented shape."""
    if not isinstance(body, dict):
        raise raise_with(["the answer is not a JSON object"])
    problems = []
    status = body.get("partner_status")
    if not isinstance(status, str) or not status:
        problems.append("partner_status is missing or not a string")
    profile = body.get("partner_profile_url")
    if profile is not None and not isinstance(profile, str):
        problems.append("partner_profile_url is not a string")
    if status == "complete" and not profile:
        problems.append("partner_status is complete but partner_profile_url is missing")
    score = body.get("partner_score")
    if score is not None and (
        isinstance(score, bool) or not isinstance(score, int | float)
    ):
        problems.append("partner_score is not a number")
    metadata = body.get("metadata") or {}
    if not isinstance(metadata, dict) or any(
        isinstance(v, dict | list) for v in metadata.values()
    ):
        problems.append("metadata is not a flat object")
    if problems:
        raise raise_with(problems)
    return TestStatus(
        status=status,
        profile_url=profile,
        score=float(score) if score is not None else None,
        metadata={str(k): v for k, v in metadata.items()},
    )


class KaratClient:
    """Both Karat keys behind one object; calls are routed by the test's kind."""

    def __init__(self, endpoints: Mapping[TestKind, KaratEndpoint]) -> None:
        if TestKind.INTERVIEW not in endpoints:
            raise ValueError("the interview key is required")
        self.endpoints = dict(endpoints)

    @property
    def kinds(self) -> list[TestKind]:
        return list(self.endpoints)

    def endpoint(self, kind: TestKind) -> KaratEndpoint:
        try:
            return self.endpoints[kind]
        except KeyError:
            raise UpstreamError(
                "Code Challenges are not configured (no KARAT_CODE_CHALLENGE_API_KEY)",
                service="karat",
            ) from None

    async def list_tests(self) -> list[KaratTest]:
        """Every test from every configured key; interviews first."""
        found: list[KaratTest] = []
        for endpoint in self.endpoints.values():
            found.extend(await endpoint.list_tests())
        return found

    async def aclose(self) -> None:
        for endpoint in self.endpoints.values():
            await endpoint.aclose()


def build_karat_client(
    settings: Any,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    backoff: Backoff | None = None,
    sleep: Sleep | None = None,
) -> KaratClient:
    """A `KaratClient` for the keys the settings hold."""
    extra: dict[str, Any] = {
        "transport": transport,
        "timeout": timeout,
        "backoff": backoff,
    }
    if sleep is not None:
        extra["sleep"] = sleep
    endpoints = {
        TestKind.INTERVIEW: KaratEndpoint(
            kind=TestKind.INTERVIEW,
            base_url=settings.KARAT_API_URL,
            key=settings.KARAT_API_KEY.get_secret_value(),
            **extra,
        )
    }
    if settings.KARAT_CODE_CHALLENGE_API_KEY is not None:
        endpoints[TestKind.CODE_CHALLENGE] = KaratEndpoint(
            kind=TestKind.CODE_CHALLENGE,
            base_url=settings.code_challenge_url,
            key=settings.KARAT_CODE_CHALLENGE_API_KEY.get_secret_value(),
            **extra,
        )
    return KaratClient(endpoints)

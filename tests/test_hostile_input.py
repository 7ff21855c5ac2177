"""A catalogue of hostile and broken input at every entry point of the bot.

Each case names what the sender gets back (status code, or the words the user reads)
and checks that nothing was written: no Karat send_test, no invitation or effect row,
no Greenhouse note. Entry points: /slack/events (signatures, bodies, commands,
options, submissions, buttons), the Karat callback, the Greenhouse webhook, every
route's methods, and the answers of Karat and Greenhouse themselves.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest

from bot.blocks import ids
from bot.sandbox.harness import Sandbox
from bot.sandbox.harvest_hooks import webhook_body, webhook_headers
from bot.sandbox.slack_payloads import signed_headers
from bot.sandbox.slack_views import view_problems
from tests.e2e_support import (
    RECRUITER,
    invitations,
    modal_errors,
    open_form,
    quick_harvest_retries,
    send_and_wait,
    submission,
    submit,
    view_text,
    wait_until,
)
from tests.hostile_support import (
    FORM,
    Writes,
    add_candidate,
    hostile,  # noqa: F401 - the module's sandbox, used by name
    interaction,
    post,
    signed,
)

WEBHOOK_SECRET = "sandbox-webhook-secret"
NOT_CLEAR = (
    "Karat did not give a clear answer, so the bot cannot tell whether the "
    "invitation went out. Check in Karat before sending again; if it did go out, "
    "the candidate's results will still reach the graders."
)
GREENHOUSE_500 = (
    "Greenhouse answered with an error (500), so nothing was sent. Try again in a "
    "few minutes."
)
TOO_LONG = (
    "That is 3000 characters long; give a candidate's e-mail, Greenhouse profile "
    "link, id or name (at most 200 characters)."
)


@pytest.fixture
def sb(hostile: Sandbox) -> Iterator[Sandbox]:  # noqa: F811 - the fixture above
    """The module's sandbox, with its Karat stand-in answering promptly again."""
    hostile.karat.hang_seconds = 10.0
    yield hostile


def last_response(sb: Sandbox, before: int) -> dict[str, Any]:
    """The first message posted to a response_url after `before` were."""
    posted = wait_until(lambda: sb.slack.responses, lambda r: len(r) > before)
    return dict(posted[before].body)


# -- Slack signatures ------------------------------------------------------------------


def _other_secret(body: bytes) -> dict[str, str]:
    return signed_headers(body, secret="not-the-signing-secret")


def _other_body(body: bytes) -> dict[str, str]:
    return signed(body + b"&text=extra")


def _garbled_signature(body: bytes) -> dict[str, str]:
    return {**signed(body), "X-Slack-Signature": "v0=not-hex-at-all"}


def _v1_scheme(body: bytes) -> dict[str, str]:
    headers = signed(body)
    return {**headers, "X-Slack-Signature": "v1=" + headers["X-Slack-Signature"][3:]}


def _words_for_timestamp(body: bytes) -> dict[str, str]:
    return {**signed(body), "X-Slack-Request-Timestamp": "yesterday"}


BAD_SIGNATURES: dict[str, Callable[[bytes], dict[str, str]]] = {
    "no signature headers": lambda _body: {"Content-Type": FORM},
    "signed with another secret": _other_secret,
    "signature of another body": _other_body,
    "signature that is not hex": _garbled_signature,
    "unknown v1 scheme": _v1_scheme,
    "stale timestamp, six minutes old": lambda body: signed(body, age=360),
    "timestamp six minutes ahead": lambda body: signed(body, age=-360),
    "timestamp in words": _words_for_timestamp,
}


@pytest.mark.parametrize("case", list(BAD_SIGNATURES))
def test_slack_request_without_a_valid_signature_is_refused_with_401(
    sb: Sandbox, case: str
):
    before, opened = Writes.of(sb), len(sb.slack.calls_to("views.open"))
    body = sb.slack.slash_command_body("/karat", "send", RECRUITER)

    answer = post(sb, "/slack/events", body, BAD_SIGNATURES[case](body))

    assert answer.status_code == 401
    assert answer.json() == {"error": "invalid request"}
    time.sleep(0.05)  # would a background listener have opened the modal?
    assert len(sb.slack.calls_to("views.open")) == opened
    before.unchanged(sb)


def test_replayed_slash_command_within_five_minutes_is_accepted_as_slack_allows(
    sb: Sandbox,
):
    # Slack's scheme signs body and timestamp only: a copy replayed inside the
    # five-minute window verifies. /karat list only reads, so a replay is harmless.
    body = sb.slack.slash_command_body("/karat", "list", RECRUITER)
    headers = signed(body, age=60)
    before = len(sb.slack.responses)

    first = post(sb, "/slack/events", body, headers)
    second = post(sb, "/slack/events", body, headers)

    assert (first.status_code, second.status_code) == (200, 200)
    wait_until(lambda: sb.slack.responses, lambda r: len(r) >= before + 2)


def test_replayed_view_submission_sends_the_test_once(sb: Sandbox):
    cid = 9101
    aid = add_candidate(sb, cid, "Replay", "Target", "replay.target@mail.example")
    view = open_form(sb)
    body = interaction(submission(sb, view, candidate=f"{cid}:{aid}"))
    headers = signed(body)
    sent, rows = len(sb.karat.requests_to("send_test")), len(invitations(sb))

    first = post(sb, "/slack/events", body, headers)
    wait_until(
        lambda: sb.slack.calls_to("views.update"),
        lambda calls: any("sent to" in view_text(c.args["view"]) for c in calls[-3:]),
    )
    second = post(sb, "/slack/events", body, headers)

    assert first.status_code == second.status_code == 200
    assert first.json()["response_action"] == "update"
    assert second.json()["response_action"] == "update"
    time.sleep(0.3)  # let the replay's own send finish, if it (wrongly) made one
    assert len(sb.karat.requests_to("send_test")) == sent + 1
    assert len(invitations(sb)) == rows + 1


# -- bodies Bolt must never see --------------------------------------------------------


def test_slack_body_over_256_kib_is_refused_with_413(sb: Sandbox):
    before = Writes.of(sb)
    body = b"text=" + b"a" * (257 * 1024)

    answer = post(sb, "/slack/events", body, signed(body))

    assert answer.status_code == 413
    assert answer.json() == {"error": "request body too large"}
    before.unchanged(sb)


def test_slack_body_over_256_kib_without_content_length_is_refused_with_413(
    sb: Sandbox,
):
    def chunks() -> Iterator[bytes]:
        for _ in range(300):
            yield b"a" * 1024

    import httpx

    with httpx.Client(timeout=10) as client:
        answer = client.post(
            f"{sb.bot_url}/slack/events",
            content=chunks(),
            headers={"Content-Type": FORM},
        )

    assert "content-length" not in answer.request.headers
    assert answer.status_code == 413


@pytest.mark.parametrize("path", ["/slack/events", "/greenhouse/webhook"])
def test_a_body_that_never_finishes_arriving_is_refused_with_408(
    sb: Sandbox, monkeypatch: pytest.MonkeyPatch, path: str
):
    import socket
    from urllib.parse import urlsplit

    from bot import web

    monkeypatch.setattr(web, "BODY_SECONDS", 0.3)
    host = urlsplit(sb.bot_url)
    with socket.create_connection((host.hostname, host.port), timeout=5) as conn:
        conn.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {host.netloc}\r\n"
            f"Content-Type: {FORM}\r\nContent-Length: 100\r\n\r\nabc".encode()
        )
        answer = ""
        while '"request body too slow"' not in answer:  # headers and body may part
            chunk = conn.recv(4096).decode()
            if not chunk:
                break
            answer += chunk

    assert answer.startswith("HTTP/1.1 408"), answer
    assert '"request body too slow"' in answer


def test_webhook_body_over_256_kib_is_refused_with_413(sb: Sandbox):
    body = webhook_body("candidate_stage_change", {"pad": "a" * (257 * 1024)})

    answer = post(sb, "/greenhouse/webhook", body, webhook_headers(body, "x"))

    assert answer.status_code == 413


MALFORMED_BODIES: dict[str, tuple[bytes, str | None]] = {
    "bytes that are not UTF-8": (b"\xff\xfe\x00text=\x80", FORM),
    "payload that is not JSON": (b"payload=%7Bnot-json", FORM),
    "payload that is a JSON array": (interaction("[1, 2]"), FORM),
    "payload that is a JSON number": (interaction("42"), FORM),
    "a submission whose view has no type": (
        interaction(
            {
                "type": "view_submission",
                "user": {"id": RECRUITER},
                "view": {"id": "V0FORGED", "callback_id": ids.SEND_MODAL},
            }
        ),
        FORM,
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED_BODIES))
def test_signed_slack_body_that_cannot_be_parsed_gets_400(sb: Sandbox, case: str):
    body, content_type = MALFORMED_BODIES[case]

    answer = post(sb, "/slack/events", body, signed(body, content_type=content_type))

    assert answer.status_code == 400
    assert answer.json() == {"error": "malformed request body"}


# Signed, parseable, but not what Slack sends: a part of the wrong type.
SHAPELESS: dict[str, tuple[bytes, str]] = {
    "a submission whose view is a string": (
        interaction(
            {"type": "view_submission", "user": {"id": RECRUITER}, "view": "x"}
        ),
        FORM,
    ),
    "button clicks that are a string": (
        interaction(
            {"type": "block_actions", "user": {"id": RECRUITER}, "actions": "x"}
        ),
        FORM,
    ),
    "button clicks that are numbers": (
        interaction(
            {"type": "block_actions", "user": {"id": RECRUITER}, "actions": [5]}
        ),
        FORM,
    ),
    "an options load whose query is a number": (
        interaction(
            {
                "type": "block_suggestion",
                "action_id": ids.CANDIDATE_ACTION,
                "user": {"id": RECRUITER},
                "value": 5,
            }
        ),
        FORM,
    ),
    "an event that is a string": (
        b'{"type": "event_callback", "event": "x"}',
        "application/json",
    ),
}


@pytest.mark.parametrize("case", list(SHAPELESS))
def test_signed_slack_payload_of_the_wrong_shape_gets_400(sb: Sandbox, case: str):
    before = Writes.of(sb)
    body, content_type = SHAPELESS[case]

    answer = post(sb, "/slack/events", body, signed(body, content_type=content_type))

    assert answer.status_code == 400, answer.text
    assert answer.json() == {"error": "malformed request body"}
    before.unchanged(sb)


@pytest.mark.parametrize("case", list(MALFORMED_BODIES))
def test_unsigned_slack_body_that_cannot_be_parsed_gets_401(sb: Sandbox, case: str):
    body, content_type = MALFORMED_BODIES[case]

    answer = post(sb, "/slack/events", body, {"Content-Type": content_type or FORM})

    assert answer.status_code == 401
    assert answer.json() == {"error": "invalid request"}


UNHANDLED: dict[str, Callable[[Sandbox], bytes]] = {
    "an empty body": lambda _sb: b"",
    "an event of an unknown type": lambda _sb: b'{"type": "nothing_we_know"}',
    "a JSON array": lambda _sb: b"[1, 2, 3]",
    "another app's slash command": lambda sb: sb.slack.slash_command_body(
        "/other", "send", RECRUITER
    ),
    "a submission of another app's modal": lambda sb: interaction(
        sb.slack.view_submission_payload(
            {"id": "V0OTHER", "type": "modal", "callback_id": "not-ours"}, {}, RECRUITER
        )
    ),
}


@pytest.mark.parametrize("case", list(UNHANDLED))
def test_signed_slack_request_the_bot_has_no_listener_for_gets_404(
    sb: Sandbox, case: str
):
    before = Writes.of(sb)
    body = UNHANDLED[case](sb)

    answer = post(sb, "/slack/events", body, signed(body))

    assert answer.status_code == 404
    assert answer.json() == {"error": "unhandled request"}
    before.unchanged(sb)


# -- what people type ------------------------------------------------------------------


def test_unknown_subcommand_gets_help_that_says_i_dont_know(sb: Sandbox):
    answer = sb.slash(RECRUITER, "frobnicate now")

    assert answer.status_code == 200
    text = answer.json()["text"]
    assert text.startswith("I don't know `frobnicate`.\n")
    assert "`/karat send [candidate]`" in text


def test_unknown_subcommand_with_html_is_escaped_and_cut(sb: Sandbox):
    answer = sb.slash(RECRUITER, "<script>alert('x')</script>" + "z" * 3000)

    text = answer.json()["text"]
    first_line = text.splitlines()[0]
    assert first_line.startswith("I don't know `&lt;script&gt;alert('x')&lt;/script")
    assert "<script>" not in text
    assert len(first_line) < 80


def test_status_with_a_3000_character_query_says_how_long_it_may_be(sb: Sandbox):
    before, writes = len(sb.slack.responses), Writes.of(sb)

    answer = sb.slash(RECRUITER, "status " + "x" * 3000)

    assert answer.status_code == 200
    assert last_response(sb, before) == {"text": TOO_LONG, "response_type": "ephemeral"}
    writes.unchanged(sb)


def test_send_with_a_3000_character_query_opens_the_modal_with_the_reason(
    sb: Sandbox,
):
    updates = len(sb.slack.calls_to("views.update"))

    answer = sb.slash(RECRUITER, "send " + "x" * 3000)

    assert answer.status_code == 200
    update = sb.slack.wait_for("views.update", count=updates + 1)[-1]
    assert update.ok
    assert view_problems(update.args["view"]) == []
    assert view_text(update.args["view"]).startswith(TOO_LONG)


def test_options_load_with_a_3000_character_query_offers_nothing(sb: Sandbox):
    payload = sb.slack.block_suggestion_payload(
        ids.CANDIDATE_ACTION, "x" * 3000, RECRUITER, block_id=ids.CANDIDATE_BLOCK
    )

    answer = sb.interact(payload)

    assert answer.status_code == 200
    assert answer.json() == {"options": []}


EMOJI_FIRST = "👩🏽‍💻 Zoë-Anaïs 🚀🚀🚀"
EMOJI_LAST = "Ó Súilleabháin-Papadopoulos-Fernández-Wójcik 🎉"
RTL_FIRST = "مريم"
RTL_LAST = "العبدالله بن عبد الرحمن آل سعود الهاشمي القرشي ‏(RTL)‏"


@pytest.mark.parametrize(
    "first,last,email,query",
    [
        (EMOJI_FIRST, EMOJI_LAST, "zoe.emoji@mail.example", "zoe.emoji@mail.example"),
        (RTL_FIRST, RTL_LAST, "maryam.rtl@mail.example", "maryam.rtl@mail.example"),
    ],
    ids=["emoji", "right-to-left"],
)
def test_long_emoji_and_right_to_left_names_fit_options_and_the_modal(
    sb: Sandbox, first: str, last: str, email: str, query: str
):
    cid = 9200 if first == EMOJI_FIRST else 9201
    aid = add_candidate(sb, cid, first, last, email)
    payload = sb.slack.block_suggestion_payload(
        ids.CANDIDATE_ACTION, query, RECRUITER, block_id=ids.CANDIDATE_BLOCK
    )

    options = sb.interact(payload).json()["options"]

    assert [o["value"] for o in options] == [f"{cid}:{aid}"]
    shown = options[0]["text"]["text"]
    assert len(shown) <= 75
    assert shown.startswith(first[:10])

    updates = len(sb.slack.calls_to("views.update"))
    sb.slash(RECRUITER, f"send {email}")
    update = sb.slack.wait_for("views.update", count=updates + 1)[-1]
    assert update.ok, update.error
    assert view_problems(update.args["view"]) == []
    candidate_block = next(
        b for b in update.args["view"]["blocks"] if b.get("block_id") == "candidate"
    )
    initial = candidate_block["element"]["initial_option"]
    assert initial["value"] == f"{cid}:{aid}"
    assert len(initial["text"]["text"]) <= 75


def test_html_in_greenhouse_names_is_escaped_in_slack_mrkdwn(sb: Sandbox):
    cid = 9300
    aid = add_candidate(
        sb,
        cid,
        "<script>alert(1)</script>",
        "<b>Bold</b> & Co",
        "html.name@mail.example",
        job_id=299,
        job_name="<img src=x onerror=alert(2)> Engineer",
    )

    shown = send_and_wait(sb, open_form(sb), candidate=f"{cid}:{aid}")
    before = len(sb.slack.responses)
    sb.slash(RECRUITER, f"status {cid}")
    status = str(last_response(sb, before)["text"])

    assert (
        "*&lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;Bold&lt;/b&gt; &amp; Co*"
        in (shown)
    )
    assert "&lt;img src=x onerror=alert(2)&gt; Engineer" in status
    assert "&lt;script&gt;" in status
    for text in (shown, status):
        assert "<script>" not in text and "<img" not in text and "<b>" not in text


# -- forged or broken submissions and clicks -------------------------------------------


def _forged(sb: Sandbox, view: dict[str, Any], **values: Any) -> dict[str, str]:
    return modal_errors(submit(sb, view, **values))


def test_submission_with_a_forged_candidate_value_is_refused_in_the_modal(
    sb: Sandbox,
):
    view = open_form(sb)
    before = Writes.of(sb)

    for forged in ("not-a-choice", "301:401:999", "-1:-1", "301:" + "9" * 40):
        errors = _forged(sb, view, candidate=forged)
        assert set(errors) == {ids.CANDIDATE_BLOCK}, (forged, errors)
    before.unchanged(sb)


def test_submission_with_an_assessment_karat_does_not_offer_is_refused(sb: Sandbox):
    view = open_form(sb)
    before = Writes.of(sb)

    errors = _forged(sb, view, test="interview:no-such-test")

    assert set(errors) == {ids.TEST_BLOCK}
    before.unchanged(sb)


def test_submission_without_metadata_or_values_asks_for_every_field(sb: Sandbox):
    before = Writes.of(sb)
    view = {
        "id": "V0FORGED",
        "type": "modal",
        "callback_id": ids.SEND_MODAL,
        "private_metadata": "{{{ not json",
        "blocks": [],
    }

    answer = sb.interact(sb.slack.view_submission_payload(view, {}, RECRUITER))

    assert answer.json() == {
        "response_action": "errors",
        "errors": {
            ids.CANDIDATE_BLOCK: "Choose a candidate.",
            ids.TEST_BLOCK: "Choose an assessment.",
            ids.GRADERS_BLOCK: "Choose at least one person to grade it.",
        },
    }
    before.unchanged(sb)


def test_submission_without_a_user_is_answered_in_the_modal_and_sends_nothing(
    sb: Sandbox,
):
    before = Writes.of(sb)
    sent = len(sb.karat.requests_to("send_test"))
    view = open_form(sb)
    payload = submission(sb, view, candidate="301:401", graders=["U0SAM"])
    del payload["user"]

    answer = sb.interact(payload)

    errors = modal_errors(answer)
    assert errors == {
        ids.CANDIDATE_BLOCK: "You need an active Greenhouse account with your Slack "
        "e-mail to send tests (Slack does not know who sent this). Ask a Greenhouse "
        "admin to add you."
    }
    assert len(sb.karat.requests_to("send_test")) == sent
    before.unchanged(sb)


def test_submission_whose_view_has_no_id_sends_nothing(sb: Sandbox):
    before = Writes.of(sb)
    sent = len(sb.karat.requests_to("send_test"))
    view = {**open_form(sb), "id": None}

    answer = submit(sb, view, candidate="301:401", graders=["U0SAM"])

    assert modal_errors(answer) == {
        ids.CANDIDATE_BLOCK: "This form is out of date; open a new one."
    }
    assert len(sb.karat.requests_to("send_test")) == sent
    before.unchanged(sb)


def test_submission_naming_graders_slack_does_not_know_says_so(sb: Sandbox):
    before = Writes.of(sb)
    sent = len(sb.karat.requests_to("send_test"))
    view = open_form(sb)

    answer = submit(sb, view, candidate="301:401", graders=["U0SAM", "U0NOPE"])

    assert modal_errors(answer) == {
        ids.GRADERS_BLOCK: "Each grader needs an active Greenhouse account: Slack "
        "does not know the user U0NOPE."
    }
    assert len(sb.karat.requests_to("send_test")) == sent
    before.unchanged(sb)


def test_submission_whose_state_values_is_not_an_object_asks_for_every_field(
    sb: Sandbox,
):
    view = {"id": "V0FORGED", "type": "modal", "callback_id": ids.SEND_MODAL}
    payload = sb.slack.view_submission_payload(view, {}, RECRUITER)
    payload["view"]["state"] = {"values": "not an object"}

    answer = sb.interact(payload)

    assert answer.status_code == 200
    assert answer.json()["response_action"] == "errors"


@pytest.mark.parametrize(
    "value,expected",
    [
        ("x; DROP TABLE invitation", "That button is out of date"),
        ("999999", "Only the graders of this test can mark it as graded."),
    ],
    ids=["not a number", "nobody's invitation"],
)
def test_forged_mark_as_graded_click_is_refused_politely(
    sb: Sandbox, value: str, expected: str
):
    before, writes = len(sb.slack.responses), Writes.of(sb)
    payload = sb.slack.block_actions_payload(
        ids.MARK_GRADED_ACTION,
        RECRUITER,
        value=value,
        channel_id="C0RECRUIT",
        message_ts="1700000000.000100",
    )

    answer = sb.interact(payload)

    assert answer.status_code == 200
    assert str(last_response(sb, before)["text"]).startswith(expected)
    writes.unchanged(sb)


# -- the Karat callback ----------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "guess",
        "A" * 43,
        "x" * 5000,
        quote("ü../../etc/passwd", safe=""),
        "%00%ff",
    ],
    ids=["short", "token-shaped", "5000 chars", "path tricks", "bytes"],
)
def test_guessed_callback_token_gets_404_and_asks_karat_nothing(
    sb: Sandbox, token: str
):
    before, asked = Writes.of(sb), len(sb.karat.requests_to("test_status"))

    for method in ("PATCH", "POST"):
        answer = post(sb, f"/karat/callback/{token}", b"", method=method)
        assert answer.status_code == 404
        # An encoded "/" makes the path match no route at all: 404 from the router.
        assert answer.text in ('{"error":"unknown callback"}', "Not Found")

    assert len(sb.karat.requests_to("test_status")) == asked
    before.unchanged(sb)


def test_database_keeps_only_a_digest_of_the_callback_token(sb: Sandbox):
    cid = 9400
    aid = add_candidate(sb, cid, "Token", "Keeper", "token.keeper@mail.example")
    send_and_wait(sb, open_form(sb), candidate=f"{cid}:{aid}")
    url = sb.karat.requests_to("send_test")[-1].body["url"]
    token = url.rsplit("/", 1)[1]

    rows = invitations(sb)
    row = next(r for r in rows if r["candidate_id"] == cid)

    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    for found in rows:
        assert all(token not in str(value) for value in found.values())
    # Lookups are by digest only, so a near miss is as unknown as any guess.
    near_miss = token[:-1] + ("A" if token[-1] != "A" else "B")
    answer = post(sb, f"/karat/callback/{near_miss}", b"", method="PATCH")
    assert answer.status_code == 404


# -- methods ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method,path",
    [
        ("GET", "/slack/events"),
        ("PUT", "/slack/events"),
        ("GET", "/karat/callback/some-token"),
        ("DELETE", "/karat/callback/some-token"),
        ("GET", "/greenhouse/webhook"),
        ("PUT", "/greenhouse/webhook"),
        ("POST", "/healthz"),
        ("DELETE", "/healthz"),
        ("POST", "/readyz"),
    ],
)
def test_wrong_http_method_gets_405(sb: Sandbox, method: str, path: str):
    answer = post(sb, path, b"", method=method)

    assert answer.status_code == 405


# -- the Greenhouse webhook ------------------------------------------------------------


def _hook(sb: Sandbox, body: bytes, headers: dict[str, str]) -> Any:
    return post(sb, "/greenhouse/webhook", body, headers)


STAGE_CHANGE = webhook_body("candidate_stage_change", {"application": {"id": 401}})


def _good_headers(body: bytes = STAGE_CHANGE, **extra: str) -> dict[str, str]:
    return {**webhook_headers(body, WEBHOOK_SECRET), **extra}


WEBHOOK_CASES: dict[str, tuple[bytes, dict[str, str], int, dict[str, Any]]] = {
    "signed with another secret": (
        STAGE_CHANGE,
        webhook_headers(STAGE_CHANGE, "wrong"),
        401,
        {"error": "signature does not match"},
    ),
    "no signature": (
        STAGE_CHANGE,
        {"Content-Type": "application/json", "Greenhouse-Event-ID": "e1"},
        401,
        {"error": "signature does not match"},
    ),
    "md5 scheme": (
        STAGE_CHANGE,
        _good_headers(Signature="md5 " + "0" * 32),
        401,
        {"error": "signature does not match"},
    ),
    "missing event id": (
        STAGE_CHANGE,
        {k: v for k, v in _good_headers().items() if k != "Greenhouse-Event-ID"},
        400,
        {"error": "Greenhouse-Event-ID header is missing or malformed"},
    ),
    "event id with spaces": (
        STAGE_CHANGE,
        _good_headers(**{"Greenhouse-Event-ID": "1; DROP TABLE effect"}),
        400,
        {"error": "Greenhouse-Event-ID header is missing or malformed"},
    ),
    "body that is not JSON": (
        b"<xml>hello</xml>",
        _good_headers(b"<xml>hello</xml>"),
        400,
        {"error": "body is not JSON"},
    ),
    "JSON without an action": (
        b"[1, 2]",
        _good_headers(b"[1, 2]"),
        400,
        {"error": "body has no action"},
    ),
}


@pytest.mark.parametrize("case", list(WEBHOOK_CASES))
def test_bad_greenhouse_webhook_gets_a_clear_answer_and_is_not_queued(
    sb: Sandbox, case: str
):
    body, headers, status, expected = WEBHOOK_CASES[case]
    before = Writes.of(sb)

    answer = _hook(sb, body, headers)

    assert (answer.status_code, answer.json()) == (status, expected)
    before.unchanged(sb)


def test_webhook_with_an_unknown_action_is_acknowledged_and_ignored(sb: Sandbox):
    body = webhook_body("<script>candidate_teleported</script>", {})
    before = Writes.of(sb)

    answer = _hook(sb, body, _good_headers(body))

    assert answer.status_code == 200
    assert answer.json() == {
        "status": "ignored",
        "action": "<script>candidate_teleported</script>",
    }
    before.unchanged(sb)


# -- Karat answering badly -------------------------------------------------------------


@pytest.mark.parametrize("mode", ["html", "wrong_types", 401])
def test_broken_karat_catalogue_is_explained_in_the_modal(
    sandbox: Sandbox, mode: str | int
):
    sandbox.karat.fail_next("list_tests", mode=mode)

    sandbox.slash(RECRUITER, "send")

    update = sandbox.slack.wait_for("views.update")[-1]
    text = view_text(update.args["view"])
    if mode == 401:
        assert "Karat rejected the bot's API key" in text
        assert "KARAT_API_KEY" in text
    else:
        assert text == (
            ":warning: Karat sent an answer the bot could not read, so the form "
            "cannot be filled in. Try again in a few minutes."
        )
    assert view_problems(update.args["view"]) == []
    assert invitations(sandbox) == []


SEND_FAULTS: dict[str | int, str] = {
    "html": NOT_CLEAR,
    "not_json": NOT_CLEAR,
    "missing_keys": NOT_CLEAR,
    500: "Karat answered with an error (500); nothing was sent. Try again later.",
    401: "Karat rejected the bot's API key, so nothing was sent. Ask an admin to "
    "check KARAT_API_KEY (run /karat health).",
}


@pytest.mark.parametrize("mode", list(SEND_FAULTS), ids=str)
def test_broken_karat_send_answer_is_explained_and_nothing_is_owed(
    sb: Sandbox, mode: str | int
):
    cid = 9600 + list(SEND_FAULTS).index(mode)
    aid = add_candidate(sb, cid, "Send", f"Fault {mode}", f"fault.{cid}@mail.example")
    view = open_form(sb)
    before = Writes.of(sb, cid)
    reported = len(sb.karat.reported_errors)
    sb.karat.fail_next("send_test", mode=mode)

    shown = send_and_wait(sb, view, candidate=f"{cid}:{aid}")

    assert shown == f":x: {SEND_FAULTS[mode]}"
    after = Writes.of(sb, cid)
    assert after.send_tests == before.send_tests + 1
    assert (after.effects, after.notes) == (before.effects, before.notes)
    # An unreadable answer may hide an invitation Karat took: it is kept, marked
    # unconfirmed, for a callback to prove; a refusal keeps nothing.
    kept = [i for i in invitations(sb) if i["candidate_id"] == cid]
    if isinstance(mode, str):
        assert [i["status"] for i in kept] == ["unconfirmed"]
    else:
        assert kept == []
    if isinstance(mode, str):
        report = wait_until(
            lambda: sb.karat.reported_errors, lambda r: len(r) > reported
        )[-1]
        assert report["api_call"] == "send_test"
        assert report["errors"]


def test_numeric_partner_interview_id_from_karat_is_kept_as_text(sb: Sandbox):
    # The stand-in's "wrong_types" send_test answer is a number where the API says
    # string; the id is unambiguous, so the bot keeps the invitation, as text.
    cid = 9650
    aid = add_candidate(sb, cid, "Numeric", "Id", "numeric.id@mail.example")
    sb.karat.fail_next("send_test", mode="wrong_types")

    shown = send_and_wait(sb, open_form(sb), candidate=f"{cid}:{aid}")

    assert shown.startswith(":white_check_mark: *Backend Interview (60 min)* sent to")
    row = next(r for r in invitations(sb) if r["candidate_id"] == cid)
    assert row["karat_interview_id"] == "48151623"


@pytest.fixture
def waiting_invitation(sb: Sandbox) -> tuple[str, int]:
    """A test sent through the bot and waiting for Karat: (interview id, row id)."""
    cid = 9500
    aid = add_candidate(sb, cid, "Status", "Probe", "status.probe@mail.example")
    send_and_wait(sb, open_form(sb), candidate=f"{cid}:{aid}")
    interview_id = next(
        i
        for i, inv in sb.karat.invitations.items()
        if inv.candidate.get("email") == "status.probe@mail.example"
    )
    row = next(r for r in invitations(sb) if r["candidate_id"] == cid)
    return interview_id, row["id"]


def test_broken_karat_status_answers_are_reported_and_never_complete_the_test(
    sb: Sandbox, waiting_invitation: tuple[str, int]
):
    interview_id, row_id = waiting_invitation

    for mode in ("html", "not_json", "wrong_types", "missing_keys"):
        reported = len(sb.karat.reported_errors)
        sb.karat.fail_next("test_status", mode=mode)
        assert sb.karat.complete(interview_id) == 200
        report = wait_until(
            lambda: sb.karat.reported_errors, lambda r, n=reported: len(r) > n
        )[-1]
        assert report["api_call"] == "test_status", mode
        assert report["partner_interview_id"] == interview_id
        row = next(r for r in invitations(sb) if r["id"] == row_id)
        assert row["status"] == "sent", mode

    assert sb.karat.complete(interview_id) == 200
    wait_until(
        lambda: next(r for r in invitations(sb) if r["id"] == row_id)["status"],
        lambda status: status == "completed",
    )


# -- Greenhouse answering badly --------------------------------------------------------


def _greenhouse_fails_on_the_candidate(sb: Sandbox, cid: int, fault: int | str):
    """Submit the form while Harvest fails on candidates; the modal's errors."""
    aid = add_candidate(sb, cid, "Harvest", f"Fault {fault}", f"h.{cid}@mail.example")
    quick_harvest_retries(sb)
    view = open_form(sb)
    before = Writes.of(sb, cid)
    sb.harvest.fail_next("/v3/candidates", status=fault, count=4)
    try:
        return modal_errors(submit(sb, view, candidate=f"{cid}:{aid}"))
    finally:
        before.unchanged(sb, cid)
        sb.harvest._failures.clear()  # retries may leave some unspent


def test_greenhouse_500_on_the_candidate_is_explained_and_nothing_is_sent(
    sb: Sandbox,
):
    errors = _greenhouse_fails_on_the_candidate(sb, 9700, 500)

    assert errors == {ids.CANDIDATE_BLOCK: GREENHOUSE_500}


def test_truncated_greenhouse_answer_is_explained_and_nothing_is_sent(sb: Sandbox):
    errors = _greenhouse_fails_on_the_candidate(sb, 9701, "truncated")

    assert set(errors) == {ids.CANDIDATE_BLOCK}
    assert errors[ids.CANDIDATE_BLOCK].startswith("Greenhouse ")
    assert "so nothing was sent" in errors[ids.CANDIDATE_BLOCK]


def test_truncated_greenhouse_answer_is_not_called_an_error_200(sb: Sandbox):
    errors = _greenhouse_fails_on_the_candidate(sb, 9702, "truncated")

    assert "(200)" not in errors[ids.CANDIDATE_BLOCK]


def test_greenhouse_timing_out_on_a_search_answers_no_options_within_slacks_3s(
    sb: Sandbox,
):
    sb.harvest.fail_next("/v3/candidates", status="timeout", seconds=4)
    payload = sb.slack.block_suggestion_payload(
        ids.CANDIDATE_ACTION,
        "maya.chen@mail.example",
        RECRUITER,
        block_id=ids.CANDIDATE_BLOCK,
    )

    answer = sb.interact(payload)

    assert answer.status_code == 200
    # Maya exists: had the bot waited the 4 s for Greenhouse, she would be offered.
    assert answer.json() == {"options": []}

"""`status_phrase`: how an invitation stands, as Greenhouse's Karat stage words it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from freezegun import freeze_time

from bot.services.status import status_phrase
from bot.storage.models import Grader, Invitation, InvitationStatus
from bot.timefmt import now

NOW = datetime(2026, 11, 4, 15, 30, tzinfo=UTC)
ANA = Grader(invitation_id=1, slack_user_id="U0ANA", name="Ana Ruiz")
SAM = Grader(invitation_id=1, slack_user_id="U0SAM", name="Sam Patel")
LEE = Grader(invitation_id=1, slack_user_id="U0LEE", name="Lee Okafor")


def invitation(status: str, **values: Any) -> Invitation:
    fields: dict[str, Any] = {
        "id": 1,
        "token_hash": "0" * 64,
        "idempotency_key": "k",
        "candidate_id": 301,
        "application_id": 401,
        "candidate_name": "Maya Chen",
        "test_kind": "interview",
        "test_id": "karat-backend-60",
        "test_name": "Backend Interview (60 min)",
        "sender_slack_id": "U0ANA",
        "sender_name": "Ana Ruiz",
        "status": status,
        "sent_at": NOW - timedelta(days=3),
    }
    return Invitation(**(fields | values))


def test_sent_says_how_long_ago():
    with freeze_time(NOW):
        phrase = status_phrase(invitation(InvitationStatus.SENT), [], at=now())
    assert phrase == "Sent 3 days ago"


@pytest.mark.parametrize(
    ("sent", "words"),
    [
        (timedelta(seconds=10), "Sent just now"),
        (timedelta(minutes=1), "Sent 1 minute ago"),
        (timedelta(hours=5), "Sent 5 hours ago"),
        (timedelta(days=1), "Sent 1 day ago"),
        (timedelta(weeks=2), "Sent 2 weeks ago"),
    ],
)
def test_sent_phrase_follows_the_time_since_sending(sent: timedelta, words: str):
    sent_invitation = invitation(InvitationStatus.SENT, sent_at=NOW - sent)
    assert status_phrase(sent_invitation, [SAM], at=NOW) == words


def test_completed_names_the_grader_and_when_results_came():
    completed = invitation(
        InvitationStatus.COMPLETED, completed_at=NOW - timedelta(hours=2)
    )

    with freeze_time(NOW):
        phrase = status_phrase(completed, [ANA], at=now())

    assert phrase == "To be graded by Ana Ruiz, results added 2 hours ago"


def test_completed_names_every_grader_in_the_order_chosen():
    completed = invitation(InvitationStatus.COMPLETED, completed_at=NOW)

    phrase = status_phrase(completed, [SAM, LEE], at=NOW)

    assert phrase == "To be graded by Sam Patel, Lee Okafor, results added just now"


def test_completed_without_graders_says_nobody_yet():
    completed = invitation(
        InvitationStatus.COMPLETED, completed_at=NOW - timedelta(days=1)
    )

    phrase = status_phrase(completed, [], at=NOW)

    assert phrase == "To be graded by nobody yet, results added 1 day ago"


def test_graded_names_who_graded_it():
    graded = invitation(
        InvitationStatus.GRADED,
        completed_at=NOW - timedelta(days=2),
        graded_at=NOW - timedelta(hours=1),
        graded_by="Sam Patel",
    )

    assert status_phrase(graded, [SAM], at=NOW) == "Graded by Sam Patel"
    assert status_phrase(invitation(InvitationStatus.GRADED), [], at=NOW) == "Graded"


def test_expired_says_expired():
    expired = invitation(InvitationStatus.EXPIRED, sent_at=NOW - timedelta(weeks=9))

    assert status_phrase(expired, [SAM], at=NOW) == "Expired"


def test_replaced_closed_and_sending_are_worded_too():
    assert (
        status_phrase(invitation(InvitationStatus.REPLACED), [], at=NOW)
        == "Replaced by a later invitation (first sent 3 days ago)"
    )
    assert (
        status_phrase(invitation(InvitationStatus.CLOSED), [], at=NOW)
        == "Closed: the application was hired or rejected"
    )
    assert status_phrase(invitation(InvitationStatus.SENDING), [], at=NOW) == (
        "Being sent"
    )


def test_status_phrase_refuses_a_naive_time():
    naive = invitation(InvitationStatus.SENT, sent_at=datetime(2026, 11, 1, 12, 0))

    with pytest.raises(ValueError, match="aware"):
        status_phrase(naive, [], at=NOW)

"""After sending: results relayed once, grading noticed, reminders on weekdays only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clients.greenhouse.models import Interview, Scorecard, UserRef
from bot.sandbox.harvest import RateWindow
from bot.services import follow_up, relay
from bot.storage import invitations as store
from bot.storage import outbox
from bot.storage.models import Grader, InvitationStatus
from tests.world import World

HOUR = timedelta(hours=1)
LONDON = ZoneInfo("Europe/London")  # where Sam, the grader watched below, works


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_reminder_due_on_a_weekday_stays_where_it_is():
    due = follow_up.next_reminder_at(
        since=at("2026-11-03T10:00"), interval=24 * HOUR, tz_name="Europe/London"
    )
    assert due == at("2026-11-04T10:00")


def test_reminder_falling_on_saturday_moves_to_monday_nine_local_time():
    # Friday 20:00 UTC + 24 h is Saturday everywhere near.
    since = at("2026-11-06T20:00")
    london = follow_up.next_reminder_at(
        since=since, interval=24 * HOUR, tz_name="Europe/London"
    )
    los_angeles = follow_up.next_reminder_at(
        since=since, interval=24 * HOUR, tz_name="America/Los_Angeles"
    )
    assert london == at("2026-11-09T09:00")  # 09:00 GMT
    assert los_angeles == at("2026-11-09T17:00")  # 09:00 PST


def test_weekend_is_judged_in_the_graders_own_time_zone():
    # Saturday 03:00 UTC is still Friday evening in Los Angeles: no delay there.
    since = at("2026-11-06T03:00")
    assert follow_up.next_reminder_at(
        since=since, interval=24 * HOUR, tz_name="America/Los_Angeles"
    ) == at("2026-11-07T03:00")
    assert follow_up.next_reminder_at(
        since=since, interval=24 * HOUR, tz_name="Asia/Tokyo"
    ) == at("2026-11-09T00:00")  # Monday 09:00 JST


def test_unknown_time_zone_falls_back_to_utc():
    due = follow_up.next_reminder_at(
        since=at("2026-11-06T20:00"), interval=24 * HOUR, tz_name="Mars/Olympus"
    )
    assert due == at("2026-11-09T09:00")


def _card(**fields) -> Scorecard:
    base = {"id": 1, "submitted_at": at("2026-11-05T10:00")}
    return Scorecard.model_validate({**base, **fields})


def test_grading_scorecard_needs_a_grader_and_the_karat_interview():
    graders = [
        Grader(
            invitation_id=1, slack_user_id="U0SAM", greenhouse_user_id=103, name="Sam"
        )
    ]
    since = at("2026-11-04T00:00")
    other_person = _card(submitted_by={"id": 999}, interview="Karat interview")
    other_interview = _card(submitted_by={"id": 103}, interview="Onsite")
    too_early = _card(
        submitted_by={"id": 103},
        interview="Karat interview",
        submitted_at=at("2026-11-01T00:00"),
    )
    by_step = _card(
        id=7,
        submitted_by={"id": 103},
        interview="Tech",
        interview_step={"id": 55, "name": "x"},
    )
    pick = follow_up.grading_scorecard
    assert (
        pick(
            [other_person, other_interview, too_early],
            graders=graders,
            since=since,
            karat_interview_ids={55},
            stage_name="Karat",
        )
        is None
    )
    assert (
        pick(
            [by_step],
            graders=graders,
            since=since,
            karat_interview_ids={55},
            stage_name="Karat",
        ).id
        == 7
    )
    assert isinstance(by_step.interview_step, Interview)
    assert isinstance(by_step.submitted_by, UserRef)


async def _complete(world: World) -> int:
    outcome = await world.send()
    interview_id = outcome.invitation.karat_interview_id
    await world.karat.acomplete(interview_id, score=91, notify=False)
    token_ok = await relay.callback_received(world.services, _token_of(world))
    assert token_ok
    await world.settle()
    return outcome.invitation.id


def _token_of(world: World) -> str:
    url = world.karat.requests_to("send_test")[-1].body["url"]
    return url.rsplit("/", 1)[1]


async def test_result_reaches_each_grader_once_and_greenhouse_once(world: World):
    invitation_id = await _complete(world)
    # A replayed callback and another worker round change nothing.
    await relay.callback_received(world.services, _token_of(world))
    await world.settle()
    for grader in ("U0SAM", "U0LEE"):
        dms = world.dms_to(grader)
        assert len(dms) == 1, dms
        assert "91" in str(dms[0]["blocks"])
    notes = [n for n in world.harvest.notes_for(301) if "karat-bot/" in n["body"]]
    assert len(notes) == 2  # "sent" and "results"
    async with world.services.db.session() as session:
        invitation = await store.get(session, invitation_id)
    assert invitation.status == InvitationStatus.COMPLETED
    assert invitation.score == 91


async def test_callbacks_while_a_fetch_waits_owe_no_second_fetch(world: World):
    outcome = await world.send()
    await world.karat.acomplete(
        outcome.invitation.karat_interview_id, score=80, notify=False
    )
    token = _token_of(world)

    for _ in range(5):
        assert await relay.callback_received(world.services, token)
        world.clock.advance(seconds=1)

    async with world.services.db.session() as session:
        owed = [
            e
            for e in await outbox.pending_for(session, outcome.invitation.id or 0)
            if e.kind == "fetch_status"
        ]
    assert len(owed) == 1
    await world.settle()
    assert len(world.karat.requests_to("test_status")) == 1
    assert [len(world.dms_to(g)) for g in ("U0SAM", "U0LEE")] == [1, 1]


async def test_submitted_scorecard_marks_the_test_graded_and_updates_the_dms(
    world: World,
):
    invitation_id = await _complete(world)
    karat_stage_interview = 1003 * 10 + 1
    world.harvest.data.scorecards[900] = {
        **world.harvest.data.scorecards[601],
        "id": 900,
        "application_id": 401,
        "interview": "Karat interview",
        "interview_step_id": karat_stage_interview,
        "interviewer_id": 104,
        "submitted_by_id": 104,
        "submitted_at": (world.clock() + HOUR).isoformat().replace("+00:00", "Z"),
    }
    world.clock.advance(minutes=20)
    await world.settle()
    async with world.services.db.session() as session:
        invitation = await store.get(session, invitation_id)
    assert invitation.status == InvitationStatus.GRADED
    assert invitation.graded_by == "Lee Okafor"
    updates = world.slack.calls_to("chat.update")
    assert {c.args["channel"] for c in updates} >= {"D0SAM", "D0LEE"}
    assert "Graded by Lee Okafor" in str(updates[-1].args["blocks"])


async def test_graders_are_reminded_daily_on_weekdays_at_most_five_times(world: World):
    # This test is about the calendar, not about throttling: lift Harvest's limit.
    world.harvest.rate_limits["v1"] = RateWindow(100_000, 10.0)
    await _complete(world)  # Monday 10:00 UTC
    sent_days = []
    for _ in range(14 * 12):  # two weeks, two hours at a time
        world.clock.advance(hours=2)
        before = len(world.dms_to("U0SAM"))
        await world.settle()
        if len(world.dms_to("U0SAM")) > before:
            sent_days.append(world.clock().astimezone(LONDON).strftime("%a"))
    reminders = [m for m in world.dms_to("U0SAM") if "Reminder" in m["text"]]
    assert len(reminders) == 5
    assert "Sat" not in sent_days and "Sun" not in sent_days


async def test_no_result_in_eight_weeks_expires_and_tells_the_sender_once(world: World):
    outcome = await world.send()
    world.clock.advance(days=8)
    await world.settle()
    nudges = [m for m in world.dms_to("U0ANA") if "has not completed" in m["text"]]
    assert len(nudges) == 1
    world.clock.advance(weeks=8)
    await world.settle()
    await world.settle()
    async with world.services.db.session() as session:
        invitation = await store.get(session, outcome.invitation.id)
    assert invitation.status == InvitationStatus.EXPIRED
    expired = [m for m in world.dms_to("U0ANA") if "expired" in m["text"]]
    assert len(expired) == 1


async def test_polling_finds_a_result_when_the_callback_never_came(world: World):
    outcome = await world.send()
    await world.karat.acomplete(
        outcome.invitation.karat_interview_id, score=75, notify=False
    )
    world.clock.advance(minutes=61)
    await world.settle()
    async with world.services.db.session() as session:
        invitation = await store.get(session, outcome.invitation.id)
    assert invitation.status == InvitationStatus.COMPLETED
    assert len(world.dms_to("U0SAM")) == 1


async def test_polling_stops_when_the_application_is_rejected(world: World):
    outcome = await world.send()
    world.harvest.data.applications[401]["status"] = "rejected"
    world.clock.advance(minutes=61)
    await world.settle()
    async with world.services.db.session() as session:
        invitation = await store.get(session, outcome.invitation.id)
    assert invitation.status == InvitationStatus.CLOSED
    assert not world.karat.requests_to("test_status")

"""`karat-bot health --smoke`: send a real test to the test candidate, end to end.

The steps are those of the send path without Slack: read the test application and
its candidate, send a Karat test (the stage's aligned test, else the first interview
test), write a note to the candidate's activity feed as the integration user, and
read the feed back to find it. Each step is reported; after a failed step the rest
are not run. The callback URL carries a token the bot does not track, so Karat's
completion call for this test is answered 404 and changes nothing.
"""

from __future__ import annotations

import secrets

from bot.clients.greenhouse.models import Application, Candidate
from bot.clients.karat import KaratCandidate, KaratTest, TestKind
from bot.errors import UpstreamError
from bot.services import notes, team_config
from bot.services.catalog import test_value
from bot.services.health_local import upstream_words
from bot.services.health_model import Check, HealthContext, failed, passed, warned

STEPS = (
    "Smoke: test candidate",
    "Smoke: Karat send_test",
    "Smoke: Greenhouse note",
    "Smoke: note in the activity feed",
)


class _Stop(Exception):
    def __init__(self, check: Check) -> None:
        super().__init__(check.detail)
        self.check = check


async def smoke_checks(ctx: HealthContext) -> list[Check]:
    """Send a test to the test candidate and write a note; one check per step."""
    settings = ctx.settings
    app_id = settings.GREENHOUSE_TEST_APPLICATION_ID
    if app_id is None or ctx.harvest is None or ctx.karat is None:
        missing = (
            "GREENHOUSE_TEST_APPLICATION_ID is not set"
            if app_id is None
            else "Greenhouse or Karat is not configured"
        )
        return [
            failed(
                STEPS[0],
                f"not run: {missing}",
                "Create a test candidate in Greenhouse on a job with a Karat stage and "
                "set GREENHOUSE_TEST_APPLICATION_ID to its application id.",
            )
        ]
    done: list[Check] = []
    try:
        application, candidate = await _candidate(ctx, app_id)
        done.append(
            passed(
                STEPS[0],
                f"{candidate.full_name} (candidate {candidate.id}, application "
                f"{application.id})",
            )
        )
        test, interview_id = await _send(ctx, application, candidate)
        done.append(
            passed(
                STEPS[1],
                f"Karat accepted “{test.name}” (partner_interview_id {interview_id})",
            )
        )
        marker = notes.marker(f"smoke:{secrets.token_hex(6)}")
        note_id = await _note(ctx, candidate, test, interview_id, marker)
        done.append(passed(STEPS[2], f"note {note_id} written as the integration user"))
        done.append(await _read_back(ctx, candidate, marker))
    except _Stop as stop:
        done.append(stop.check)
    for step in STEPS[len(done) :]:
        done.append(
            warned(
                step, "not run: an earlier step failed", "Fix the failed step first."
            )
        )
    return done


async def _candidate(ctx: HealthContext, app_id: int) -> tuple[Application, Candidate]:
    assert ctx.harvest is not None
    fix = (
        "Set GREENHOUSE_TEST_APPLICATION_ID to the application id of an active test "
        "candidate with an e-mail address."
    )
    try:
        application = await ctx.harvest.get_application(app_id)
        candidate = await ctx.harvest.get_candidate(application.candidate_id)
    except UpstreamError as exc:
        raise _Stop(
            failed(
                STEPS[0],
                f"could not read application {app_id}: {upstream_words(exc)}",
                fix,
            )
        ) from None
    if application.status != "active" or not candidate.email:
        why = (
            f"the application is {application.status}"
            if application.status != "active"
            else "the candidate has no e-mail address"
        )
        raise _Stop(failed(STEPS[0], f"{candidate.full_name}: {why}", fix))
    return application, candidate


async def _send(
    ctx: HealthContext, application: Application, candidate: Candidate
) -> tuple[KaratTest, str]:
    assert ctx.karat is not None
    settings = ctx.settings
    try:
        tests = await ctx.karat.endpoint(TestKind.INTERVIEW).list_tests()
        test = await _chosen_test(ctx, application, tests)
        if test is None:
            raise _Stop(
                failed(
                    STEPS[1],
                    "Karat offers no interview test for this key",
                    "Ask your Karat contact to set up the assessments.",
                )
            )
        interview_id = await ctx.karat.endpoint(test.kind).send_test(
            test_id=test.test_id,
            candidate=KaratCandidate(
                first_name=candidate.first_name or "",
                last_name=candidate.last_name or "",
                preferred_name=candidate.preferred_name or candidate.first_name or "",
                email=candidate.email or "",
                phone_number=candidate.phone,
                resume_url=candidate.resume_url,
                greenhouse_profile_url=settings.profile_url(
                    candidate.id, application.id
                ),
            ),
            sent_by=None,
            # A token nobody tracks: Karat's completion call cannot touch real data.
            url=settings.callback_url(f"smoke-{secrets.token_urlsafe(16)}"),
        )
    except UpstreamError as exc:
        raise _Stop(
            failed(
                STEPS[1],
                f"Karat did not take the test: {upstream_words(exc)}",
                "See the Karat key checks above; if they pass, tell Karat support "
                "what send_test answered.",
            )
        ) from None
    return test, interview_id


async def _chosen_test(
    ctx: HealthContext, application: Application, tests: list[KaratTest]
) -> KaratTest | None:
    if ctx.db is not None and application.current_stage is not None:
        config = await team_config.current(ctx.db, ctx.settings)
        aligned = config.stage_alignment.get(application.current_stage.id)
        for test in tests:
            if aligned is not None and test_value(test) == aligned.test:
                return test
    return tests[0] if tests else None


async def _note(
    ctx: HealthContext,
    candidate: Candidate,
    test: KaratTest,
    interview_id: str,
    marker: str,
) -> int:
    assert ctx.harvest is not None
    body = (
        f"Karat bot health check: sent {test.name} to this test candidate "
        f"(partner_interview_id {interview_id}). Nothing needs doing."
    )
    try:
        note = await ctx.harvest.add_note(
            candidate.id, body=body, visibility="private", marker=marker
        )
    except UpstreamError as exc:
        raise _Stop(
            failed(
                STEPS[2],
                f"Greenhouse did not take the note: {upstream_words(exc)}",
                "See the `POST: Add Note` and integration user checks above.",
            )
        ) from None
    return note.id


async def _read_back(ctx: HealthContext, candidate: Candidate, marker: str) -> Check:
    assert ctx.harvest is not None
    try:
        feed = await ctx.harvest.get_activity_feed(candidate.id)
    except UpstreamError as exc:
        return failed(
            STEPS[3],
            f"could not read the activity feed: {upstream_words(exc)}",
            "See the `GET: Retrieve Activity Feed` check above.",
        )
    if any(marker in (n.body or "") for n in feed.notes):
        return passed(STEPS[3], f"found on candidate {candidate.id}'s activity feed")
    return failed(
        STEPS[3],
        "the note was written but is not in the activity feed",
        "Check the note's visibility rules for the integration user in Greenhouse.",
    )

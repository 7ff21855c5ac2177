"""Every check of the send form, with the words the recruiter reads."""

from __future__ import annotations

import pytest

from bot.errors import FormErrors
from bot.services import sending
from bot.services.catalog import TestCatalog
from bot.storage import invitations as store
from bot.storage.models import InvitationStatus
from tests.world import World


def _form(candidate: str, *, key: str = "m1", options: frozenset[str] = frozenset()):
    return sending.SendForm(
        idempotency_key=key,
        sender_slack_id="U0ANA",
        candidate_value=candidate,
        test_value="interview:karat-backend-60",
        grader_ids=["U0SAM"],
        options=options,
    )


async def _errors(world: World, form: sending.SendForm) -> dict[str, str]:
    with pytest.raises(FormErrors) as refused:
        await sending.check(world.services, TestCatalog(world.services.karat), form)
    return refused.value.errors


async def test_a_candidate_outside_the_karat_stage_needs_an_explicit_yes(world: World):
    errors = await _errors(world, _form("302:402"))
    assert errors == {
        "candidate": "The candidate is in Recruiter Phone Screen, not in the Karat "
        'stage. Move them in Greenhouse, or tick "Send even if not in the Karat stage" '
        "and send again."
    }
    plan = await sending.check(
        world.services,
        TestCatalog(world.services.karat),
        _form("302:402", options=frozenset({sending.SEND_ANYWAY})),
    )
    assert plan.application.id == 402


async def test_a_job_with_two_karat_stages_is_refused(world: World):
    errors = await _errors(world, _form("308:408"))
    assert errors["candidate"] == (
        "The job Data Engineer has 2 Karat stages; only a single Karat stage works. "
        "Remove the extra one in Greenhouse."
    )


async def test_a_job_without_a_karat_stage_is_refused(world: World):
    errors = await _errors(world, _form("309:409"))
    assert errors["candidate"] == (
        "The job Product Designer has no Karat stage in its interview plan. Add one in "
        "Greenhouse, then send again."
    )


async def test_a_prospect_without_a_job_is_refused(world: World):
    errors = await _errors(world, _form("307:407"))
    assert errors["candidate"] == (
        "Zoe Martin is a prospect without a job. Add them to a job with a Karat stage "
        "in Greenhouse first."
    )


async def test_a_private_candidate_is_sent_from_greenhouse_not_slack(world: World):
    # Omar Haddad is private in Greenhouse: a forged or stale choice still fails.
    errors = await _errors(world, _form("306:406"))
    assert errors["candidate"] == (
        "This candidate is private in Greenhouse, so the bot does not send tests to "
        "them from Slack; send the test from Greenhouse."
    )
    assert not world.karat.requests_to("send_test")


async def test_a_candidate_the_integration_user_cannot_see_is_explained(world: World):
    world.harvest.fail_next("/v1/candidates/306", status=403)
    errors = await _errors(world, _form("306:406"))
    assert errors["candidate"].startswith(
        "The integration user cannot see this candidate (a private candidate?)."
    )


async def test_a_test_already_waiting_says_when_and_offers_to_send_again(world: World):
    first = await world.send(key="m1")
    world.clock.advance(days=2)
    errors = await _errors(world, _form("301:401", key="m2"))
    assert errors["test"] == (
        "Backend Interview (60 min) was already sent to this candidate 2 days ago by "
        'Ana Ruiz. Tick "Send again" to resend it.'
    )
    with pytest.raises(FormErrors):
        await world.send(key="m3", graders=("U0SAM",))
    assert len(world.karat.requests_to("send_test")) == 1
    plan = await sending.check(
        world.services,
        TestCatalog(world.services.karat),
        _form("301:401", key="m4", options=frozenset({sending.RESEND})),
    )
    resent = await sending.send(world.services, plan)
    async with world.services.db.session() as session:
        old = await store.get(session, first.invitation.id)
    assert old.status == InvitationStatus.REPLACED
    assert resent.invitation.status == InvitationStatus.SENT

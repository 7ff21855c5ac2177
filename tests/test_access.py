"""Who may do what: members send and follow tests, graders grade, admins administer."""

from __future__ import annotations

from bot.blocks import ids
from bot.sandbox.harness import Sandbox
from bot.slack.actions import mark_graded
from tests.e2e_support import open_form, status_text, submit, wait_until
from tests.world import World

REFUSAL = (
    "Karat tests can be sent and followed only by people with an active Greenhouse "
    "account that uses their Slack e-mail address"
)


def test_someone_without_a_greenhouse_account_cannot_see_status(sandbox: Sandbox):
    text = status_text(sandbox, "maya.chen@mail.example", user="U0PAT")
    assert text.startswith(REFUSAL)
    assert "Pat Outsider has no Greenhouse account with their Slack e-mail" in text
    assert "Ask <@U0RILEY> to add you in Greenhouse." in text


def test_a_disabled_greenhouse_account_cannot_list_tests(sandbox: Sandbox):
    before = len(sandbox.slack.responses)
    sandbox.slash("U0DANA", "list")
    posted = wait_until(lambda: sandbox.slack.responses, lambda r: len(r) > before)
    assert "Dana Kim's Greenhouse account is disabled" in posted[-1].body["text"]


def test_the_send_modal_refuses_an_outsider_and_offers_no_form(sandbox: Sandbox):
    sandbox.slash("U0PAT", "send")
    update = sandbox.slack.wait_for("views.update")[-1]
    text = str(update.args["view"])
    assert REFUSAL in text
    assert ids.CANDIDATE_BLOCK not in text


def test_a_submission_from_an_outsider_sends_nothing(sandbox: Sandbox):
    view = open_form(sandbox)
    answer = submit(sandbox, view, user="U0PAT")
    errors = answer.json()["errors"]
    assert "You need an active Greenhouse account" in errors[ids.CANDIDATE_BLOCK]
    assert not sandbox.karat.requests_to("send_test")


def test_candidate_search_finds_nobody_for_an_outsider(sandbox: Sandbox):
    view = open_form(sandbox)

    def options(user: str) -> list[dict[str, object]]:
        payload = sandbox.slack.block_suggestion_payload(
            ids.CANDIDATE_ACTION, "maya", user, block_id=ids.CANDIDATE_BLOCK, view=view
        )
        answer = sandbox.interact(payload)
        assert answer.status_code == 200
        return answer.json()["options"]

    assert options("U0ANA"), "a member finds Maya"
    # Pat has no Greenhouse account; U0NOBODY is no one Slack knows.
    assert options("U0PAT") == []
    assert options("U0NOBODY") == []


async def test_only_a_grader_of_the_test_can_mark_it_graded(world: World):
    outcome = await world.send()
    await world.karat.acomplete(outcome.invitation.karat_interview_id, notify=False)
    world.clock.advance(minutes=61)  # the poll finds the result
    await world.settle()
    value = str(outcome.invitation.id)
    refused = await mark_graded(world.services, "U0ANA", value)
    assert refused == "Only the graders of this test can mark it as graded."
    assert await mark_graded(world.services, "U0SAM", value) is None
    again = await mark_graded(world.services, "U0LEE", value)
    assert again == "Already graded by Sam Patel."
    for forged in ("not-a-number", "9" * 50, "٣"):
        assert await mark_graded(world.services, "U0SAM", forged) == (
            "That button is out of date; open the latest message from the bot."
        )


async def test_a_refusal_is_remembered_a_minute_and_a_member_five(monkeypatch):
    from types import SimpleNamespace
    from typing import Any, cast

    from bot.services import access
    from bot.services.people import MappedPerson

    asked: list[str] = []
    accounts = {"U0PAT": False, "U0ANA": True}

    async def map_user(_slack: Any, _harvest: Any, user_id: str) -> MappedPerson:
        asked.append(user_id)
        if accounts[user_id]:
            return MappedPerson(cast(Any, None), cast(Any, SimpleNamespace()), None)
        return MappedPerson(cast(Any, None), None, "no Greenhouse account")

    monkeypatch.setattr(access, "map_user", map_user)
    now = [1000.0]
    cache = access.AccessCache(clock=lambda: now[0])
    services = cast(Any, SimpleNamespace(slack=None, harvest=None))

    for _ in range(3):
        await access.member(services, cache, "U0PAT")
        await access.member(services, cache, "U0ANA")
    assert asked == ["U0PAT", "U0ANA"]

    now[0] += 61  # the refusal is asked again: an admin may have fixed it
    accounts["U0PAT"] = True
    assert (await access.member(services, cache, "U0PAT")).ok
    await access.member(services, cache, "U0ANA")
    assert asked == ["U0PAT", "U0ANA", "U0PAT"]

    now[0] += 300  # a member is checked again after five minutes
    await access.member(services, cache, "U0ANA")
    assert asked[-1] == "U0ANA"

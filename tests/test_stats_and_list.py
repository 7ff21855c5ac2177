"""`/karat list` marks what is overdue; `/karat stats` counts the funnel."""

from __future__ import annotations

from bot.services import follow_up, relay
from bot.services.sending import SEND_ANYWAY
from bot.slack.commands import list_for, stats_for
from bot.storage import invitations as store
from tests.world import World

# José is not in the Karat stage yet; the recruiter sends all the same.
ANYWAY = frozenset({SEND_ANYWAY})


async def test_list_shows_open_tests_oldest_first_with_overdue_marked(world: World):
    await world.send(candidate="301:401", key="m1")
    world.clock.advance(days=8)
    await world.send(
        candidate="302:402",
        key="m2",
        options=ANYWAY,
        test="interview:karat-frontend-60",
    )
    reply = await list_for(world.services, "U0ANA")
    text = reply["text"]
    assert text.index("Maya Chen") < text.index("José Álvarez")
    assert (
        "Maya Chen* — Backend Interview (60 min) (Backend Engineer): "
        "Sent 1 week ago — overdue" in text
    )
    assert (
        "José Álvarez* — Frontend Interview (60 min) (Backend Engineer): "
        "Sent just now\n" in text + "\n"
    )


async def test_list_of_someone_with_nothing_open_says_so(world: World):
    reply = await list_for(world.services, "U0SAM")
    assert reply["text"] == "You have no open Karat tests."


async def test_stats_count_sent_completed_graded_and_medians(world: World):
    first = await world.send(candidate="301:401", key="m1")
    await world.send(candidate="302:402", key="m2", options=ANYWAY)
    world.clock.advance(days=2)
    await world.karat.acomplete(first.invitation.karat_interview_id, notify=False)
    token = world.karat.requests_to("send_test")[0].body["url"].rsplit("/", 1)[1]
    await relay.callback_received(world.services, token)
    await world.settle()
    world.clock.advance(days=1)
    async with world.services.db.session() as session:
        invitation = await store.get(session, first.invitation.id)
    await follow_up.mark_graded(world.services, invitation, by="Sam Patel")
    reply = await stats_for(world.services, "")
    assert (
        "*Last 30 days:* 2 sent · 1 completed · 1 graded · 0 expired · "
        "median 2 d to complete, 1 d to grade" in reply["text"]
    )
    by_job = await stats_for(world.services, "backend")
    assert "for Backend Engineer" in by_job["text"]
    none = await stats_for(world.services, "designer")
    assert none["text"].startswith("*Karat funnel for “designer”*")
    assert "No Karat tests were sent from Slack in that time." in none["text"]
    long = await stats_for(world.services, "x" * 3000)
    assert f"“{'x' * 79}…”" in long["text"]
    assert len(long["text"]) < 1000


async def test_a_candidate_made_private_is_looked_up_by_nobody(world: World):
    from bot.slack.commands import NO_MATCH, status_for
    from bot.storage.index_models import IndexCandidate

    await world.send(candidate="302:402", key="m1", options=ANYWAY)
    shown = await status_for(world.services, "302")
    assert "José Álvarez" in shown["text"]
    # Greenhouse made José private since; the index learns it (sync or webhook).
    async with world.services.db.session() as session:
        session.add(IndexCandidate(id=302, name_fold="jose alvarez", is_private=True))

    for who in ("302", "402", "https://app.greenhouse.io/people/302"):
        assert (await status_for(world.services, who))["text"] == NO_MATCH, who
    # The recruiter who sent it still sees their own test.
    assert "José Álvarez" in (await list_for(world.services, "U0ANA"))["text"]

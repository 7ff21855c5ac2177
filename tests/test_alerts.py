"""Admin alerts: dead letters, refused credentials and malformed Karat answers are
posted once per trouble, to the admin channel or else to the admins."""

from __future__ import annotations

from sqlmodel import select

from bot.errors import AuthFailed, MalformedResponse, ServerError
from bot.services import alerts, effects, team_config
from bot.storage import outbox
from bot.storage.models import Effect
from tests.world import World


def _admins(world: World, ids: str = "U0RILEY,U0SAM") -> None:
    world.services.settings = world.services.settings.model_copy(
        update={"ADMIN_SLACK_USER_IDS": ids}
    )


async def _dead(world: World, key: str) -> None:
    services = world.services
    async with services.db.session() as session:
        await outbox.enqueue(session, key=key, kind="note")
    async with services.db.session() as session:
        row = (await session.exec(select(Effect).where(Effect.key == key))).one()
    await effects._give_up(services, row, "boom")


def _alerts_in(world: World, channel: str) -> list[dict]:
    return [m for m in world.slack.messages_in(channel) if ":rotating_light:" in str(m)]


async def test_dead_letters_are_posted_once_to_each_admin(world: World):
    _admins(world)
    await _dead(world, "note:sent:1")
    await _dead(world, "note:sent:2")
    for admin in ("U0RILEY", "U0SAM"):
        posted = _alerts_in(world, admin)
        assert len(posted) == 1
        assert "could not be delivered" in posted[0]["text"]
        assert "note:sent:1" in str(posted[0]["blocks"])


async def test_alerts_go_to_the_admin_channel_when_one_is_set(world: World):
    _admins(world)
    services = world.services
    current = await team_config.current(services.db, services.settings)
    await team_config.save(
        services.db,
        {"admin_channel": "C0RECRUIT"},
        current=current,
        changed_by="U0RILEY",
        at=world.clock(),
    )
    failure = AuthFailed("bad key", service="karat", status=401, endpoint="list_tests")
    assert await alerts.upstream_failed(services, failure) is True
    assert await alerts.upstream_failed(services, failure) is False
    posted = _alerts_in(world, "C0RECRUIT")
    assert len(posted) == 1
    assert posted[0]["text"] == "Karat refused the bot's credential"
    assert _alerts_in(world, "U0RILEY") == []


async def test_only_refused_credentials_are_alerted(world: World):
    _admins(world)
    outage = ServerError("down", service="greenhouse", status=503)
    assert await alerts.upstream_failed(world.services, outage) is False
    assert _alerts_in(world, "U0RILEY") == []


async def test_malformed_karat_answers_are_posted_when_they_repeat(world: World):
    _admins(world, "U0RILEY")
    bad = MalformedResponse(
        "odd", errors=["partner_status is missing"], service="karat"
    )
    for _ in range(2):
        await effects.report_malformed(
            world.services, bad, api_call="test_status", kind="interview"
        )
    assert _alerts_in(world, "U0RILEY") == []
    for _ in range(3):
        await effects.report_malformed(
            world.services, bad, api_call="test_status", kind="interview"
        )
    posted = _alerts_in(world, "U0RILEY")
    assert len(posted) == 1
    assert "partner_status is missing" in str(posted[0]["blocks"])
    assert len(world.karat.reported_errors) == 5


async def test_an_alert_posts_again_after_a_quiet_day(world: World):
    _admins(world, "U0RILEY")
    failure = AuthFailed("expired", service="greenhouse", status=401)
    await alerts.upstream_failed(world.services, failure)
    world.clock.advance(hours=12)
    await alerts.upstream_failed(world.services, failure)
    assert len(_alerts_in(world, "U0RILEY")) == 1
    world.clock.advance(hours=25)
    await alerts.upstream_failed(world.services, failure)
    assert len(_alerts_in(world, "U0RILEY")) == 2


async def test_a_failed_post_is_tried_again_next_time(world: World):
    _admins(world, "U0RILEY")
    world.slack.fail_next("chat.postMessage", error="channel_not_found")
    failure = AuthFailed("expired", service="karat", status=401)
    assert await alerts.upstream_failed(world.services, failure) is False
    assert await alerts.upstream_failed(world.services, failure) is True
    assert len(_alerts_in(world, "U0RILEY")) == 1


async def test_with_nobody_to_tell_an_alert_never_breaks_the_caller(world: World):
    await _dead(world, "note:sent:3")  # no admins, no channel: logged only
    async with world.services.db.session() as session:
        assert (await outbox.backlog(session)).get("dead") == 1

"""Webhooks keep the local index right between syncs."""

from __future__ import annotations

from bot.sandbox.harvest import RateWindow
from bot.sandbox.harvest_hooks import (
    stage_change_payload,
    webhook_body,
    webhook_headers,
)
from bot.services import candidates, webhooks
from bot.services.sync import IndexSync
from tests.world import World


async def _search(world: World, text: str) -> list[str]:
    found = await candidates.search_by_name(
        world.services.harvest, text, db=world.services.db
    )
    return [c.label for c in found]


async def _deliver(world: World, action: str, payload: dict, event_id: str) -> None:
    body = webhook_body(action, payload)
    headers = {
        k.lower(): v
        for k, v in webhook_headers(
            body, "sandbox-webhook-secret", event_id=event_id
        ).items()
    }
    answer = await webhooks.receive(world.services, body, headers)
    assert answer.status == 200, answer.body
    await world.settle()


async def test_a_stage_change_shows_in_search_at_once(world: World):
    world.harvest.rate_limits["v1"] = RateWindow(100_000, 10.0)
    await IndexSync(world.services.db, world.services.harvest).run(full=True)
    assert await _search(world, "jose") == [
        "José Álvarez — Backend Engineer (Recruiter Phone Screen)"
    ]
    world.harvest.move_application(402, 1003, notify=False)
    payload = stage_change_payload(world.harvest.data, 402, app_url="https://x")
    await _deliver(world, "candidate_stage_change", payload, "evt-fresh-1")
    assert await _search(world, "jose") == ["José Álvarez — Backend Engineer (Karat)"]


async def test_a_deleted_candidate_leaves_the_index(world: World):
    world.harvest.rate_limits["v1"] = RateWindow(100_000, 10.0)
    await IndexSync(world.services.db, world.services.harvest).run(full=True)
    assert await _search(world, "zoe")
    world.harvest.data.candidates.pop(307)
    await _deliver(world, "delete_candidate", {"person": {"id": 307}}, "evt-fresh-2")
    assert await _search(world, "zoe") == []

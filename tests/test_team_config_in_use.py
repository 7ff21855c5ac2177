"""What admins set in `/karat config` changes what the bot does."""

from __future__ import annotations

import json

from bot.blocks import ids
from bot.sandbox.harness import Sandbox
from bot.services import team_config
from bot.services.recruiter import recruiter_user
from bot.timefmt import now
from tests.world import World


async def _configure(services, **values) -> None:
    current = await team_config.current(services.db, services.settings)
    await team_config.save(
        services.db, values, current=current, changed_by="U0RILEY", at=now()
    )


def _modal_from_prompt(sb: Sandbox, value: str) -> dict:
    payload = sb.slack.block_actions_payload(
        ids.OPEN_SEND_ACTION, "U0ANA", value=value, channel_id="D0ANA", message_ts="1.1"
    )
    before = len(sb.slack.calls_to("views.update"))
    assert sb.interact(payload).status_code == 200
    view = sb.slack.wait_for("views.update", count=before + 1)[-1].args["view"]
    return json.loads(view) if isinstance(view, str) else view


def test_the_test_aligned_to_the_candidates_stage_is_preselected(sandbox: Sandbox):
    import asyncio

    from bot.storage.db import Database

    async def align() -> None:
        db = Database(sandbox.database_url)
        current = await team_config.current(db, sandbox.settings)
        alignment = {
            "1003": {
                "label": "Backend Engineer — Karat",
                "test": "interview:karat-frontend-60",
            }
        }
        await team_config.save(
            db,
            {"stage_alignment": alignment},
            current=current,
            changed_by="U0RILEY",
            at=now(),
        )
        await db.dispose()

    asyncio.run(align())
    view = _modal_from_prompt(sandbox, "301:401")  # Maya, in the Karat stage 1003
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    chosen = blocks[ids.TEST_BLOCK]["element"]["initial_option"]
    assert chosen["value"] == "interview:karat-frontend-60"
    # A candidate in another stage gets no preselected test.
    other = _modal_from_prompt(sandbox, "302:402")
    blocks = {b.get("block_id"): b for b in other["blocks"]}
    assert "initial_option" not in blocks[ids.TEST_BLOCK]["element"]


async def test_recruiter_source_from_config_decides_who_is_the_recruiter(world: World):
    services = world.services
    args = {"candidate_recruiter_id": 102, "credited_to_id": 104, "job_id": 201}
    assert (await recruiter_user(services, **args)).display_name == "Ana Ruiz"
    await _configure(services, recruiter_source="sourcer")
    assert (await recruiter_user(services, **args)).display_name == "Lee Okafor"
    await _configure(services, recruiter_source="job")
    assert (await recruiter_user(services, **args)).display_name == "Ana Ruiz"


async def test_the_sent_note_names_the_recruiter_from_the_configured_source(
    world: World,
):
    await _configure(world.services, recruiter_source="sourcer")
    await world.send()
    await world.settle()
    notes = [n for n in world.harvest.notes_for(301) if "karat-bot/" in n["body"]]
    assert "Recruiter: Lee Okafor." in notes[0]["body"]


async def test_reminder_interval_from_config_is_used(world: World):
    await _configure(world.services, grader_reminder_hours=48)
    outcome = await world.send()
    await world.karat.acomplete(outcome.invitation.karat_interview_id, notify=False)
    world.clock.advance(minutes=61)
    await world.settle()  # results in (Monday 11:01 UTC)
    world.clock.advance(hours=25)
    await world.settle()
    assert not [m for m in world.dms_to("U0SAM") if "Reminder" in m["text"]]
    world.clock.advance(hours=24)
    await world.settle()
    assert len([m for m in world.dms_to("U0SAM") if "Reminder" in m["text"]]) == 1

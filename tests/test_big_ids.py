"""Greenhouse ids are often ten digits: past 2**31, on every database."""

from __future__ import annotations

import copy

from bot.services.status import status_phrase
from bot.storage import invitations as store
from tests.world import World

CANDIDATE, APPLICATION = 4_012_345_002, 4_098_765_003


def _add_big_maya(world: World) -> None:
    data = world.harvest.data
    with data.lock:
        candidate = copy.deepcopy(data.candidates[301])
        candidate["id"] = CANDIDATE
        candidate["application_ids"] = [APPLICATION]
        data.candidates[CANDIDATE] = candidate
        application = copy.deepcopy(data.applications[401])
        application.update(id=APPLICATION, candidate_id=CANDIDATE)
        data.applications[APPLICATION] = application


async def test_a_ten_digit_candidate_is_sent_a_test_and_found_again(world: World):
    _add_big_maya(world)
    outcome = await world.send(candidate=f"{CANDIDATE}:{APPLICATION}")
    await world.settle()
    assert outcome.invitation.candidate_id == CANDIDATE
    async with world.services.db.session() as session:
        found = await store.for_candidates(session, [CANDIDATE])
        by_application = await store.for_application(session, APPLICATION)
    assert (
        [i.id for i in found]
        == [i.id for i in by_application]
        == [outcome.invitation.id]
    )
    assert status_phrase(found[0], [], at=world.clock()) == "Sent just now"
    notes = [n for n in world.harvest.notes_for(CANDIDATE) if "karat-bot/" in n["body"]]
    assert len(notes) == 1

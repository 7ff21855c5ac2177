"""Keeping one candidate's index entry fresh between syncs, when a webhook says so.

A stage change, a hire or a rejection re-reads the candidate and their applications
from Harvest; a deletion or a merge removes the old record. The periodic sync would
catch all of it later; this makes search right within seconds.
"""

from __future__ import annotations

import logging

from bot.clients.greenhouse.base import HarvestClient
from bot.errors import NotFound, PermissionDenied
from bot.services.sync import WRITERS
from bot.storage import index
from bot.storage.db import Database

logger = logging.getLogger(__name__)


async def refresh_candidate(
    db: Database, harvest: HarvestClient, candidate_id: int
) -> bool:
    """Re-read one candidate into the index; False when Greenhouse has them no more."""
    try:
        candidate = await harvest.get_candidate(candidate_id)
    except (NotFound, PermissionDenied):
        await forget_candidate(db, candidate_id)
        return False
    if not candidate.applications:
        applications = [
            a async for a in harvest.list_applications(candidate_id=candidate_id)
        ]
        candidate = candidate.model_copy(update={"applications": applications})
    async with db.session() as session:
        await WRITERS["candidates"](session, [candidate])
    logger.info("index refreshed candidate_id=%s", candidate_id)
    return True


async def forget_candidate(db: Database, candidate_id: int) -> None:
    async with db.session() as session:
        await index.forget_candidate(session, candidate_id)
    logger.info("index forgot candidate_id=%s", candidate_id)

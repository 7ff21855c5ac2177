"""Asking Greenhouse whether the credential may add notes, without adding one.

`probe_add_note` POSTs a note with a blank body to a real candidate. Harvest checks
the credential's permissions before it validates the body, so a credential with
`POST: Add Note` gets 422 ("body can't be blank") and nothing is written, while one
without it gets 401 or 403. The sandbox's Harvest stand-in answers the same way; the
health check relies on that order and reports any other answer as "could not tell".
"""

from __future__ import annotations

from enum import StrEnum

from bot.clients.greenhouse.base import HarvestClient
from bot.clients.greenhouse.v1 import HarvestV1Client
from bot.clients.greenhouse.v3 import ROUTES, HarvestV3Client
from bot.errors import ValidationFailed

ENDPOINT = "POST: Add Note"


class NoteProbe(StrEnum):
    ALLOWED = "allowed"  # the blank note was refused for its body: 422
    WRITTEN = "written"  # Greenhouse accepted a blank note (it should not)
    UNSUPPORTED = "unsupported"  # a client this probe does not know


async def probe_add_note(harvest: HarvestClient, candidate_id: int) -> NoteProbe:
    """Try a blank note; raises the client's `UpstreamError` for 401, 403 and others."""
    # The body is blank on purpose: a permitted credential is refused with 422.
    try:
        if isinstance(harvest, HarvestV1Client):
            await harvest.send_once(
                "POST",
                f"v1/candidates/{candidate_id}/activity_feed/notes",
                json={"user_id": harvest.user_id, "body": "", "visibility": "public"},
                headers={"On-Behalf-Of": str(harvest.user_id)},
                endpoint=ENDPOINT,
            )
        elif isinstance(harvest, HarvestV3Client):
            await harvest.send_once(
                "POST",
                ROUTES["notes"],
                json={"candidate_id": candidate_id, "body": "", "visibility": "public"},
                endpoint=ENDPOINT,
            )
        else:
            return NoteProbe.UNSUPPORTED
    except ValidationFailed:
        return NoteProbe.ALLOWED
    return NoteProbe.WRITTEN

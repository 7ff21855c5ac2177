"""Sent tests whose results Karat already has, in bulk: for crash tests and benches.

Each candidate is a synthetic one of the Harvest stand-in; each invitation is stored
as sent (graders included) and completed at the Karat stand-in, so one callback or
one status fetch per invitation starts the whole relay.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from bot.sandbox.harvest import HarvestStandIn
from bot.sandbox.karat import KaratStandIn
from bot.storage.db import Database
from bot.storage.models import Grader, Invitation, InvitationStatus
from bot.timefmt import now

GRADERS = ("U0SAM", "U0LEE")


def token_for(prefix: str, n: int) -> str:
    """The callback token of the n-th seeded invitation."""
    return f"{prefix}-token-{n}"


async def seed_results(
    db: Database,
    harvest: HarvestStandIn,
    karat: KaratStandIn,
    count: int,
    *,
    prefix: str,
    graders: tuple[str, ...] = GRADERS,
) -> list[Invitation]:
    """`count` sent invitations whose results Karat holds; returned in order."""
    candidate_ids = harvest.add_synthetic_candidates(count, seed=len(prefix) + count)
    wanted = set(candidate_ids)
    application_of = {
        a["candidate_id"]: a["id"]
        for a in harvest.data.applications.values()
        if a["candidate_id"] in wanted
    }
    made = []
    async with db.session() as session:
        for n, candidate_id in enumerate(candidate_ids):
            token = token_for(prefix, n)
            invitation = Invitation(
                token_hash=hashlib.sha256(token.encode()).hexdigest(),
                idempotency_key=f"{prefix}-{n}",
                candidate_id=candidate_id,
                application_id=application_of[candidate_id],
                candidate_name=f"Candidate {n}",
                job_name="Backend Engineer",
                test_kind="interview",
                test_id="karat-backend-60",
                test_name="Backend Interview (60 min)",
                sender_slack_id="U0ANA",
                sender_name="Ana Ruiz",
                karat_interview_id=f"{prefix}-{n}",
                status=InvitationStatus.SENT,
                sent_at=now() - timedelta(hours=1),
                next_check_at=now() + timedelta(days=1),
            )
            session.add(invitation)
            await session.flush()
            for user in graders:
                session.add(
                    Grader(
                        invitation_id=invitation.id or 0, slack_user_id=user, name=user
                    )
                )
            karat.seed_complete(f"{prefix}-{n}", score=60 + n % 40)
            made.append(invitation)
    return made

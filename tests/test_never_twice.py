"""Two recruiters sending the same test to the same candidate at once: one invitation.

Each submission comes from its own modal (its own idempotency key), so only the
database's one-waiting-test constraint can stop the second. Run on PostgreSQL in CI
as well as on SQLite.
"""

from __future__ import annotations

import asyncio

from sqlmodel import select

from bot.errors import FormErrors
from bot.sandbox.harvest import RateWindow
from bot.services import sending
from bot.services.catalog import TestCatalog
from bot.storage.models import Invitation
from tests.world import World


async def test_concurrent_sends_from_two_modals_make_one_invitation(world: World):
    # All six pass the checks (nothing is waiting yet), then race to claim. This is
    # about the race, not throttling: lift Harvest's limit.
    world.harvest.rate_limits["v1"] = RateWindow(100_000, 10.0)
    catalog = TestCatalog(world.services.karat)

    async def submit(key: str, sender: str):
        form = sending.SendForm(
            idempotency_key=key,
            sender_slack_id=sender,
            candidate_value="301:401",
            test_value="interview:karat-backend-60",
            grader_ids=["U0SAM"],
        )
        plan = await sending.check(world.services, catalog, form)
        return await sending.send(world.services, plan)

    outcomes = await asyncio.gather(
        *(submit(f"modal-{n}", ("U0ANA", "U0RILEY")[n % 2]) for n in range(6)),
        return_exceptions=True,
    )
    sent = [
        o for o in outcomes if isinstance(o, sending.SendOutcome) and not o.duplicate
    ]
    others = [o for o in outcomes if o not in sent]
    assert len(sent) == 1, outcomes
    assert len(world.karat.requests_to("send_test")) == 1
    for other in others:
        # Either told it is already there, or refused in the form: never sent twice.
        assert (
            isinstance(other, sending.SendOutcome) and other.duplicate
        ) or isinstance(other, FormErrors), other
    async with world.services.db.session() as session:
        rows = (await session.exec(select(Invitation))).all()
    assert [r.status for r in rows] == ["sent"]

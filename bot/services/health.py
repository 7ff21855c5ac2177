"""The setup health check: every way the bot's setup can be wrong, one check each.

    report = await run_health(HealthContext.from_services(services))
    report.ok          # no check failed (warnings allowed)
    report.as_dict()   # the JSON object of `karat-bot health --json`

Checks run concurrently in groups (local, Slack, Karat, Greenhouse); the Harvest
client's shared limiter keeps Greenhouse inside its rate window. A group never
raises: an upstream failure, a timeout or a bug becomes a failed check with a fix.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from bot.services import health_harvest, health_local, health_smoke
from bot.services.health_model import (
    Check,
    HealthContext,
    Item,
    Report,
    Status,
    failed,
    passed,
    warned,
)

__all__ = [
    "Check",
    "HealthContext",
    "Item",
    "Report",
    "Status",
    "failed",
    "passed",
    "run_health",
    "warned",
]

logger = logging.getLogger(__name__)

GROUP_TIMEOUT_SECONDS = 90.0


async def guarded(name: str, group: Awaitable[list[Check]]) -> list[Check]:
    """Run one group of checks; whatever goes wrong becomes a failed check."""
    try:
        return await asyncio.wait_for(group, GROUP_TIMEOUT_SECONDS)
    except TimeoutError:
        return [
            failed(
                name,
                f"the checks did not finish within {GROUP_TIMEOUT_SECONDS:.0f} s",
                "An upstream service is very slow; run the health check again later.",
            )
        ]
    except Exception as exc:  # a bug in a check must not hide the other checks
        logger.exception("health group failed group=%s", name)
        return [
            failed(
                name,
                f"the check itself failed ({type(exc).__name__})",
                "See the bot's log for the error and report it to the maintainers.",
            )
        ]


async def run_health(ctx: HealthContext, *, smoke: bool = False) -> Report:
    """Run every check (and the smoke test when asked); never raises."""
    started = ctx.clock()
    karat_task = asyncio.ensure_future(
        _findings("Karat", health_local.karat_checks(ctx))
    )
    harvest_task = asyncio.ensure_future(
        _findings("Greenhouse Harvest", health_harvest.harvest_checks(ctx))
    )
    local = await asyncio.gather(
        guarded("Settings", health_local.settings_checks(ctx)),
        guarded("Database", health_local.database_checks(ctx)),
        guarded("Slack", health_local.slack_checks(ctx)),
        guarded("Outbox", health_local.outbox_checks(ctx)),
    )
    karat_checks, tests = await karat_task
    harvest_checks, stages = await harvest_task
    alignment = await guarded(
        "Stage alignment", health_harvest.alignment_checks(ctx, stages, tests)
    )
    checks = [*local[0], *local[1], *local[2]]
    checks += [*karat_checks, *harvest_checks, *alignment, *local[3]]
    if smoke:
        checks += await guarded("Smoke test", health_smoke.smoke_checks(ctx))
    return Report(tuple(checks), started)


async def _findings(name: str, group: Awaitable[tuple[list[Check], Any]]) -> Any:
    """Like `guarded`, for a group that also hands back what it found."""
    box: list[Any] = [None]

    async def checks_only() -> list[Check]:
        found, box[0] = await group
        return found

    return await guarded(name, checks_only()), box[0]

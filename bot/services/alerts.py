"""Telling the admins about trouble they must fix, once per trouble, not per event.

    await alerts.dead_letter(services, key=effect.key, reason=reason)
    await alerts.karat_malformed(services, api_call="test_status", errors=[...])
    await alerts.upstream_failed(services, exc)   # a 401: a credential expired

Each kind of trouble has a key; occurrences are counted in the database and the
alert is posted when the count reaches the kind's threshold, then not again until a
day passes without an occurrence. Alerts go to the admin alert channel chosen with
`/karat config`, else to each admin by direct message. Raising an alert never
raises: the caller is already handling a failure of its own.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.blocks.health import admin_alert
from bot.errors import AuthFailed, UpstreamError, service_name
from bot.services import team_config
from bot.storage import alerts as store

logger = logging.getLogger(__name__)

REARM_AFTER = timedelta(hours=24)
MALFORMED_THRESHOLD = 3  # one odd answer can be a glitch; three are a pattern
DEAD_LETTERS = "dead_letters"
KARAT_MALFORMED = "karat_malformed"
CREDENTIAL_FIXES = {
    "greenhouse": "Check the Harvest credential (GREENHOUSE_CLIENT_ID and "
    "GREENHOUSE_CLIENT_SECRET, or GREENHOUSE_API_KEY) and that the integration user "
    "is active, then run /karat health.",
    "karat": "Copy the Karat key again (Karat: Settings > ATS Integrations > Settings "
    "> Assessment API) into KARAT_API_KEY or KARAT_CODE_CHALLENGE_API_KEY, then run "
    "/karat health.",
}


def credential_key(service: str) -> str:
    """The alert key of one service's credential."""
    return f"credential:{service}"


async def dead_letter(services: Any, *, key: str, reason: str) -> bool:
    """An effect gave up for good; True when this call posted the alert."""
    return await raise_alert(
        services,
        DEAD_LETTERS,
        title="A Greenhouse note or Slack message could not be delivered",
        detail=f"The bot gave up on `{key}`: {reason[:300]}",
        fix="See the bot's log for the effect errors, fix the cause, then put the "
        "dead effects back in the queue (/karat health lists how many there are).",
    )


async def karat_malformed(services: Any, *, api_call: str, errors: list[str]) -> bool:
    """Karat answered something malformed; posted once it keeps happening."""
    return await raise_alert(
        services,
        KARAT_MALFORMED,
        title="Karat keeps sending malformed answers",
        detail=f"Latest: {api_call} — {'; '.join(errors)[:300]}",
        fix="The bot reported each one to Karat (response_error). If it goes on, "
        "write to support@karat.com with the times from the bot's log.",
        threshold=MALFORMED_THRESHOLD,
    )


async def upstream_failed(services: Any, exc: UpstreamError) -> bool:
    """Alert on failures an admin must fix (a refused credential); ignore others."""
    if not isinstance(exc, AuthFailed) or exc.service not in CREDENTIAL_FIXES:
        return False
    name = service_name(exc.service)
    return await raise_alert(
        services,
        credential_key(exc.service),
        title=f"{name} refused the bot's credential",
        detail=f"{name} answered 401 ({exc.endpoint or 'a call'}): the credential "
        "is wrong or has expired. Nothing can be sent or recorded until it is fixed.",
        fix=CREDENTIAL_FIXES[exc.service],
    )


async def raise_alert(
    services: Any,
    key: str,
    *,
    title: str,
    detail: str,
    fix: str,
    threshold: int = 1,
) -> bool:
    """Count one occurrence of `key`; post the alert if this is the one to post."""
    try:
        return await _raise(
            services, key, title=title, detail=detail, fix=fix, threshold=threshold
        )
    except Exception:  # the caller is handling a failure already; never add one
        logger.exception("admin alert failed key=%s", key)
        return False


async def _raise(
    services: Any, key: str, *, title: str, detail: str, fix: str, threshold: int
) -> bool:
    at = services.clock()
    try:
        async with services.db.session() as session:
            await store.record(
                session, key, detail=detail, rearm_after=REARM_AFTER, at=at
            )
            claimed = await store.claim(session, key, threshold=threshold, at=at)
    except SQLAlchemyError:
        logger.exception("admin alert not recorded key=%s", key)
        return False
    if not claimed:
        return False
    message = admin_alert(title=title, detail=detail, fix=fix)
    targets = await _targets(services)
    if not targets:
        logger.error("admin alert key=%s has nobody to go to: %s", key, title)
        return False
    posted = False
    for target in targets:
        try:
            await services.slack.post(target, message)
            posted = True
        except UpstreamError as exc:
            logger.warning("admin alert key=%s to=%s failed: %s", key, target, exc)
    if not posted:
        # Let a later occurrence try again rather than lose the alert.
        async with services.db.session() as session:
            await store.unclaim(session, key)
        return False
    logger.info("admin alert posted key=%s", key)
    return True


async def clear(services: Any, key: str) -> bool:
    """The trouble is over; the next occurrence posts again."""
    async with services.db.session() as session:
        return await store.clear(session, key)


async def _targets(services: Any) -> list[str]:
    try:
        config = await team_config.current(services.db, services.settings)
    except SQLAlchemyError:
        config = None
    if config is not None and config.admin_channel:
        return [config.admin_channel]
    return sorted(services.settings.admin_ids)

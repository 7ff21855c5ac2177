"""Who may do what.

Sending tests and reading their status is for people who map, by their Slack e-mail,
to an active Greenhouse user; admin commands are for `ADMIN_SLACK_USER_IDS`; a grader
sees results only for tests that name them (their DMs and Home tab). Answers are
cached briefly so a burst of commands does not become a burst of Harvest calls.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.errors import NotFound, UpstreamError, service_name
from bot.services.context import Services
from bot.services.people import MappedPerson, map_user

CACHE_SECONDS = 300.0
# A refusal is kept a minute: a burst of retries costs one lookup, and an account an
# admin has just fixed works a minute later.
REFUSAL_SECONDS = 60.0

logger = logging.getLogger(__name__)


@dataclass
class AccessCache:
    ttl: float = CACHE_SECONDS
    refusal_ttl: float = REFUSAL_SECONDS
    clock: Callable[[], float] = time.monotonic
    _seen: dict[str, tuple[float, MappedPerson]] = field(default_factory=dict)

    def get(self, user_id: str) -> MappedPerson | None:
        found = self._seen.get(user_id)
        if found is None:
            return None
        at, person = found
        if self.clock() - at > (self.ttl if person.ok else self.refusal_ttl):
            return None
        return person

    def put(self, user_id: str, person: MappedPerson) -> None:
        if len(self._seen) > 10_000:
            self._seen.clear()
        self._seen[user_id] = (self.clock(), person)


async def member(services: Services, cache: AccessCache, user_id: str) -> MappedPerson:
    """The person behind a Slack user, mapped to Greenhouse (cached)."""
    found = cache.get(user_id)
    if found is None:
        found = await map_user(services.slack, services.harvest, user_id)
        cache.put(user_id, found)
    return found


def admins_to_ask(services: Services) -> str:
    ids = sorted(services.settings.admin_ids)
    return ", ".join(f"<@{i}>" for i in ids[:5]) if ids else "your Greenhouse admin"


def refusal(services: Services, person: MappedPerson) -> str:
    """A polite refusal for someone without an active Greenhouse account."""
    return (
        "Karat tests can be sent and followed only by people with an active "
        f"Greenhouse account that uses their Slack e-mail address ({person.problem}). "
        f"Ask {admins_to_ask(services)} to add you in Greenhouse."
    )


async def member_refusal(
    services: Services, cache: AccessCache, user_id: str
) -> str | None:
    """Why this person may not send or follow tests, or None when they may."""
    try:
        person = await member(services, cache, user_id)
    except NotFound as exc:
        logger.warning("access check: unknown person user=%s error=%s", user_id, exc)
        return (
            f"{service_name(exc.service)} did not find your "
            "account, so the bot cannot check it against Greenhouse. Ask "
            f"{admins_to_ask(services)} for help."
        )
    except UpstreamError as exc:
        logger.warning("access check failed user=%s error=%s", user_id, exc)
        return (
            "The bot could not check your Greenhouse account just now "
            f"({service_name(exc.service)} did not answer); try "
            "again in a minute."
        )
    return None if person.ok else refusal(services, person)

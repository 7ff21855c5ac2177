"""Who someone in Slack is in Greenhouse: matched by e-mail, as Greenhouse does."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.clients.greenhouse.base import HarvestClient
from bot.clients.greenhouse.models import User
from bot.errors import NotFound, UpstreamError
from bot.services.ports import Messenger, SlackPerson


@dataclass(frozen=True)
class MappedPerson:
    person: SlackPerson
    user: User | None
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.user is not None and self.problem is None

    @property
    def name(self) -> str:
        return self.user.display_name if self.user else self.person.name


async def map_to_greenhouse(
    harvest: HarvestClient, person: SlackPerson
) -> MappedPerson:
    """The active Greenhouse user with this person's e-mail, or why there is none."""
    if person.is_bot:
        return MappedPerson(person, None, f"{person.name} is a bot, not a person")
    if not person.email:
        return MappedPerson(
            person, None, f"{person.name} has no e-mail address visible in Slack"
        )
    user = await harvest.find_user_by_email(person.email)
    if user is None:
        return MappedPerson(
            person,
            None,
            f"{person.name} has no Greenhouse account with their Slack e-mail",
        )
    if user.disabled:
        return MappedPerson(
            person, user, f"{person.name}'s Greenhouse account is disabled"
        )
    return MappedPerson(person, user, None)


async def map_user(
    messenger: Messenger, harvest: HarvestClient, user_id: str
) -> MappedPerson:
    return await map_to_greenhouse(harvest, await messenger.person(user_id))


async def map_known(
    messenger: Messenger, harvest: HarvestClient, user_id: str
) -> MappedPerson:
    """As `map_user`; someone Slack does not know is a person with that problem."""
    try:
        return await map_user(messenger, harvest, user_id)
    except NotFound:
        shown = f"the user {user_id[:30]}" if user_id else "who sent this"
        person = SlackPerson(slack_id=user_id, name=user_id[:30], email=None)
        return MappedPerson(person, None, f"Slack does not know {shown}")


async def map_many(
    messenger: Messenger, harvest: HarvestClient, user_ids: list[str]
) -> list[MappedPerson]:
    """Map several Slack users at once, keeping their order."""
    return list(
        await asyncio.gather(*(map_known(messenger, harvest, u) for u in user_ids))
    )


async def suggested_graders(
    messenger: Messenger, harvest: HarvestClient, job_id: int, *, limit: int = 10
) -> list[str]:
    """Slack ids of the job's hiring team members who can be found in Slack."""
    job = await harvest.get_job(job_id)
    members = job.hiring_team.members[:limit]

    async def slack_id(member_id: int) -> str | None:
        try:
            user = await harvest.get_user(member_id)
        except UpstreamError:
            return None
        if user.disabled or not user.primary_email_address:
            return None
        try:
            return await messenger.user_id_for_email(user.primary_email_address)
        except UpstreamError:
            return None

    found = await asyncio.gather(*(slack_id(m.id) for m in members))
    return [f for f in found if f]

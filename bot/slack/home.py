"""The App Home tab, published each time someone opens it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.home import home_view
from bot.services.context import Services
from bot.services.status import status_phrase
from bot.slack.acking import in_background
from bot.storage import invitations as store

logger = logging.getLogger(__name__)


async def build_home(services: Services, user_id: str) -> dict[str, Any]:
    """The Home view for one Slack user, from the database alone."""
    async with services.db.session() as session:
        sent = await store.sent_by(session, user_id, open_only=True)
        to_grade = await store.to_grade_by(session, user_id)
        graders = await store.graders_by_invitation(
            session, [i.id for i in [*sent, *to_grade] if i.id is not None]
        )
    at = services.clock()

    def rows(found: list[Any]) -> list[tuple[Any, str]]:
        return [(i, status_phrase(i, graders.get(i.id, []), at=at)) for i in found]

    return home_view(sent=rows(sent), to_grade=rows(to_grade))


def register(app: AsyncApp, services: Services) -> None:
    """Attach the Home tab listener."""

    @app.event("app_home_opened")
    @in_background
    async def home_opened(event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab") != "home":
            return
        user_id = event["user"]
        await client.views_publish(
            user_id=user_id, view=await build_home(services, user_id)
        )

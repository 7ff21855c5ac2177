"""`/karat` and its sub-commands."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import messages
from bot.errors import UpstreamError, UserError
from bot.services import access, candidates, stats
from bot.services.access import AccessCache
from bot.services.catalog import TestCatalog
from bot.services.context import Services
from bot.services.status import candidate_ids_for, overdue, status_phrase
from bot.slack.acking import acks_first
from bot.slack.send_modal import open_send_modal
from bot.storage import index
from bot.storage import invitations as store

logger = logging.getLogger(__name__)

SUBCOMMANDS = ("send", "status", "list", "stats", "health", "config", "help")


def split(text: str) -> tuple[str, str]:
    """("send", "maya@x.com") from "send maya@x.com"."""
    sub, _, rest = (text or "").strip().partition(" ")
    return sub.lower(), rest.strip()


async def status_for(services: Services, who_text: str) -> dict[str, Any]:
    """The status answer for one candidate."""
    if not who_text:
        return {
            "response_type": "ephemeral",
            "text": "Say which candidate: `/karat status maya.chen@example.com` (an "
            "e-mail, a Greenhouse profile link, an id or a name).",
        }
    try:
        who = candidates.parse_who(who_text)
    except UserError as exc:
        return {"response_type": "ephemeral", "text": exc.message}
    async with services.db.session() as session:
        if who.kind == "id" and who.candidate_id is not None:
            found = await store.for_candidates(session, [who.candidate_id])
            found += await store.for_application(session, who.candidate_id)
        else:
            found = []
    if not found:
        try:
            ids = await candidate_ids_for(services.harvest, who, db=services.db)
        except UpstreamError:
            return {
                "response_type": "ephemeral",
                "text": "Greenhouse could not be reached to find that candidate; try "
                "again in a few minutes, or give the candidate's Greenhouse id.",
            }
        if not ids:
            return {"response_type": "ephemeral", "text": NO_MATCH}
        async with services.db.session() as session:
            found = await store.for_candidates(session, ids)
    if who.kind == "url" and who.application_id is not None:
        # The link names one application: only its tests.
        found = [i for i in found if i.application_id == who.application_id]
    private: set[int] = set()
    if found:
        async with services.db.reading() as connection:
            private = await index.private_among(
                connection, (i.candidate_id for i in found)
            )
    if private:
        # Private candidates are looked up by nobody in Slack (storage/index.py);
        # their tests stay with their sender and graders (/karat list, DMs).
        found = [i for i in found if i.candidate_id not in private]
        if not found:
            return {"response_type": "ephemeral", "text": NO_MATCH}
    return await _rows(
        services,
        found,
        title="Karat tests",
        empty=(
            "No Karat test has been sent to that candidate from Slack. Send one with "
            "`/karat send`."
        ),
    )


async def list_for(services: Services, user_id: str) -> dict[str, Any]:
    async with services.db.session() as session:
        found = await store.sent_by(session, user_id, open_only=True)
    return await _rows(
        services,
        found,
        title="Your open Karat tests (oldest first)",
        empty="You have no open Karat tests.",
        mark_overdue=True,
    )


async def _rows(
    services: Services,
    found: list[Any],
    *,
    title: str,
    empty: str,
    mark_overdue: bool = False,
) -> dict[str, Any]:
    unique = list({inv.id: inv for inv in found}.values())
    async with services.db.session() as session:
        graders = await store.graders_by_invitation(session, [i.id for i in unique])
    at = services.clock()
    rows = []
    for inv in unique:
        phrase = status_phrase(inv, graders.get(inv.id, []), at=at)
        if mark_overdue and overdue(inv, services.settings, at=at):
            phrase += " — overdue"
        rows.append((inv, phrase))
    return messages.status_reply(title, rows, empty=empty)


async def stats_for(services: Services, job: str) -> dict[str, Any]:
    found, label = await stats.funnels(services, job=job)
    return messages.stats_reply(found, label=label)


NO_MATCH = (
    "No candidate in Greenhouse matches that. Give the candidate's e-mail, Greenhouse "
    "profile link, id, or the start of their name."
)


def register(app: AsyncApp, services: Services, catalog: TestCatalog) -> None:
    """Attach `/karat` to the Bolt app."""
    cache = AccessCache()

    @app.command("/karat")
    @acks_first
    async def karat(
        ack: AsyncAck,
        command: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        sub, rest = split(command.get("text", ""))
        user_id = command.get("user_id", "")
        logger.info("command /karat %s user=%s", sub or "help", user_id)
        if sub == "send":
            # The trigger lasts 3 s: open the modal first; the sender is checked
            # while it loads (and again on submit).
            await ack()
            opened = await open_send_modal(
                services,
                catalog,
                client,
                trigger_id=command["trigger_id"],
                who=rest,
                channel_id=command.get("channel_id"),
                response_url=command.get("response_url"),
                refusal=access.member_refusal(services, cache, user_id),
            )
            if not opened:
                await respond(
                    response_type="ephemeral",
                    text="Slack did not open the form in time; type `/karat send` "
                    "again.",
                )
        elif sub in ("status", "list", "stats"):
            await ack()
            refused = await access.member_refusal(services, cache, user_id)
            if refused is not None:
                await respond(response_type="ephemeral", text=refused)
            elif sub == "status":
                await respond(**await status_for(services, rest))
            elif sub == "list":
                await respond(**await list_for(services, user_id))
            else:
                await respond(**await stats_for(services, rest))
        elif sub in ("health", "config"):
            from bot.slack import admin

            await admin.handle(
                sub,
                services,
                catalog,
                ack=ack,
                command=command,
                respond=respond,
                client=client,
            )
        elif sub in ("", "help"):
            await ack(**messages.help_reply())
        else:
            await ack(**messages.help_reply(unknown=sub))

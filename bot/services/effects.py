"""Delivering owed effects: Greenhouse notes, status fetches and Slack DMs.

Each handler is safe to run again after a crash: notes carry a marker the Harvest
client looks for before re-posting, and a DM that was already posted is updated in
place (`chat.update`) instead of posted twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.blocks import messages
from bot.clients.karat import TestKind
from bot.errors import (
    AuthFailed,
    MalformedResponse,
    NotFound,
    RateLimited,
    UpstreamError,
)
from bot.services import alerts, follow_up, greenhouse_events, notes
from bot.services.context import Services
from bot.services.ports import MessageRef
from bot.storage import invitations as store
from bot.storage import outbox
from bot.storage.models import Effect, Grader, Invitation, InvitationStatus

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 20
RETRY_CAP = timedelta(hours=1)


class Permanent(Exception):
    """An effect that can never succeed as it stands (e.g. the candidate is gone)."""


def sent_note_key(invitation_id: int) -> str:
    return f"note:sent:{invitation_id}"


async def owe_sent_note(session: AsyncSession, invitation_id: int) -> None:
    await outbox.enqueue(
        session,
        key=sent_note_key(invitation_id),
        kind="note",
        invitation_id=invitation_id,
        payload={"template": "sent"},
    )


async def owe_status_fetch(
    session: AsyncSession, invitation: Invitation, *, reason: str, stamp: str
) -> bool:
    """Owe one `test_status` call for this invitation."""
    return await outbox.enqueue(
        session,
        key=f"fetch:{invitation.id}:{stamp}",
        kind="fetch_status",
        invitation_id=invitation.id,
        payload={"reason": reason},
    )


async def record_results(
    services: Services,
    session: AsyncSession,
    invitation_id: int,
    *,
    from_status: InvitationStatus,
    at: datetime,
    values: dict[str, Any],
) -> bool:
    """Mark a test completed and owe its note and DMs, in the caller's transaction.

    True when this call moved it (a replay finds it moved already and owes nothing).
    """
    moved = await store.transition(
        session,
        invitation_id,
        from_status=[from_status],
        values={
            "status": InvitationStatus.COMPLETED,
            "completed_at": at,
            "next_check_at": at
            + timedelta(minutes=services.settings.SCORECARD_CHECK_MINUTES),
            **values,
        },
    )
    if moved:
        refreshed = await store.get(session, invitation_id)
        assert refreshed is not None
        await _owe_result_effects(session, refreshed)
    return moved


async def _owe_result_effects(session: AsyncSession, invitation: Invitation) -> None:
    graders = await store.graders_of(session, invitation.id or 0)
    owed: list[dict[str, Any]] = [
        {
            "key": f"note:result:{invitation.id}",
            "kind": "note",
            "payload": {"template": "result"},
        }
    ]
    owed += [
        {
            "key": f"dm:result:{invitation.id}:{grader.slack_user_id}",
            "kind": "dm_grader",
            "payload": {"user": grader.slack_user_id},
        }
        for grader in graders
    ]
    owed.append(
        {
            "key": f"dm:sender-result:{invitation.id}",
            "kind": "dm_sender",
            "payload": {"user": invitation.sender_slack_id},
        }
    )
    await outbox.enqueue_many(
        session, [{**item, "invitation_id": invitation.id} for item in owed]
    )


# -- handlers -------------------------------------------------------------------------


Loaded = dict[int, tuple[Invitation, list[Grader]]]

# What the worker read for the effects it has just claimed (see `preload`), for the
# handlers of those effects; each run sets its own.
_preloaded: ContextVar[Loaded] = ContextVar("preloaded")


async def preload(services: Services, claimed: Sequence[Effect]) -> Loaded:
    """The invitations and graders of effects just claimed, in one session.

    A result owes four or five effects on the same invitation; read once, right
    after the claim, each handler starts from what it would have read itself.
    """
    ids = sorted({e.invitation_id for e in claimed if e.invitation_id is not None})
    if not ids:
        return {}
    async with services.db.session() as session:
        invitations = await store.get_many(session, ids)
        graders = await store.graders_by_invitation(session, list(invitations))
    return {i: (invitation, graders[i]) for i, invitation in invitations.items()}


def _preloaded_for(effect: Effect) -> tuple[Invitation, list[Grader]] | None:
    return _preloaded.get({}).get(effect.invitation_id or 0)


async def _load_with_graders(
    services: Services, effect: Effect
) -> tuple[Invitation, list[Grader]]:
    """The effect's invitation and its graders: preloaded, or read in one session."""
    found = _preloaded_for(effect)
    if found is not None:
        return found
    async with services.db.session() as session:
        invitation = await store.get(session, effect.invitation_id or 0)
        graders = (
            await store.graders_of(session, invitation.id or 0) if invitation else []
        )
    if invitation is None:
        raise Permanent(f"invitation {effect.invitation_id} is gone")
    return invitation, graders


async def _load(services: Services, effect: Effect) -> Invitation:
    found = _preloaded_for(effect)
    if found is not None:
        return found[0]
    async with services.db.session() as session:
        invitation = await store.get(session, effect.invitation_id or 0)
    if invitation is None:
        raise Permanent(f"invitation {effect.invitation_id} is gone")
    return invitation


async def write_note(services: Services, effect: Effect) -> dict[str, Any]:
    invitation, graders = await _load_with_graders(services, effect)
    render = (
        notes.sent_note
        if effect.payload.get("template") == "sent"
        else notes.result_note
    )
    body = render(invitation, graders, key=effect.key)
    marker = notes.marker(effect.key)
    try:
        if effect.attempts > 1:
            # An earlier attempt may have written it before its worker died.
            feed = await services.harvest.get_activity_feed(invitation.candidate_id)
            found = next((n for n in feed.notes if marker in (n.body or "")), None)
            if found is not None:
                return {"note_id": found.id, "found": True}
        note = await services.harvest.add_note(
            invitation.candidate_id,
            body=body,
            visibility="public",
            marker=marker,
        )
    except NotFound as exc:
        raise Permanent(
            f"Greenhouse has no candidate {invitation.candidate_id}: {exc}"
        ) from exc
    return {"note_id": note.id}


async def fetch_status(services: Services, effect: Effect) -> dict[str, Any]:
    invitation = await _load(services, effect)
    if invitation.status != InvitationStatus.SENT or not invitation.karat_interview_id:
        return {"skipped": invitation.status}
    if effect.payload.get("reason") == "poll":
        # Greenhouse stops at hire or rejection too: no point asking Karat then.
        closed = await follow_up.application_closed(services, invitation)
        if closed is not None:
            async with services.db.session() as session:
                await store.transition(
                    session,
                    invitation.id or 0,
                    from_status=[InvitationStatus.SENT],
                    values={"status": InvitationStatus.CLOSED, "next_check_at": None},
                )
            return {"closed": closed}
    endpoint = services.karat.endpoint(_kind(invitation))
    try:
        status = await endpoint.test_status(invitation.karat_interview_id)
    except MalformedResponse as exc:
        await report_malformed(
            services,
            exc,
            api_call="test_status",
            kind=invitation.test_kind,
            partner_interview_id=invitation.karat_interview_id,
            partner_test_id=invitation.test_id,
            partner_test_name=invitation.test_name,
        )
        return {"malformed": exc.errors}
    now = services.clock()
    async with services.db.writing() as session:
        if not status.complete:
            await store.transition(
                session,
                invitation.id or 0,
                from_status=[InvitationStatus.SENT],
                values={"last_polled_at": now},
            )
            return {"status": status.status}
        moved = await record_results(
            services,
            session,
            invitation.id or 0,
            from_status=InvitationStatus.SENT,
            at=now,
            values={
                "last_polled_at": now,
                "score": status.score,
                "profile_url": status.profile_url,
                "result_metadata": status.metadata,
            },
        )
    if moved:
        logger.info(
            "results in invitation=%s karat_interview_id=%s",
            invitation.id,
            invitation.karat_interview_id,
        )
        services.nudge()
    return {"status": status.status, "recorded": moved}


async def dm_grader(services: Services, effect: Effect) -> dict[str, Any]:
    invitation, graders = await _load_with_graders(services, effect)
    message = messages.grader_result_dm(invitation, graders, settings=services.settings)
    return await _post_or_update(services, effect, message)


async def dm_sender(services: Services, effect: Effect) -> dict[str, Any]:
    invitation, graders = await _load_with_graders(services, effect)
    message = messages.sender_result_dm(invitation, graders, settings=services.settings)
    return await _post_or_update(services, effect, message)


async def _post_or_update(
    services: Services,
    effect: Effect,
    message: dict[str, Any],
    *,
    user: str | None = None,
) -> dict[str, Any]:
    previous = effect.outcome or {}
    user = user or effect.payload["user"]
    try:
        if not previous.get("ts") and effect.attempts > 1:
            # An earlier attempt may have posted before its worker died: look first.
            found = await services.slack.find_dm(
                user, key=effect.key, since=effect.created_at
            )
            if found is not None:
                previous = {"channel": found.channel, "ts": found.ts}
        if previous.get("ts"):
            # A replay: the DM went out before; bring it up to date instead.
            ref = MessageRef(previous["channel"], previous["ts"])
            await services.slack.update(ref, message)
            return previous
        ref = await services.slack.dm(user, message, key=effect.key)
    except NotFound as exc:
        raise Permanent(str(exc)) from exc
    # Recorded with the effect's completion, at once: a crash before that is what
    # `find_dm` covers on the next attempt.
    return {"channel": ref.channel, "ts": ref.ts}


async def dm_grader_refresh(services: Services, effect: Effect) -> dict[str, Any]:
    """Bring a grader's result DM up to date (e.g. now graded)."""
    invitation = await _load(services, effect)
    user = effect.payload["user"]
    async with services.db.session() as session:
        graders = await store.graders_of(session, invitation.id or 0)
        original = await outbox.by_key(session, f"dm:result:{invitation.id}:{user}")
    if original is None or not (original.outcome or {}).get("ts"):
        return {"skipped": "no result DM to update"}
    message = messages.grader_result_dm(invitation, graders, settings=services.settings)
    ref = MessageRef(original.outcome["channel"], original.outcome["ts"])
    try:
        await services.slack.update(ref, message)
    except NotFound as exc:
        raise Permanent(str(exc)) from exc
    return {"channel": ref.channel, "ts": ref.ts}


async def dm_reminder(services: Services, effect: Effect) -> dict[str, Any]:
    invitation = await _load(services, effect)
    if invitation.status != InvitationStatus.COMPLETED:
        return {"skipped": invitation.status}
    message = messages.grader_reminder_dm(
        invitation,
        number=effect.payload.get("number", 1),
        at=services.clock(),
        settings=services.settings,
    )
    return await _post_or_update(services, effect, message)


async def dm_sender_notice(services: Services, effect: Effect) -> dict[str, Any]:
    invitation = await _load(services, effect)
    message = messages.sender_notice_dm(
        invitation,
        about=effect.payload.get("about", ""),
        at=services.clock(),
        settings=services.settings,
    )
    return await _post_or_update(services, effect, message)


async def greenhouse_event(services: Services, effect: Effect) -> dict[str, Any]:
    async def post(
        effect: Effect, user: str, message: dict[str, Any]
    ) -> dict[str, Any]:
        return await _post_or_update(services, effect, message, user=user)

    return await greenhouse_events.handle(services, effect, post=post)


async def check_grading(services: Services, effect: Effect) -> dict[str, Any]:
    return await follow_up.check_grading(services, await _load(services, effect))


HANDLERS: dict[str, Callable[[Services, Effect], Awaitable[dict[str, Any]]]] = {
    "note": write_note,
    "fetch_status": fetch_status,
    "dm_grader": dm_grader,
    "dm_sender": dm_sender,
    "dm_grader_refresh": dm_grader_refresh,
    "dm_reminder": dm_reminder,
    "dm_sender_notice": dm_sender_notice,
    "check_grading": check_grading,
    "greenhouse_event": greenhouse_event,
}


# -- running them ---------------------------------------------------------------------


Finish = Callable[[Effect, dict[str, Any]], Awaitable[None]]


async def run(
    services: Services,
    effect: Effect,
    *,
    loaded: Loaded | None = None,
    finish: Finish | None = None,
) -> bool:
    """Run one leased effect and record how it went; True when it is done.

    `loaded`: what `preload` read for it, when the caller claimed a batch.
    `finish`: records it done (e.g. a `Finisher`); by default its own transaction.
    """
    preloaded = _preloaded.set(loaded or {})
    try:
        return await _run(services, effect, finish or _finish_alone(services))
    finally:
        _preloaded.reset(preloaded)


def _finish_alone(services: Services) -> Finish:
    async def finish(effect: Effect, outcome: dict[str, Any]) -> None:
        async with services.db.writing() as session:
            await outbox.finish(session, effect.id or 0, outcome=outcome)

    return finish


CLOSE_SECONDS = 5.0


class Finisher:
    """Records done effects together: one write transaction for all that finished
    while the previous one was being written.

    Each caller waits until its own effect is recorded, so the worker holds its
    lease until then, as it would with a transaction of its own.
    """

    def __init__(self, services: Services) -> None:
        self.services = services
        self._waiting: list[tuple[int, dict[str, Any], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def __call__(self, effect: Effect, outcome: dict[str, Any]) -> None:
        recorded = asyncio.get_running_loop().create_future()
        self._waiting.append((effect.id or 0, outcome, recorded))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        await recorded

    async def aclose(self) -> None:
        """Let a write under way land (what it records need not be done again)."""
        if self._writer is not None and not self._writer.done():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._writer, CLOSE_SECONDS)

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                done = [(effect_id, outcome) for effect_id, outcome, _ in batch]
                async with self.services.db.writing() as session:
                    await outbox.finish_many(session, done)
            except Exception as exc:
                for _, _, recorded in batch:
                    if not recorded.done():
                        recorded.set_exception(exc)
                continue
            for _, _, recorded in batch:
                if not recorded.done():
                    recorded.set_result(None)


async def _run(services: Services, effect: Effect, finish: Finish) -> bool:
    handler = HANDLERS.get(effect.kind)
    try:
        if handler is None:
            raise Permanent(f"no handler for effect kind {effect.kind!r}")
        outcome = await handler(services, effect)
    except Permanent as exc:
        await _give_up(services, effect, str(exc))
        return False
    except UpstreamError as exc:
        await _reschedule(services, effect, exc)
        return False
    except Exception as exc:  # a bug: keep the effect, say so loudly
        logger.exception("effect failed key=%s", effect.key)
        await _reschedule(services, effect, exc)
        return False
    await finish(effect, outcome)
    logger.info("effect done key=%s attempts=%d", effect.key, effect.attempts)
    return True


async def try_now(services: Services, key: str) -> tuple[bool, list[str]]:
    """Deliver one effect at once if nobody else holds it; report what is pending."""
    async with services.db.session() as session:
        effect = await outbox.claim_key(
            session,
            key,
            now=services.clock(),
            lease=timedelta(seconds=services.settings.WORKER_LEASE_SECONDS),
        )
    done = await run(services, effect) if effect is not None else False
    pending = []
    if not done:
        async with services.db.session() as session:
            for left in await outbox.pending_for(
                session, effect.invitation_id if effect else 0
            ):
                pending.append(left.last_error or left.kind)
    return done, pending


async def _reschedule(services: Services, effect: Effect, exc: Exception) -> None:
    if effect.attempts >= MAX_ATTEMPTS:
        await _give_up(
            services, effect, f"gave up after {effect.attempts} attempts: {exc}"
        )
        return
    if isinstance(exc, RateLimited):
        wait = timedelta(seconds=exc.retry_after)
    else:
        wait = min(RETRY_CAP, timedelta(seconds=5 * 2 ** (effect.attempts - 1)))
    logger.warning(
        "effect retry key=%s attempts=%d wait=%ss error=%s",
        effect.key,
        effect.attempts,
        int(wait.total_seconds()),
        exc,
    )
    async with services.db.writing() as session:
        await outbox.retry_later(
            session,
            effect.id or 0,
            error=str(exc),
            due_at=services.clock() + wait,
            dead=False,
        )
    if isinstance(exc, AuthFailed):
        # A refused credential will not cure itself: the admins hear of it once.
        await alerts.upstream_failed(services, exc)


async def _give_up(services: Services, effect: Effect, reason: str) -> None:
    logger.error("effect dead key=%s reason=%s", effect.key, reason)
    async with services.db.writing() as session:
        await outbox.retry_later(
            session, effect.id or 0, error=reason, due_at=services.clock(), dead=True
        )
    await alerts.dead_letter(services, key=effect.key, reason=reason)


async def report_malformed(
    services: Services,
    exc: MalformedResponse,
    *,
    api_call: str,
    kind: str,
    **known: str | None,
) -> None:
    """Tell Karat (response_error) and the log that an answer was malformed."""
    logger.warning("karat malformed answer api_call=%s errors=%s", api_call, exc.errors)
    try:
        await services.karat.endpoint(TestKind(kind)).response_error(
            api_call=api_call, errors=exc.errors, **known
        )
    except UpstreamError as report_error:
        logger.warning("karat response_error failed: %s", report_error)
    await alerts.karat_malformed(services, api_call=api_call, errors=exc.errors)


def _kind(invitation: Invitation) -> TestKind:
    return TestKind(invitation.test_kind)

"""The worker's batches: invitations read once per claim, completions together."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from types import SimpleNamespace
from typing import Any, cast

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import effects
from bot.services.context import Services
from bot.storage import outbox
from bot.storage.db import Database
from bot.storage.models import Effect, EffectStatus, Grader, Invitation
from bot.timefmt import now


@pytest.fixture(name="db")
async def db_fixture(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    yield db
    await db.dispose()


class CountingDatabase:
    """The database, counting the write transactions opened on it."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.writes = 0

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        self.writes += 1
        async with self.db.writing() as session:
            yield session

    def __getattr__(self, name: str) -> Any:
        return getattr(self.db, name)


async def owe(db: Database, count: int, *, invitation_id: int | None = None) -> None:
    async with db.session() as session:
        for n in range(count):
            await outbox.enqueue(
                session,
                key=f"dm:test:{invitation_id}:{n}",
                kind="dm_grader",
                invitation_id=invitation_id,
            )


async def claim_all(db: Database) -> list[Effect]:
    async with db.session() as session:
        return await outbox.claim(
            session, limit=100, skip_locked=False, lease=timedelta(minutes=5)
        )


async def effects_in(db: Database) -> list[Effect]:
    async with db.session() as session:
        return list((await session.exec(select(Effect).order_by(Effect.id))).all())


async def test_effects_finishing_together_are_written_in_one_transaction(
    db: Database,
) -> None:
    await owe(db, 30)
    claimed = await claim_all(db)
    counting = CountingDatabase(db)
    finisher = effects.Finisher(cast(Services, SimpleNamespace(db=counting)))

    await asyncio.gather(*(finisher(e, {"ts": f"1.{e.id}"}) for e in claimed))

    assert counting.writes == 1
    done = await effects_in(db)
    assert [e.status for e in done] == [EffectStatus.DONE] * 30
    assert [e.outcome for e in done] == [{"ts": f"1.{e.id}"} for e in done]
    assert all(e.leased_until is None and e.done_at is not None for e in done)


async def test_a_failed_write_fails_every_waiter_and_records_nothing(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await owe(db, 3)
    claimed = await claim_all(db)
    finisher = effects.Finisher(cast(Services, SimpleNamespace(db=db)))
    real = outbox.finish_many

    async def broken(session: AsyncSession, done: Any) -> None:
        await real(session, done)
        raise ConnectionError("database went away")

    monkeypatch.setattr(outbox, "finish_many", broken)
    answers = await asyncio.gather(
        *(finisher(e, {}) for e in claimed), return_exceptions=True
    )

    assert all(isinstance(a, ConnectionError) for a in answers)
    # Rolled back: still owed and leased, so they run again once the lease runs out.
    left = await effects_in(db)
    assert {e.status for e in left} == {EffectStatus.PENDING}
    assert all(e.leased_until is not None for e in left)

    monkeypatch.setattr(outbox, "finish_many", real)
    await asyncio.gather(*(finisher(e, {}) for e in claimed))
    assert {e.status for e in await effects_in(db)} == {EffectStatus.DONE}


async def test_a_claim_reads_its_invitations_and_graders_once(db: Database) -> None:
    async with db.session() as session:
        for n in (1, 2):
            invitation = Invitation(
                token_hash=f"hash-{n}",
                idempotency_key=f"key-{n}",
                candidate_id=300 + n,
                application_id=3000 + n,
                candidate_name=f"Candidate {n}",
                job_name="Backend Engineer",
                test_kind="interview",
                test_id="karat-backend-60",
                test_name="Backend Interview (60 min)",
                sender_slack_id="U0ANA",
                sender_name="Ana Ruiz",
                sent_at=now(),
            )
            session.add(invitation)
            await session.flush()
            for user in ("U0SAM", "U0LEE")[:n]:
                session.add(
                    Grader(
                        invitation_id=invitation.id or 0, slack_user_id=user, name=user
                    )
                )
    for n in (1, 2):
        await owe(db, 2, invitation_id=n)
    claimed = await claim_all(db)
    services = cast(Services, SimpleNamespace(db=db))

    loaded = await effects.preload(services, claimed)

    assert sorted(loaded) == [1, 2]
    assert [g.slack_user_id for g in loaded[2][1]] == ["U0SAM", "U0LEE"]
    assert loaded[1][0].candidate_name == "Candidate 1"
    first = next(e for e in claimed if e.invitation_id == 1)
    second = next(e for e in claimed if e.invitation_id == 2)
    token = effects._preloaded.set({1: loaded[1]})
    try:
        assert await effects._load_with_graders(services, first) is loaded[1]
        # One the batch did not read (e.g. the preload failed) reads it itself.
        invitation, graders = await effects._load_with_graders(services, second)
        assert invitation.candidate_name == "Candidate 2"
        assert [g.slack_user_id for g in graders] == ["U0SAM", "U0LEE"]
    finally:
        effects._preloaded.reset(token)


async def test_rows_queued_before_the_worker_stops_are_still_written(
    db: Database,
) -> None:
    await owe(db, 4)
    claimed = await claim_all(db)
    finisher = effects.Finisher(cast(Services, SimpleNamespace(db=db)))
    waiters = [asyncio.create_task(finisher(e, {})) for e in claimed]
    await asyncio.sleep(0)  # they queue their rows; the writer has started
    for waiter in waiters:
        waiter.cancel()  # the worker stops: its tasks are cancelled

    await finisher.aclose()

    assert {e.status for e in await effects_in(db)} == {EffectStatus.DONE}


async def test_effects_owed_together_skip_those_already_owed(db: Database) -> None:
    async with db.session() as session:
        await outbox.enqueue(session, key="dm:a", kind="dm_grader", payload={"n": 1})
    async with db.session() as session:
        await outbox.enqueue_many(
            session,
            [
                {"key": "dm:a", "kind": "dm_grader", "payload": {"n": 2}},
                {"key": "dm:b", "kind": "dm_sender", "payload": {"n": 3}},
            ],
        )
    rows = await effects_in(db)
    assert [(e.key, e.kind, e.payload) for e in rows] == [
        ("dm:a", "dm_grader", {"n": 1}),
        ("dm:b", "dm_sender", {"n": 3}),
    ]
    assert {e.status for e in rows} == {EffectStatus.PENDING}

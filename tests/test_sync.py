"""`karat-bot sync`: the local index filled from the Harvest stand-in, v1 and v3."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from harvest_support import (  # noqa: F401 - fixtures are used by their names
    FakeClock,
    clock_fixture,
    harvest_fixture,
    harvest_slot_fixture,
    server_fixture,
    standin_fixture,
)
from sqlmodel import func, select

from bot.clients.greenhouse.common import HarvestBase
from bot.sandbox.harvest import HarvestStandIn, RateWindow
from bot.sandbox.harvest_data import iso
from bot.services import sync
from bot.services.sync import IndexSync
from bot.storage import index
from bot.storage.db import Database
from bot.storage.index_models import (
    IndexApplication,
    IndexCandidate,
    IndexJob,
    IndexJobStage,
    IndexUser,
    SyncState,
)

CROWD = 1_200  # with the cast, more than two pages of 500 on both versions


@pytest.fixture(name="db")
async def db_fixture(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    yield db
    await db.dispose()


def unthrottled(standin: HarvestStandIn) -> HarvestStandIn:
    standin.rate_limits["v1"] = RateWindow(100_000, 10.0)
    standin.rate_limits["v3"] = RateWindow(100_000, 30.0)
    return standin


def clock_of(clock: FakeClock):  # type: ignore[no-untyped-def]
    return lambda: datetime.fromtimestamp(clock(), UTC)


async def count(db: Database, model: type) -> int:
    async with db.session() as session:
        result = await session.exec(select(func.count()).select_from(model))
        return int(result.one())


def listing_calls(standin: HarvestStandIn, version: str, path: str) -> list[str]:
    return [r.query for r in standin.requests_to(f"/{version}/{path}", method="GET")]


async def test_first_sync_reads_everything_then_only_what_changed(
    harvest: HarvestBase, standin: HarvestStandIn, clock: FakeClock, db: Database
) -> None:
    unthrottled(standin)
    ids = standin.add_synthetic_candidates(CROWD)
    data = standin.data

    report = await IndexSync(db, harvest, clock=clock_of(clock)).run()

    assert report is not None and all(report.full.values())
    assert await count(db, IndexCandidate) == len(data.candidates)
    assert await count(db, IndexApplication) == len(data.applications)
    assert await count(db, IndexJob) == len(data.jobs)
    assert await count(db, IndexJobStage) == len(data.stages)
    assert await count(db, IndexUser) == len(data.users)
    pages = listing_calls(standin, harvest.version, "candidates")
    assert len(pages) >= 3, "the crowd spans at least three pages"

    # Later, one candidate is renamed and another moves to a different stage.
    clock.now += 3600
    stamp = iso(datetime.fromtimestamp(clock(), UTC))
    renamed, moved = ids[10], ids[20]
    data.candidates[renamed].update(first_name="Zebedee", updated_at=stamp)
    app_id = data.apps_by_candidate[moved][0]
    app = data.applications[app_id]
    other = next(
        s["id"]
        for s in data.stages.values()
        if s["job_id"] == app["job_id"] and s["id"] != app["stage_id"]
    )
    standin.move_application(app_id, other, notify=False)
    standin.requests.clear()

    clock.now += 60
    again = await IndexSync(db, harvest, clock=clock_of(clock)).run()

    assert again is not None and not any(again.full.values())
    assert again.counts["candidates"] < 10, "only the changed candidates are read"
    first = listing_calls(standin, harvest.version, "candidates")[0]
    assert ("updated_after=" in first) or ("updated_at=gte" in first)
    async with db.session() as session:
        person = await session.get(IndexCandidate, renamed)
        application = await session.get(IndexApplication, app_id)
        found = await index.search(session, "zebedee")
    assert person is not None and person.first_name == "Zebedee"
    assert application is not None and application.stage_id == other
    assert [row.candidate_id for row in found] == [renamed]


async def test_incremental_window_overlaps_the_last_run(
    harvest: HarvestBase, standin: HarvestStandIn, clock: FakeClock, db: Database
) -> None:
    unthrottled(standin)
    began = clock_of(clock)()
    await IndexSync(db, harvest, clock=clock_of(clock)).run()
    async with db.session() as session:
        states = await index.sync_states(session)
    assert states["candidates"].watermark == began

    # A record stamped by a Greenhouse clock a minute behind ours is still read.
    clock.now += 120
    person = next(iter(standin.data.candidates.values()))
    person["first_name"] = "Behind"
    person["updated_at"] = iso(began - timedelta(minutes=1))
    await IndexSync(db, harvest, clock=clock_of(clock)).run()
    async with db.session() as session:
        row = await session.get(IndexCandidate, person["id"])
    assert row is not None and row.first_name == "Behind"


async def test_a_429_in_the_middle_of_a_sync_is_waited_out(
    harvest: HarvestBase, standin: HarvestStandIn, clock: FakeClock, db: Database
) -> None:
    unthrottled(standin)
    standin.add_synthetic_candidates(600)
    stages = "/v1/job_stages" if harvest.version == "v1" else "/v3/job_interview_st"
    standin.fail_next(stages, status=429)
    standin.fail_next(f"/{harvest.version}/candidates", status=429)

    report = await IndexSync(db, harvest, clock=clock_of(clock)).run()

    assert report is not None
    assert [r.status for r in standin.requests if r.status == 429] == [429, 429]
    assert await count(db, IndexCandidate) == len(standin.data.candidates)
    assert await count(db, IndexJobStage) == len(standin.data.stages)


async def test_a_failed_sync_keeps_the_old_watermark_and_says_why(
    harvest: HarvestBase, standin: HarvestStandIn, clock: FakeClock, db: Database
) -> None:
    unthrottled(standin)
    await IndexSync(db, harvest, clock=clock_of(clock)).run()
    async with db.session() as session:
        before = (await index.sync_states(session))["users"].watermark
    clock.now += 600
    standin.deny("GET: List Users")

    with pytest.raises(Exception, match="List Users"):
        await IndexSync(db, harvest, clock=clock_of(clock)).run()

    async with db.session() as session:
        state = await session.get(SyncState, "users")
        claim = await session.get(SyncState, index.CLAIM)
    assert state is not None and state.watermark == before
    assert state.last_error and "List Users" in state.last_error
    assert claim is not None and claim.running_until is None, "the claim is released"


async def test_two_syncs_never_run_at_once(
    harvest: HarvestBase, standin: HarvestStandIn, clock: FakeClock, db: Database
) -> None:
    unthrottled(standin)
    now = clock_of(clock)()
    async with db.session() as session:
        assert await index.claim(
            session, owner="worker-a", now=now, lease=timedelta(minutes=5)
        )

    assert await IndexSync(db, harvest, clock=clock_of(clock)).run() is None

    clock.now += 6 * 60  # worker-a died; its lease ran out
    assert await IndexSync(db, harvest, clock=clock_of(clock)).run() is not None


async def test_the_worker_syncs_only_when_due_and_after_a_first_full_sync(
    harvest: HarvestBase, standin: HarvestStandIn, clock: FakeClock, db: Database
) -> None:
    unthrottled(standin)
    every = timedelta(minutes=15)
    when = clock_of(clock)

    assert await sync.run_if_due(db, harvest, every=every, clock=when) is None
    assert not standin.requests, "no index yet: the worker leaves the first to the CLI"

    await IndexSync(db, harvest, clock=when).run()
    clock.now += 60
    assert await sync.run_if_due(db, harvest, every=every, clock=when) is None

    clock.now += 15 * 60
    report = await sync.run_if_due(db, harvest, every=every, clock=when)
    assert report is not None and not any(report.full.values())

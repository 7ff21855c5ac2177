"""Candidate search latency from the local index, on SQLite and on PostgreSQL.

    python bench/search_bench.py                       # 10,000 and 100,000 candidates
    python bench/search_bench.py --sizes 10000 --backends sqlite

Candidates come from the Harvest stand-in's synthetic crowd (accented names, one
application each), written with the sync's own writers. Queries are what people
type into the picker: the start of a first or last name, a full name being typed,
two words, an e-mail prefix, and a few that match nothing. PostgreSQL runs in a
scratch database on 127.0.0.1:5432 that is dropped afterwards. Results go to
bench/results/search_bench.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402

from bot.clients.greenhouse.models import Candidate, Job  # noqa: E402
from bot.sandbox.harvest_data import HarvestData  # noqa: E402
from bot.sandbox.harvest_seed import load_cast  # noqa: E402
from bot.sandbox.harvest_synthetic import add_synthetic  # noqa: E402
from bot.sandbox.harvest_v1_shapes import candidate as render  # noqa: E402
from bot.services import sync  # noqa: E402
from bot.services.candidates import search_by_name  # noqa: E402
from bot.storage.db import Database, sync_url  # noqa: E402
from bot.storage.migrate import upgrade  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
BATCH = 2_000


def crowd(n: int) -> HarvestData:
    data = HarvestData()
    load_cast(data)
    add_synthetic(data, n, seed=11)
    return data


async def fill(db: Database, data: HarvestData) -> float:
    began = time.monotonic()
    jobs = [
        Job(id=j["id"], name=j["name"], status=j["status"]) for j in data.jobs.values()
    ]
    async with db.session() as session:
        await sync.WRITERS["jobs"](session, jobs)
    batch: list[Candidate] = []
    for rec in data.candidates.values():
        batch.append(Candidate.model_validate(render(data, rec)))
        if len(batch) >= BATCH:
            async with db.session() as session:
                await sync.WRITERS["candidates"](session, batch)
            batch = []
    if batch:
        async with db.session() as session:
            await sync.WRITERS["candidates"](session, batch)
    return time.monotonic() - began


def queries(data: HarvestData, count: int) -> list[str]:
    rng = random.Random(5)
    people = list(data.candidates.values())
    found: list[str] = []
    while len(found) < count:
        p = rng.choice(people)
        first, last = p["first_name"], p["last_name"]
        email = p["email_addresses"][0]["value"]
        kind = rng.random()
        if kind < 0.35:
            found.append(first[: rng.randint(2, 5)])
        elif kind < 0.55:
            found.append(last[: rng.randint(2, 6)])
        elif kind < 0.75:
            found.append(f"{first} {last[: rng.randint(1, 4)]}")
        elif kind < 0.85:
            found.append(email[: rng.randint(3, 12)])
        elif kind < 0.95:
            found.append(f"{last[:3]} {first[:2]}")
        else:
            found.append(rng.choice(["zzq", "qxv", "xylophone", "wvutsr"]))
    return found


async def measure(db: Database, typed: list[str]) -> dict[str, Any]:
    for q in typed[:20]:  # warm the caches and the pool
        await search_by_name(None, q, db=db)  # type: ignore[arg-type]
    # Timed untraced (tracing every allocation slows the search itself), then the
    # same queries again under tracemalloc for the memory they take.
    times, options = [], []
    for q in typed:
        began = time.perf_counter()
        found = await search_by_name(None, q, db=db)  # type: ignore[arg-type]
        times.append((time.perf_counter() - began) * 1000)
        options.append(len(found))
    tracemalloc.start()
    for q in typed:
        await search_by_name(None, q, db=db)  # type: ignore[arg-type]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    cuts = statistics.quantiles(times, n=100)
    return {
        "queries": len(typed),
        "p50_ms": round(cuts[49], 2),
        "p95_ms": round(cuts[94], 2),
        "p99_ms": round(cuts[98], 2),
        "max_ms": round(max(times), 2),
        "mean_options": round(statistics.mean(options), 1),
        "peak_traced_mb_while_searching": round(peak / 2**20, 2),
    }


async def bench(url: str, data: HarvestData, typed: list[str]) -> dict[str, Any]:
    upgrade(url)
    db = Database(url)
    try:
        load_seconds = await fill(db, data)
        if db.sqlite:
            async with db.engine.begin() as conn:
                await conn.execute(text("ANALYZE"))
        else:
            async with db.engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text("ANALYZE"))
        result = await measure(db, typed)
        result["load_seconds"] = round(load_seconds, 1)
        return result
    finally:
        await db.dispose()


def run_sqlite(data: HarvestData, typed: list[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        return asyncio.run(bench(f"sqlite:///{tmp}/search.db", data, typed))


def run_postgres(data: HarvestData, typed: list[str]) -> dict[str, Any]:
    name = f"karat_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(sync_url(POSTGRES), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = POSTGRES.rsplit("/", 1)[0] + f"/{name}"
        return asyncio.run(bench(url, data, typed))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--queries", type=int, default=500)
    args = parser.parse_args()

    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        data = crowd(size)
        typed = queries(data, args.queries)
        for backend in args.backends.split(","):
            runner = run_sqlite if backend == "sqlite" else run_postgres
            result = {"backend": backend, "candidates": size, **runner(data, typed)}
            rows.append(result)
            print(
                f"{backend:<9} {size:>8,}  p50 {result['p50_ms']:>6} ms  "
                f"p95 {result['p95_ms']:>6} ms  p99 {result['p99_ms']:>6} ms  "
                f"peak {result['peak_traced_mb_while_searching']} MB",
                flush=True,
            )
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    RESULTS.mkdir(exist_ok=True)
    out = {"machine": "2 cores", "runs": rows, "max_rss_mb": round(maxrss, 1)}
    (RESULTS / "search_bench.json").write_text(json.dumps(out, indent=2) + "\n")
    print(f"max RSS {maxrss:.0f} MB (includes the generated crowd)")


if __name__ == "__main__":
    main()

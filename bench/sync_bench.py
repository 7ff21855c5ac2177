"""Sync many candidates through the Harvest stand-in at v1's documented rate limit.

    python bench/sync_bench.py                  # 50,000 candidates (minutes)
    python bench/sync_bench.py --candidates 5000

The stand-in runs in a child process, as Greenhouse would be elsewhere, so the
memory measured is the sync's own. Reported: requests against the fewest the page
size allows, wall time against the floor the rate limit sets, 429s after the first
window, and peak memory (the process's max RSS; `--tracemalloc` adds Python's own
count, in a run too slowed by the tracing to time). Results go to
bench/results/sync_bench.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing as mp
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.clients.greenhouse import build_harvest_client  # noqa: E402
from bot.clients.greenhouse.common import PER_PAGE  # noqa: E402
from bot.clients.greenhouse.page_totals import PageTotals  # noqa: E402
from bot.clients.greenhouse.shared_limiter import SharedRateLimiter  # noqa: E402
from bot.services.sync import IndexSync  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.storage.db import Database  # noqa: E402
from bot.storage.limiter_store import DatabaseLimiterStore  # noqa: E402
from bot.storage.migrate import upgrade  # noqa: E402
from bot.sync_cli import TerminalProgress  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
LISTINGS = {
    "v1": ("/v1/jobs", "/v1/job_stages", "/v1/users", "/v1/candidates"),
}


def serve(candidates: int, conn: Any) -> None:
    """The child: a stand-in with `candidates` more people, until told to stop."""
    from bot.sandbox.harvest import HarvestStandIn
    from bot.sandbox.server import StandInServer

    standin = HarvestStandIn()
    standin.add_synthetic_candidates(candidates)
    sizes = {
        "/v1/jobs": len(standin.data.jobs),
        "/v1/job_stages": len(standin.data.stages),
        "/v1/users": len(standin.data.users),
        "/v1/candidates": len(standin.data.candidates),
        "applications": len(standin.data.applications),
    }
    with StandInServer(standin.app) as server:
        conn.send((server.url, sizes, standin.rate_limits["v1"].limit))
        conn.recv()  # the sync is done
        log = [(r.path, r.status) for r in standin.requests]
        conn.send(log)


async def sync(url: str, database_url: str) -> tuple[dict[str, int], float]:
    settings = Settings(
        _env_file=None,
        GREENHOUSE_HARVEST_URL=url,
        GREENHOUSE_HARVEST_VERSION="v1",
        GREENHOUSE_API_KEY="harvest-sandbox-key",
        GREENHOUSE_USER_ID=101,
        DATABASE_URL=database_url,
    )
    db = Database(database_url)
    pages = PageTotals()
    limiter = SharedRateLimiter(store=DatabaseLimiterStore(db))
    harvest = build_harvest_client(settings, transport=pages, limiter=limiter)
    began = time.monotonic()
    try:
        report = await IndexSync(
            db, harvest, progress=TerminalProgress(), totals=pages.total
        ).run(full=True)
    finally:
        await harvest.aclose()
        await db.dispose()
    assert report is not None
    return report.counts, time.monotonic() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=50_000)
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="also trace Python allocations (slows the sync; memory, not time)",
    )
    args = parser.parse_args()

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=serve, args=(args.candidates, child), daemon=True)
    process.start()
    url, sizes, limit = parent.recv()

    with tempfile.TemporaryDirectory() as tmp:
        database_url = f"sqlite:///{tmp}/bench.db"
        upgrade(database_url)
        rss_before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if args.tracemalloc:
            # Tracing every allocation slows decoding several times over: a run
            # with it measures memory, not time.
            tracemalloc.start()
        started = time.time()
        counts, wall = asyncio.run(sync(url, database_url))
        peak = tracemalloc.get_traced_memory()[1] if args.tracemalloc else None
        tracemalloc.stop()
    parent.send("done")
    log = parent.recv()
    process.join(timeout=10)

    requests = len(log)
    minimum = sum(math.ceil(max(1, sizes[p]) / PER_PAGE) for p in LISTINGS["v1"])
    windows = math.ceil(minimum / limit)
    floor = (windows - 1) * 10.0  # the last window's requests go at its start
    # The first window is spent before the limit is known; count 429s after it.
    late_429 = sum(
        1 for n, (_, status) in enumerate(log) if status == 429 and n >= limit
    )
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "candidates": sizes["/v1/candidates"],
        "applications": sizes["applications"],
        "synced": counts,
        "requests": requests,
        "requests_minimum": minimum,
        "requests_over_minimum_pct": round(100 * (requests - minimum) / minimum, 2),
        "wall_seconds": round(wall, 2),
        "floor_seconds": floor,
        "wall_over_floor_pct": round(100 * (wall - floor) / floor, 1)
        if floor
        else None,
        "status_429_total": sum(1 for _, s in log if s == 429),
        "status_429_after_first_window": late_429,
        "peak_traced_mb": round(peak / 2**20, 1) if peak is not None else None,
        "max_rss_before_sync_mb": round(rss_before_mb, 1),
        "max_rss_mb": round(maxrss_mb, 1),
        "traced": args.tracemalloc,
        "rate_limit": f"{limit} per 10 s (v1)",
        "started_at": started,
    }
    RESULTS.mkdir(exist_ok=True)
    name = (
        "sync_bench" if args.candidates == 50_000 else f"sync_bench_{args.candidates}"
    )
    name += "_traced.json" if args.tracemalloc else ".json"
    (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n")
    rows = [
        (
            "candidates / applications",
            f"{result['candidates']:,} / {result['applications']:,}",
        ),
        (
            "requests (minimum)",
            f"{requests} ({minimum}), +{result['requests_over_minimum_pct']}%",
        ),
        (
            "wall time (floor)",
            f"{wall:.1f} s ({floor:.0f} s), +{result['wall_over_floor_pct']}%",
        ),
        ("429s after first window", str(late_429)),
        (
            "max RSS (before the sync)",
            f"{result['max_rss_mb']} MB ({rss_before_mb:.1f})",
        ),
    ]
    if peak is not None:
        rows.append(("peak traced memory", f"{result['peak_traced_mb']} MB"))
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()

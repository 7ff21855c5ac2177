"""`karat-bot sync`: fill or refresh the local index, showing progress on stderr.

On a terminal the progress is one line, redrawn; in a log (not a TTY) it is a line
every few seconds. The summary goes to stdout.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from typing import TextIO

from bot.clients.greenhouse import build_harvest_client
from bot.clients.greenhouse.page_totals import PageTotals
from bot.clients.greenhouse.shared_limiter import SharedRateLimiter
from bot.errors import UpstreamError
from bot.services.sync import IndexSync, SyncReport
from bot.settings import Settings
from bot.storage.db import Database
from bot.storage.limiter_store import DatabaseLimiterStore
from bot.storage.migrate import pending_revisions

EXIT_OK, EXIT_FAILED = 0, 1
NAMES = {"job_stages": "interview stages"}


def _seconds(value: float) -> str:
    value = max(0, int(value))
    if value >= 3600:
        return f"{value // 3600} h {value % 3600 // 60:02d} min"
    if value >= 60:
        return f"{value // 60} min {value % 60:02d} s"
    return f"{value} s"


class TerminalProgress:
    """Count, rate and (when Harvest gives a total) time left, per resource."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        every: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.every = every if not self.tty else 0.1
        self.clock = clock
        self._resource = ""
        self._began = 0.0
        self._shown = float("-inf")

    def line(self, resource: str, count: int, total: int | None) -> str:
        """How far one resource has got, in words."""
        elapsed = max(self.clock() - self._began, 1e-6)
        rate = count / elapsed
        name = NAMES.get(resource, resource)
        if total and total >= count:
            left = (total - count) / rate if rate else 0.0
            return (
                f"{name}: {count:,} of about {total:,} ({rate:,.0f}/s, "
                f"about {_seconds(left)} left)"
            )
        return f"{name}: {count:,} ({rate:,.0f}/s)"

    def update(self, resource: str, count: int, total: int | None) -> None:
        """Show progress, at most every `every` seconds."""
        if resource != self._resource:
            self._resource, self._began = resource, self.clock()
            self._shown = float("-inf")
        if count == 0 or self.clock() - self._shown < self.every:
            return
        self._shown = self.clock()
        self._write(self.line(resource, count, total), final=False)

    def done(self, resource: str, count: int) -> None:
        """Say a resource is finished."""
        if resource != self._resource:
            self._resource, self._began = resource, self.clock()
        took = _seconds(self.clock() - self._began)
        self._write(f"{NAMES.get(resource, resource)}: {count:,} in {took}", final=True)

    def _write(self, text: str, *, final: bool) -> None:
        if self.tty:
            # Carriage return and erase-line: the same line is redrawn in place.
            self.stream.write("\r\x1b[K" + text + ("\n" if final else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


def summary(report: SyncReport) -> str:
    """One line for stdout: what was read, and whether it was a full sync."""
    kind = "full" if any(report.full.values()) else "incremental"
    counts = ", ".join(
        f"{count:,} {NAMES.get(name, name)}" for name, count in report.counts.items()
    )
    return f"karat-bot: {kind} sync done in {_seconds(report.seconds)}: {counts}."


def run_sync_command(
    settings: Settings, *, full: bool = False, out: TextIO | None = None
) -> int:
    """Run one sync for the CLI; the exit status."""
    out = out or sys.stdout
    if pending_revisions(settings.DATABASE_URL):
        sys.stderr.write(
            "karat-bot: the database schema is not up to date; run "
            "`karat-bot migrate` first.\n"
        )
        return EXIT_FAILED
    try:
        report = asyncio.run(_run(settings, full=full))
    except UpstreamError as exc:
        sys.stderr.write(f"\nkarat-bot: the sync stopped: {exc}\n")
        return EXIT_FAILED
    if report is None:
        sys.stderr.write(
            "karat-bot: another process is syncing the index now; try again when "
            "it is done.\n"
        )
        return EXIT_FAILED
    out.write(summary(report) + "\n")
    return EXIT_OK


async def _run(settings: Settings, *, full: bool) -> SyncReport | None:
    db = Database(settings.DATABASE_URL)
    pages = PageTotals()
    # Share the account's window with the web and worker processes on this database.
    limiter = SharedRateLimiter(store=DatabaseLimiterStore(db))
    harvest = build_harvest_client(settings, transport=pages, limiter=limiter)
    try:
        sync = IndexSync(db, harvest, progress=TerminalProgress(), totals=pages.total)
        return await sync.run(full=full)
    finally:
        await harvest.aclose()
        await db.dispose()

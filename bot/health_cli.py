"""`karat-bot health [--json] [--smoke]`: build what the checks need, run, print.

Clients are built only from the settings that are present, so a half-configured bot
still gets a full report: a missing setting fails its own check and the checks that
need it say why they did not run.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from typing import Any, TextIO

from bot.clients.greenhouse import build_harvest_client
from bot.clients.karat import build_karat_client
from bot.errors import ConfigError
from bot.logs import settings_secrets
from bot.services.health import HealthContext, Report, Status, run_health
from bot.settings import Settings
from bot.slack.app import build_slack_client
from bot.slack.messenger import SlackMessenger
from bot.storage.db import Database

EXIT_OK, EXIT_FAILED = 0, 1
MARKS = {Status.PASS: "✓", Status.WARN: "!", Status.FAIL: "✗"}
ITEMS_SHOWN = 10


def build_context(
    settings: Settings, *, harvest_options: dict[str, Any] | None = None,
    karat_options: dict[str, Any] | None = None,
) -> HealthContext:  # fmt: skip
    """A context with every client the settings allow; the others None, with why."""
    unavailable: dict[str, str] = {}
    harvest = karat = slack = None
    try:
        harvest = build_harvest_client(settings, **(harvest_options or {}))
    except ConfigError as exc:
        unavailable["greenhouse"] = exc.problems[0]
    if settings.KARAT_API_URL and settings.KARAT_API_KEY is not None:
        karat = build_karat_client(settings, **(karat_options or {}))
    if settings.SLACK_BOT_TOKEN is not None:
        slack = SlackMessenger(build_slack_client(settings))
    return HealthContext(
        settings=settings,
        db=Database(settings.DATABASE_URL),
        harvest=harvest,
        karat=karat,
        slack=slack,
        unavailable=unavailable,
    )


async def check(
    settings: Settings,
    *,
    smoke: bool = False,
    build: Callable[[Settings], HealthContext] = build_context,
) -> Report:
    """Run the health check against the configured services; the scrubbed report."""
    ctx = build(settings)
    try:
        report = await run_health(ctx, smoke=smoke)
    finally:
        for client in (ctx.harvest, ctx.karat):
            if client is not None:
                await client.aclose()
        if ctx.db is not None:
            await ctx.db.dispose()
    return report.scrubbed(settings_secrets(settings))


def render_text(report: Report) -> str:
    """One line per check, with the fix under warnings and failures."""
    lines = []
    for item in report.checks:
        lines.append(f"{MARKS[item.status]} {item.name}: {item.detail}")
        if item.status is not Status.PASS and item.items:
            for listed in item.items[:ITEMS_SHOWN]:
                link = f" {listed.url}" if listed.url else ""
                lines.append(f"    - {listed.label}{link}")
            if len(item.items) > ITEMS_SHOWN:
                lines.append(f"    - …and {len(item.items) - ITEMS_SHOWN} more")
        if item.fix and item.status is not Status.PASS:
            lines.append(f"    fix: {item.fix}")
    fails, warns = report.count(Status.FAIL), report.count(Status.WARN)
    verdict = "OK" if report.ok else "FAILED"
    lines.append(
        f"\n{verdict}: {len(report.checks)} checks, {fails} failed, {warns} warnings."
    )
    return "\n".join(lines)


def run_health_command(
    settings: Settings, *, as_json: bool, smoke: bool, out: TextIO | None = None
) -> int:
    """Print the report; 0 when no check failed, 1 otherwise."""
    out = out or sys.stdout
    report = asyncio.run(check(settings, smoke=smoke))
    if as_json:
        out.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(render_text(report) + "\n")
    return EXIT_OK if report.ok else EXIT_FAILED

"""Health checks of the bot's own setup, Slack and Karat.

Settings, the database and its schema, the public URL, the webhook secret, the
admins, the outbox and old invitations; the Slack token and its scopes; each Karat
key. Each function returns its checks and never raises.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from urllib.parse import urlparse

from sqlalchemy.exc import SQLAlchemyError

from bot.clients.karat import KaratTest, TestKind
from bot.errors import AuthFailed, MalformedResponse, UpstreamError
from bot.services import team_config
from bot.services.health_model import (
    Check,
    HealthContext,
    failed,
    passed,
    warned,
)
from bot.services.ports import REQUIRED_SLACK_SCOPES
from bot.storage import health_queries, outbox
from bot.storage.migrate import pending_revisions
from bot.timefmt import ago

STUCK_AFTER = timedelta(weeks=8)
BACKLOG_WARN = 100
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}
KEY_NAMES = {
    TestKind.INTERVIEW: "Karat key: Interviews",
    TestKind.CODE_CHALLENGE: "Karat key: Code Challenges",
}
KEY_SETTINGS = {
    TestKind.INTERVIEW: "KARAT_API_KEY",
    TestKind.CODE_CHALLENGE: "KARAT_CODE_CHALLENGE_API_KEY",
}


def upstream_words(exc: UpstreamError) -> str:
    """What went wrong upstream, in a few words (never a body, never a secret)."""
    if exc.status is not None:
        return f"{exc.message} (HTTP {exc.status})"
    return exc.message


# -- settings ------------------------------------------------------------------


async def settings_checks(ctx: HealthContext) -> list[Check]:
    """Settings complete, the public URL, the webhook secret, the admins."""
    settings = ctx.settings
    checks = []
    problems = settings.missing()
    if problems:
        checks.append(
            failed(
                "Settings",
                f"{len(problems)} required setting"
                f"{'' if len(problems) == 1 else 's'} missing: "
                + "; ".join(p.split(" is not set")[0] for p in problems),
                " ".join(problems),
            )
        )
    else:
        checks.append(passed("Settings", "every required setting is present"))
    checks.append(_public_url(settings.PUBLIC_URL))
    if settings.GREENHOUSE_WEBHOOK_SECRET is None:
        checks.append(
            warned(
                "Greenhouse webhook secret",
                "GREENHOUSE_WEBHOOK_SECRET is not set, so webhooks cannot be verified",
                "In Greenhouse (Configure > Dev Center > Web Hooks) give the webhook a "
                "secret key and set GREENHOUSE_WEBHOOK_SECRET to the same value.",
            )
        )
    else:
        checks.append(passed("Greenhouse webhook secret", "set"))
    return checks


def _public_url(url: str | None) -> Check:
    name = "Public URL"
    if not url:
        return failed(
            name,
            "PUBLIC_URL is not set, so Karat has no callback address",
            "Set PUBLIC_URL to the bot's external https address, e.g. "
            "https://karat-bot.example.com.",
        )
    parsed = urlparse(url)
    host = (parsed.hostname or "").lower()
    if host in LOCAL_HOSTS:
        return warned(
            name,
            f"{url} is a local address: fine for local testing only, Karat "
            "cannot call it back",
            "Set PUBLIC_URL to the bot's external https address before going live.",
        )
    if parsed.scheme != "https":
        return warned(
            name,
            f"{url} is not https",
            "Serve the bot over https and set PUBLIC_URL to the https address.",
        )
    return passed(name, f"{url} (https)")


async def admin_checks(ctx: HealthContext) -> list[Check]:
    """Who may run admin commands, and where admin alerts go."""
    admins = sorted(ctx.settings.admin_ids)
    name = "Admins and alerts"
    if not admins:
        return [
            warned(
                name,
                "ADMIN_SLACK_USER_IDS is empty, so nobody can run /karat health or "
                "/karat config",
                "Set ADMIN_SLACK_USER_IDS to the Slack user ids of the bot's admins.",
            )
        ]
    channel = None
    if ctx.db is not None:
        try:
            channel = (await team_config.current(ctx.db, ctx.settings)).admin_channel
        except (SQLAlchemyError, OSError):
            channel = None  # the database check reports why
    who = f"{len(admins)} admin{'' if len(admins) == 1 else 's'}"
    if channel is None:
        return [
            warned(
                name,
                f"{who}; no admin alert channel is set, so alerts go to the admins "
                "by direct message",
                "Choose an admin alert channel with /karat config.",
            )
        ]
    return [passed(name, f"{who}; alerts go to channel {channel}")]


# -- database and outbox ---------------------------------------------------------


async def database_checks(ctx: HealthContext) -> list[Check]:
    """The database answers and its schema is current."""
    name = "Database"
    if ctx.db is None:
        return [failed(name, "no database configured", "Set DATABASE_URL.")]
    kind = "SQLite" if ctx.db.sqlite else "PostgreSQL"
    try:
        await ctx.db.ping()
    except (SQLAlchemyError, OSError) as exc:
        return [
            failed(
                name,
                f"the {kind} database does not answer ({type(exc).__name__})",
                "Check DATABASE_URL and that the database server is running.",
            )
        ]
    try:
        pending = await asyncio.to_thread(pending_revisions, ctx.settings.DATABASE_URL)
    except (SQLAlchemyError, OSError) as exc:
        return [
            failed(
                name,
                f"could not read the schema version ({type(exc).__name__})",
                "Run `karat-bot migrate`.",
            )
        ]
    if pending:
        return [
            failed(
                name,
                f"the {kind} schema is behind: {len(pending)} migration"
                f"{'' if len(pending) == 1 else 's'} not applied "
                f"({', '.join(sorted(pending))})",
                "Run `karat-bot migrate`.",
            )
        ]
    return [passed(name, f"{kind} answers; the schema is up to date")]


async def outbox_checks(ctx: HealthContext) -> list[Check]:
    """Owed effects, dead letters, invitations with no result for eight weeks."""
    checks = await admin_checks(ctx)
    if ctx.db is None:
        return checks
    try:
        async with ctx.db.session() as session:
            counts = await outbox.backlog(session)
            stuck = await health_queries.stuck_sent(
                session, before=ctx.clock() - STUCK_AFTER
            )
    except (SQLAlchemyError, OSError) as exc:
        return [
            *checks,
            failed(
                "Outbox",
                f"could not read the outbox ({type(exc).__name__})",
                "Fix the database check above (run `karat-bot migrate` if the "
                "schema is behind).",
            ),
        ]
    pending, dead = counts.get("pending", 0), counts.get("dead", 0)
    summary = f"{pending} pending, {dead} dead"
    if dead:
        checks.append(
            failed(
                "Outbox",
                f"{summary}: {dead} Greenhouse note{'' if dead == 1 else 's'} or "
                "Slack message" + ("" if dead == 1 else "s") + " gave up after "
                "repeated errors",
                "See the log for the effect errors (lines with `effect dead key=`), "
                "fix the cause, then put the dead effects back in the queue: "
                "UPDATE effect SET status = 'pending', attempts = 0 "
                "WHERE status = 'dead'.",
            )
        )
    elif pending >= BACKLOG_WARN:
        checks.append(
            warned(
                "Outbox",
                f"{summary}: the worker is behind",
                "Check that `karat-bot worker` (or `serve` without --no-worker) is "
                "running and see its log.",
            )
        )
    else:
        checks.append(passed("Outbox", summary))
    count, oldest = stuck
    if count:
        since = f" (oldest sent {ago(oldest, at=ctx.clock())})" if oldest else ""
        checks.append(
            warned(
                "Invitations without a result",
                f"{count} invitation{'' if count == 1 else 's'} still “Sent” more "
                f"than 8 weeks after sending{since}",
                "Greenhouse stops waiting for a result after 8 weeks; check these "
                "candidates in Karat and resend or close them.",
            )
        )
    else:
        checks.append(passed("Invitations without a result", "none older than 8 weeks"))
    return checks


# -- Slack -----------------------------------------------------------------------


async def slack_checks(ctx: HealthContext) -> list[Check]:
    """The bot token is valid and has every scope the bot uses."""
    token, scopes = "Slack bot token", "Slack scopes"
    if ctx.slack is None:
        reason = ctx.unavailable.get("slack", "SLACK_BOT_TOKEN is not set")
        fix = "Set SLACK_BOT_TOKEN to the app's Bot User OAuth Token (xoxb-…)."
        return [
            failed(token, f"not checked: {reason}", fix),
            failed(scopes, "not checked: no Slack token", fix),
        ]
    try:
        me = await ctx.slack.identity()
    except UpstreamError as exc:
        refused = "invalid_auth" in exc.message or "not_authed" in exc.message
        revoked = "token_revoked" in exc.message or "account_inactive" in exc.message
        fix = (
            "Reinstall the Slack app and copy its Bot User OAuth Token (xoxb-…) into "
            "SLACK_BOT_TOKEN."
            if refused or revoked
            else "Slack may be unreachable from here; check SLACK_API_URL and the "
            "network, then run the check again."
        )
        return [
            failed(token, f"Slack refused auth.test: {upstream_words(exc)}", fix),
            failed(scopes, "not checked: the token does not work", fix),
        ]
    checks = [passed(token, f"valid for the {me.team} workspace ({me.bot_user_id})")]
    if me.scopes is None:
        checks.append(
            warned(
                scopes,
                "Slack did not say which scopes the token has",
                "Compare the app's OAuth & Permissions page with manifest.yml: "
                + ", ".join(sorted(REQUIRED_SLACK_SCOPES)),
            )
        )
        return checks
    missing = sorted(REQUIRED_SLACK_SCOPES - me.scopes)
    if missing:
        checks.append(
            failed(
                scopes,
                f"missing {', '.join(missing)}",
                "Add these bot scopes under OAuth & Permissions (or in manifest.yml), "
                "reinstall the app, and update SLACK_BOT_TOKEN if it changed.",
            )
        )
    else:
        checks.append(passed(scopes, "has " + ", ".join(sorted(REQUIRED_SLACK_SCOPES))))
    return checks


# -- Karat -----------------------------------------------------------------------


async def karat_checks(
    ctx: HealthContext,
) -> tuple[list[Check], list[KaratTest] | None]:
    """Each Karat key answers list_tests; the tests offered (None when unknown)."""
    if ctx.karat is None:
        reason = ctx.unavailable.get(
            "karat", "KARAT_API_URL or KARAT_API_KEY is not set"
        )
        return [
            failed(
                KEY_NAMES[TestKind.INTERVIEW],
                f"not checked: {reason}",
                "Set KARAT_API_URL and KARAT_API_KEY (Karat: Settings > ATS "
                "Integrations > Settings > Assessment API key).",
            ),
        ], None
    kinds = list(TestKind)
    answers = await asyncio.gather(*(_key_check(ctx, kind) for kind in kinds))
    checks = [check for check, _ in answers]
    tests = [t for _, found in answers for t in (found or [])]
    configured = [
        found
        for kind, (_, found) in zip(kinds, answers, strict=True)
        if kind in ctx.karat.endpoints
    ]
    known = all(found is not None for found in configured)
    return checks, tests if known else None


async def _key_check(
    ctx: HealthContext, kind: TestKind
) -> tuple[Check, list[KaratTest] | None]:
    assert ctx.karat is not None
    name, setting = KEY_NAMES[kind], KEY_SETTINGS[kind]
    endpoint = ctx.karat.endpoints.get(kind)
    if endpoint is None:
        return passed(name, f"Code Challenges are off ({setting} is not set)"), []
    try:
        tests = await endpoint.list_tests()
    except AuthFailed:
        return failed(
            name,
            f"Karat refused the key ({setting}) with 401",
            f"Copy the key again in Karat (Settings > ATS Integrations > Settings > "
            f"Assessment API) and set {setting} to it.",
        ), None
    except MalformedResponse as exc:
        return failed(
            name,
            f"list_tests answered something malformed: {'; '.join(exc.errors)[:300]}",
            "Tell Karat support (support@karat.com) that list_tests answers "
            "malformed JSON for this key.",
        ), None
    except UpstreamError as exc:
        return failed(
            name,
            f"list_tests failed: {upstream_words(exc)}",
            "Karat may be down or unreachable; check KARAT_API_URL and run the check "
            "again in a few minutes.",
        ), None
    if not tests:
        return warned(
            name,
            "the key works but Karat offers no tests for it",
            "Ask your Karat contact to set up the assessments for this key.",
        ), tests
    names = ", ".join(t.name for t in tests[:5])
    more = f" and {len(tests) - 5} more" if len(tests) > 5 else ""
    return passed(
        name, f"{len(tests)} test{'' if len(tests) == 1 else 's'}: {names}{more}"
    ), tests

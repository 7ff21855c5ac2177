"""The `karat-bot` command line: serve, worker, health, demo, migrate, sync."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import signal
import sys
from collections.abc import Sequence

from sqlalchemy.exc import DBAPIError

from bot.errors import ConfigError
from bot.logs import settings_secrets, setup_logging
from bot.settings import Settings, load_settings

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="karat-bot",
        description="Send Karat tests from Slack and relay their results to graders "
        "and to Greenhouse.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = commands.add_parser(
        "serve",
        help="run the HTTP app (Slack events, Karat callbacks, webhooks)",
        description="Run the HTTP app, and the background worker unless --no-worker.",
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)"
    )
    serve.add_argument(
        "--port", type=int, default=None, help="port to bind (default $PORT or 3000)"
    )
    serve.add_argument(
        "--no-worker", action="store_true", help="do not run the worker in this process"
    )
    serve.add_argument(
        "--socket-mode",
        action="store_true",
        help="also connect out to Slack over Socket Mode (needs SLACK_APP_TOKEN)",
    )

    commands.add_parser(
        "worker",
        help="run the background work alone (notes, DMs, result polling)",
        description="Deliver owed Greenhouse notes and Slack DMs, with retries.",
    )
    health = commands.add_parser(
        "health",
        help="check the setup against Slack, Greenhouse and Karat",
        description="Exit 0 when no check failed, 1 when one did, 2 when the "
        "configuration cannot be read.",
    )
    health.add_argument("--json", action="store_true", help="print one JSON object")
    health.add_argument(
        "--smoke", action="store_true", help="also send a test to the test candidate"
    )
    commands.add_parser(
        "demo",
        help="play the whole story against local stand-ins (no credentials)",
        description="Start local stand-ins for Slack, Greenhouse and Karat, run the "
        "bot "
        "against them and print each step. Exit 0 when every step worked.",
    )
    commands.add_parser(
        "migrate",
        help="create or upgrade the database schema",
        description="Create or upgrade the database schema (Alembic).",
    )
    sync = commands.add_parser(
        "sync",
        help="pull jobs, stages, users and candidates from Greenhouse",
        description="Pull jobs, stages, users and candidates into the local index: "
        "everything the first time, then what changed since the last run.",
    )
    sync.add_argument(
        "--full", action="store_true", help="read everything again, not just changes"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "demo":
        from bot.sandbox.demo import run_demo

        return run_demo()
    try:
        settings = load_settings()
    except ConfigError as exc:
        _fail(exc)
        return EXIT_CONFIG
    setup_logging(
        level=settings.LOG_LEVEL,
        json_lines=settings.LOG_FORMAT == "json",
        secrets=settings_secrets(settings),
    )
    try:
        if args.command == "migrate":
            return _migrate(settings)
        if args.command == "serve":
            if args.socket_mode and settings.SLACK_APP_TOKEN is None:
                raise ConfigError(
                    "--socket-mode needs SLACK_APP_TOKEN: set it to the app-level "
                    "token (xapp-…) with the connections:write scope."
                )
            port = args.port if args.port is not None else _port_from_env()
            return _serve(
                settings.require(),
                host=args.host,
                port=port,
                worker=not args.no_worker,
                socket_mode=args.socket_mode,
            )
        if args.command == "worker":
            return _worker(settings.require())
        if args.command == "health":
            from bot.health_cli import run_health_command

            return run_health_command(settings, as_json=args.json, smoke=args.smoke)
        if args.command == "sync":
            from bot.sync_cli import run_sync_command

            return run_sync_command(settings, full=args.full)
    except ConfigError as exc:
        _fail(exc)
        return EXIT_CONFIG
    except DBAPIError as exc:
        # One line an operator can act on; the URL is not repeated (it may hold a
        # password) and the driver's detail stays in the log at DEBUG.
        logging.getLogger(__name__).debug("database error", exc_info=exc)
        reason = type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__
        print(
            f"karat-bot: the database in DATABASE_URL cannot be used ({reason}): check "
            "that the server runs, the database exists, and `karat-bot migrate` ran.",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return EXIT_OK  # pragma: no cover  (argparse requires a command)


def _port_from_env() -> int:
    raw = os.environ.get("PORT", "").strip() or "3000"
    if not re.fullmatch(r"[0-9]{1,5}", raw) or not 0 < int(raw) < 65536:
        raise ConfigError(
            "PORT is not valid: set it to the port number to listen on (1-65535)."
        )
    return int(raw)


def _fail(exc: ConfigError) -> None:
    print(f"karat-bot: {exc.problems[0]}", file=sys.stderr)
    for more in exc.problems[1:]:
        print(f"karat-bot: {more}", file=sys.stderr)


def _migrate(settings: Settings) -> int:
    from bot.storage.migrate import upgrade

    upgrade(settings.DATABASE_URL)
    print("karat-bot: the database schema is up to date.")
    return EXIT_OK


def _serve(
    settings: Settings, *, host: str, port: int, worker: bool, socket_mode: bool
) -> int:
    from bot.wiring import build_asgi, build_services, make_server

    token = settings.SLACK_APP_TOKEN if socket_mode else None

    async def run() -> None:
        services, client = build_services(settings)
        app = build_asgi(
            services,
            client,
            run_worker=worker,
            socket_mode_token=token.get_secret_value() if token else None,
        )
        server = make_server(app, host=host, port=port)
        await server.serve()

    asyncio.run(run())
    return EXIT_OK


def _worker(settings: Settings) -> int:
    from bot.slack.app import share_connections
    from bot.storage.db import WorkerLockTaken
    from bot.wiring import build_services
    from bot.worker import Worker

    async def run() -> None:
        services, client = build_services(settings)
        close_slack = await share_connections(client)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await Worker(services).run_forever(stop)
        finally:
            await close_slack()
            await services.aclose()

    try:
        asyncio.run(run())
    except WorkerLockTaken as exc:
        print(f"karat-bot: {exc}.", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""A whole sandbox: the three stand-ins and the bot itself, all on 127.0.0.1.

The bot runs exactly as `karat-bot serve` runs it (uvicorn, the ASGI app, the worker in
the same process), only pointed at the stand-ins and at a SQLite file in a temporary
folder. The demo and the end-to-end tests both drive it through real HTTP.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from bot.sandbox.harvest import HarvestStandIn
from bot.sandbox.karat import KaratStandIn
from bot.sandbox.server import StandInServer
from bot.sandbox.slack_api import SlackStandIn
from bot.sandbox.slack_payloads import interaction_body, signed_headers

SIGNING_SECRET = "sandbox-signing-secret"
BOT_TOKEN = "xoxb-sandbox-bot-token"


class Sandbox:
    """Start with `with Sandbox() as sandbox:`; everything stops on exit."""

    def __init__(
        self,
        *,
        harvest_version: str = "v3",
        database_url: str | None = None,
        settings: dict[str, Any] | None = None,
        bot_process: bool = False,
    ) -> None:
        self.harvest_version = harvest_version
        # In a process of its own, the bot is `karat-bot serve` itself and shares no
        # interpreter with the stand-ins (benches); in a thread, tests reach into it.
        self.bot_process = bot_process
        self._bot_popen: subprocess.Popen[bytes] | None = None
        self.extra_settings = dict(settings or {})
        self._tmp = tempfile.TemporaryDirectory(prefix="karat-bot-sandbox-")
        self.database_url = (
            database_url or f"sqlite:///{Path(self._tmp.name) / 'karat-bot.db'}"
        )
        self.slack = SlackStandIn()
        self.harvest = HarvestStandIn()
        self.karat = KaratStandIn()
        self._servers: list[StandInServer] = []
        self._bot_thread: threading.Thread | None = None
        self._bot_server: Any = None
        self.bot_url = ""
        self.http = httpx.Client(timeout=10)

    # -- lifecycle ----------------------------------------------------------------

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._servers.append(self.slack.serve())
        self._servers.append(self.karat.serve())
        harvest = StandInServer(self.harvest.app).start()
        self._servers.append(harvest)
        self.harvest_url = harvest.url
        self._start_bot()

    def stop(self) -> None:
        # Ask everything to stop at once: each server waits out its own grace period,
        # and waiting for them one after another would add those up.
        if self._bot_server is not None:
            self._bot_server.should_exit = True
        if self._bot_popen is not None:
            self._bot_popen.send_signal(signal.SIGTERM)
        for server in self._servers:
            server.request_stop()
        if self._bot_thread is not None:
            self._bot_thread.join(timeout=15)
        if self._bot_popen is not None:
            try:
                self._bot_popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._bot_popen.kill()
                self._bot_popen.wait()
        for server in reversed(self._servers):
            server.stop()
        self.http.close()
        self._tmp.cleanup()

    def settings_values(self) -> dict[str, Any]:
        """The settings a real deployment would hold, pointed at the stand-ins."""
        values: dict[str, Any] = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": f"{self.slack.url}/api/",
            "GREENHOUSE_HARVEST_URL": self.harvest_url,
            "GREENHOUSE_HARVEST_VERSION": self.harvest_version,
            "GREENHOUSE_USER_ID": 101,
            "GREENHOUSE_WEBHOOK_SECRET": "sandbox-webhook-secret",
            "KARAT_API_URL": self.karat.url,
            "KARAT_API_KEY": "karat-sandbox-interviews",
            "KARAT_CODE_CHALLENGE_API_KEY": "karat-sandbox-challenges",
            "PUBLIC_URL": self.bot_url,
            "DATABASE_URL": self.database_url,
            "ADMIN_SLACK_USER_IDS": "U0RILEY",
        }
        if self.harvest_version == "v3":
            values["GREENHOUSE_CLIENT_ID"] = self.harvest.client_id
            values["GREENHOUSE_CLIENT_SECRET"] = self.harvest.client_secret
            values["GREENHOUSE_TOKEN_URL"] = f"{self.harvest_url}/token"
        else:
            values["GREENHOUSE_API_KEY"] = self.harvest.api_key
        values.update(self.extra_settings)
        return values

    def _start_bot(self) -> None:
        from bot.settings import Settings
        from bot.storage.migrate import upgrade
        from bot.wiring import build_asgi, build_services, make_server

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        port = sock.getsockname()[1]
        self.bot_url = f"http://127.0.0.1:{port}"
        # Read nothing from the environment or a .env file: the sandbox is sealed.
        settings = Settings(_env_file=None, **self.settings_values()).require()
        self.settings = settings
        upgrade(settings.DATABASE_URL)
        if self.bot_process:
            sock.close()
            self._start_bot_process(port)
            return

        def serve() -> None:
            import asyncio

            async def run() -> None:
                services, client = build_services(settings)
                self.services = services
                app = build_asgi(services, client, run_worker=True)
                self._bot_server = make_server(app, host="127.0.0.1", port=port)
                await self._bot_server.serve(sockets=[sock])

            asyncio.run(run())

        self._bot_thread = threading.Thread(target=serve, name="karat-bot", daemon=True)
        self._bot_thread.start()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self._bot_server is not None and self._bot_server.started:
                return
            if not self._bot_thread.is_alive():
                raise RuntimeError(
                    "the bot stopped while starting; see the error above"
                )
            time.sleep(0.02)
        raise RuntimeError("the bot did not start within 15 s")

    def _start_bot_process(self, port: int) -> None:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("SLACK_", "GREENHOUSE_", "KARAT_"))
        }
        env.update({key: str(value) for key, value in self.settings_values().items()})
        env.setdefault("LOG_LEVEL", "WARNING")
        self._bot_log = Path(self._tmp.name) / "bot.log"
        with open(self._bot_log, "wb") as log:
            self._bot_popen = subprocess.Popen(
                [sys.executable, "-m", "bot", "serve", "--port", str(port)],
                env=env,
                cwd=self._tmp.name,  # no stray .env file is read
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self._bot_popen.poll() is not None:
                raise RuntimeError(
                    f"karat-bot serve stopped while starting:\n"
                    f"{self._bot_log.read_text()[-2000:]}"
                )
            try:
                if self.http.get(f"{self.bot_url}/healthz").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError("karat-bot serve did not start within 20 s")

    # -- playing Slack toward the bot -------------------------------------------------

    def post_slack(
        self, body: bytes, *, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        """POST a body to /slack/events, signed as Slack signs it."""
        return self.http.post(
            f"{self.bot_url}/slack/events",
            content=body,
            headers=headers or signed_headers(body, secret=SIGNING_SECRET),
        )

    def slash(
        self, user_id: str, text: str, *, command: str = "/karat"
    ) -> httpx.Response:
        return self.post_slack(self.slack.slash_command_body(command, text, user_id))

    def interact(self, payload: dict[str, Any]) -> httpx.Response:
        return self.post_slack(interaction_body(payload))

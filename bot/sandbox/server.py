"""Serve an ASGI app on 127.0.0.1 in a background thread, for stand-ins and tests.

The socket is bound here with port 0 so the kernel picks a free port and nothing
races for it between choosing the number and listening on it.

    with StandInServer(app) as server:
        httpx.get(server.url + "/ping")
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn


class StandInServer:
    """One uvicorn server for one ASGI app, on an ephemeral local port."""

    def __init__(
        self, app: Any, *, host: str = "127.0.0.1", start_timeout: float = 10.0
    ):
        self.app = app
        self.host = host
        self.start_timeout = start_timeout
        self.port: int | None = None
        self._sock: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL, e.g. "http://127.0.0.1:54321" (no trailing slash)."""
        if self.port is None:
            raise RuntimeError("the server is not started")
        return f"http://{self.host}:{self.port}"

    def start(self) -> StandInServer:
        """Start serving; return once the port accepts connections."""
        if self._thread is not None:
            return self
        # IPPROTO_TCP spelt out: asyncio only turns Nagle off on sockets whose proto
        # says TCP, and with Nagle on every answer waits ~40 ms for a delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        sock.listen(128)
        self._sock = sock
        self.port = sock.getsockname()[1]

        config = uvicorn.Config(
            self.app,
            log_level="warning",
            # Leave logging to the process: uvicorn's own handlers would bypass the
            # filters (secret scrubbing) the bot installs on the root logger.
            log_config=None,
            access_log=False,
            lifespan="off",
            # Tests stop servers often; do not make them wait for idle keep-alives.
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [sock]},
            name=f"stand-in-{self.port}",
            daemon=True,
        )
        self._thread.start()
        self._wait_until_accepting()
        return self

    def request_stop(self) -> None:
        """Ask the server to stop without waiting (stop several at once, then join)."""
        if self._server is not None:
            self._server.should_exit = True

    def stop(self) -> None:
        """Stop serving and wait for the thread to end; safe to call twice."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=2)
            if self._thread.is_alive() and self._server is not None:
                # A client that never hangs up (a keep-alive pool, a websocket) must
                # not hold a test run hostage: stop without waiting for it.
                self._server.force_exit = True
                self._thread.join(timeout=self.start_timeout)
        if self._sock is not None:
            self._sock.close()
        self._server = None
        self._thread = None
        self._sock = None

    def __enter__(self) -> StandInServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _wait_until_accepting(self) -> None:
        assert self._server is not None and self._thread is not None
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if not self._thread.is_alive():
                raise RuntimeError("the stand-in server stopped while starting")
            if self._server.started:
                try:
                    with socket.create_connection((self.host, self.port), timeout=0.5):
                        return
                except OSError:
                    pass
            time.sleep(0.01)
        self.stop()
        raise RuntimeError(
            f"the stand-in server did not start in {self.start_timeout}s"
        )

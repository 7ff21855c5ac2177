"""The sandbox bot listens the way `karat-bot serve` does: TCP, so Nagle is off.

asyncio turns Nagle's algorithm off only on sockets whose protocol says TCP; on a
socket made without it, every answer with a body waits ~40 ms for a delayed ACK,
which hides the bot's real ack latency in tests and benchmarks.
"""

from __future__ import annotations

import socket

from bot.sandbox.harness import Sandbox


def test_sandbox_bot_listens_on_a_tcp_socket_so_answers_are_not_held_back(
    sandbox: Sandbox,
):
    listening = [s for server in sandbox._bot_server.servers for s in server.sockets]

    assert listening
    assert all(s.proto == socket.IPPROTO_TCP for s in listening)

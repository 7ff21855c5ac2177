"""Answer Slack the moment a listener acks, and let the listener carry on after.

Bolt's default mode runs each listener as a task and checks every 10 ms whether it
has acked, so every answer to Slack waits for the next check. The app runs with
`process_before_response=True` instead, where Bolt answers as soon as the listener
function returns, and each listener is registered through `acks_first`: it starts
the listener as a task, returns the moment the listener acks (an event, not a poll)
and leaves the rest of its work running. For the people in Slack nothing changes
but the wait.

An error before the ack reaches Bolt's error handler, as before (Slack sees a
failure); one after it is logged here, as Bolt would have logged it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

logger = logging.getLogger("bot.slack.bolt")

# Slack waits 3 s for an ack; a listener that has not acked by then never will in
# time, so its request is answered and the listener left to finish.
ACK_WAIT_SECONDS = 3.0

Listener = Callable[..., Coroutine[Any, Any, None]]

# Running listeners, held so the event loop does not drop them half-way.
_running: set[asyncio.Task[None]] = set()


def acks_first(listener: Listener) -> Listener:
    """Wrap a listener that calls `ack`: return once it has, keep it running."""

    @functools.wraps(listener)
    async def run(**kwargs: Any) -> None:
        ack = kwargs["ack"]
        acked = asyncio.Event()

        async def ack_and_tell(*args: Any, **fields: Any) -> Any:
            try:
                return await ack(*args, **fields)
            finally:
                acked.set()

        kwargs["ack"] = ack_and_tell
        task = asyncio.create_task(listener(**kwargs))
        waiting = asyncio.create_task(acked.wait())
        try:
            await asyncio.wait(
                {task, waiting},
                timeout=ACK_WAIT_SECONDS,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            waiting.cancel()
        if task.done() and not acked.is_set():
            task.result()  # an error before the ack goes to Bolt's handler
            return
        # Acked (its answer is Slack's), or too slow to: what remains, or fails,
        # happens after the answer.
        _carry_on(task, listener)

    return run


def in_background(listener: Listener) -> Listener:
    """Wrap an event listener (Bolt acks events itself): run it, return at once."""

    @functools.wraps(listener)
    async def run(**kwargs: Any) -> None:
        _carry_on(asyncio.create_task(listener(**kwargs)), listener)

    return run


def _carry_on(task: asyncio.Task[None], listener: Listener) -> None:
    _running.add(task)
    task.add_done_callback(functools.partial(_finished, name=listener.__name__))


def _finished(task: asyncio.Task[None], *, name: str) -> None:
    _running.discard(task)
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        logger.error(
            "listener failed after its ack listener=%s error=%s",
            name,
            type(error).__name__,
            exc_info=error,
        )


SETTLE_SECONDS = 5.0


async def settle() -> None:
    """Give listeners still working after their ack a moment to finish."""
    loop = asyncio.get_running_loop()
    mine = {task for task in _running if task.get_loop() is loop}
    if mine:
        await asyncio.wait(mine, timeout=SETTLE_SECONDS)

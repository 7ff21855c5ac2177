"""Listeners answer Slack the moment they ack and carry on afterwards."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from bot.slack import acking


class Ack:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def __call__(self, **fields: Any) -> None:
        self.calls.append(fields)


async def test_the_wrapper_returns_at_the_ack_and_the_rest_carries_on() -> None:
    release = asyncio.Event()
    finished: list[str] = []

    async def listener(ack: Any, body: dict[str, Any]) -> None:
        await ack(text="on it")
        await release.wait()
        finished.append(body["id"])

    ack = Ack()
    await asyncio.wait_for(acking.acks_first(listener)(ack=ack, body={"id": "b1"}), 1)

    assert ack.calls == [{"text": "on it"}]
    assert finished == []
    release.set()
    await acking.settle()
    assert finished == ["b1"]


def test_the_wrapper_shows_bolt_the_listener_s_own_arguments() -> None:
    from slack_bolt.util.utils import get_arg_names_of_callable

    # Bolt passes arguments by these names, so they must stay as they are.
    async def listener(ack: Any, body: dict[str, Any], client: Any) -> None:  # noqa: ARG001
        await ack()

    assert get_arg_names_of_callable(acking.acks_first(listener)) == [
        "ack",
        "body",
        "client",
    ]


async def test_an_error_before_the_ack_reaches_bolt() -> None:
    async def listener(ack: Any) -> None:  # noqa: ARG001
        raise LookupError("broken before the ack")

    with pytest.raises(LookupError):
        await acking.acks_first(listener)(ack=Ack())


async def test_an_error_after_the_ack_is_logged_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def listener(ack: Any) -> None:
        await ack()
        raise LookupError("broken after the ack")

    with caplog.at_level(logging.ERROR, logger="bot.slack.bolt"):
        await acking.acks_first(listener)(ack=Ack())
        await acking.settle()
        await asyncio.sleep(0)

    assert "listener failed after its ack listener=listener" in caplog.text


async def test_an_event_listener_runs_in_the_background() -> None:
    release = asyncio.Event()
    done: list[bool] = []

    async def listener(event: dict[str, Any]) -> None:  # noqa: ARG001
        await release.wait()
        done.append(True)

    await asyncio.wait_for(acking.in_background(listener)(event={}), 1)
    assert done == []
    release.set()
    await acking.settle()
    assert done == [True]

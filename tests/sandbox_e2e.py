"""The sandbox fixture: three stand-ins and the bot, on the test's database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.sandbox.harness import Sandbox


@pytest.fixture
def sandbox(database_url: str) -> Iterator[Sandbox]:
    with Sandbox(database_url=database_url) as running:
        yield running


@pytest.fixture
def sandbox_v1(database_url: str) -> Iterator[Sandbox]:
    with Sandbox(database_url=database_url, harvest_version="v1") as running:
        yield running

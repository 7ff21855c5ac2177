"""What a use-case needs, built once per process and passed down."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.clients.greenhouse.base import HarvestClient
from bot.clients.karat import KaratClient
from bot.services.ports import Messenger
from bot.settings import Settings
from bot.storage.db import Database
from bot.timefmt import now


@dataclass
class Services:
    settings: Settings
    db: Database
    harvest: HarvestClient
    karat: KaratClient
    slack: Messenger
    clock: Callable[[], datetime] = now
    # Set when new effects are owed, so an in-process worker starts at once.
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)

    def nudge(self) -> None:
        """Tell the worker in this process that work is waiting."""
        self.wakeup.set()

    async def aclose(self) -> None:
        await self.harvest.aclose()
        await self.karat.aclose()
        await self.db.dispose()

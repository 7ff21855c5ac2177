"""Reading part of a Harvest listing without paging through the rest."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import AbstractAsyncContextManager, aclosing
from typing import TypeVar, cast

T = TypeVar("T")


def closing(listing: AsyncIterator[T]) -> AbstractAsyncContextManager[AsyncIterator[T]]:
    """Stop a listing's paging when the caller stops reading early."""
    # Every client listing is an async generator; the protocol only says iterator.
    return aclosing(cast(AsyncGenerator[T, None], listing))


async def first(listing: AsyncIterator[T]) -> T | None:
    """The first record of a listing; the rest is never fetched."""
    async with closing(listing) as records:
        async for record in records:
            return record
    return None

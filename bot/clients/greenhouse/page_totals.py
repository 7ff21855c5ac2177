"""How many records a v1 listing holds, read from its `Link: rel="last"` header.

Harvest v1 names the last page of a listing on every page (unless `skip_count`), so
a long sync can say how much is left. Wrapped around the HTTP transport, this sees
every answer without the clients' paging code knowing; v3 names no last page.
"""

from __future__ import annotations

import httpx


class PageTotals(httpx.AsyncBaseTransport):
    """An httpx transport that remembers each listing's size as `last` gives it."""

    def __init__(self, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.inner = inner or httpx.AsyncHTTPTransport()
        self._totals: dict[str, int] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if "link" in response.headers:
            last = httpx.Response(200, headers=response.headers).links.get("last")
            if last and last.get("url"):
                self._remember(request.url.path, httpx.URL(last["url"]))
        return response

    def _remember(self, path: str, last: httpx.URL) -> None:
        try:
            page = int(last.params.get("page", "1"))
            per_page = int(last.params.get("per_page", "100"))
        except ValueError:
            return
        # The last page may be partly filled: this is an upper bound, close enough
        # to say how long is left.
        self._totals[path.rstrip("/").rsplit("/", 1)[-1]] = page * per_page

    def total(self, resource: str) -> int | None:
        """About how many records the listing of `resource` holds; None if unknown."""
        return self._totals.get(resource)

    async def aclose(self) -> None:
        await self.inner.aclose()

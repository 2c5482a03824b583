"""How a read of one entity set knows it must stop: the guards against a paging loop.

A server's ``__next`` link is opaque (OData V2 §2.2.3.6.1.9), so the client cannot tell a
real next page from a link back to one it already served by looking at it. It can tell by
what comes back: a link it has followed before, a page whose records it has already
received, or more records than the ``__count`` the server promised. Any of them means
the read would never end (a link back to page 1 once made 24,831 requests), so the read
stops with one sentence naming the entity set.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from adapters.sap.errors import ServerFailure


class PagingGuard:
    """Watches the pages of one entity-set read; raises ``ServerFailure`` on a loop."""

    def __init__(self, side: str, what: str, window: int) -> None:
        self._side = side
        self._what = what
        #: Records may be committed while we read, shifting later windows: one window of slack.
        self._slack = window
        self._links: set[str] = set()
        self._pages: set[str] = set()
        self.count: int | None = None
        self.received = 0

    def page(self, records: list[dict[str, Any]], count: int | None) -> None:
        """Account for one page; a page already served, or records past the count, stop the read."""
        if count is not None:
            self.count = count if self.count is None else max(self.count, count)
        self.received += len(records)
        if records:
            digest = hashlib.sha256(
                json.dumps(records, sort_keys=True, default=str).encode("utf-8")
            ).hexdigest()
            if digest in self._pages:
                raise ServerFailure(
                    f"The {self._side} served the same page of {self._what} twice (its next-page "
                    f"link leads back to records already read); the pull stopped rather than loop."
                )
            self._pages.add(digest)
        if self.count is not None and self.received > self.count + self._slack:
            raise ServerFailure(
                f"The {self._side} kept paging {self._what} past the {self.count} records its "
                f"$inlinecount promised ({self.received} received); the pull stopped rather than loop."
            )

    def link(self, url: str) -> None:
        """Account for one ``__next`` link; a link followed before stops the read."""
        if url in self._links:
            raise ServerFailure(
                f"The {self._side} sent a next-page link on {self._what} that it had sent before; "
                "the pull stopped rather than loop."
            )
        self._links.add(url)

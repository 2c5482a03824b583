"""SAP-specific adapter errors, on top of ``adapters.base``."""

from __future__ import annotations

from adapters.base import AdapterError


class TargetChanged(AdapterError):
    """A write was refused because the record is not the one the plan was made against.

    SAP answers 412 when the ``If-Match`` ETag is stale (someone changed the record since
    it was read) and 428 when the precondition was missing. Both mean the same to
    ``reconcile.push``: refuse the push, re-read, re-diff. ``status`` tells them apart.
    """

    def __init__(self, message: str, *, entity: str, key: str, status: int) -> None:
        super().__init__(message)
        self.entity = entity
        self.key = key
        self.status = status


class ServerFailure(AdapterError):
    """The SAP server kept failing, or answered in a way that cannot end (a paging loop).

    Not the user's input: the pull stops as a failure (exit 1) and can be resumed, unlike
    ``ResponseError`` or ``UnreachableError``, which point at the profile.
    """

"""Optimistic concurrency: an ETag per object, and If-Match on writes.

A client reads a workspace (getting its ETag), changes it, and sends the
change with ``If-Match: <etag>``. If someone saved the workspace meanwhile the
ETag no longer matches: 412, nothing saved, and the client reads it again
instead of overwriting the other change. Without If-Match the write goes
through (last write wins), as in the admin console.
"""

from __future__ import annotations

import hashlib

from django.utils.http import parse_etags, quote_etag

from .exceptions import PreconditionFailed


def etag(obj, field: str) -> str:
    """A strong ETag from the object's key and its ``auto_now`` timestamp."""
    stamp = getattr(obj, field)
    digest = hashlib.sha256(f"{type(obj).__name__}:{obj.pk}:{stamp.isoformat()}".encode()).hexdigest()
    return quote_etag(digest[:32])


def check_if_match(request, obj, field: str) -> None:
    """Raise PreconditionFailed unless the request's If-Match (if any) names ``obj``'s current ETag."""
    header = request.headers.get("If-Match")
    if header is None:
        return
    if header.strip() == "*":
        return  # any current representation matches; the object exists
    current = etag(obj, field)
    # If-Match uses the strong comparison (RFC 9110 §13.1.1): a weak tag never matches.
    if current not in [tag for tag in parse_etags(header) if not tag.startswith("W/")]:
        raise PreconditionFailed(
            f"It changed since you read it: its ETag is now {current}. Fetch it again and reapply your change."
        )

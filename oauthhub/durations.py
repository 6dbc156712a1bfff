"""Human durations: ``900``, ``90s``, ``15m``, ``1h``, ``30d`` in; ``15 min`` out.

Every place a TTL is typed (admin, commands, API) goes through :func:`parse`,
and every place one is shown goes through :func:`humanize`, so they agree.
"""

from __future__ import annotations

import re

from .exceptions import DurationError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PATTERN = re.compile(r"^\s*(\d{1,9})\s*([smhd]?)\s*$", re.IGNORECASE)


def parse(value: str | int) -> int:
    """Return a duration in whole seconds."""
    if isinstance(value, bool):
        raise DurationError("Enter a duration such as 900, 15m, 1h or 30d.")
    if isinstance(value, int):
        if value < 0:
            raise DurationError("A duration cannot be negative.")
        return value
    match = _PATTERN.match(str(value))
    if not match:
        raise DurationError(f"{value!r} is not a duration; use seconds or 90s, 15m, 1h, 30d.")
    number, unit = match.groups()
    return int(number) * _UNITS[(unit or "s").lower()]


def compact(seconds: int) -> str:
    """Seconds as the shortest text :func:`parse` reads back: ``15m``, ``1h``, ``90s``.

    For inputs, which must round-trip; :func:`humanize` is for reading.
    """
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def humanize(seconds: int | None) -> str:
    """Render seconds the way an admin reads them: ``15 min``, ``1 h``, ``30 days``."""
    if seconds is None:
        return "—"
    for size, singular, plural in ((86400, "day", "days"), (3600, "h", "h"), (60, "min", "min")):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {singular if count == 1 else plural}"
    if seconds >= 60:
        minutes, rest = divmod(seconds, 60)
        return f"{minutes} min {rest} s"
    return f"{seconds} s"

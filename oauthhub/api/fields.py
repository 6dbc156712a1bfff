"""Serializer fields of the management API."""

from __future__ import annotations

from rest_framework import serializers

from ..durations import parse
from ..exceptions import DurationError

# What a PositiveIntegerField holds on every database (PostgreSQL's integer).
MAX_SECONDS = 2**31 - 1


class DurationField(serializers.Field):
    """Seconds in and out; also accepts ``"90s"``, ``"15m"``, ``"1h"``, ``"30d"`` in.

    Parsing is :func:`oauthhub.durations.parse`, as in the admin and the
    commands, so all three accept and refuse the same text. Bounds are the
    model's business (``clean()``), except what no database column can hold.
    """

    default_error_messages = {
        "invalid": "Enter a duration in seconds (900) or as 90s, 15m, 1h, 30d.",
        "too_long": "A duration must be at most {max} seconds.",
    }

    def to_internal_value(self, data):
        if isinstance(data, float) and data.is_integer():
            data = int(data)
        if not isinstance(data, int | str) or isinstance(data, bool):
            self.fail("invalid")
        try:
            seconds = parse(data)
        except DurationError as exc:
            raise serializers.ValidationError(str(exc), code="invalid") from None
        if seconds > MAX_SECONDS:
            self.fail("too_long", max=MAX_SECONDS)
        return seconds

    def to_representation(self, value):
        return int(value)


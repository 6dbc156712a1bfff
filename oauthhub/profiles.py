"""Workspace profiles: presets with bounds for the four token lifetimes.

A profile fills a new workspace's lifetimes and tightens the bounds every
workspace obeys. The bounds are checked by ``Workspace.clean()`` and
``Client.clean()``, so forms, commands and the API all refuse the same values
with the same message.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .durations import humanize

# kind -> (label, lowest, highest) for every workspace and client.
BOUNDS: dict[str, tuple[str, int, int]] = {
    "access": ("Access token TTL", 1, 24 * 3600),
    "refresh": ("Refresh token TTL", 60, 366 * 86400),
    "code": ("Authorization code TTL", 1, 10 * 60),
    "id": ("ID token TTL", 60, 24 * 3600),
}


@dataclass(frozen=True)
class Profile:
    name: str
    label: str
    # kind -> seconds; a kind left out inherits the site default (OAUTHHUB).
    presets: dict[str, int] = field(default_factory=dict)
    # kind -> highest allowed seconds, tighter than BOUNDS.
    maximums: dict[str, int] = field(default_factory=dict)
    pkce_required: bool = True
    confidential_clients_only: bool = False

    def bounds(self, kind: str) -> tuple[str, int, int]:
        label, low, high = BOUNDS[kind]
        return label, low, min(high, self.maximums.get(kind, high))

    def describe_bounds(self, kind: str) -> str:
        _, low, high = self.bounds(kind)
        return f"{humanize(low)} to {humanize(high)}"

    def ttl_error(self, kind: str, seconds: int, *, inherited: bool = False) -> str | None:
        """The plain-language reason ``seconds`` breaks this profile's bounds, or None."""
        label, low, high = self.bounds(kind)
        source = f" (it inherits {humanize(seconds)})" if inherited else ""
        if seconds < low:
            return f"{label} must be at least {humanize(low)}{source}."
        if seconds > high:
            why = f" for the {self.label} profile" if high < BOUNDS[kind][2] else ""
            return f"{label} must be at most {humanize(high)}{why}{source}."
        return None


PROFILES: dict[str, Profile] = {
    "default": Profile(name="default", label="Default"),
    "open_banking": Profile(
        name="open_banking",
        label="Open banking (FAPI-style)",
        presets={"access": 300, "refresh": 90 * 86400, "code": 60, "id": 3600},
        maximums={"access": 600},
        confidential_clients_only=True,
    ),
}


def get_profile(name: str) -> Profile:
    return PROFILES.get(name, PROFILES["default"])

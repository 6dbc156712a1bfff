"""The one exception tree: everything oauthhub raises descends from OAuthHubError."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured


class OAuthHubError(Exception):
    """Base class of every error oauthhub raises."""


class ConfigurationError(OAuthHubError, ImproperlyConfigured):
    """A setting is missing or wrong; the message names the setting to change."""


class DurationError(OAuthHubError, ValueError):
    """A duration could not be parsed (``"15m"``, ``"1h"``, ``"900"`` are fine)."""

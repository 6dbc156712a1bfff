"""The one exception tree: everything oauthhub raises descends from OAuthHubError."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured


class OAuthHubError(Exception):
    """Base class of every error oauthhub raises."""


class ConfigurationError(OAuthHubError, ImproperlyConfigured):
    """A setting is missing or wrong; the message names the setting to change."""


class DurationError(OAuthHubError, ValueError):
    """A duration could not be parsed (``"15m"``, ``"1h"``, ``"900"`` are fine)."""


class KeyDecryptionError(ConfigurationError):
    """A signing key cannot be decrypted with the configured key-encryption key."""


class RotationError(OAuthHubError):
    """A key rotation was refused (too early, or another process is rotating)."""


class InvalidToken(OAuthHubError, ValueError):
    """An access token failed validation; ``reason`` says why in plain words."""

    def __init__(self, reason: str, *, error: str = "invalid_token") -> None:
        super().__init__(reason)
        self.reason = reason
        self.error = error

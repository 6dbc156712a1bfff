"""Workspace: one authorization server with its own issuer, scopes, clients and lifetimes."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..conf import hub_settings
from ..durations import humanize
from ..profiles import PROFILES, get_profile

SIGNING_ALGORITHMS = [
    ("RS256", "RS256 (RSA 2048)"),
    ("PS256", "PS256 (RSA 2048, PSS)"),
    ("ES256", "ES256 (ECDSA P-256)"),
    ("EdDSA", "EdDSA (Ed25519)"),
    ("HS256", "HS256 (secret shared with in-process APIs)"),
]

# Paths the site itself serves at the top level; a workspace with one of these
# slugs would shadow them (or be shadowed).
BUILTIN_RESERVED_SLUGS = frozenset(
    {
        "accounts", "admin", "api", "auth", "healthz", "login", "logout", "media",
        "o", "oauth", "oauth2", "oauthhub", "openid", "static", "well-known",
    }
)

slug_validator = RegexValidator(
    re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$"),
    _("Use 1–50 lowercase letters, digits and hyphens, starting and ending with a letter or digit."),
    code="invalid_slug",
)


def validate_slug_not_reserved(value: str) -> None:
    if value in BUILTIN_RESERVED_SLUGS or value in set(hub_settings.RESERVED_SLUGS):
        raise ValidationError(
            _("“%(slug)s” is reserved: the site serves /%(slug)s/ itself. Choose another slug."),
            code="reserved_slug",
            params={"slug": value},
        )


class WorkspaceQuerySet(models.QuerySet):
    def enabled(self) -> WorkspaceQuerySet:
        return self.filter(enabled=True)


class Workspace(models.Model):
    class TokenFormat(models.TextChoices):
        JWT = "jwt", _("JWT (RFC 9068)")
        OPAQUE = "opaque", _("Opaque")

    class GrantType(models.TextChoices):
        AUTHORIZATION_CODE = "authorization_code", _("Authorization code (with PKCE)")
        CLIENT_CREDENTIALS = "client_credentials", _("Client credentials")
        REFRESH_TOKEN = "refresh_token", _("Refresh token")

    slug = models.CharField(
        _("slug"),
        max_length=50,
        unique=True,
        validators=[slug_validator, validate_slug_not_reserved],
        help_text=_("The URL segment, as acme in /acme/oauth2/token. Lowercase letters, digits and hyphens."),
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    profile = models.CharField(
        _("profile"),
        max_length=32,
        choices=[(p.name, p.label) for p in PROFILES.values()],
        default="default",
        help_text=_("Presets and bounds for lifetimes and client rules."),
    )
    enabled = models.BooleanField(
        _("enabled"), default=True, help_text=_("A disabled workspace answers 404 on every endpoint.")
    )

    # Lifetimes in seconds; empty means "inherit the site default" (OAUTHHUB setting).
    access_token_ttl = models.PositiveIntegerField(_("access token TTL"), null=True, blank=True)
    refresh_token_ttl = models.PositiveIntegerField(_("refresh token TTL"), null=True, blank=True)
    authorization_code_ttl = models.PositiveIntegerField(_("authorization code TTL"), null=True, blank=True)
    id_token_ttl = models.PositiveIntegerField(_("ID token TTL"), null=True, blank=True)
    rotate_refresh_tokens = models.BooleanField(
        _("rotate refresh tokens"),
        default=True,
        help_text=_("Each refresh returns a new refresh token and invalidates the old one."),
    )
    refresh_token_grace_period = models.PositiveIntegerField(
        _("refresh token grace period"),
        default=0,
        help_text=_("For this long after a rotation the previous refresh token may be presented again "
                    "(a client retrying after a network error) without revoking its family."),
    )
    token_format = models.CharField(
        _("token format"), max_length=16, choices=TokenFormat.choices, default=TokenFormat.JWT
    )
    signing_algorithm = models.CharField(
        _("signing algorithm"),
        max_length=8,
        choices=SIGNING_ALGORITHMS,
        default="RS256",
        help_text=_("A change replaces the published next key at once; the next rotation makes it sign."),
    )
    key_rotation_period = models.PositiveIntegerField(
        _("key rotation period"),
        null=True,
        blank=True,
        default=90 * 86400,
        help_text=_("Rotate signing keys when the active key is this old (oauthhub_rotate_keys --due). "
                    "Empty: never."),
    )
    audiences = models.JSONField(
        _("audiences"),
        default=list,
        blank=True,
        help_text=_("APIs this workspace issues tokens for. The first is the default aud; a client may ask for "
                    "any of them with the RFC 8707 resource parameter. Empty: aud is the issuer."),
    )
    grant_types = models.JSONField(
        _("allowed grant types"),
        default=list,
        blank=True,
        help_text=_("Grant types any client of this workspace may be given."),
    )

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        ordering = ["slug"]
        verbose_name = _("workspace")
        verbose_name_plural = _("workspaces")

    def __str__(self) -> str:
        return self.slug

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # Remembered so a renamed workspace's old cache entry can be dropped too.
        instance.loaded_slug = instance.__dict__.get("slug")
        return instance

    def save(self, *args, **kwargs) -> None:
        if self._state.adding:
            self.apply_profile_presets()
        super().save(*args, **kwargs)

    def apply_profile_presets(self) -> None:
        """Fill lifetimes and grant types the caller left empty from the profile."""
        if not self.grant_types:
            self.grant_types = list(self.GrantType.values)
        for kind, seconds in get_profile(self.profile).presets.items():
            if getattr(self, TTL_FIELDS[kind]) is None:
                setattr(self, TTL_FIELDS[kind], seconds)

    def clean(self) -> None:
        super().clean()
        if self._state.adding:
            self.apply_profile_presets()  # validate what save() will store
        errors: dict[str, list[str]] = {}
        profile = get_profile(self.profile)
        for kind, field_name in TTL_FIELDS.items():
            inherited = getattr(self, field_name) is None
            message = profile.ttl_error(kind, self.effective_ttl(kind), inherited=inherited)
            if message:
                errors.setdefault(field_name, []).append(message)
        access, refresh = self.effective_ttl("access"), self.effective_ttl("refresh")
        if refresh < access and "refresh_token_ttl" not in errors:
            errors.setdefault("refresh_token_ttl", []).append(
                f"Refresh token TTL must be at least the access token TTL ({humanize(access)})."
            )
        unknown = set(self.grant_types or []) - set(self.GrantType.values)
        if unknown:
            errors["grant_types"] = [f"Unknown grant type: {', '.join(sorted(unknown))}."]
        errors.update(self._system_workspace_errors())
        if self.refresh_token_grace_period > 300:
            errors["refresh_token_grace_period"] = ["Refresh token grace period must be at most 5 min."]
        if self.key_rotation_period is not None and self.key_rotation_period < 86400:
            errors["key_rotation_period"] = ["Key rotation period must be at least 1 day (or empty: never)."]
        if not isinstance(self.audiences, list) or not all(
            isinstance(a, str) and a.strip() for a in self.audiences
        ):
            errors["audiences"] = ["Audiences are a list of URIs or names."]
        if errors:
            raise ValidationError(errors)

    def _system_workspace_errors(self) -> dict[str, list[str]]:
        """The system workspace issues the management API's admin tokens: keep it able to."""
        if self._state.adding or getattr(self, "loaded_slug", None) != hub_settings.SYSTEM_WORKSPACE:
            return {}
        errors = {}
        if not self.enabled:
            errors["enabled"] = ["The system workspace issues the API's admin tokens; keep it enabled."]
        if self.slug != self.loaded_slug:
            errors["slug"] = ['The system workspace\'s slug is set by OAUTHHUB["SYSTEM_WORKSPACE"].']
        if self.token_format != self.TokenFormat.JWT:
            errors["token_format"] = ["The system workspace issues JWTs: the management API validates them."]
        if self.GrantType.CLIENT_CREDENTIALS not in (self.grant_types or []):
            errors["grant_types"] = [
                "The system workspace needs client_credentials: admin clients get their tokens with it."
            ]
        return errors

    def effective_ttl(self, kind: str) -> int:
        """The workspace's lifetime of ``kind``, falling back to the site default."""
        value = getattr(self, TTL_FIELDS[kind])
        return value if value is not None else site_default_ttl(kind)

    def allows_grant_type(self, grant_type: str) -> bool:
        return grant_type in (self.grant_types or [])

    @property
    def profile_rules(self):
        return get_profile(self.profile)


TTL_FIELDS = {
    "access": "access_token_ttl",
    "refresh": "refresh_token_ttl",
    "code": "authorization_code_ttl",
    "id": "id_token_ttl",
}

_SETTING_NAMES = {
    "access": "ACCESS_TOKEN_TTL",
    "refresh": "REFRESH_TOKEN_TTL",
    "code": "AUTHORIZATION_CODE_TTL",
    "id": "ID_TOKEN_TTL",
}


def site_default_ttl(kind: str) -> int:
    return int(getattr(hub_settings, _SETTING_NAMES[kind]))

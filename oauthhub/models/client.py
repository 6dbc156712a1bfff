"""Client: fills django-oauth-toolkit's application slot, owned by one workspace."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import AbstractApplication

from .. import tokens
from ..durations import humanize
from .scope import Scope
from .workspace import TTL_FIELDS, Workspace

LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}

# django-oauth-toolkit asks ``allows_grant_type`` with its own grant names.
_DOT_GRANT_NAMES = {
    AbstractApplication.GRANT_AUTHORIZATION_CODE: Workspace.GrantType.AUTHORIZATION_CODE,
    AbstractApplication.GRANT_CLIENT_CREDENTIALS: Workspace.GrantType.CLIENT_CREDENTIALS,
}


class ClientQuerySet(models.QuerySet):
    def for_workspace(self, workspace: Workspace) -> ClientQuerySet:
        return self.filter(workspace=workspace)

    def enabled(self) -> ClientQuerySet:
        return self.filter(enabled=True)


class Client(AbstractApplication):
    class Kind(models.TextChoices):
        CONFIDENTIAL = AbstractApplication.CLIENT_CONFIDENTIAL, _("Confidential")
        PUBLIC = AbstractApplication.CLIENT_PUBLIC, _("Public")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="clients")
    enabled = models.BooleanField(_("enabled"), default=True)
    grant_types = models.JSONField(_("grant types"), default=list)
    can_introspect = models.BooleanField(
        _("may introspect"),
        default=False,
        help_text=_("May ask the introspection endpoint about any token of its workspace "
                    "(an API's client). Every client may introspect its own tokens."),
    )
    allowed_scopes = models.ManyToManyField(
        Scope, blank=True, related_name="clients", verbose_name=_("allowed scopes")
    )
    access_token_ttl = models.PositiveIntegerField(
        _("access token TTL"), null=True, blank=True, help_text=_("Empty: inherit the workspace's.")
    )
    refresh_token_ttl = models.PositiveIntegerField(
        _("refresh token TTL"), null=True, blank=True, help_text=_("Empty: inherit the workspace's.")
    )
    token_format = models.CharField(
        _("token format"),
        max_length=16,
        choices=Workspace.TokenFormat.choices,
        blank=True,
        help_text=_("Empty: the workspace's format."),
    )
    # Overrides of django-oauth-toolkit's fields: the server generates secrets and
    # stores a keyed SHA-256 digest itself (see tokens.hash_secret), so DOT's
    # PBKDF2 hashing stays off.
    client_secret = models.CharField(_("client secret digest"), max_length=255, blank=True, default="")
    hash_client_secret = models.BooleanField(default=False, editable=False)
    # Derived from grant_types on save (see _fill_dot_grant_type).
    authorization_grant_type = models.CharField(
        max_length=44, choices=AbstractApplication.GRANT_TYPES, blank=True, editable=False
    )

    objects = ClientQuerySet.as_manager()

    class Meta(AbstractApplication.Meta):
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"
        ordering = ["workspace", "name"]
        verbose_name = _("client")
        verbose_name_plural = _("clients")

    def save(self, *args, **kwargs) -> None:
        self._fill_dot_grant_type()
        super().save(*args, **kwargs)

    def _fill_dot_grant_type(self) -> None:
        # DOT's single grant-type column is kept filled for its own code paths;
        # ``grant_types`` is what oauthhub enforces.
        self.authorization_grant_type = next(
            (dot for dot, ours in _DOT_GRANT_NAMES.items() if ours in (self.grant_types or [])),
            AbstractApplication.GRANT_CLIENT_CREDENTIALS,
        )

    # Secrets ---------------------------------------------------------------

    @property
    def is_confidential(self) -> bool:
        return self.client_type == self.Kind.CONFIDENTIAL

    def set_new_secret(self) -> str | None:
        """Generate a secret, keep only its digest, and return it (once) to the caller.

        Public clients have no secret; ``None`` is returned for them.
        """
        if not self.is_confidential:
            self.client_secret = ""
            return None
        secret = tokens.generate_secret()
        self.client_secret = tokens.hash_secret(secret)
        return secret

    def check_secret(self, secret: str) -> bool:
        return bool(self.client_secret) and tokens.secret_matches(secret, self.client_secret)

    # Policy ----------------------------------------------------------------

    def allows_grant_type(self, *grant_types: str) -> bool:
        """True if the client and its workspace both allow one of ``grant_types``.

        Accepts RFC names (``client_credentials``) and DOT's (``client-credentials``).
        """
        for name in grant_types:
            name = _DOT_GRANT_NAMES.get(name, name)
            if name in self.grant_types and self.workspace.allows_grant_type(name):
                return True
        return False

    def is_usable(self, request) -> bool:
        return self.enabled

    def effective_token_format(self) -> str:
        return self.token_format or self.workspace.token_format

    def effective_ttl(self, kind: str) -> int:
        """Client override, else the workspace's value, else the site default."""
        own = {"access": self.access_token_ttl, "refresh": self.refresh_token_ttl}.get(kind)
        return own if own is not None else self.workspace.effective_ttl(kind)

    def clean(self) -> None:
        # DOT's own clean() is not called: it judges fields oauthhub does not use
        # (algorithm, allowed origins) and redirect URIs by looser rules than ours.
        errors: dict[str, list] = {}
        self._fill_dot_grant_type()
        workspace = self.workspace if self.workspace_id else None
        if self.pk and workspace is not None:
            stored = Client.objects.filter(pk=self.pk).values_list("workspace_id", flat=True).first()
            if stored is not None and stored != workspace.pk:
                # Its tokens would follow it, and tokens never cross workspaces.
                errors["workspace"] = ["A client cannot move to another workspace; create a new client."]
        unknown = set(self.grant_types or []) - set(Workspace.GrantType.values)
        if unknown:
            errors.setdefault("grant_types", []).append(f"Unknown grant type: {', '.join(sorted(unknown))}.")
        if not self.grant_types:
            errors.setdefault("grant_types", []).append("Choose at least one grant type.")
        if workspace is not None:
            refused = [
                g for g in self.grant_types or []
                if g in Workspace.GrantType.values and not workspace.allows_grant_type(g)
            ]
            if refused:
                errors.setdefault("grant_types", []).append(
                    f"Workspace {workspace.slug} does not allow: {', '.join(refused)}."
                )
            rules = workspace.profile_rules
            is_public = self.client_type == self.Kind.PUBLIC
            if rules.confidential_clients_only and is_public:
                errors.setdefault("client_type", []).append(
                    f"The {rules.label} profile allows confidential clients only."
                )
            if is_public and Workspace.GrantType.CLIENT_CREDENTIALS in (self.grant_types or []):
                errors.setdefault("grant_types", []).append(
                    "A public client cannot use client credentials: it has no secret."
                )
            for kind in ("access", "refresh"):
                field_name = TTL_FIELDS[kind]
                if getattr(self, field_name) is not None:
                    message = rules.ttl_error(kind, getattr(self, field_name))
                    if message:
                        errors.setdefault(field_name, []).append(message)
            access, refresh = self.effective_ttl("access"), self.effective_ttl("refresh")
            if refresh < access and "refresh_token_ttl" not in errors:
                errors.setdefault("refresh_token_ttl", []).append(
                    f"Refresh token TTL must be at least the access token TTL ({humanize(access)})."
                )
        for uri in self.redirect_uris.split():
            message = redirect_uri_error(uri)
            if message:
                errors.setdefault("redirect_uris", []).append(message)
        if not self.redirect_uris.split() and Workspace.GrantType.AUTHORIZATION_CODE in (self.grant_types or []):
            errors.setdefault("redirect_uris", []).append(
                "Add at least one redirect URI: the authorization code grant sends users back to it."
            )
        if errors:
            raise ValidationError(errors)

    def get_allowed_schemes(self) -> list[str]:
        return ["https", "http"]


def redirect_uri_error(uri: str) -> str | None:
    """Why ``uri`` cannot be registered, or None: https, or http on loopback only."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return f"{uri} is not a valid URL."
    if "*" in uri:
        return f"{uri}: wildcards are not allowed; register each redirect URI exactly."
    if parts.fragment or "#" in uri:
        return f"{uri}: a redirect URI must not contain a fragment (#…)."
    loopback_http = parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS
    if parts.scheme != "https" and not loopback_http:
        return f"{uri}: use https (http is allowed only for 127.0.0.1, [::1] and localhost)."
    if not parts.hostname:
        return f"{uri} has no host."
    return None

"""SigningKey: a workspace's JWS key; rotation moves it next → active → retired (→ revoked)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .workspace import SIGNING_ALGORITHMS, Workspace


class SigningKeyQuerySet(models.QuerySet):
    def for_workspace(self, workspace: Workspace) -> SigningKeyQuerySet:
        return self.filter(workspace=workspace)

    def published(self) -> SigningKeyQuerySet:
        """Keys resource servers may see: next (soon to sign), active, retired."""
        return self.filter(state__in=[SigningKey.State.NEXT, SigningKey.State.ACTIVE, SigningKey.State.RETIRED])


class SigningKey(models.Model):
    class State(models.TextChoices):
        NEXT = "next", _("next (published, not yet signing)")
        ACTIVE = "active", _("active (signing)")
        RETIRED = "retired", _("retired (published until its tokens expire)")
        REVOKED = "revoked", _("revoked (unpublished; its tokens fail)")

    class Algorithm(models.TextChoices):
        RS256 = "RS256"
        PS256 = "PS256"
        ES256 = "ES256"
        EDDSA = "EdDSA"
        HS256 = "HS256"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="signing_keys")
    kid = models.CharField(_("key ID"), max_length=64, unique=True, editable=False)
    algorithm = models.CharField(_("algorithm"), max_length=8, choices=SIGNING_ALGORITHMS)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, db_index=True)
    # Public JWK (kty, crv/n/e/x…, kid, alg, use) for asymmetric keys; empty for HS256.
    public_jwk = models.JSONField(_("public JWK"), default=dict, blank=True, editable=False)
    # The private JWK, encrypted with the key-encryption key as a compact JWE.
    private_jwk_encrypted = models.TextField(editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True, editable=False)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    # A retired key stays in the JWKS until every token it signed has expired.
    publish_until = models.DateTimeField(_("published until"), null=True, blank=True, editable=False)

    objects = SigningKeyQuerySet.as_manager()

    class Meta:
        ordering = ["workspace", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace"],
                condition=models.Q(state="active"),
                name="oauthhub_one_active_key_per_workspace",
            ),
            models.UniqueConstraint(
                fields=["workspace"],
                condition=models.Q(state="next"),
                name="oauthhub_one_next_key_per_workspace",
            ),
        ]
        verbose_name = _("signing key")
        verbose_name_plural = _("signing keys")

    def __str__(self) -> str:
        return f"{self.workspace.slug}:{self.kid} ({self.algorithm}, {self.state})"

    @property
    def is_symmetric(self) -> bool:
        return self.algorithm == self.Algorithm.HS256

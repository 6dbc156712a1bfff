"""oauthhub's own signal handlers; connected in OAuthHubConfig.ready()."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from oauth2_provider.models import AccessToken, RefreshToken

from . import keys, revocation
from .cache import forget_workspace
from .conf import hub_settings
from .models import Authorization, Client, SigningKey, Workspace


@receiver([post_save, post_delete], sender=Workspace, dispatch_uid="oauthhub.forget_workspace")
def _forget_workspace(sender, instance: Workspace, **kwargs) -> None:
    # Forget now and again after commit: a concurrent request could otherwise
    # re-cache the old row between this save and the commit.
    slugs = {instance.slug, getattr(instance, "loaded_slug", None)} - {None}
    for slug in slugs:
        forget_workspace(slug)
    transaction.on_commit(lambda: [forget_workspace(slug) for slug in slugs])


@receiver(post_save, sender=Workspace, dispatch_uid="oauthhub.create_initial_keys")
def _create_initial_keys(sender, instance: Workspace, created: bool, raw: bool = False, **kwargs) -> None:
    # A workspace can sign from its first request, and its next key is already published.
    if raw:
        return
    if created:
        keys.create_initial_keys(instance)
    else:
        keys.ensure_next_key(instance)  # follows a change of signing algorithm


@receiver([post_save, post_delete], sender=SigningKey, dispatch_uid="oauthhub.forget_keys")
def _forget_keys(sender, instance: SigningKey, **kwargs) -> None:
    keys.forget_keys(instance.workspace_id)


# Security events ---------------------------------------------------------------------


@receiver(user_logged_out, dispatch_uid="oauthhub.revoke_on_logout")
def _revoke_on_logout(sender, request, user, **kwargs) -> None:
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if user is None or not session_key or not hub_settings.REVOKE_ON_LOGOUT:
        return
    session_hash = hashlib.sha256(session_key.encode()).hexdigest()
    authorizations = Authorization.objects.filter(user=user, session_hash=session_hash)
    for workspace_id in set(authorizations.values_list("workspace_id", flat=True)):
        families = authorizations.filter(workspace_id=workspace_id).exclude(token_family=None)
        family_ids = families.values_list("token_family", flat=True)
        revocation.revoke(
            access_tokens=AccessToken.objects.filter(refresh_token__token_family__in=family_ids),
            refresh_tokens=RefreshToken.objects.filter(token_family__in=family_ids),
            workspace=Workspace.objects.get(pk=workspace_id),
            reason="user logged out",
            actor=user,
            target=f"user {user.pk}",
        )


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="oauthhub.watch_user")
def _watch_user(sender, instance, raw: bool = False, update_fields=None, **kwargs) -> None:
    """Note a password change or deactivation, to act on it once saved."""
    watched = {"password", "is_active"}
    if raw or instance.pk is None or (update_fields is not None and not watched & set(update_fields)):
        return
    before = sender._default_manager.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    instance._oauthhub_event = (
        "password changed" if before["password"] != instance.password and hub_settings.REVOKE_ON_PASSWORD_CHANGE
        else "user deactivated" if before["is_active"] and not instance.is_active
        and hub_settings.REVOKE_ON_DEACTIVATION
        else None
    )


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="oauthhub.revoke_on_user_event")
def _revoke_on_user_event(sender, instance, **kwargs) -> None:
    reason = instance.__dict__.pop("_oauthhub_event", None)
    if reason:
        revocation.revoke_user(instance, reason=reason, actor_label="system")


@receiver(pre_save, sender=Client, dispatch_uid="oauthhub.watch_client")
def _watch_client(sender, instance: Client, raw: bool = False, **kwargs) -> None:
    if raw or instance.pk is None or instance.enabled:
        return
    instance._oauthhub_disabled = Client.objects.filter(pk=instance.pk, enabled=True).exists()


@receiver(post_save, sender=Client, dispatch_uid="oauthhub.revoke_on_client_disabled")
def _revoke_on_client_disabled(sender, instance: Client, **kwargs) -> None:
    if instance.__dict__.pop("_oauthhub_disabled", False):
        revocation.revoke_client(instance, reason="client disabled", actor_label="system")

"""oauthhub's own signal handlers; connected in OAuthHubConfig.ready()."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import keys
from .cache import forget_workspace
from .models import SigningKey, Workspace


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

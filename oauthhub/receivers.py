"""oauthhub's own signal handlers; connected in OAuthHubConfig.ready()."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .cache import forget_workspace
from .models import Workspace


@receiver([post_save, post_delete], sender=Workspace, dispatch_uid="oauthhub.forget_workspace")
def _forget_workspace(sender, instance: Workspace, **kwargs) -> None:
    # Forget now and again after commit: a concurrent request could otherwise
    # re-cache the old row between this save and the commit.
    slugs = {instance.slug, getattr(instance, "loaded_slug", None)} - {None}
    for slug in slugs:
        forget_workspace(slug)
    transaction.on_commit(lambda: [forget_workspace(slug) for slug in slugs])

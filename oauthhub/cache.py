"""Shared-cache lookups on the request path (workspaces by slug)."""

from __future__ import annotations

from django.core.cache import caches

from .conf import hub_settings
from .models import Workspace

_MISSING = "missing"


def _cache():
    return caches[hub_settings.CACHE_ALIAS]


def _key(slug: str) -> str:
    return f"oauthhub:workspace:{slug}"


def get_enabled_workspace(slug: str) -> Workspace | None:
    """The enabled workspace called ``slug``, or None; cached briefly.

    Saving a workspace deletes its entry (see receivers), so with a shared cache
    (Redis) every process sees an edit on its next request; with a per-process
    cache the entry lives at most WORKSPACE_CACHE_SECONDS.
    """
    if len(slug) > 50:
        return None
    cached = _cache().get(_key(slug))
    if cached == _MISSING:
        return None
    if cached is not None:
        return cached
    workspace = Workspace.objects.enabled().filter(slug=slug).first()
    _cache().set(_key(slug), workspace or _MISSING, hub_settings.WORKSPACE_CACHE_SECONDS)
    return workspace


def forget_workspace(slug: str) -> None:
    _cache().delete(_key(slug))

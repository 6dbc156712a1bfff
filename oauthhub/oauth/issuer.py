"""A workspace's issuer URL and the endpoint URLs derived from it."""

from __future__ import annotations

from django.urls import reverse

from ..conf import hub_settings
from ..models import Workspace

_DISCOVERY_SUFFIX = "/.well-known/openid-configuration"


def issuer(request, workspace: Workspace) -> str:
    """``<ISSUER_BASE_URL>/<slug>``, or the same derived from the request.

    Deriving keeps any prefix the host mounted oauthhub's urls under.
    """
    base = hub_settings.ISSUER_BASE_URL
    if base:
        return f"{base.rstrip('/')}/{workspace.slug}"
    path = reverse("oauthhub:openid-configuration", kwargs={"workspace": workspace.slug})
    return request.build_absolute_uri(path).removesuffix(_DISCOVERY_SUFFIX)


def endpoint(request, workspace: Workspace, name: str) -> str:
    """Absolute URL of a workspace endpoint (``token``, ``authorize``…) under its issuer."""
    return f"{issuer(request, workspace)}/oauth2/{name}"

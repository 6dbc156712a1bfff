"""Who may manage which workspaces: staff users, admin clients, and the system workspace they share.

The admin console and the management API ask the same question the same way,
:func:`manageable_workspaces`, so a limit set once holds in both:

- a superuser manages every workspace;
- another active staff user manages the workspaces of their WorkspaceAdmin rows;
- an admin client (a client of the system workspace with an AdminClientGrant)
  manages every workspace or the ones its grant lists;
- anyone and anything else manages none.

The system workspace (``OAUTHHUB["SYSTEM_WORKSPACE"]``) issues the admin access
tokens the API accepts: client credentials with ``oauthhub:read`` and/or
``oauthhub:write``.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from .conf import hub_settings
from .models import AdminClientGrant, Client, Scope, Workspace, WorkspaceAdmin
from .models.workspace import WorkspaceQuerySet

READ_SCOPE = "oauthhub:read"
WRITE_SCOPE = "oauthhub:write"
SYSTEM_SCOPES = {
    READ_SCOPE: "Read oauthhub's configuration (management API)",
    WRITE_SCOPE: "Change oauthhub's configuration (management API)",
}


# Who manages what ----------------------------------------------------------------


def manageable_workspaces(who) -> WorkspaceQuerySet:
    """The workspaces ``who`` (a user, an admin Client, or None) may manage, as a queryset."""
    if who is None:
        return Workspace.objects.none()
    if isinstance(who, Client):
        grant = _grant(who)
        if grant is None:
            return Workspace.objects.none()
        if grant.all_workspaces:
            return Workspace.objects.all()
        return Workspace.objects.filter(admin_client_grants=grant)
    if not getattr(who, "is_active", False) or not getattr(who, "is_authenticated", False):
        return Workspace.objects.none()
    if getattr(who, "is_superuser", False):
        return Workspace.objects.all()
    if not getattr(who, "is_staff", False):
        return Workspace.objects.none()
    return Workspace.objects.filter(pk__in=WorkspaceAdmin.objects.filter(user=who).values("workspace"))


def manages_all(who) -> bool:
    """True if ``who`` manages every workspace, including ones created later."""
    if isinstance(who, Client):
        grant = _grant(who)
        return bool(grant and grant.all_workspaces)
    return bool(
        who is not None
        and getattr(who, "is_active", False)
        and getattr(who, "is_authenticated", False)
        and getattr(who, "is_superuser", False)
    )


def _grant(client: Client) -> AdminClientGrant | None:
    if client.workspace.slug != system_workspace_slug() or not client.enabled:
        return None  # a grant counts only on an enabled client of the system workspace
    try:
        return client.admin_grant
    except AdminClientGrant.DoesNotExist:
        return None


# The system workspace -----------------------------------------------------------------


def system_workspace_slug() -> str:
    return hub_settings.SYSTEM_WORKSPACE


def ensure_system_workspace() -> Workspace:
    """The system workspace with its two scopes, created if missing (as migration 0006 does).

    For a host that renamed OAUTHHUB["SYSTEM_WORKSPACE"] after migrating, and for
    tests that flush the database.
    """
    with transaction.atomic():
        workspace = Workspace.objects.filter(slug=system_workspace_slug()).first()
        if workspace is None:
            workspace = Workspace(
                slug=system_workspace_slug(),
                name="oauthhub management",
                description="Issues the admin access tokens of oauthhub's management API (/api/v1/).",
                token_format=Workspace.TokenFormat.JWT,
                grant_types=[Workspace.GrantType.CLIENT_CREDENTIALS],
            )
            workspace.full_clean()
            workspace.save()
        for name, description in SYSTEM_SCOPES.items():
            # Default scopes: a token request without scope gets every scope the client may have.
            Scope.objects.get_or_create(
                workspace=workspace, name=name, defaults={"description": description, "is_default": True}
            )
    return workspace


def create_admin_client(
    *, name: str, scopes: Iterable[str], workspaces: Iterable[Workspace] | None
) -> tuple[Client, str]:
    """A confidential client-credentials client of the system workspace that may use the API.

    ``workspaces`` None: it manages all of them; a list: only those (empty:
    none). Returns the client and its plain secret, which is stored only as a
    digest. Raises ValidationError (from the models' rules) or ValueError for
    an unknown scope.
    """
    system = ensure_system_workspace()
    wanted = list(dict.fromkeys(scopes))
    found = list(Scope.objects.for_workspace(system).filter(name__in=wanted))
    unknown = sorted(set(wanted) - {scope.name for scope in found})
    if unknown or not wanted:
        raise ValueError(f"Choose scopes among {', '.join(SYSTEM_SCOPES)}" + (f"; unknown: {', '.join(unknown)}."
                                                                               if unknown else "."))
    client = Client(
        workspace=system,
        name=name,
        client_type=Client.Kind.CONFIDENTIAL,
        grant_types=[Workspace.GrantType.CLIENT_CREDENTIALS],
    )
    secret = client.set_new_secret()
    with transaction.atomic():
        client.full_clean()
        client.save()
        client.allowed_scopes.set(found)
        grant = AdminClientGrant.objects.create(client=client, all_workspaces=workspaces is None)
        if workspaces is not None:
            grant.workspaces.set(list(workspaces))
    return client, secret

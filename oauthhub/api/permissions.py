"""What a caller may do: scopes for admin tokens; staff status and model permissions for users.

Which *objects* a caller reaches is decided by the views' querysets
(``caller_workspaces``): an object outside them is a 404, never a 403.
"""

from __future__ import annotations

from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

from ..access import READ_SCOPE, WRITE_SCOPE
from .authentication import AdminClientUser, AdminToken
from .exceptions import insufficient_scope


class ManagementPermission(BasePermission):
    """Reads need ``oauthhub:read`` (or write); writes need ``oauthhub:write``.

    A user, by session or by a user token of the system workspace, must be
    active staff and hold the Django model permissions the admin console would
    ask for the same change (``view_workspace``, ``change_client`` …), so the
    API never lets a staff user do more than the console does.
    """

    def has_permission(self, request, view) -> bool:
        write = request.method not in SAFE_METHODS
        auth = request.auth
        if isinstance(auth, AdminToken):
            if write and WRITE_SCOPE not in auth.scopes:
                raise insufficient_scope(WRITE_SCOPE)
            if not write and not auth.scopes & {READ_SCOPE, WRITE_SCOPE}:
                raise insufficient_scope(READ_SCOPE)
        user = request.user
        if isinstance(user, AdminClientUser):
            return True
        if user is None or not getattr(user, "is_authenticated", False):
            return False  # DRF answers 401 with the Bearer challenge
        if not (user.is_active and user.is_staff):
            raise PermissionDenied("Only staff users may use the management API.")
        needed = view.django_permissions()
        if not user.has_perms(needed):
            raise PermissionDenied(f"You lack the permission to do this ({', '.join(sorted(needed))}).")
        return True

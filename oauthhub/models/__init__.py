"""oauthhub's models; tokens, refresh tokens and grants stay django-oauth-toolkit's."""

from .admin_access import WorkspaceAdmin
from .api import AdminClientGrant
from .audit import AuditEvent
from .client import Client
from .key import SigningKey
from .scope import Scope
from .token import Authorization, IssuedToken, RefreshTokenExpiry
from .workspace import Workspace

__all__ = [
    "AdminClientGrant", "AuditEvent", "Authorization", "Client", "IssuedToken", "RefreshTokenExpiry", "Scope",
    "SigningKey", "Workspace", "WorkspaceAdmin",
]

"""oauthhub's models; tokens, refresh tokens and grants stay django-oauth-toolkit's."""

from .client import Client
from .key import SigningKey
from .scope import Scope
from .token import RefreshTokenExpiry
from .workspace import Workspace

__all__ = ["Client", "RefreshTokenExpiry", "Scope", "SigningKey", "Workspace"]

"""The ``request.user`` of a request authenticated by an access token."""

from __future__ import annotations

from ..validation import ValidatedToken


class TokenUser:
    """Who the token speaks for, without a database query.

    ``pk``/``id`` is the token's ``sub``: the user's id at the authorization
    server, or the client_id for client credentials (``is_client`` then).
    """

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False

    def __init__(self, token: ValidatedToken) -> None:
        self.token = token
        self.pk = self.id = token.subject
        self.client_id = token.client_id
        self.is_client = token.is_client_token

    def __str__(self) -> str:
        return f"token subject {self.pk}"

    def get_username(self) -> str:
        return str(self.pk)

    def has_perm(self, perm, obj=None) -> bool:
        return False

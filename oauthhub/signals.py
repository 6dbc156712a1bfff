"""Signals for integrations (audit sinks, SIEMs, caches). Sent after the transaction commits."""

from django.dispatch import Signal

#: A token response was issued.
#: Arguments: ``workspace`` (Workspace), ``client`` (Client), ``user`` (the resource
#: owner, or None for client credentials), ``grant_type`` (str), ``jti`` (str: the
#: access token's id), ``expires`` (datetime). Never the token itself.
token_issued = Signal()

#: Tokens were revoked, one or many at once.
#: Arguments: ``workspace`` (Workspace, or None), ``reason`` (str, e.g. "revocation
#: endpoint", "user logged out", "refresh token reuse"), ``count`` (int: access and
#: refresh tokens revoked).
token_revoked = Signal()

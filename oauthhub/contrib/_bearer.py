"""What the DRF and plain-Django integrations share: read the bearer token, validate it."""

from __future__ import annotations

from .. import revocation
from ..exceptions import InvalidToken
from ..validation import ValidatedToken, resource_server_config, validate


class BearerError(Exception):
    """An RFC 6750 error: ``error`` code, description, HTTP status."""

    def __init__(self, error: str, description: str, status: int) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status

    def challenge(self, realm: str, scope: str | None = None) -> str:
        """The WWW-Authenticate header value (RFC 6750 §3).

        A request that sent no token at all gets the bare challenge: §3.1 says
        it SHOULD NOT carry an error code.
        """
        if self.error == "missing_token":
            return f'Bearer realm="{realm}"'
        params = [f'realm="{realm}"', f'error="{self.error}"', f'error_description="{self.description}"']
        if scope:
            params.append(f'scope="{scope}"')
        return "Bearer " + ", ".join(params)


def bearer_token(request) -> str | None:
    """The token from ``Authorization: Bearer``; None when the header is absent.

    RFC 9700 §4.3.2: tokens in the URL end up in logs and Referer headers, so a
    query-string ``access_token`` is refused rather than ignored.
    """
    if "access_token" in request.GET:
        raise BearerError("invalid_request", "Send the access token in the Authorization header.", 400)
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = token.strip()
    if not token or " " in token:
        raise BearerError("invalid_request", "Malformed Authorization header.", 400)
    return token


def validated(request, token: str) -> ValidatedToken:
    config = resource_server_config()
    issuer, audience = config.issuer, config.audience
    if config.workspace and (issuer is None or audience is None):
        issuer, audience = _derive(request, config.workspace, issuer, audience)
    try:
        checked = validate(token, key_source=config.key_source, issuer=issuer, audience=audience,
                           leeway=config.leeway)
    except InvalidToken as exc:
        raise BearerError("invalid_token", exc.reason, 401) from None
    if config.workspace and checked.jti and revocation.is_revoked(checked.jti):
        # In-process only: this site holds the revocation list (shared through the cache).
        raise BearerError("invalid_token", "The access token was revoked.", 401)
    return checked


def _derive(request, slug: str, issuer: str | None, audience: str | None) -> tuple[str, str]:
    """Issuer and default audience of a workspace in this site, as its token endpoint sets them."""
    from ..cache import get_enabled_workspace
    from ..oauth.issuer import issuer as workspace_issuer

    workspace = get_enabled_workspace(slug)
    if workspace is None:
        raise BearerError("invalid_token", "The configured workspace does not exist or is disabled.", 401)
    issuer = issuer or workspace_issuer(request, workspace)
    return issuer, audience or (workspace.audiences[0] if workspace.audiences else issuer)

"""The oauthlib server: the grants oauthhub offers, and nothing else."""

from __future__ import annotations

from oauthlib.oauth2.rfc6749.endpoints import (
    AuthorizationEndpoint,
    IntrospectEndpoint,
    ResourceEndpoint,
    RevocationEndpoint,
    TokenEndpoint,
)
from oauthlib.oauth2.rfc6749.grant_types import (
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    RefreshTokenGrant,
)
from oauthlib.oauth2.rfc6749.grant_types.authorization_code import code_challenge_method_s256
from oauthlib.oauth2.rfc6749.tokens import BearerToken, random_token_generator

from .. import tokens


class S256AuthorizationCodeGrant(AuthorizationCodeGrant):
    # RFC 9700 §2.1.1: "plain" protects nothing once the challenge leaks, so only
    # S256 is accepted; a request without a method (which defaults to plain) fails.
    _code_challenge_methods = {"S256": code_challenge_method_s256}


def access_token_expires_in(request) -> int:
    return tokens.lifetime(request.client, "access")


class Server(AuthorizationEndpoint, TokenEndpoint, ResourceEndpoint, RevocationEndpoint, IntrospectEndpoint):
    """Authorization code (PKCE S256), client credentials and refresh token grants."""

    def __init__(self, validator):
        token_checks = {"post_token": [validator.check_resource_indicators]}
        authorization_code = S256AuthorizationCodeGrant(validator, **token_checks)
        bearer = BearerToken(
            validator,
            token_generator=tokens.access_token,
            expires_in=access_token_expires_in,
            # Refresh tokens stay opaque whatever the access token format.
            refresh_token_generator=random_token_generator,
        )
        AuthorizationEndpoint.__init__(
            self,
            default_response_type="code",
            response_types={"code": authorization_code},
            default_token_type=bearer,
        )
        TokenEndpoint.__init__(
            self,
            default_grant_type="authorization_code",
            grant_types={
                "authorization_code": authorization_code,
                "client_credentials": ClientCredentialsGrant(validator, **token_checks),
                "refresh_token": RefreshTokenGrant(validator, issue_new_refresh_tokens=True, **token_checks),
            },
            default_token_type=bearer,
        )
        ResourceEndpoint.__init__(self, default_token="Bearer", token_types={"Bearer": bearer})
        RevocationEndpoint.__init__(self, validator)
        IntrospectEndpoint.__init__(self, validator)

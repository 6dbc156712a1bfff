"""JWT access tokens verified by an independent library (PyJWT) from the JWKS alone, over HTTP."""

from __future__ import annotations

import secrets
import time

import jwt as pyjwt
import pytest
import requests
from jwcrypto import jwt as jwcrypto_jwt

from oauthhub import keys
from oauthhub.conf import hub_settings
from oauthhub.models import SigningKey
from oauthhub.validation import RemoteJWKS


def get_token(server, slug, c, **data) -> dict:
    response = requests.post(f"{server.url}/auth/{slug}/oauth2/token", data={"grant_type": "client_credentials", **data},
                             auth=(c.client_id, c.plain_secret), timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("algorithm", ["RS256", "PS256", "ES256", "EdDSA"])
def test_pyjwt_verifies_tokens_from_the_jwks_alone(live_oauthhub, workspace_factory, scope_factory, client_factory,
                                                    algorithm):
    ws = workspace_factory("shop", signing_algorithm=algorithm, access_token_ttl=900)
    read = scope_factory(ws, "read", is_default=True)
    c = client_factory(ws, scopes=[read])
    body = get_token(live_oauthhub, "shop", c)
    token = body["access_token"]

    issuer = f"{live_oauthhub.url}/auth/shop"
    metadata = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
    signing_key = pyjwt.PyJWKClient(metadata["jwks_uri"]).get_signing_key_from_jwt(token)
    claims = pyjwt.decode(token, signing_key.key, algorithms=[algorithm], audience=issuer, issuer=issuer)

    header = pyjwt.get_unverified_header(token)
    assert header["typ"] == "at+jwt" and header["alg"] == algorithm and header["kid"] == signing_key.key_id
    assert set(claims) == {"iss", "sub", "aud", "client_id", "scope", "iat", "exp", "jti"}
    assert claims["sub"] == claims["client_id"] == c.client_id
    assert claims["scope"] == "read"
    assert claims["exp"] - claims["iat"] == body["expires_in"] == 900
    assert algorithm in metadata["access_token_signing_alg_values_supported"]


def test_earlier_tokens_stay_valid_across_rotation_and_fail_after_revocation(live_oauthhub, workspace_factory,
                                                                             client_factory):
    ws = workspace_factory("shop", signing_algorithm="ES256")
    c = client_factory(ws)
    jwks_url = f"{live_oauthhub.url}/auth/shop/.well-known/jwks.json"
    old_token = get_token(live_oauthhub, "shop", c)["access_token"]
    old_kid = pyjwt.get_unverified_header(old_token)["kid"]
    keys.rotate(ws, force=True)
    # The server process sees the rotation when its key cache entry lapses (at once with Redis).
    new_token = eventually(lambda: get_token(live_oauthhub, "shop", c)["access_token"],
                           lambda token: pyjwt.get_unverified_header(token)["kid"] != old_kid)
    for token in (old_token, new_token):  # both verify from the published JWKS
        signing_key = pyjwt.PyJWKClient(jwks_url, cache_keys=False).get_signing_key_from_jwt(token)
        pyjwt.decode(token, signing_key.key, algorithms=["ES256"], options={"verify_aud": False})
    keys.revoke(SigningKey.objects.get(workspace=ws, state="retired"))
    eventually(lambda: requests.get(jwks_url, timeout=10).json()["keys"],
               lambda published: old_kid not in {k["kid"] for k in published})
    with pytest.raises(pyjwt.PyJWKClientError):
        pyjwt.PyJWKClient(jwks_url, cache_keys=False).get_signing_key_from_jwt(old_token)


def eventually(produce, accept):
    """Call ``produce`` until ``accept`` holds, within the cache's staleness bound."""
    deadline = time.monotonic() + hub_settings.WORKSPACE_CACHE_SECONDS + 3
    while True:
        value = produce()
        if accept(value) or time.monotonic() > deadline:
            assert accept(value), value
            return value
        time.sleep(0.2)


@pytest.fixture
def remote_settings(settings, live_oauthhub):
    issuer = f"{live_oauthhub.url}/auth/shop"
    settings.OAUTHHUB = {"RESOURCE_SERVER": {
        "JWKS_URL": f"{issuer}/.well-known/jwks.json", "ISSUER": issuer, "AUDIENCE": issuer,
        "JWKS_REFETCH_INTERVAL": 60,
    }}
    return settings


def test_remote_mode_validates_and_refetches_once_on_a_new_kid(remote_settings, live_oauthhub, client,
                                                               workspace_factory, scope_factory, client_factory):
    ws = workspace_factory("shop")
    c = client_factory(ws, scopes=[scope_factory(ws, "read", is_default=True)])
    first = get_token(live_oauthhub, "shop", c)["access_token"]
    assert client.get("/api-test/whoami", HTTP_AUTHORIZATION=f"Bearer {first}").status_code == 200
    # Two forced rotations: the signing key is now one the cached JWKS never listed.
    first_kid = pyjwt.get_unverified_header(first)["kid"]
    keys.rotate(ws, force=True)
    keys.rotate(ws, force=True)
    second = eventually(lambda: get_token(live_oauthhub, "shop", c)["access_token"],
                        lambda token: pyjwt.get_unverified_header(token)["kid"] != first_kid)
    assert client.get("/api-test/whoami", HTTP_AUTHORIZATION=f"Bearer {second}").status_code == 200


class CountingJWKS(RemoteJWKS):
    """The real fetcher, counting how often it goes to the network."""

    fetches = 0

    def _fetch(self):
        CountingJWKS.fetches += 1
        return super()._fetch()


def test_forged_kids_cannot_flood_the_jwks_endpoint(live_oauthhub, workspace_factory, settings):
    ws = workspace_factory("shop")
    source = CountingJWKS(f"{live_oauthhub.url}/auth/shop/.well-known/jwks.json", refetch_interval=60)
    real_kid = SigningKey.objects.get(workspace=ws, state="active").kid
    assert source.key(real_kid) is not None
    assert CountingJWKS.fetches == 1
    for _ in range(25):
        assert source.key(secrets.token_urlsafe(16)) is None
    assert CountingJWKS.fetches == 2  # one refetch for the first unknown kid, then the lock holds


def test_remote_mode_never_trusts_a_shared_secret_key(remote_settings, client, workspace_factory):
    # Even if an HS256 key were in the JWKS it would be ignored; here we sign with a made-up secret.
    ws = workspace_factory("shop")
    kid = SigningKey.objects.get(workspace=ws, state="active").kid
    forged = jwcrypto_jwt.JWT(header={"alg": "HS256", "kid": kid, "typ": "at+jwt"},
                              claims={"sub": "x", "exp": int(time.time()) + 60})
    from jwcrypto import jwk
    forged.make_signed_token(jwk.JWK.generate(kty="oct", size=256))
    response = client.get("/api-test/whoami", HTTP_AUTHORIZATION=f"Bearer {forged.serialize()}")
    assert response.status_code == 401


def test_pyjwt_verifies_hs256_tokens_with_the_shared_secret(live_oauthhub, workspace_factory, client_factory):
    # HS256 keys are never published; an API of the same organisation holds the secret.
    ws = workspace_factory("shop", signing_algorithm="HS256")
    c = client_factory(ws)
    token = get_token(live_oauthhub, "shop", c)["access_token"]
    record = SigningKey.objects.get(workspace=ws, state="active")
    secret = pyjwt.utils.base64url_decode(keys._decrypt(record.kid, record.private_jwk_encrypted)["k"])
    issuer = f"{live_oauthhub.url}/auth/shop"
    claims = pyjwt.decode(token, secret, algorithms=["HS256"], audience=issuer, issuer=issuer)
    assert claims["client_id"] == c.client_id
    assert requests.get(f"{issuer}/.well-known/jwks.json", timeout=10).json() == {"keys": []}
    with pytest.raises(pyjwt.InvalidSignatureError):
        pyjwt.decode(token, b"x" * 32, algorithms=["HS256"], audience=issuer, issuer=issuer)

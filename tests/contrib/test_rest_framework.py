"""JWTAuthentication and scope permissions: every way a token can be wrong is a 401, never a 500."""

from __future__ import annotations

import json
import time

import jwt as pyjwt
import pytest
from jwcrypto import jwe, jwk
from jwcrypto import jwt as jwcrypto_jwt

from oauthhub import keys
from oauthhub.models import SigningKey

WHOAMI = "/api-test/whoami"


@pytest.fixture
def acme(workspace, confidential_client):
    return confidential_client


def assert_invalid_token(response):
    assert response.status_code == 401, response.content
    challenge = response["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="api"') and 'error="invalid_token"' in challenge
    return response.json()


def active_private_key(workspace) -> tuple[jwk.JWK, SigningKey]:
    key = SigningKey.objects.get(workspace=workspace, state="active")
    return keys._decrypt(key.kid, key.private_jwk_encrypted), key


def forge(workspace, claims_update=None, header_update=None, key=None, alg=None) -> str:
    """A token signed with the workspace's real active key (or ``key``), with edits."""
    private, record = active_private_key(workspace)
    now = int(time.time())
    claims = {
        "iss": "http://testserver/auth/acme", "sub": "client", "aud": "http://testserver/auth/acme",
        "client_id": "client", "scope": "read", "iat": now, "exp": now + 300, "jti": "j1",
        **(claims_update or {}),
    }
    header = {"alg": alg or record.algorithm, "kid": record.kid, "typ": "at+jwt", **(header_update or {})}
    token = jwcrypto_jwt.JWT(header=header, claims=claims)
    token.make_signed_token(key or private)
    return token.serialize()


# Accepted ----------------------------------------------------------------------------


def test_valid_token_authenticates_with_its_claims(issue, call, acme):
    response = call(WHOAMI, issue(acme, scope="read"))
    assert response.status_code == 200, response.content
    assert response.json() == {"sub": acme.client_id, "client_id": acme.client_id, "scopes": ["read"],
                               "is_client": True}


@pytest.mark.parametrize("algorithm", ["RS256", "PS256", "ES256", "EdDSA", "HS256"])
def test_every_algorithm_validates_in_process(issue, call, workspace, acme, algorithm):
    workspace.signing_algorithm = algorithm
    workspace.save()
    keys.rotate(workspace, force=True)
    keys.rotate(workspace, force=True)  # the new next key made with the new algorithm now signs
    token = issue(acme, scope="read")
    assert pyjwt.get_unverified_header(token)["alg"] == algorithm
    assert call(WHOAMI, token).status_code == 200


def test_forged_token_with_the_real_key_is_accepted(call, workspace):
    # The forging helper itself must produce valid tokens, or every negative test below proves nothing.
    assert call(WHOAMI, forge(workspace)).status_code == 200


def test_user_token_carries_the_user(authorize, post_form, call, confidential_client, pkce, user):
    from tests.oauth.test_authorization_code import exchange

    code = authorize(confidential_client, pkce[1], scope="read")["code"]
    token = exchange(post_form, confidential_client, code, pkce[0]).json()["access_token"]
    body = call(WHOAMI, token).json()
    assert body["sub"] == str(user.pk) and body["is_client"] is False
    claims = pyjwt.decode(token, options={"verify_signature": False})
    assert claims["amr"] == ["pwd"] and claims["auth_time"] <= claims["iat"]


def test_no_token_is_a_bare_challenge(call, acme):
    response = call(WHOAMI, None)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


# Refused ----------------------------------------------------------------------------


def test_alg_none_is_refused(call, workspace):
    _, record = active_private_key(workspace)
    token = pyjwt.encode({"iss": "http://testserver/auth/acme", "sub": "x", "aud": "http://testserver/auth/acme",
                          "exp": int(time.time()) + 300, "scope": "read"}, key=None, algorithm="none",
                         headers={"kid": record.kid, "typ": "at+jwt"})
    assert_invalid_token(call(WHOAMI, token))


def test_hs256_signed_with_the_rsa_public_key_is_refused(call, workspace_factory, client_factory, settings):
    settings.OAUTHHUB = {"RESOURCE_SERVER": {"WORKSPACE": "rsa"}}
    rsa_ws = workspace_factory("rsa", signing_algorithm="RS256")
    record = SigningKey.objects.get(workspace=rsa_ws, state="active")
    public_pem = jwk.JWK(**record.public_jwk).export_to_pem()
    claims = {"iss": "http://testserver/auth/rsa", "sub": "x", "aud": "http://testserver/auth/rsa",
              "exp": int(time.time()) + 300, "scope": "read"}
    hmac_key = jwk.JWK(kty="oct", k=pyjwt.utils.base64url_encode(public_pem).decode())
    token = jwcrypto_jwt.JWT(header={"alg": "HS256", "kid": record.kid, "typ": "at+jwt"}, claims=claims)
    token.make_signed_token(hmac_key)
    body = assert_invalid_token(call(WHOAMI, token.serialize()))
    assert "algorithm" in body["detail"]


def test_unknown_kid_is_refused(call, workspace):
    assert_invalid_token(call(WHOAMI, forge(workspace, header_update={"kid": "nope"})))


def test_kid_of_another_workspace_is_refused(call, workspace, workspace_factory, client_factory, issue):
    other = workspace_factory("other")
    token = issue(client_factory(other))
    assert "does not publish" in assert_invalid_token(call(WHOAMI, token))["detail"]


def test_token_of_another_workspace_with_its_issuer_is_refused(call, workspace, workspace_factory):
    # Signed by acme's key but claiming another issuer: iss must be the configured workspace.
    token = forge(workspace, {"iss": "http://testserver/auth/other"})
    assert "another authorization server" in assert_invalid_token(call(WHOAMI, token))["detail"]


def test_expired_token_is_refused(call, workspace):
    token = forge(workspace, {"iat": int(time.time()) - 600, "exp": int(time.time()) - 120})
    assert "expired" in assert_invalid_token(call(WHOAMI, token))["detail"]


def test_small_clock_skew_is_tolerated(call, workspace):
    assert call(WHOAMI, forge(workspace, {"exp": int(time.time()) - 5})).status_code == 200


@pytest.mark.parametrize("claim", ["nbf", "iat"])
def test_not_yet_valid_token_is_refused(call, workspace, claim):
    token = forge(workspace, {claim: int(time.time()) + 600, "exp": int(time.time()) + 900})
    assert "not valid yet" in assert_invalid_token(call(WHOAMI, token))["detail"]


def test_wrong_audience_is_refused(call, workspace):
    assert "aud" in assert_invalid_token(call(WHOAMI, forge(workspace, {"aud": "https://other.example"})))["detail"]


@pytest.mark.parametrize("typ", ["JWT", "id+jwt", None])
def test_wrong_typ_is_refused(call, workspace, typ):
    header = {"typ": typ} if typ else {"typ": ""}
    assert "typ" in assert_invalid_token(call(WHOAMI, forge(workspace, header_update=header)))["detail"]


def test_tampered_payload_is_refused(call, issue, acme):
    header, payload, signature = issue(acme, scope="read").split(".")
    claims = json.loads(pyjwt.utils.base64url_decode(payload))
    claims["scope"] = "read write admin"
    forged = pyjwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    assert "signature" in assert_invalid_token(call(WHOAMI, f"{header}.{forged}.{signature}"))["detail"]


def test_truncated_token_is_refused(call, issue, acme):
    token = issue(acme, scope="read")
    for cut in (token[:-10], token[: len(token) // 2], token.rsplit(".", 1)[0] + ".", "a.b.c", "..", "x"):
        assert_invalid_token(call(WHOAMI, cut))


def test_oversized_token_is_refused(call, workspace):
    token = forge(workspace, {"padding": "x" * 20_000})
    assert "too long" in assert_invalid_token(call(WHOAMI, token))["detail"]


def test_jwe_instead_of_jws_is_refused(call, workspace):
    _, record = active_private_key(workspace)
    public = jwk.JWK(**record.public_jwk) if record.public_jwk else jwk.JWK.generate(kty="RSA", size=2048)
    encryption_key = jwk.JWK.generate(kty="RSA", size=2048)
    token = jwe.JWE(b'{"sub":"x"}', protected=json.dumps(
        {"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": record.kid, "typ": "at+jwt"}))
    token.add_recipient(encryption_key)
    assert public is not None
    assert "not a signed JWT" in assert_invalid_token(call(WHOAMI, token.serialize(compact=True)))["detail"]


@pytest.mark.parametrize("header", ["jwk", "jku", "x5u"])
def test_embedded_key_headers_are_never_trusted(call, workspace, header):
    attacker = jwk.JWK.generate(kty="EC", crv="P-256")
    value = attacker.export_public(as_dict=True) if header == "jwk" else "https://evil.example/keys"
    token = forge(workspace, header_update={header: value}, key=attacker)
    assert_invalid_token(call(WHOAMI, token))


def test_revoked_key_tokens_fail(call, issue, workspace, acme):
    token = issue(acme, scope="read")
    assert call(WHOAMI, token).status_code == 200
    keys.rotate(workspace, force=True)
    old = SigningKey.objects.get(workspace=workspace, state="retired")
    assert call(WHOAMI, token).status_code == 200  # retired: still valid
    keys.revoke(old)
    assert_invalid_token(call(WHOAMI, token))


def test_token_in_query_string_is_refused(client, issue, acme):
    token = issue(acme, scope="read")
    response = client.get(f"{WHOAMI}?access_token={token}")
    assert response.status_code == 400
    assert 'error="invalid_request"' in response["WWW-Authenticate"]


def test_malformed_authorization_header(client, acme):
    response = client.get(WHOAMI, HTTP_AUTHORIZATION="Bearer a b")
    assert response.status_code == 400


def test_opaque_tokens_are_not_jwts(call, issue, workspace, acme):
    workspace.token_format = "opaque"
    workspace.save()
    assert_invalid_token(call(WHOAMI, issue(acme, scope="read")))


# Scopes ------------------------------------------------------------------------------


def test_missing_scope_is_403_insufficient_scope(call, issue, acme):
    response = call("/api-test/write", issue(acme, scope="read"))
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]
    assert 'scope="read write"' in response["WWW-Authenticate"]
    assert call("/api-test/write", issue(acme, scope="read write")).status_code == 200


def test_any_scope(call, issue, workspace, client_factory):
    writer = client_factory(workspace, scopes=[workspace.scopes.get(name="write")])
    assert call("/api-test/any", issue(writer, scope="write")).status_code == 200
    assert call("/api-test/any", issue(writer)).status_code == 403  # no scope asked, none by default


# Plain Django --------------------------------------------------------------------------


def test_plain_view_decorator(call, issue, acme, workspace):
    token = issue(acme, scope="read")
    response = call("/api-test/plain", token)
    assert response.status_code == 200
    assert response.json()["jti"] == pyjwt.decode(token, options={"verify_signature": False})["jti"]
    assert call("/api-test/plain", None)["WWW-Authenticate"] == 'Bearer realm="api"'
    assert call("/api-test/plain", forge(workspace, {"aud": "x"})).status_code == 401
    assert call("/api-test/plain", issue(acme, scope="write")).status_code == 403

"""Signing keys: encrypted at rest, published safely, rotated without breaking live tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from oauthhub import keys
from oauthhub.exceptions import KeyDecryptionError, RotationError
from oauthhub.models import SigningKey


def states(workspace) -> dict[str, int]:
    result: dict[str, int] = {}
    for state in SigningKey.objects.filter(workspace=workspace).values_list("state", flat=True):
        result[state] = result.get(state, 0) + 1
    return result


def test_new_workspace_has_an_active_and_a_next_key(workspace):
    assert states(workspace) == {"active": 1, "next": 1}
    assert keys.active_key(workspace.pk).algorithm == "ES256"


@pytest.mark.parametrize("algorithm", ["RS256", "PS256", "ES256", "EdDSA", "HS256"])
def test_private_material_is_not_in_the_database_in_clear(workspace_factory, algorithm):
    ws = workspace_factory("k", signing_algorithm=algorithm)
    key = SigningKey.objects.get(workspace=ws, state="active")
    private = keys._decrypt(key.kid, key.private_jwk_encrypted).export(private_key=True, as_dict=True)
    secret_part = private.get("d") or private.get("k")
    with connection.cursor() as cursor:  # what a database dump would show
        cursor.execute("SELECT * FROM oauthhub_signingkey WHERE id = %s", [key.pk])
        row = " ".join(str(value) for value in cursor.fetchone())
    assert secret_part and secret_part not in row
    assert key.private_jwk_encrypted.count(".") == 4  # a compact JWE


def test_a_lost_key_encryption_key_is_a_clear_error(workspace, post_form, client, confidential_client, settings):
    from tests.conftest import basic_auth

    keys._decrypt.cache_clear()
    settings.OAUTHHUB = {"KEY_ENCRYPTION_KEY": "a-different-key"}
    record = keys.active_key(workspace.pk)
    with pytest.raises(KeyDecryptionError, match="KEY_ENCRYPTION_KEY"):
        record.private()
    response = post_form(
        "/auth/acme/oauth2/token", {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic_auth(confidential_client.client_id, confidential_client.plain_secret),
    )
    assert response.status_code == 500
    assert response.json()["error"] == "server_error"
    assert "key-encryption key" in response.json()["error_description"]
    # the public keys are still served
    assert len(client.get("/auth/acme/.well-known/jwks.json").json()["keys"]) == 2


def test_fallback_key_encryption_key_still_decrypts(workspace, settings):
    keys._decrypt.cache_clear()
    old = f"oauthhub-derived:{settings.SECRET_KEY}"  # what an unset KEY_ENCRYPTION_KEY means
    settings.OAUTHHUB = {"KEY_ENCRYPTION_KEY": "new-kek", "KEY_ENCRYPTION_KEY_FALLBACKS": [old]}
    assert keys.active_key(workspace.pk).private() is not None
    keys._decrypt.cache_clear()


def test_jwks_never_publishes_private_or_shared_keys(client, workspace_factory):
    for slug, algorithm in (("rsa", "RS256"), ("hmac", "HS256")):
        workspace_factory(slug, signing_algorithm=algorithm)
    rsa = client.get("/auth/rsa/.well-known/jwks.json").json()["keys"]
    assert len(rsa) == 2
    for entry in rsa:
        assert set(entry) == {"kty", "n", "e", "kid", "alg", "use"}
        assert entry["use"] == "sig" and entry["alg"] == "RS256"
    assert client.get("/auth/hmac/.well-known/jwks.json").json() == {"keys": []}


def test_jwks_caching_headers(client, workspace, settings):
    settings.OAUTHHUB = {"JWKS_MAX_AGE": 600}
    response = client.get("/auth/acme/.well-known/jwks.json")
    assert response["Content-Type"] == "application/jwk-set+json"
    assert response["Cache-Control"] == "public, max-age=600"
    etag = response["ETag"]
    assert client.get("/auth/acme/.well-known/jwks.json", HTTP_IF_NONE_MATCH=etag).status_code == 304
    keys.rotate(workspace, force=True)
    changed = client.get("/auth/acme/.well-known/jwks.json", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_jwks_of_unknown_workspace_is_404(client, db):
    assert client.get("/auth/nope/.well-known/jwks.json").status_code == 404


def test_rotation_moves_every_key_one_state_on(workspace, settings):
    settings.OAUTHHUB = {"JWKS_MAX_AGE": 0}
    before = {k.state: k.kid for k in SigningKey.objects.filter(workspace=workspace)}
    keys.rotate(workspace)
    after = {k.kid: k.state for k in SigningKey.objects.filter(workspace=workspace)}
    assert after[before["active"]] == "retired"
    assert after[before["next"]] == "active"
    assert list(after.values()).count("next") == 1
    jwks_kids = {k["kid"] for k in keys.jwks(workspace.pk)["keys"]}
    assert jwks_kids == set(after)  # next, active and retired are all published


def test_rotation_waits_until_the_next_key_was_published_one_cache_period(workspace, settings):
    settings.OAUTHHUB = {"JWKS_MAX_AGE": 3600}
    with pytest.raises(RotationError, match="Rotate again in"):
        keys.rotate(workspace)
    assert states(workspace) == {"active": 1, "next": 1}
    SigningKey.objects.filter(workspace=workspace, state="next").update(
        created_at=timezone.now() - timedelta(hours=2)
    )
    keys.rotate(workspace)
    assert states(workspace) == {"active": 1, "next": 1, "retired": 1}


def test_retired_key_is_published_until_its_last_token_expires(workspace, confidential_client, post_form, settings):
    from oauth2_provider.models import AccessToken

    from tests.conftest import basic_auth

    confidential_client.access_token_ttl = 7200
    confidential_client.save()
    post_form("/auth/acme/oauth2/token", {"grant_type": "client_credentials"},
              HTTP_AUTHORIZATION=basic_auth(confidential_client.client_id, confidential_client.plain_secret))
    last = AccessToken.objects.get().expires
    keys.rotate(workspace, force=True)
    retired = SigningKey.objects.get(workspace=workspace, state="retired")
    assert retired.publish_until >= last
    assert keys.prune(now=last - timedelta(seconds=1)) == 0
    assert keys.prune(now=retired.publish_until + timedelta(seconds=1)) == 1
    assert retired.kid not in {k["kid"] for k in keys.jwks(workspace.pk)["keys"]}


def test_revoking_the_active_key_is_refused(workspace):
    with pytest.raises(RotationError):
        keys.revoke(SigningKey.objects.get(workspace=workspace, state="active"))


def test_revoked_key_leaves_the_jwks_at_once(workspace, client):
    keys.rotate(workspace, force=True)
    retired = SigningKey.objects.get(workspace=workspace, state="retired")
    client.get("/auth/acme/.well-known/jwks.json")  # cached
    keys.revoke(retired)
    kids = {k["kid"] for k in client.get("/auth/acme/.well-known/jwks.json").json()["keys"]}
    assert retired.kid not in kids and len(kids) == 2


def test_one_active_key_per_workspace_is_enforced_by_the_database(workspace):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        keys.new_key(workspace, SigningKey.State.ACTIVE)


def test_workspace_without_keys_gets_them_on_first_token(workspace, confidential_client, post_form):
    from tests.conftest import basic_auth

    SigningKey.objects.filter(workspace=workspace).delete()
    response = post_form("/auth/acme/oauth2/token", {"grant_type": "client_credentials"},
                         HTTP_AUTHORIZATION=basic_auth(confidential_client.client_id, confidential_client.plain_secret))
    assert response.status_code == 200
    assert states(workspace) == {"active": 1, "next": 1}

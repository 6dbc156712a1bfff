from __future__ import annotations

import io
from datetime import timedelta

import jwt as pyjwt
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from oauth2_provider.models import AccessToken

from oauthhub import keys
from oauthhub.models import SigningKey

COMMAND = "oauthhub_revoke_key"


def published_kids(client, slug: str = "acme") -> set[str]:
    return {key["kid"] for key in client.get(f"/auth/{slug}/.well-known/jwks.json").json()["keys"]}


@pytest.fixture
def retired_signer(confidential_client, issue, jwks_max_age):
    """A token, and the key that signed it, retired by a rotation."""
    token = issue(confidential_client)
    jwks_max_age(0)
    keys.rotate(confidential_client.workspace)
    return token, SigningKey.objects.get(kid=pyjwt.get_unverified_header(token)["kid"])


def test_without_yes_counts_live_tokens_and_refuses(confidential_client, issue, retired_signer):
    _, key = retired_signer
    issue(confidential_client)  # a second live token
    AccessToken.objects.create(  # an expired one is not at risk
        application=confidential_client, token_checksum="x" * 64, expires=timezone.now() - timedelta(hours=1)
    )
    out = io.StringIO()

    with pytest.raises(CommandError, match="re-run with --yes"):
        call_command(COMMAND, key.kid, stdout=out)

    assert f"Key {key.kid} (retired) of acme: 2 live access token(s)" in out.getvalue()
    assert SigningKey.objects.get(pk=key.pk).state == "retired"


def test_revoked_key_leaves_the_jwks_and_its_tokens_fail(run, client, retired_signer, whoami):
    token, key = retired_signer
    assert key.kid in published_kids(client)
    assert whoami(token).status_code == 200

    out = run(COMMAND, key.kid, "--yes")

    assert f"Revoked key {key.kid} of acme" in out
    key.refresh_from_db()
    assert key.state == "revoked" and key.revoked_at is not None
    assert key.kid not in published_kids(client)
    assert whoami(token).status_code == 401


def test_next_key_can_be_revoked(run, client, workspace):
    next_kid = SigningKey.objects.get(workspace=workspace, state="next").kid
    run(COMMAND, next_kid, "--yes")
    assert SigningKey.objects.get(kid=next_kid).state == "revoked"
    assert next_kid not in published_kids(client)


@pytest.mark.parametrize("yes", [(), ("--yes",)], ids=["asked", "yes"])
def test_active_key_is_refused_with_rotate_first(run, workspace, yes):
    active = SigningKey.objects.get(workspace=workspace, state="active")
    with pytest.raises(CommandError, match="Rotate first"):
        run(COMMAND, active.kid, *yes)
    assert SigningKey.objects.get(pk=active.pk).state == "active"


def test_already_revoked_is_reported(run, workspace):
    key = SigningKey.objects.get(workspace=workspace, state="next")
    keys.revoke(key)
    assert "already revoked" in run(COMMAND, key.kid, "--yes")


def test_unknown_kid(run, db):
    with pytest.raises(CommandError, match="No signing key with kid nope"):
        run(COMMAND, "nope")

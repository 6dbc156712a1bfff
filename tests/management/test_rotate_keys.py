from __future__ import annotations

import io
import json
import threading
from datetime import timedelta

import jwt as pyjwt
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from oauthhub import keys
from oauthhub.models import SigningKey

COMMAND = "oauthhub_rotate_keys"


def kid(workspace, state: str) -> str:
    return SigningKey.objects.get(workspace=workspace, state=state).kid


def age_keys(workspace, days: int) -> None:
    """Make the workspace's keys look ``days`` old, as if made and activated back then."""
    past = timezone.now() - timedelta(days=days)
    SigningKey.objects.filter(workspace=workspace).update(created_at=past)
    SigningKey.objects.filter(workspace=workspace, state="active").update(activated_at=past)


def assert_no_key_material(out: str) -> None:
    for key in SigningKey.objects.all():
        assert key.private_jwk_encrypted not in out
        assert keys._decrypt(key.kid, key.private_jwk_encrypted).export_private(as_dict=True)["d"] not in out


# One workspace --------------------------------------------------------------------


def test_rotation_moves_every_key_one_state_on(run, workspace, jwks_max_age):
    jwks_max_age(0)
    old_active, old_next = kid(workspace, "active"), kid(workspace, "next")

    out = run(COMMAND, "acme")

    retired = SigningKey.objects.get(kid=old_active)
    assert retired.state == "retired"
    assert retired.retired_at is not None
    # Published at least as long as an ID token it signed could live.
    assert retired.publish_until >= retired.retired_at + timedelta(seconds=workspace.effective_ttl("id"))
    promoted = SigningKey.objects.get(kid=old_next)
    assert promoted.state == "active" and promoted.activated_at is not None
    new_next = kid(workspace, "next")
    assert new_next not in {old_active, old_next}
    assert f"active (signing):      {old_next}" in out
    assert f"next (published only): {new_next}" in out
    assert_no_key_material(out)


def test_json_output_names_the_new_kids(run, workspace, jwks_max_age):
    jwks_max_age(0)
    old_next = kid(workspace, "next")
    data = json.loads(run(COMMAND, "acme", "--json"))
    assert data == {"workspace": "acme", "active_kid": old_next, "next_kid": kid(workspace, "next")}


def test_too_early_is_refused_with_how_long_to_wait(run, workspace, jwks_max_age):
    jwks_max_age(3600)  # the next key was published a moment ago
    before = dict(SigningKey.objects.filter(workspace=workspace).values_list("kid", "state"))

    with pytest.raises(CommandError, match=r"Rotate again in \d+ s"):
        run(COMMAND, "acme")

    assert dict(SigningKey.objects.filter(workspace=workspace).values_list("kid", "state")) == before


def test_force_rotates_early(run, workspace, jwks_max_age):
    jwks_max_age(3600)
    old_next = kid(workspace, "next")
    run(COMMAND, "acme", "--force")
    assert kid(workspace, "active") == old_next


def test_tokens_issued_before_rotation_still_validate(run, confidential_client, issue, whoami, jwks_max_age):
    jwks_max_age(0)
    before = issue(confidential_client)

    run(COMMAND, "acme")

    assert whoami(before).status_code == 200, whoami(before).content
    after = issue(confidential_client)
    assert pyjwt.get_unverified_header(after)["kid"] == kid(confidential_client.workspace, "active")
    assert pyjwt.get_unverified_header(after)["kid"] != pyjwt.get_unverified_header(before)["kid"]
    assert whoami(after).status_code == 200, whoami(after).content


@pytest.mark.parametrize(
    "args",
    [(), ("acme", "--due"), ("--due", "--force")],
    ids=["neither", "both", "due-with-force"],
)
def test_exactly_one_of_workspace_or_due(run, workspace, args):
    with pytest.raises(CommandError):
        run(COMMAND, *args)


def test_unknown_workspace(run, db):
    with pytest.raises(CommandError, match="No workspace 'nope'"):
        run(COMMAND, "nope")


# --due (cron) ------------------------------------------------------------------------


def test_due_rotates_only_workspaces_whose_active_key_is_old(run, workspace_factory):
    old, young, never = workspace_factory("old"), workspace_factory("young"), workspace_factory(
        "never", key_rotation_period=None
    )
    age_keys(old, days=91)  # the rotation period defaults to 90 days
    age_keys(young, days=89)
    age_keys(never, days=1000)
    kids = {ws.slug: (kid(ws, "active"), kid(ws, "next")) for ws in (old, young, never)}

    out = run(COMMAND, "--due")

    assert kid(old, "active") == kids["old"][1]
    assert f"Rotated old: active {kids['old'][1]}, next {kid(old, 'next')}." in out
    assert (kid(young, "active"), kid(young, "next")) == kids["young"]
    assert (kid(never, "active"), kid(never, "next")) == kids["never"]
    assert "young" not in out and "never" not in out
    assert_no_key_material(out)


def test_due_with_nothing_due(run, workspace):
    out = run(COMMAND, "--due")
    assert "No workspace was due for rotation." in out
    assert "Pruned 0 retired key(s)" in out


def test_due_prunes_retired_keys_once_their_tokens_expired(run, workspace, client):
    now = timezone.now()
    expired, live = keys.new_key(workspace, "retired"), keys.new_key(workspace, "retired")
    SigningKey.objects.filter(pk=expired.pk).update(publish_until=now - timedelta(seconds=1))
    SigningKey.objects.filter(pk=live.pk).update(publish_until=now + timedelta(hours=1))

    data = json.loads(run(COMMAND, "--due", "--json"))

    assert data == {"rotated": [], "pruned": 1}
    assert not SigningKey.objects.filter(pk=expired.pk).exists()
    assert SigningKey.objects.get(pk=live.pk).state == "retired"
    published = {key["kid"] for key in client.get("/auth/acme/.well-known/jwks.json").json()["keys"]}
    assert live.kid in published and expired.kid not in published


@pytest.mark.django_db(transaction=True)
def test_cron_on_two_hosts_at_once_rotates_once(workspace_factory):
    workspace = workspace_factory("busy")
    age_keys(workspace, days=91)
    start = threading.Barrier(2)
    outputs, errors = [], []

    def cron() -> None:
        try:
            start.wait(timeout=10)
            out = io.StringIO()
            call_command(COMMAND, "--due", stdout=out)
            outputs.append(out.getvalue())
        except Exception as exc:  # noqa: BLE001  (reported by the assertion below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=cron) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert SigningKey.objects.filter(workspace=workspace, state="retired").count() == 1
    assert SigningKey.objects.filter(workspace=workspace, state="active").count() == 1
    assert SigningKey.objects.filter(workspace=workspace, state="next").count() == 1
    assert sum("Rotated busy" in out for out in outputs) == 1

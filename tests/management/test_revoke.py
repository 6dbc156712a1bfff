"""``oauthhub_revoke``: every token of a user, a client or a workspace, audited as the command."""

from __future__ import annotations

import pytest
from django.core.management.base import CommandError

from oauthhub.models import AuditEvent

COMMAND = "oauthhub_revoke"
EVERYTHING = {"alice_app", "bob_app", "alice_tool", "alice_far", "cc_app", "cc_tool"}


@pytest.fixture
def revoke(run, django_capture_on_commit_callbacks):
    """Run the command; its on_commit hooks fire as they would when its transaction commits."""

    def call(*args: str) -> str:
        with django_capture_on_commit_callbacks(execute=True):
            return run(COMMAND, *args)

    return call


def events() -> dict[str, tuple[str, int, int]]:
    """Audit events by workspace slug: (target, access tokens, refresh tokens); each one the command's."""
    found = {}
    for event in AuditEvent.objects.select_related("workspace"):
        assert (event.actor, event.actor_label, event.action) == (None, "command", "tokens_revoked")
        assert event.detail["reason"] == "revoked by an operator"
        found[event.workspace.slug] = (event.target, event.detail["access_tokens"], event.detail["refresh_tokens"])
    return found


def test_user_in_every_workspace(scene, revoke, whoami):
    out = revoke("--user", "alice")

    assert out == "Revoked 6 token(s) of user alice in every workspace.\n"
    assert scene.survivors() == {"bob_app", "cc_app", "cc_tool"}
    target = f"user {scene.alice.pk}"
    assert events() == {"acme": (target, 2, 2), "other": (target, 1, 1)}  # one event per workspace
    assert whoami(scene.alice_app["access_token"]).status_code == 401
    assert whoami(scene.alice_tool["access_token"]).status_code == 401
    assert whoami(scene.bob_app["access_token"]).status_code == 200


def test_user_in_one_workspace(scene, revoke, whoami):
    out = revoke("--user", "alice", "--workspace", "other")

    assert out == "Revoked 2 token(s) of user alice in other.\n"
    assert scene.survivors() == EVERYTHING - {"alice_far"}
    assert events() == {"other": (f"user {scene.alice.pk}", 1, 1)}
    assert whoami(scene.alice_app["access_token"]).status_code == 200


def test_user_by_numeric_id(scene, revoke):
    assert revoke("--user", str(scene.bob.pk), "--workspace", "acme").startswith("Revoked 2 token(s)")
    assert scene.survivors() == EVERYTHING - {"bob_app"}


def test_user_without_tokens_revokes_nothing(scene, revoke, django_user_model):
    django_user_model.objects.create_user("carol")
    assert revoke("--user", "carol") == "Revoked 0 token(s) of user carol in every workspace.\n"
    assert scene.survivors() == EVERYTHING
    assert not AuditEvent.objects.exists()  # nothing happened, so nothing to audit


def test_client(scene, revoke, whoami):
    out = revoke("--client", scene.tool.client_id)

    assert out == f"Revoked 3 token(s) of client {scene.tool.client_id}.\n"
    assert scene.survivors() == {"alice_app", "bob_app", "alice_far", "cc_app"}
    assert events() == {"acme": (f"client {scene.tool.client_id}", 2, 1)}
    assert whoami(scene.cc_tool["access_token"]).status_code == 401
    assert whoami(scene.cc_app["access_token"]).status_code == 200


def test_workspace(scene, revoke, whoami):
    out = revoke("--workspace", "acme", "--reason", "incident 42")

    assert out == "Revoked 8 token(s) of workspace acme.\n"
    assert scene.survivors() == {"alice_far"}
    event = AuditEvent.objects.get()
    assert (event.workspace.slug, event.target, event.actor_label) == ("acme", "workspace acme", "command")
    assert event.detail == {"reason": "incident 42", "access_tokens": 5, "refresh_tokens": 3}
    for name in ("alice_app", "bob_app", "alice_tool", "cc_app", "cc_tool"):
        assert whoami(getattr(scene, name)["access_token"]).status_code == 401


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("--user", "alice", "--client", "x"),
        ("--client", "x", "--workspace", "acme"),
        ("--user", "alice", "--client", "x", "--workspace", "acme"),
        ("--reason", "no target"),
    ],
    ids=["nothing", "user+client", "client+workspace", "all three", "reason only"],
)
def test_bad_combinations(scene, revoke, args):
    with pytest.raises(CommandError, match="Give exactly one of"):
        revoke(*args)
    assert scene.survivors() == EVERYTHING


@pytest.mark.parametrize(
    "args",
    [("--user", "", "--workspace", "acme"), ("--user", " "), ("--client", ""), ("--workspace", "")],
    ids=["empty user with workspace", "blank user", "empty client", "empty workspace"],
)
def test_an_empty_value_is_refused(scene, revoke, args):
    """``--user "$NAME" --workspace acme`` with $NAME unset must not revoke the whole workspace."""
    with pytest.raises(CommandError, match="is empty"):
        revoke(*args)
    assert scene.survivors() == EVERYTHING
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--user", "nobody"), "No user 'nobody'"),
        (("--user", "99999"), "No user '99999'"),
        (("--client", "no-such-client"), "No client with client_id 'no-such-client'"),
        (("--workspace", "nowhere"), "No workspace 'nowhere'"),
        (("--user", "alice", "--workspace", "nowhere"), "No workspace 'nowhere'"),
    ],
    ids=["user", "user id", "client", "workspace", "user's workspace"],
)
def test_unknown_names(scene, revoke, args, message):
    with pytest.raises(CommandError, match=message):
        revoke(*args)
    assert scene.survivors() == EVERYTHING
    assert not AuditEvent.objects.exists()

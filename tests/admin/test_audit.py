"""The audit log in the admin: readable by staff who may view it, changeable by no one."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from oauthhub import revocation
from oauthhub.models import AuditEvent, WorkspaceAdmin

pytestmark = pytest.mark.django_db

LIST = "/admin/oauthhub/auditevent/"
CHANGE = LIST + "{pk}/change/"


@pytest.fixture
def events(confidential_client, issue_token, admin_user, workspace_factory):
    """Two real revocations: one by the admin (acme), one by a command (another workspace)."""
    issue_token(confidential_client.client_id, confidential_client.plain_secret)
    revocation.revoke_client(confidential_client, reason="leaked secret", actor=admin_user)
    other = workspace_factory("other")
    AuditEvent.objects.create(
        workspace=other, actor_label="command", action=AuditEvent.Action.KEYS_ROTATED, target="workspace other",
        detail={"kid": "k2", "note": "x" * 200},
    )
    return AuditEvent.objects.get(actor=admin_user), AuditEvent.objects.get(actor_label="command")


def test_list_shows_who_did_what_to_what(admin_client, events):
    response = admin_client.get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<td class="field-actor_name">admin</td>' in html
    assert '<td class="field-actor_name">command</td>' in html
    assert "tokens revoked" in html and "signing keys rotated" in html
    assert '<td class="field-workspace nowrap">acme</td>' in html
    assert "reason: leaked secret; access_tokens: 1; refresh_tokens: 0" in html
    summary = admin_client.get(LIST).context["cl"].model_admin.summary(events[1])
    assert len(summary) <= 80 and summary.endswith("…")


def test_change_page_is_read_only_and_pretty_prints_the_detail(admin_client, events):
    by_admin, _ = events
    response = admin_client.get(CHANGE.format(pk=by_admin.pk))
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    html = response.content.decode()
    assert '<pre class="audit-detail">{\n  &quot;access_tokens&quot;: 1,' in html
    assert 'name="_save"' not in html
    assert f"client {by_admin.target.split()[-1]}" in html


def test_nothing_can_be_added_changed_or_deleted(admin_client, events):
    by_admin, _ = events
    assert admin_client.get(LIST + "add/").status_code == 403
    assert admin_client.post(LIST + "add/", {"action": "tokens_revoked", "target": "x"}).status_code == 403
    response = admin_client.post(CHANGE.format(pk=by_admin.pk), {"target": "nothing happened", "detail": "{}"})
    assert response.status_code == 403
    assert admin_client.post(LIST + f"{by_admin.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client.get(LIST).context["action_form"] is None  # no "delete selected" either
    by_admin.refresh_from_db()
    assert by_admin.target.startswith("client ")
    assert AuditEvent.objects.count() == 2


def test_permissions_are_false_even_for_a_superuser(admin_user, events):
    model_admin = admin.site._registry[AuditEvent]
    request = RequestFactory().get(LIST)
    request.user = admin_user
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, events[0])
    assert not model_admin.has_delete_permission(request, events[0])
    assert model_admin.has_view_permission(request, events[0])


def test_staff_with_view_permission_may_read(client, django_user_model, events):
    user = django_user_model.objects.create_user("auditor", password="x", is_staff=True)
    WorkspaceAdmin.objects.create(user=user, workspace=events[0].workspace)
    client.force_login(user)
    assert client.get(LIST).status_code == 403

    user.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    assert client.get(LIST).status_code == 200
    assert client.get(CHANGE.format(pk=events[0].pk)).status_code == 200
    assert client.post(CHANGE.format(pk=events[0].pk), {"target": "x"}).status_code == 403


def test_filters_search_and_date_hierarchy(admin_client, events):
    by_admin, by_command = events

    def shown(**params) -> set[int]:
        return {event.pk for event in admin_client.get(LIST, params).context["cl"].result_list}

    assert shown(workspace__id__exact=by_admin.workspace_id) == {by_admin.pk}
    assert shown(action__exact="keys_rotated") == {by_command.pk}
    assert shown(q="command") == {by_command.pk}
    assert shown(q=by_admin.target) == {by_admin.pk}
    year = timezone.localtime(by_admin.created_at).year
    assert shown(created_at__year=year) == {by_admin.pk, by_command.pk}
    assert shown(created_at__year=year - 1) == set()


def test_list_queries_do_not_grow_with_rows(admin_client, admin_user, workspace):
    def add_rows() -> None:
        AuditEvent.objects.create(workspace=workspace, actor=admin_user, action="tokens_revoked", detail={"n": 1})

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(LIST).status_code == 200
        return len(queries)

    add_rows()
    one = count()
    for _ in range(4):
        add_rows()
    assert count() == one

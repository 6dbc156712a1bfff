"""The workspace page beyond its form: facts, audited saves, the TTL message and its revoke button."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from oauthhub.models import AuditEvent, Workspace
from tests.admin.conftest import form_data
from tests.admin.test_workspace import CHANGE, assert_error_beside, change

pytestmark = pytest.mark.django_db


def settings_events(workspace):
    return list(AuditEvent.objects.filter(workspace=workspace, action=AuditEvent.Action.SETTINGS_CHANGED))


# Facts ---------------------------------------------------------------------------------


def test_facts_show_issuer_links_counts_and_chart(admin_client, confidential_client, issue_token, token_pair_factory,
                                                  admin_user):
    for _ in range(3):
        assert issue_token(confidential_client.client_id, confidential_client.plain_secret).status_code == 200
    token_pair_factory(confidential_client, admin_user, expires_in=-60)  # an expired access token, live refresh
    response = admin_client.get(CHANGE.format(pk=confidential_client.workspace_id))
    facts = response.context["facts"]
    html = response.content.decode()

    assert facts.issuer == "http://testserver/auth/acme"
    assert f'href="{facts.discovery_url}"' in html
    assert facts.discovery_url == "http://testserver/auth/acme/.well-known/openid-configuration"
    assert f'href="{facts.jwks_url}"' in html
    assert (facts.access_active, facts.access_expired, facts.refresh_active) == (3, 1, 1)
    assert facts.issued_last_24h == 3
    assert html.count('<rect class="bar"') == 24
    assert "Access tokens issued per hour, last 24 h: 3" in html
    assert "<script" not in html.split('id="workspace-facts"')[1].split("</figure>")[0]


def test_issuer_follows_the_issuer_base_url_setting(admin_client, workspace, settings):
    settings.OAUTHHUB = {**settings.OAUTHHUB, "ISSUER_BASE_URL": "https://auth.example.com/"}
    facts = admin_client.get(CHANGE.format(pk=workspace.pk)).context["facts"]
    assert facts.issuer == "https://auth.example.com/acme"
    assert facts.jwks_url == "https://auth.example.com/acme/.well-known/jwks.json"


def test_refresh_counts_by_state(admin_client, confidential_client, token_pair_factory, admin_user):
    live = token_pair_factory(confidential_client, admin_user)[1]
    token_pair_factory(confidential_client, admin_user)[1].revoke()
    expired = token_pair_factory(confidential_client, admin_user)[1]
    expired.oauthhub_expiry.expires = live.created
    expired.oauthhub_expiry.save()
    facts = admin_client.get(CHANGE.format(pk=confidential_client.workspace_id)).context["facts"]
    assert (facts.refresh_active, facts.refresh_revoked, facts.refresh_expired) == (1, 1, 1)


def test_add_page_has_no_facts(admin_client, db):
    response = admin_client.get("/admin/oauthhub/workspace/add/")
    assert response.status_code == 200
    assert "facts" not in response.context


def test_fieldsets_group_settings_like_a_console(admin_client, workspace):
    response = admin_client.get(CHANGE.format(pk=workspace.pk))
    names = [fieldset.name for fieldset in response.context["adminform"]]
    assert names == ["General", "Tokens — Time to live", "Token format and signing", "Grant types", "Security"]
    html = response.content.decode()
    assert "PKCE required for the authorization code grant" in html


# Audit ---------------------------------------------------------------------------------------


def test_ttl_change_is_audited_with_old_new_and_actor(admin_client, workspace, admin_user):
    Workspace.objects.filter(pk=workspace.pk).update(refresh_token_ttl=86400)
    response = change(admin_client, workspace, access_token_ttl="15m", refresh_token_ttl="2d", name="Acme Inc")

    assert response.status_code == 302
    [event] = settings_events(workspace)
    assert event.actor == admin_user
    assert event.target == "workspace acme"
    assert event.detail == {
        "via": "admin", "operation": "updated",
        "changed": {"access_token_ttl": [None, 900], "refresh_token_ttl": [86400, 172800],
                    "name": ["Acme", "Acme Inc"]},
    }


def test_saving_unchanged_records_nothing(admin_client, workspace):
    assert change(admin_client, workspace).status_code == 302
    assert settings_events(workspace) == []


def test_every_settings_field_is_audited(admin_client, workspace):
    change(admin_client, workspace, grant_types=["client_credentials"], audiences="https://api.example.com",
           token_format="opaque", rotate_refresh_tokens="")
    [event] = settings_events(workspace)
    changed = event.detail["changed"]
    assert changed["grant_types"] == [list(Workspace.GrantType.values), ["client_credentials"]]
    assert changed["audiences"] == [[], ["https://api.example.com"]]
    assert changed["token_format"] == ["jwt", "opaque"]
    assert changed["rotate_refresh_tokens"] == [True, False]


def test_inline_scope_changes_go_in_the_same_event(admin_client, workspace):
    url = CHANGE.format(pk=workspace.pk)
    data = form_data(admin_client.get(url))
    blank = int(data["scopes-TOTAL_FORMS"]) - 1
    data.update({f"scopes-{blank}-name": "admin", "scopes-0-DELETE": "on"})
    assert admin_client.post(url, data).status_code == 302
    [event] = settings_events(workspace)
    assert event.detail["scopes"] == {"added": ["admin"], "deleted": ["read"]}
    assert "changed" not in event.detail


def test_a_refused_save_records_nothing(admin_client, workspace):
    assert change(admin_client, workspace, access_token_ttl="25h").status_code == 200
    assert settings_events(workspace) == []


def test_adding_a_workspace_is_audited(admin_client, admin_user, db):
    data = form_data(admin_client.get("/admin/oauthhub/workspace/add/"))
    data.update(slug="new", name="New")
    assert admin_client.post("/admin/oauthhub/workspace/add/", data).status_code == 302
    event = AuditEvent.objects.get(workspace__slug="new")
    assert (event.action, event.actor, event.detail) == ("settings_changed", admin_user,
                                                         {"via": "admin", "operation": "created"})


# The message after a TTL change -----------------------------------------------------------------


def test_ttl_change_says_it_applies_from_now_on_with_a_revoke_button(admin_client, workspace):
    response = change(admin_client, workspace, access_token_ttl="15m")
    texts = [str(message) for message in get_messages(response.wsgi_request)]
    [ttl] = [text for text in texts if "TTL" in text]
    assert "Access token TTL changed from 1 h (site default) to 15 min" in ttl
    assert "applies to tokens issued from now on" in ttl
    assert f'href="/admin/oauthhub/workspace/{workspace.pk}/revoke-tokens/"' in ttl

    page = admin_client.get(response["Location"]).content.decode()
    assert 'class="button revoke-existing-tokens"' in page  # rendered as a link, not escaped


def test_other_changes_say_nothing_about_ttl(admin_client, workspace):
    response = change(admin_client, workspace, name="Renamed")
    assert not any("TTL" in str(message) for message in get_messages(response.wsgi_request))


def test_the_button_leads_to_the_confirmation_which_revokes(admin_client, confidential_client, issue_token,
                                                             admin_user):
    issue_token(confidential_client.client_id, confidential_client.plain_secret)
    workspace = confidential_client.workspace
    page = admin_client.get(f"/admin/oauthhub/workspace/{workspace.pk}/revoke-tokens/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<td class="access-tokens">1</td>' in html
    assert 'action="/admin/oauthhub/workspace/"' in html
    assert not AuditEvent.objects.filter(action="tokens_revoked").exists()  # GET changed nothing

    done = admin_client.post("/admin/oauthhub/workspace/", {
        "action": "revoke_tokens", "_selected_action": [workspace.pk], "post": "yes"}, follow=True)
    assert "Revoked 1 token(s) of workspace acme." in done.content.decode()
    assert AuditEvent.objects.get(action="tokens_revoked").actor == admin_user


def test_revoke_button_url_needs_the_token_permissions(client, workspace, django_user_model):
    from django.contrib.auth.models import Permission

    from oauthhub.models import WorkspaceAdmin

    user = django_user_model.objects.create_user("editor", password="x", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_workspace", "change_workspace"]))
    WorkspaceAdmin.objects.create(user=user, workspace=workspace)
    client.force_login(user)
    assert client.get(f"/admin/oauthhub/workspace/{workspace.pk}/revoke-tokens/").status_code == 403
    response = change(client, workspace, access_token_ttl="15m")
    [ttl] = [str(m) for m in get_messages(response.wsgi_request) if "TTL" in str(m)]
    assert "revoke-tokens" not in ttl


def test_revoke_button_url_of_an_unknown_workspace_is_404(admin_client, db):
    assert admin_client.get("/admin/oauthhub/workspace/999/revoke-tokens/").status_code == 404


# Grace period ---------------------------------------------------------------------------------------


def test_grace_period_is_a_duration_and_empty_means_none(admin_client, workspace):
    html = admin_client.get(CHANGE.format(pk=workspace.pk)).content.decode()
    assert 'name="refresh_token_grace_period"' in html and 'placeholder="none"' in html
    assert change(admin_client, workspace, refresh_token_grace_period="30s").status_code == 302
    workspace.refresh_from_db()
    assert workspace.refresh_token_grace_period == 30
    assert change(admin_client, workspace, refresh_token_grace_period="").status_code == 302
    workspace.refresh_from_db()
    assert workspace.refresh_token_grace_period == 0


@pytest.mark.parametrize(("value", "text"), [("6m", "at most 5 min"), ("soon", "is not a duration")])
def test_grace_period_errors_are_beside_the_field(admin_client, workspace, value, text):
    response = change(admin_client, workspace, refresh_token_grace_period=value)
    assert_error_beside(response, "refresh_token_grace_period", text)


# Keys from the workspace page ---------------------------------------------------------------------------


def test_rotate_button_posts_the_action_and_is_audited(admin_client, workspace, jwks_max_age, admin_user):
    html = admin_client.get(CHANGE.format(pk=workspace.pk)).content.decode()
    assert '<input type="hidden" name="action" value="rotate_signing_keys">' in html
    jwks_max_age(0)
    admin_client.post("/admin/oauthhub/workspace/", {"action": "rotate_signing_keys",
                                                      "_selected_action": [workspace.pk]})
    event = AuditEvent.objects.get(action=AuditEvent.Action.KEYS_ROTATED)
    assert (event.workspace, event.actor, event.target) == (workspace, admin_user, "workspace acme")
    assert event.detail["active"] == workspace.signing_keys.get(state="active").kid


def test_refused_rotation_is_not_audited(admin_client, workspace, jwks_max_age):
    jwks_max_age(3600)
    admin_client.post("/admin/oauthhub/workspace/", {"action": "rotate_signing_keys",
                                                      "_selected_action": [workspace.pk]})
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.KEYS_ROTATED).exists()


# Every validation path of the workspace form -----------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "name", "text"),
    [
        ({"slug": "Has Space"}, "slug", "lowercase letters, digits and hyphens"),
        ({"slug": "admin"}, "slug", "is reserved"),
        ({"slug": "other"}, "slug", "already exists"),
        ({"name": ""}, "name", "This field is required."),
        ({"access_token_ttl": "0"}, "access_token_ttl", "at least 1 s"),
        ({"access_token_ttl": "25h"}, "access_token_ttl", "at most 1 day"),
        ({"access_token_ttl": "soon"}, "access_token_ttl", "is not a duration"),
        ({"refresh_token_ttl": "30s"}, "refresh_token_ttl", "at least 1 min"),
        ({"refresh_token_ttl": "400d"}, "refresh_token_ttl", "at most 366 days"),
        ({"access_token_ttl": "2h", "refresh_token_ttl": "1h"}, "refresh_token_ttl",
         "Refresh token TTL must be at least the access token TTL (2 h)."),
        ({"authorization_code_ttl": "11m"}, "authorization_code_ttl", "at most 10 min"),
        ({"id_token_ttl": "30s"}, "id_token_ttl", "at least 1 min"),
        ({"refresh_token_grace_period": "6m"}, "refresh_token_grace_period", "at most 5 min"),
        ({"key_rotation_period": "1h"}, "key_rotation_period", "at least 1 day"),
        ({"key_rotation_period": "later"}, "key_rotation_period", "is not a duration"),
        ({"grant_types": ["password"]}, "grant_types", "Select a valid choice"),
        ({"token_format": "paseto"}, "token_format", "Select a valid choice"),
        ({"signing_algorithm": "none"}, "signing_algorithm", "Select a valid choice"),
        ({"profile": "lax"}, "profile", "Select a valid choice"),
    ],
)
def test_every_workspace_validation_path_is_a_field_error(admin_client, workspace, workspace_factory, fields, name,
                                                          text):
    workspace_factory("other")
    response = change(admin_client, workspace, **fields)
    assert_error_beside(response, name, text)
    workspace.refresh_from_db()
    assert (workspace.slug, workspace.name, workspace.access_token_ttl) == ("acme", "Acme", None)
    assert settings_events(workspace) == []


def test_open_banking_bound_names_the_profile(admin_client, workspace_factory):
    bank = workspace_factory("bank", profile="open_banking")
    response = change(admin_client, bank, access_token_ttl="20m")
    assert_error_beside(response, "access_token_ttl", "at most 10 min for the Open banking (FAPI-style) profile")


def test_switching_profile_checks_the_inherited_values(admin_client, workspace):
    Workspace.objects.filter(pk=workspace.pk).update(access_token_ttl=3600)
    response = change(admin_client, workspace, profile="open_banking")
    assert_error_beside(response, "access_token_ttl", "at most 10 min")

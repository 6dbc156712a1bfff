"""Authorization code with PKCE (S256 only), consent, and code exchange."""

from __future__ import annotations

from urllib.parse import urlencode

from tests.conftest import REDIRECT_URI, basic_auth

TOKEN = "/auth/acme/oauth2/token"


def exchange(post_form, oauth_client, code, verifier, slug="acme", **extra):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, **extra}
    if verifier is not None:
        data["code_verifier"] = verifier
    headers = {}
    if oauth_client.is_confidential:
        headers["HTTP_AUTHORIZATION"] = basic_auth(oauth_client.client_id, oauth_client.plain_secret)
    else:
        data["client_id"] = oauth_client.client_id
    return post_form(f"/auth/{slug}/oauth2/token", data, **headers)


def test_login_is_required(client, confidential_client, pkce):
    query = urlencode({"response_type": "code", "client_id": confidential_client.client_id})
    response = client.get(f"/auth/acme/oauth2/authorize?{query}")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_consent_page_lists_scopes_with_descriptions(client, user, confidential_client, pkce):
    client.force_login(user)
    query = urlencode({
        "response_type": "code", "client_id": confidential_client.client_id, "redirect_uri": REDIRECT_URI,
        "scope": "read write", "code_challenge": pkce[1], "code_challenge_method": "S256",
    })
    page = client.get(f"/auth/acme/oauth2/authorize?{query}")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Read your data" in html and "Change your data" in html
    assert "Allow" in html and "Deny" in html
    assert page["Cache-Control"].startswith("max-age=0")


def test_full_flow_issues_access_and_refresh_tokens(authorize, post_form, confidential_client, pkce):
    verifier, challenge = pkce
    result = authorize(confidential_client, challenge)
    assert result["state"] == "xyz"
    assert result["iss"] == "http://testserver/auth/acme"
    response = exchange(post_form, confidential_client, result["code"], verifier)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["scope"] == "read"
    assert body["expires_in"] == 3600
    assert body["refresh_token"]


def test_authorization_code_is_stored_hashed(authorize, confidential_client, pkce):
    from oauth2_provider.models import Grant

    code = authorize(confidential_client, pkce[1])["code"]
    assert not Grant.objects.filter(code=code).exists()
    assert Grant.objects.count() == 1


def test_code_lifetime_comes_from_the_workspace(authorize, confidential_client, workspace, pkce):
    from django.utils import timezone
    from oauth2_provider.models import Grant

    workspace.authorization_code_ttl = 30
    workspace.save()
    authorize(confidential_client, pkce[1])
    remaining = (Grant.objects.get().expires - timezone.now()).total_seconds()
    assert 25 < remaining <= 30


def test_deny_returns_access_denied(authorize, confidential_client, pkce):
    result = authorize(confidential_client, pkce[1], allow=False)
    assert result["error"] == "access_denied"
    assert result["state"] == "xyz"


def test_pkce_is_required(authorize, confidential_client):
    assert authorize(confidential_client, None)["error"][0] == "invalid_request"


def test_plain_pkce_is_refused(authorize, confidential_client, pkce):
    assert authorize(confidential_client, pkce[0], method="plain")["error"][0] == "invalid_request"


def test_wrong_verifier_is_invalid_grant(authorize, post_form, confidential_client, pkce):
    code = authorize(confidential_client, pkce[1])["code"]
    response = exchange(post_form, confidential_client, code, "x" * 50)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_missing_verifier_is_refused(authorize, post_form, confidential_client, pkce):
    code = authorize(confidential_client, pkce[1])["code"]
    response = exchange(post_form, confidential_client, code, None)
    assert response.status_code == 400
    assert response.json()["error"] in {"invalid_request", "invalid_grant"}


def test_code_can_be_used_once(authorize, post_form, confidential_client, pkce):
    code = authorize(confidential_client, pkce[1])["code"]
    assert exchange(post_form, confidential_client, code, pkce[0]).status_code == 200
    second = exchange(post_form, confidential_client, code, pkce[0])
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"


def test_expired_code_is_invalid_grant(authorize, post_form, confidential_client, pkce):
    from django.utils import timezone
    from oauth2_provider.models import Grant

    code = authorize(confidential_client, pkce[1])["code"]
    Grant.objects.update(expires=timezone.now())
    assert exchange(post_form, confidential_client, code, pkce[0]).json()["error"] == "invalid_grant"


def test_redirect_uri_must_match_exactly(authorize, post_form, confidential_client, pkce):
    code = authorize(confidential_client, pkce[1])["code"]
    response = exchange(post_form, confidential_client, code, pkce[0], redirect_uri=REDIRECT_URI + "/other")
    assert response.status_code in (400, 401)
    assert response.json()["error"] in {"invalid_grant", "invalid_request"}


def test_unregistered_redirect_uri_is_never_redirected_to(client, user, confidential_client, pkce):
    client.force_login(user)
    query = urlencode({
        "response_type": "code", "client_id": confidential_client.client_id,
        "redirect_uri": "https://evil.example.com/cb", "code_challenge": pkce[1], "code_challenge_method": "S256",
    })
    page = client.get(f"/auth/acme/oauth2/authorize?{query}")
    assert page.status_code == 400
    assert "evil.example.com" not in page.get("Location", "")


def test_unknown_client_at_authorize_is_an_error_page(client, user, workspace, pkce):
    client.force_login(user)
    page = client.get("/auth/acme/oauth2/authorize?" + urlencode({"response_type": "code", "client_id": "nope"}))
    assert page.status_code == 400
    assert b"invalid_client" in page.content or b"cannot be authorized" in page.content


def test_scope_outside_allowance_is_sent_back_as_invalid_scope(authorize, workspace, client_factory, pkce):
    reader = client_factory(
        workspace, grant_types=["authorization_code"], scopes=[workspace.scopes.get(name="read")],
        redirect_uris=REDIRECT_URI,
    )
    assert authorize(reader, pkce[1], scope="write")["error"][0] == "invalid_scope"


def test_client_without_refresh_grant_gets_no_refresh_token(authorize, post_form, workspace, client_factory, pkce):
    c = client_factory(workspace, grant_types=["authorization_code"], scopes=[workspace.scopes.get(name="read")],
                       redirect_uris=REDIRECT_URI)
    code = authorize(c, pkce[1])["code"]
    body = exchange(post_form, c, code, pkce[0]).json()
    assert "access_token" in body and "refresh_token" not in body


def test_public_client_uses_pkce_without_secret(authorize, post_form, workspace, client_factory, pkce):
    public = client_factory(
        workspace, public=True, grant_types=["authorization_code", "refresh_token"],
        scopes=list(workspace.scopes.all()), redirect_uris=REDIRECT_URI,
    )
    assert public.plain_secret is None
    code = authorize(public, pkce[1])["code"]
    response = exchange(post_form, public, code, pkce[0])
    assert response.status_code == 200, response.content


def test_code_of_one_workspace_is_invalid_grant_at_another(
    authorize, post_form, confidential_client, workspace_factory, scope_factory, client_factory, pkce
):
    other = workspace_factory("other")
    scope_factory(other, "read", is_default=True)
    other_client = client_factory(
        other, grant_types=["authorization_code"], scopes=list(other.scopes.all()), redirect_uris=REDIRECT_URI
    )
    code = authorize(confidential_client, pkce[1])["code"]
    response = exchange(post_form, other_client, code, pkce[0], slug="other")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    # and the code still works where it belongs
    assert exchange(post_form, confidential_client, code, pkce[0]).status_code == 200


def test_client_of_another_workspace_cannot_start_a_flow(client, user, workspace_factory, confidential_client, pkce):
    workspace_factory("other")
    client.force_login(user)
    query = urlencode({
        "response_type": "code", "client_id": confidential_client.client_id, "redirect_uri": REDIRECT_URI,
        "code_challenge": pkce[1], "code_challenge_method": "S256",
    })
    page = client.get(f"/auth/other/oauth2/authorize?{query}")
    assert page.status_code == 400


def test_tampered_client_id_in_consent_post_is_refused(client, user, confidential_client, pkce):
    client.force_login(user)
    response = client.post("/auth/acme/oauth2/authorize", {
        "client_id": "forged", "redirect_uri": REDIRECT_URI, "response_type": "code", "scope": "read",
        "allow": "Authorize", "code_challenge": pkce[1], "code_challenge_method": "S256",
    })
    assert response.status_code == 400


def test_authorize_at_unknown_workspace_is_404(client, user):
    client.force_login(user)
    assert client.get("/auth/nope/oauth2/authorize?response_type=code").status_code == 404


def test_nul_byte_in_client_id_at_authorize_is_an_error_page(client, user, workspace):
    client.force_login(user)
    page = client.get("/auth/acme/oauth2/authorize?response_type=code&client_id=a%00b")
    assert page.status_code == 400


def test_native_app_loopback_redirect(authorize, post_form, workspace, client_factory, pkce):
    loopback = "http://127.0.0.1:8765/callback"
    native = client_factory(workspace, public=True, grant_types=["authorization_code"],
                            scopes=list(workspace.scopes.all()), redirect_uris=loopback)
    code = authorize(native, pkce[1], redirect_uri=loopback)["code"]
    response = exchange(post_form, native, code, pkce[0], redirect_uri=loopback)
    assert response.status_code == 200, response.content

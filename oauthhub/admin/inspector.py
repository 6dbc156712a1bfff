"""The token inspector: an admin page that says what a pasted token is and whether it would be accepted.

A JWT is decoded with jwcrypto without trusting it, then checked line by line
against the database: its key (by ``kid``), signature, times, issuer,
audience, scopes, revocation and the key's state. An opaque token is found by
its SHA-256 checksum, the way django-oauth-toolkit looks tokens up.

The pasted token is a bearer credential, so it is only ever in the POST body
of one request: never echoed back, stored, logged, put in a message or the
session. The view marks it sensitive for Django's error reports, and the
response is ``Cache-Control: no-store``. Only tokens of the workspaces the
admin manages are looked up; any other token reads as unknown.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.timesince import timesince, timeuntil
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from jwcrypto import jws
from jwcrypto.common import JWException
from oauth2_provider.models import AccessToken, RefreshToken

from .. import keys, revocation
from ..exceptions import InvalidToken, KeyDecryptionError
from ..models import Client, IssuedToken, Scope, SigningKey, Workspace
from ..oauth.issuer import issuer as workspace_issuer
from ..validation import ACCEPTED_TYPES, WorkspaceKeys, validate
from .scoping import narrow, workspace_ids

MAX_LENGTH = 16_384
LEEWAY = 30  # seconds, as resource servers allow (oauthhub.validation)


class InspectForm(forms.Form):
    token = forms.CharField(
        label="Token",
        max_length=MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(
            attrs={"rows": 5, "cols": 100, "spellcheck": "false", "autocomplete": "off", "autocapitalize": "off",
                   "placeholder": "eyJhbGciOi… or an opaque token"}
        ),
        help_text="A JWT access token, an opaque access token or a refresh token. It is checked and forgotten: "
        "never stored, logged or shown back.",
    )


@dataclass
class Line:
    """One line of the checklist: ``ok`` True (passes), False (fails) or None (does not apply)."""

    label: str
    ok: bool | None
    text: str


@dataclass
class Inspection:
    kind: str
    length: int
    header: dict | None = None
    claims: dict | None = None
    workspace: Workspace | None = None
    key: SigningKey | None = None
    client: Client | None = None
    links: dict[str, str] = field(default_factory=dict)
    times: list[tuple[str, str]] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    note: str = ""

    @property
    def failures(self) -> list[Line]:
        return [line for line in self.lines if line.ok is False]

    @property
    def verdict(self) -> str:
        if self.workspace is None:
            return self.note or "Not a token of a workspace you manage."
        if self.failures:
            return f"Not valid: {self.failures[0].text}"
        return "Valid: every check passes."

    @property
    def header_json(self) -> str:
        return _pretty(self.header)

    @property
    def claims_json(self) -> str:
        return _pretty(self.claims)


# The page ----------------------------------------------------------------------------


@sensitive_post_parameters("token")
def inspector_view(request, *, model_admin):
    """GET: the empty form. POST (with CSRF): the form again, empty, and what the token is."""
    if not may_inspect(request):
        raise PermissionDenied
    inspection, errors = None, []
    if request.method == "POST":
        posted = InspectForm(request.POST)
        if posted.is_valid():
            inspection = inspect(posted.cleaned_data["token"], request, model_admin.admin_site.name)
        else:
            errors = posted.errors.get("token", [])  # the messages only, never the value
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": "Token inspector",
        "form": InspectForm(),  # unbound: the pasted token is not shown back
        "token_errors": errors,
        "inspection": inspection,
        "manages_none": workspace_ids(request) == frozenset(),
    }
    response = TemplateResponse(request, "oauthhub/admin/token_inspector.html", context)
    patch_cache_control(response, no_store=True, private=True)
    return response


def may_inspect(request) -> bool:
    """Staff who may view access or refresh tokens."""
    return any(
        request.user.has_perm(f"{model._meta.app_label}.{action}_{model._meta.model_name}")
        for model in (AccessToken, RefreshToken)
        for action in ("view", "change")
    )


# Inspection ---------------------------------------------------------------------------


@sensitive_variables("token")
def inspect(token: str, request, site_name: str = "admin") -> Inspection:
    """What ``token`` is, checked against the workspaces ``request.user`` manages."""
    token = token.strip()
    if token.lower().startswith("bearer "):
        token = token[7:].strip()
    if token.count(".") == 2:
        return _inspect_jwt(token, request, site_name)
    return _inspect_opaque(token, request, site_name)


@sensitive_variables("token")
def _inspect_jwt(token: str, request, site_name: str) -> Inspection:
    result = Inspection(kind="JWT", length=len(token))
    parsed = jws.JWS()
    try:
        parsed.deserialize(token)  # no key: parsed, not verified
        header = parsed.jose_header
        claims = json.loads(parsed.objects["payload"])
    except (JWException, ValueError, TypeError, KeyError):
        result.kind = "Malformed JWT"
        result.note = "It has three dot-separated parts like a JWT, but they do not decode to a JWS header and " \
                      "JSON claims: it was cut short or changed when copied."
        return result
    if not isinstance(header, dict) or not isinstance(claims, dict):
        result.kind = "Malformed JWT"
        result.note = "Its header or claims are not JSON objects."
        return result
    result.header, result.claims = header, claims
    result.kind = "JWT access token" if str(header.get("typ", "")).lower() in ACCEPTED_TYPES else "JWT"
    result.times = _claim_times(claims)

    kid = header.get("kid") if isinstance(header.get("kid"), str) else None
    jti = claims.get("jti") if isinstance(claims.get("jti"), str) else None
    key = (
        narrow(SigningKey.objects.filter(kid=kid), "workspace", request).select_related("workspace").first()
        if kid else None
    )
    record = _record(jti, request)
    workspace = key.workspace if key else (record.workspace if record else None)
    if workspace is None:
        result.note = (
            f"No workspace you manage has a key with kid {kid!r} or a token with this jti: it was issued by "
            "another server or a workspace you do not manage, or it is not one of this site's tokens."
            if kid else "The header names no key (kid), and no workspace you manage issued a token with this jti."
        )
        return result
    result.workspace, result.key = workspace, key
    client = _client(workspace, claims.get("client_id"))
    result.client = client
    result.links = _links(site_name, workspace=workspace, key=key, client=client,
                          access=record.access_token if record and record.access_token_id else None)
    now = time.time()
    expected_issuer = workspace_issuer(request, workspace)
    lines = result.lines
    lines.append(_signature_line(parsed, header, key, kid))
    lines.append(_type_line(header))
    lines += _time_lines(claims, now)
    lines.append(_issuer_line(claims.get("iss"), expected_issuer))
    lines.append(_audience_line(claims.get("aud"), workspace, expected_issuer))
    lines.append(_scope_line(str(claims.get("scope", "")).split(), workspace, client))
    lines.append(_revocation_line(jti, record))
    lines.append(_key_state_line(key, kid))
    lines.append(_client_line(claims.get("client_id"), client, workspace))
    lines.append(_workspace_line(workspace))
    lines.append(_resource_server_line(token, workspace, expected_issuer, jti))
    return result


@sensitive_variables("token", "checksum")
def _inspect_opaque(token: str, request, site_name: str) -> Inspection:
    result = Inspection(kind="Opaque token", length=len(token))
    checksum = hashlib.sha256(token.encode("utf-8")).hexdigest()
    access = (
        narrow(AccessToken.objects.filter(token_checksum=checksum), "application__workspace", request)
        .select_related("application__workspace", "user")
        .first()
    )
    if access is not None:
        return _opaque_access(result, access, site_name)
    refresh = (
        narrow(RefreshToken.objects.filter(token_checksum=checksum), "application__workspace", request)
        .select_related("application__workspace", "access_token", "user")
        .order_by(F("revoked").desc(nulls_first=True))
        .first()
    )
    if refresh is not None:
        return _refresh(result, refresh, site_name)
    result.note = (
        "No access or refresh token with this value in the workspaces you manage. Revoking an opaque access token "
        "deletes its row, so a revoked one cannot be told apart from one never issued here; an expired one may "
        "have been cleared by oauthhub_cleartokens."
    )
    return result


def _opaque_access(result: Inspection, access, site_name: str) -> Inspection:
    workspace, client = access.application.workspace, access.application
    record = IssuedToken.objects.filter(access_token=access).first()
    result.kind = "Opaque access token"
    result.workspace, result.client = workspace, client
    result.links = _links(site_name, workspace=workspace, client=client, access=access)
    now = timezone.now()
    result.times = [("Expires", _when(access.expires, now))]
    if record is not None:
        result.times.insert(0, ("Issued", _when(record.issued_at, now)))
    result.lines = [
        Line("Signature", None, "Opaque: not signed. The server's row is what makes it valid, and the row exists."),
        _expiry_line(access.expires, now),
        _revocation_line(record.jti if record else None, record, row_exists=True),
        _scope_line(access.scope.split(), workspace, client),
        _client_line(client.client_id, client, workspace),
        _workspace_line(workspace),
    ]
    return result


def _refresh(result: Inspection, refresh, site_name: str) -> Inspection:
    workspace, client = refresh.application.workspace, refresh.application
    result.kind = "Refresh token"
    result.workspace, result.client = workspace, client
    result.links = _links(site_name, workspace=workspace, client=client, refresh=refresh)
    now = timezone.now()
    expiry = getattr(refresh, "oauthhub_expiry", None)
    result.times = [("Issued", _when(refresh.created, now))]
    lines = [Line("Signature", None, "Refresh tokens are opaque: the server's row is what makes them valid.")]
    if expiry is None:
        lines.append(Line("Not expired", False, "It has no expiry record, so the token endpoint refuses it."))
    else:
        result.times.append(("Expires", _when(expiry.expires, now)))
        lines.append(_expiry_line(expiry.expires, now))
    if refresh.revoked is not None:
        lines.append(Line("Not revoked", False, f"Revoked or used up {_ago(refresh.revoked, now)} "
                                                f"({_local(refresh.revoked)}): a rotated refresh token is revoked "
                                                "by the refresh that replaced it."))
    else:
        lines.append(Line("Not revoked", True, "Not revoked."))
    scopes = refresh.access_token.scope.split() if refresh.access_token else []
    if scopes:
        lines.append(_scope_line(scopes, workspace, client))
    lines += [_client_line(client.client_id, client, workspace), _workspace_line(workspace)]
    result.lines = lines
    return result


# Checklist lines ---------------------------------------------------------------------------


def _signature_line(parsed: jws.JWS, header: dict, key: SigningKey | None, kid: str | None) -> Line:
    if key is None:
        return Line("Signature verified", False,
                    f"Cannot be checked: no key {kid!r} in this workspace any more (a retired key leaves once every "
                    "token it signed has expired), or the token names a key that never existed.")
    if header.get("alg") != key.algorithm:
        return Line("Signature verified", False,
                    f"The header says alg {header.get('alg')!r}, but key {key.kid} is {key.algorithm}: refused "
                    "whatever the signature.")
    record = keys.KeyRecord(key.kid, key.algorithm, key.state, key.public_jwk, key.private_jwk_encrypted)
    try:
        parsed.verify(record.verification_key(), alg=key.algorithm)
    except KeyDecryptionError:
        return Line("Signature verified", False,
                    f"Key {key.kid} cannot be decrypted with the configured key-encryption key, so its HS256 "
                    "signature cannot be checked.")
    except (JWException, ValueError, TypeError):
        return Line("Signature verified", False,
                    f"The signature does not match key {key.kid}: the token was changed after it was signed, "
                    "or signed by someone else.")
    return Line("Signature verified", True, f"Signed by key {key.kid} ({key.algorithm}).")


def _type_line(header: dict) -> Line:
    typ = header.get("typ")
    if str(typ or "").lower() in ACCEPTED_TYPES:
        return Line("Access token type", True, f"typ is {typ!r}.")
    return Line("Access token type", False,
                f"typ is {typ!r}, not \"at+jwt\": this is not an access token (an ID token, perhaps), and resource "
                "servers refuse it.")


def _time_lines(claims: dict, now: float) -> list[Line]:
    exp, nbf, iat = (claims.get(name) for name in ("exp", "nbf", "iat"))
    lines = []
    if not _is_number(exp):
        lines.append(Line("Not expired", False,
                          "It has no exp claim, and resource servers refuse a token without one."))
    else:
        lines.append(_expiry_line(_datetime(exp), _datetime(now)))
    future = [(name, value) for name, value in (("nbf", nbf), ("iat", iat))
              if _is_number(value) and value > now + LEEWAY]
    if future:
        name, value = future[0]
        lines.append(Line("Already valid", False,
                          f"Not valid yet: its {name} is {timeuntil(_datetime(value), _datetime(now))} from now "
                          f"({_local(_datetime(value))}). The issuing server's clock may be ahead."))
    elif _is_number(iat):
        lines.append(Line("Already valid", True, f"Issued {_ago(_datetime(iat), _datetime(now))}."))
    else:
        lines.append(Line("Already valid", True, "No iat or nbf in the future."))
    return lines


def _expiry_line(expires: datetime, now: datetime) -> Line:
    if expires <= now:
        return Line("Not expired", False, f"Expired {_ago(expires, now)} ({_local(expires)}).")
    return Line("Not expired", True, f"Expires in {timeuntil(expires, now)} ({_local(expires)}).")


def _issuer_line(iss, expected: str) -> Line:
    if iss == expected:
        return Line("Issuer", True, f"{iss}, this workspace's issuer.")
    return Line("Issuer", False,
                f"Issued by {iss!r}, but this workspace's issuer is {expected!r}: another server or workspace made "
                "it (the issuer comes from OAUTHHUB['ISSUER_BASE_URL'], or from this page's address when unset).")


def _audience_line(aud, workspace: Workspace, issuer: str) -> Line:
    allowed = list(workspace.audiences) or [issuer]
    given = aud if isinstance(aud, list) else [aud] if isinstance(aud, str) else []
    if not given:
        return Line("Audience", False, "It has no aud claim: no resource server should accept it.")
    unknown = [value for value in given if value not in allowed]
    if unknown:
        return Line("Audience", False,
                    f"aud {', '.join(unknown)} is not one of this workspace's audiences ({', '.join(allowed)}).")
    return Line("Audience", True, f"For {', '.join(given)}.")


def _scope_line(scopes: list[str], workspace: Workspace, client: Client | None) -> Line:
    if not scopes:
        return Line("Scopes", True, "No scopes.")
    known = set(Scope.objects.for_workspace(workspace).filter(name__in=scopes).values_list("name", flat=True))
    unknown = [name for name in scopes if name not in known]
    if unknown:
        return Line("Scopes", False,
                    f"{' '.join(scopes)} — {', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not a scope of "
                    f"workspace {workspace.slug} (deleted since, or never one).")
    if client is not None:
        allowed = set(client.allowed_scopes.values_list("name", flat=True))
        beyond = [name for name in scopes if name not in allowed]
        if beyond:
            return Line("Scopes", False,
                        f"{' '.join(scopes)} — client {client.name} may no longer ask for {', '.join(beyond)}; the "
                        "token still carries it until it expires.")
    return Line("Scopes", True, " ".join(scopes))


def _revocation_line(jti: str | None, record: IssuedToken | None, *, row_exists: bool = False) -> Line:
    if record is None:
        if row_exists:
            return Line("Not revoked", True, "Not revoked: its row exists (revocation deletes it).")
        return Line("Not revoked", False,
                    "No record of this token's jti, so it cannot be shown unrevoked: it was not issued by this "
                    "workspace, or its record was cleared after it expired.")
    if record.revoked_at is not None:
        return Line("Not revoked", False,
                    f"Revoked {_ago(record.revoked_at)} ({_local(record.revoked_at)}).")
    return Line("Not revoked", True, f"Not revoked (jti {record.jti}).")


def _key_state_line(key: SigningKey | None, kid: str | None) -> Line:
    if key is None:
        return Line("Key state", False, f"Key {kid!r} is not among this workspace's keys any more.")
    state = SigningKey.State
    if key.state == state.REVOKED:
        return Line("Key state", False,
                    f"Key {key.kid} was revoked {_ago(key.revoked_at)}: every token it signed fails."
                    if key.revoked_at else f"Key {key.kid} was revoked: every token it signed fails.")
    if key.state == state.RETIRED:
        until = f" until {_local(key.publish_until)}" if key.publish_until else ""
        return Line("Key state", True, f"Retired: no longer signs, still published{until}.")
    if key.state == state.NEXT:
        return Line("Key state", True, "Next: published, not yet signing (unusual for a token to carry it).")
    return Line("Key state", True, "Active: the key that signs now.")


def _client_line(client_id, client: Client | None, workspace: Workspace) -> Line:
    if client is None:
        return Line("Client", False, f"No client {client_id!r} in workspace {workspace.slug} (deleted since?).")
    if not client.enabled:
        return Line("Client", False, f"{client.name} ({client.client_id}) is disabled.")
    return Line("Client", True, f"{client.name} ({client.client_id}).")


def _workspace_line(workspace: Workspace) -> Line:
    if not workspace.enabled:
        return Line("Workspace enabled", False,
                    f"Workspace {workspace.slug} is disabled: its endpoints answer 404 and its tokens are refused.")
    return Line("Workspace enabled", True, f"{workspace.slug} — {workspace.name}.")


@sensitive_variables("token")
def _resource_server_line(token: str, workspace: Workspace, issuer: str, jti: str | None) -> Line:
    """What oauthhub.validation (used by resource servers of this site) says, audience aside."""
    label = "Resource server check"
    try:
        validate(token, key_source=WorkspaceKeys(workspace.slug), issuer=issuer, audience=None, leeway=LEEWAY)
    except InvalidToken as exc:
        return Line(label, False, f"oauthhub.validation refuses it: {exc.reason}")
    if jti and revocation.is_revoked(jti):
        return Line(label, False, "oauthhub.validation accepts the signature and claims, but the jti is revoked.")
    return Line(label, True, "oauthhub.validation accepts it (the API's own audience is checked there too).")


# Helpers -----------------------------------------------------------------------------------


def _record(jti: str | None, request) -> IssuedToken | None:
    if not jti:
        return None
    return narrow(IssuedToken.objects.filter(jti=jti), "workspace", request).select_related("workspace").first()


def _client(workspace: Workspace, client_id) -> Client | None:
    if not isinstance(client_id, str):
        return None
    return Client.objects.for_workspace(workspace).filter(client_id=client_id).first()


def _links(site_name: str, *, workspace=None, key=None, client=None, access=None, refresh=None) -> dict[str, str]:
    targets = {
        "workspace": (workspace, "oauthhub_workspace_change"),
        "key": (key, "oauthhub_signingkey_change"),
        "client": (client, "oauthhub_client_change"),
        "access token row": (access, f"{AccessToken._meta.app_label}_{AccessToken._meta.model_name}_change"),
        "refresh token row": (refresh, f"{RefreshToken._meta.app_label}_{RefreshToken._meta.model_name}_change"),
    }
    return {name: reverse(f"{site_name}:{url}", args=[obj.pk]) for name, (obj, url) in targets.items() if obj}


def _claim_times(claims: dict) -> list[tuple[str, str]]:
    now = timezone.now()
    names = {"iat": "Issued", "nbf": "Not before", "exp": "Expires", "auth_time": "Signed in"}
    return [(label, _when(_datetime(claims[name]), now)) for name, label in names.items()
            if _is_number(claims.get(name))]


def _when(moment: datetime, now: datetime) -> str:
    relative = f"in {timeuntil(moment, now)}" if moment > now else _ago(moment, now)
    return f"{_local(moment)} ({relative})"


def _ago(moment: datetime, now: datetime | None = None) -> str:
    now = now or timezone.now()
    return "just now" if (now - moment).total_seconds() < 60 else f"{timesince(moment, now)} ago"


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S %Z")


def _datetime(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < 1e11


def _pretty(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False) if value is not None else ""

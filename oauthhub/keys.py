"""Signing keys with jwcrypto: generate, encrypt at rest, load, rotate, publish the JWKS.

A workspace always has one ``active`` key (signs) and one ``next`` key
(published, so resource servers know it before it signs). Rotation promotes
next to active and retires the old active key, which stays published until
every token it signed has expired. Private material is stored only as a JWE
encrypted with the key-encryption key (``OAUTHHUB["KEY_ENCRYPTION_KEY"]``).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from jwcrypto import jwe, jwk
from jwcrypto.common import JWException
from oauth2_provider.models import AccessToken

from .conf import hub_settings
from .exceptions import KeyDecryptionError, RotationError
from .models import SigningKey, Workspace

log = logging.getLogger(__name__)

_GENERATE = {
    SigningKey.Algorithm.RS256: {"kty": "RSA", "size": 2048},
    SigningKey.Algorithm.PS256: {"kty": "RSA", "size": 2048},
    SigningKey.Algorithm.ES256: {"kty": "EC", "crv": "P-256"},
    SigningKey.Algorithm.EDDSA: {"kty": "OKP", "crv": "Ed25519"},
    SigningKey.Algorithm.HS256: {"kty": "oct", "size": 256},
}
# PBES2 turns the key-encryption key (any string) into a wrapping key inside
# jwcrypto; no key derivation of our own.
_WRAP = {"alg": "PBES2-HS512+A256KW", "enc": "A256GCM", "cty": "jwk+json"}


# Key-encryption key ------------------------------------------------------------


def _key_encryption_keys() -> list[str]:
    """The configured key-encryption key first, then its fallbacks (for rotating it)."""
    primary = hub_settings.KEY_ENCRYPTION_KEY or f"oauthhub-derived:{settings.SECRET_KEY}"
    return [primary, *hub_settings.KEY_ENCRYPTION_KEY_FALLBACKS]


def _encrypt(private: jwk.JWK) -> str:
    token = jwe.JWE(private.export(private_key=True).encode(), protected=json.dumps(_WRAP))
    token.add_recipient(jwk.JWK.from_password(_key_encryption_keys()[0]))
    return token.serialize(compact=True)


@lru_cache(maxsize=256)
def _decrypt(kid: str, ciphertext: str) -> jwk.JWK:
    """The private JWK of ``kid``; memoized, since a key's material never changes."""
    for secret in _key_encryption_keys():
        token = jwe.JWE()
        try:
            token.deserialize(ciphertext, key=jwk.JWK.from_password(secret))
        except (JWException, ValueError):
            continue
        return jwk.JWK.from_json(token.payload)
    raise KeyDecryptionError(
        f"Signing key {kid} cannot be decrypted with OAUTHHUB['KEY_ENCRYPTION_KEY'] or its fallbacks. "
        "Restore the key-encryption key it was made with (add it to KEY_ENCRYPTION_KEY_FALLBACKS), "
        "or revoke the key and rotate."
    )


@lru_cache(maxsize=256)
def _public_key(kid: str, public_json: str) -> jwk.JWK:
    """A public JWK, built once per process: key material never changes under a kid."""
    return jwk.JWK.from_json(public_json)


# Generation --------------------------------------------------------------------


def new_key(workspace: Workspace, state: str, algorithm: str | None = None) -> SigningKey:
    """Generate and save a key for ``workspace`` in ``state``."""
    algorithm = algorithm or workspace.signing_algorithm
    private = jwk.JWK.generate(**_GENERATE[algorithm])
    kid = private.thumbprint()  # RFC 7638: stable, unique, derived from the key
    public = {} if algorithm == SigningKey.Algorithm.HS256 else {
        **private.export_public(as_dict=True), "kid": kid, "alg": algorithm, "use": "sig"
    }
    now = timezone.now()
    return SigningKey.objects.create(
        workspace=workspace,
        kid=kid,
        algorithm=algorithm,
        state=state,
        public_jwk=public,
        private_jwk_encrypted=_encrypt(private),
        activated_at=now if state == SigningKey.State.ACTIVE else None,
    )


def create_initial_keys(workspace: Workspace) -> None:
    """A new workspace's active key and the next one, published from the start."""
    new_key(workspace, SigningKey.State.ACTIVE)
    new_key(workspace, SigningKey.State.NEXT)


# Reading (through the cache) ------------------------------------------------------


@dataclass(frozen=True)
class KeyRecord:
    """What the request path needs of a key; cached (it holds no plain secret)."""

    kid: str
    algorithm: str
    state: str
    public_jwk: dict
    private_jwk_encrypted: str

    def private(self) -> jwk.JWK:
        return _decrypt(self.kid, self.private_jwk_encrypted)

    def verification_key(self) -> jwk.JWK:
        if self.algorithm == SigningKey.Algorithm.HS256:
            return self.private()
        return _public_key(self.kid, json.dumps(self.public_jwk, sort_keys=True))


def _cache_key(workspace_id: int) -> str:
    return f"oauthhub:keys:{workspace_id}"


def workspace_keys(workspace_id: int) -> dict[str, KeyRecord]:
    """kid → record for the workspace's next, active and retired keys."""
    cache = caches[hub_settings.CACHE_ALIAS]
    records = cache.get(_cache_key(workspace_id))
    if records is None:
        records = {
            key.kid: KeyRecord(key.kid, key.algorithm, key.state, key.public_jwk, key.private_jwk_encrypted)
            for key in SigningKey.objects.filter(workspace_id=workspace_id).published()
        }
        cache.set(_cache_key(workspace_id), records, hub_settings.WORKSPACE_CACHE_SECONDS)
    return records


def forget_keys(workspace_id: int) -> None:
    """Drop the cached keys now, and again at commit so no reader re-caches the old rows."""
    cache = caches[hub_settings.CACHE_ALIAS]
    cache.delete(_cache_key(workspace_id))
    transaction.on_commit(lambda: cache.delete(_cache_key(workspace_id)))


def active_key(workspace_id: int) -> KeyRecord | None:
    return next((k for k in workspace_keys(workspace_id).values() if k.state == SigningKey.State.ACTIVE), None)


def jwks(workspace_id: int) -> dict:
    """The public JWKS: next, active and retired asymmetric keys, never a secret."""
    return {"keys": [k.public_jwk for k in workspace_keys(workspace_id).values() if k.public_jwk]}


# Rotation ------------------------------------------------------------------------


def rotate(workspace: Workspace, *, force: bool = False, due_before: datetime | None = None) -> SigningKey:
    """Promote next → active, retire the active key, publish a new next; return the new active key.

    Refused while the next key is younger than one JWKS cache period (a
    resource server might not know it yet) unless ``force``. With
    ``due_before``, only an active key activated before then is retired, so a
    rotation another host just made is not repeated. Two rotations of one
    workspace at once: exactly one wins, the other raises RotationError.
    """
    ensure_next_key(workspace)
    with transaction.atomic():
        # Locks the workspace row on PostgreSQL; the conditional updates below
        # decide the race on every database.
        Workspace.objects.select_for_update().filter(pk=workspace.pk).exists()
        now = timezone.now()
        keys = {k.state: k for k in workspace.signing_keys.filter(state__in=["next", "active"])}
        next_key = keys[SigningKey.State.NEXT]
        wait = next_key.created_at + timedelta(seconds=hub_settings.JWKS_MAX_AGE) - now
        if not force and wait > timedelta(0):
            raise RotationError(
                f"The next key of {workspace.slug} was published {int((now - next_key.created_at).total_seconds())} s "
                f"ago; resource servers may cache the JWKS for {hub_settings.JWKS_MAX_AGE} s. Rotate again in "
                f"{int(wait.total_seconds()) + 1} s."
            )
        active = keys.get(SigningKey.State.ACTIVE)
        if active is not None:
            current = SigningKey.objects.filter(pk=active.pk, state=SigningKey.State.ACTIVE)
            if due_before is not None:
                current = current.filter(activated_at__lte=due_before)
            if not current.update(
                state=SigningKey.State.RETIRED, retired_at=now, publish_until=_last_expiry(workspace, now)
            ):
                raise RotationError(f"{workspace.slug} was rotated by another process.")
        promoted = SigningKey.objects.filter(pk=next_key.pk, state=SigningKey.State.NEXT).update(
            state=SigningKey.State.ACTIVE, activated_at=now
        )
        if not promoted:
            raise RotationError(f"{workspace.slug} was rotated by another process.")
        new_key(workspace, SigningKey.State.NEXT)
        forget_keys(workspace.pk)
    log.info("rotated signing keys of workspace %s: %s is active", workspace.slug, next_key.kid)
    return SigningKey.objects.get(pk=next_key.pk)


def ensure_next_key(workspace: Workspace) -> None:
    """Publish a next key if there is none (or it has the wrong algorithm), committed at once.

    Committed on its own so that a refused rotation does not take it back: the
    publication clock must keep running for the rotation that follows.
    """
    with transaction.atomic():
        Workspace.objects.select_for_update().filter(pk=workspace.pk).exists()
        current = workspace.signing_keys.filter(state=SigningKey.State.NEXT).first()
        if current is not None and current.algorithm == workspace.signing_algorithm:
            return
        if current is not None:
            # It never signed anything, so unpublishing it harms no token.
            SigningKey.objects.filter(pk=current.pk).update(state=SigningKey.State.REVOKED, revoked_at=timezone.now())
        new_key(workspace, SigningKey.State.NEXT)
        forget_keys(workspace.pk)


def rotate_due(now: datetime | None = None) -> list[Workspace]:
    """Rotate every workspace whose active key is older than its rotation period.

    Safe from cron on several hosts at once: a workspace another process is
    rotating (or has just rotated) is skipped.
    """
    now = now or timezone.now()
    rotated = []
    for workspace in Workspace.objects.exclude(key_rotation_period__isnull=True):
        cutoff = now - timedelta(seconds=workspace.key_rotation_period)
        if not workspace.signing_keys.filter(state=SigningKey.State.ACTIVE, activated_at__lte=cutoff).exists():
            continue
        try:
            rotate(workspace, due_before=cutoff)
        except (RotationError, DatabaseError) as exc:
            log.warning("did not rotate %s: %s", workspace.slug, exc)
            continue
        rotated.append(workspace)
    return rotated


def prune(now: datetime | None = None) -> int:
    """Drop retired keys from the JWKS once every token they signed has expired."""
    now = now or timezone.now()
    expired = SigningKey.objects.filter(state=SigningKey.State.RETIRED).filter(
        Q(publish_until__lte=now) | Q(publish_until__isnull=True)
    )
    workspace_ids = set(expired.values_list("workspace_id", flat=True))
    count = expired.delete()[0]
    for workspace_id in workspace_ids:
        forget_keys(workspace_id)
    return count


def revoke(key: SigningKey) -> None:
    """Unpublish ``key`` at once; tokens it signed fail validation from now on.

    Only a next or retired key can be revoked; the active key must be rotated
    out first. A revoked next key is replaced, so rotation keeps working.
    """
    revoked = SigningKey.objects.filter(
        pk=key.pk, state__in=[SigningKey.State.NEXT, SigningKey.State.RETIRED]
    ).update(state=SigningKey.State.REVOKED, revoked_at=timezone.now())
    if not revoked:
        current = SigningKey.objects.filter(pk=key.pk).values_list("state", flat=True).first()
        if current == SigningKey.State.ACTIVE:
            raise RotationError("Rotate first: the active key is signing. Then revoke it as a retired key.")
        raise RotationError(f"Key {key.kid} is {current or 'gone'}; nothing to revoke.")
    forget_keys(key.workspace_id)
    ensure_next_key(key.workspace)


def live_token_counts(workspace_ids) -> dict[int, int]:
    """Unexpired access tokens per workspace: an upper bound of what revoking one of its keys
    breaks, as token rows do not record the key that signed them."""
    rows = (
        AccessToken.objects.filter(application__workspace__in=list(workspace_ids), expires__gt=timezone.now())
        .order_by()
        .values("application__workspace")
        .annotate(count=Count("pk"))
        .values_list("application__workspace", "count")
    )
    return dict(rows)


def _last_expiry(workspace: Workspace, now: datetime) -> datetime:
    """When the last token the active key signed expires (the longest TTL that applied)."""
    last = AccessToken.objects.filter(application__workspace=workspace).aggregate(last=Max("expires"))["last"]
    id_token_end = now + timedelta(seconds=workspace.effective_ttl("id"))
    return max(filter(None, [last, id_token_end]))




def signing_key(workspace: Workspace) -> KeyRecord:
    """The key that signs for ``workspace`` now; a workspace without keys gets its first ones."""
    key = active_key(workspace.pk)
    if key is None:
        with transaction.atomic():
            Workspace.objects.select_for_update().filter(pk=workspace.pk).exists()
            if not workspace.signing_keys.filter(state=SigningKey.State.ACTIVE).exists():
                if workspace.signing_keys.filter(state=SigningKey.State.NEXT).exists():
                    # Saved without keys (a data migration, raw fixtures), then a save
                    # published its next key: only the active one is missing.
                    new_key(workspace, SigningKey.State.ACTIVE)
                else:
                    create_initial_keys(workspace)
        forget_keys(workspace.pk)
        key = active_key(workspace.pk)
    return key

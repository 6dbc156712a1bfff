"""Revocation and introspection: the introspection endpoint, the revocation-list check, rebuilding the list.

What this script measures, with the Django cache of its ``--cache`` (local
memory, or Redis on 127.0.0.1:6379 in a dedicated database number):

1. introspection requests per second through the real endpoint
   (``POST /bench/oauth2/introspect``, oauthhub under gunicorn on 127.0.0.1,
   the load generator of ``bench/token_endpoint.py``). The caller is a client
   with ``can_introspect=True``; it asks about a mix of active JWTs, revoked
   JWTs and unknown tokens that another client of the workspace holds, and
   every answer's ``active`` must be what the token is. Then each kind alone,
   from one client thread (latency without queueing, worker CPU per kind);
2. in one thread, in-process: ``revocation.is_revoked(jti)`` alone, one plain
   ``cache.get`` (and with Redis, one GET through a redis-py client kept open,
   which Django's RedisCache does not do), ``validation.validate`` without and
   with the revocation-list check, and a DRF APIView with JWTAuthentication
   (``OAUTHHUB["RESOURCE_SERVER"] = {"WORKSPACE": "bench"}``, which checks the
   list) called with django.test.RequestFactory requests, as ``bench/jwt.py``
   does, also with ``is_revoked`` patched out and with a revoked token. The
   loops run interleaved, in ``--rounds`` rounds of N / rounds seconds each;
3. rebuilding the list after a cache flush: ``revocation.load()`` with
   ``--records`` extra revoked records (default 10,000) in the database, the
   query alone, the first ``is_revoked`` after a flush, and how many revoked
   jtis the cache reports as revoked afterwards.

    .venv/bin/python bench/revocation.py [--seconds N] [--concurrency C]
                                         [--database sqlite|postgres]
                                         [--cache locmem|redis]

Each measurement lasts N seconds (default 5) or until its count cap; a run
takes about 15 × N seconds plus setup, and about half a minute more with Redis
(the rebuild, timed at least three times).

Only 127.0.0.1 is ever contacted. Django runs only in the child processes
(``--setup``, ``--measure``). gunicorn, temp files, the PostgreSQL database and
the Redis database (flushed: it must be empty when the run starts) are cleaned
up in a ``finally``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from itertools import cycle
from pathlib import Path
from urllib.parse import urlencode

if not __package__:  # run as a script: put the repository root where bench/ was (bench/jwt.py would shadow PyJWT)
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench._harness import (  # noqa: E402
    HOST,
    Databases,
    Result,
    Sent,
    Server,
    basic_auth,
    child_env,
    code_version,
    drive_requests,
    exit_on_sigterm,
    jose_part,
    percentile,
    post_token,
    print_result,
    run_child,
    start_server,
    timed,
    wait_until_answering,
)

SCRIPT = Path(__file__).resolve()
SLUG = "bench"
TOKEN_PATH = f"/{SLUG}/oauth2/token"
REVOKE_PATH = f"/{SLUG}/oauth2/revoke"
INTROSPECT_PATH = f"/{SLUG}/oauth2/introspect"
KINDS = ("active", "revoked", "unknown")
REDIS_PORT = 6379


# Setup, in a child process with DJANGO_SETTINGS_MODULE set --------------------------


def run_setup() -> None:
    """Migrate; workspace ``bench`` (defaults: RS256 JWTs), scope ``read``, the token holder and the API."""
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)

    from oauthhub.models import Client, Scope, Workspace

    workspace = Workspace(slug=SLUG, name="Benchmark")
    workspace.full_clean()
    workspace.save()
    scope = Scope.objects.create(workspace=workspace, name="read", description="Read", is_default=True)

    def client(name: str, **fields) -> dict:
        record = Client(
            workspace=workspace,
            name=name,
            client_type=Client.Kind.CONFIDENTIAL,
            grant_types=["client_credentials"],
            **fields,
        )
        secret = record.set_new_secret()
        record.full_clean()
        record.save()
        record.allowed_scopes.set([scope])
        return {"client_id": record.client_id, "client_secret": secret}

    print_result({
        "holder": client("Benchmark token holder"),
        "api": client("Benchmark API", can_introspect=True),
        "algorithm": workspace.signing_algorithm,
        "token_format": workspace.token_format,
        "cache": settings.CACHES["default"]["BACKEND"],
    })


# In-process measurements, in a child process ------------------------------------------


def probe_view():
    """Like tests/resource_views.WhoAmI: a token with scope ``read`` gets its subject back."""
    from rest_framework.response import Response
    from rest_framework.views import APIView

    from oauthhub.contrib.rest_framework import HasScope, JWTAuthentication

    class Probe(APIView):
        authentication_classes = (JWTAuthentication,)
        permission_classes = (HasScope,)
        required_scopes = ("read",)

        def get(self, request):
            return Response({"sub": request.user.pk, "scopes": sorted(request.auth.scopes)})

    return Probe.as_view()


def run_measure(spec_path: str) -> None:
    import django

    django.setup()
    spec = json.loads(Path(spec_path).read_text())
    from django.core.cache import caches

    from oauthhub.conf import hub_settings

    cache = caches[hub_settings.CACHE_ALIAS]
    print_result({
        "backend": f"{type(cache).__module__}.{type(cache).__name__}",
        "loops": measure_checks(spec),
        "rebuild": measure_rebuild(spec),
    })


def measure_checks(spec: dict) -> dict:
    """Part 2: the list check alone, validation without and with it, the DRF path."""
    from contextlib import nullcontext
    from unittest import mock

    from django.conf import settings
    from django.core.cache import caches
    from django.test import RequestFactory, override_settings

    from oauthhub import revocation
    from oauthhub.conf import hub_settings
    from oauthhub.validation import WorkspaceKeys, validate

    seconds, cap = spec["seconds"], spec["max_iterations"]
    active, revoked = spec["active_tokens"], spec["revoked_tokens"]
    active_jtis, revoked_jtis = spec["active_jtis"], spec["revoked_jtis"]
    claims = jose_part(active[0], 1)
    issuer, audience = claims["iss"], claims["aud"]
    cache = caches[hub_settings.CACHE_ALIAS]

    # The list the endpoint's revocations built must answer correctly before anything is timed
    # (the first call loads it from the database if this cache has no marker).
    wrong = [jti for jti in revoked_jtis if not revocation.is_revoked(jti)]
    wrong += [jti for jti in active_jtis if revocation.is_revoked(jti)]
    if wrong:
        raise RuntimeError(f"is_revoked is wrong about {len(wrong)} jtis, e.g. {wrong[0]}")

    unlisted, listed = cycle(active_jtis), cycle(revoked_jtis)
    pending = cycle(active)

    def validate_one():
        return validate(next(pending), key_source=WorkspaceKeys(SLUG), issuer=issuer, audience=audience)

    def validate_and_check():
        if revocation.is_revoked(validate_one().jti):
            raise RuntimeError("an active token is on the revocation list")

    # Through DRF. JWTAuthentication derives issuer and audience from the request, so the Host is
    # the one the tokens were issued on. The requests are built once: a server builds them anyway.
    host = issuer.split("/")[2]
    factory = RequestFactory()
    view = probe_view()

    def requests_for(tokens):
        return cycle([factory.get("/probe", HTTP_AUTHORIZATION=f"Bearer {t}", HTTP_HOST=host) for t in tokens])

    accepted, refused = requests_for(active), requests_for(revoked)

    def drf_accepts():
        response = view(next(accepted))
        response.render()
        if response.status_code != 200:
            raise RuntimeError(f"DRF view answered {response.status_code}: {response.content[:300]!r}")

    def drf_refuses():
        response = view(next(refused))
        response.render()
        if response.status_code != 401 or b"revoked" not in response.content:
            raise RuntimeError(f"DRF view let a revoked token through: {response.status_code} {response.content!r}")

    # key: (operation, what to enter around it)
    loops = {"cache_get": (lambda: cache.get("oauthhub:bench:absent"), nullcontext)}
    location = settings.CACHES[hub_settings.CACHE_ALIAS].get("LOCATION")
    if "RedisCache" in type(cache).__name__ and location:
        import redis

        kept = redis.Redis.from_url(location)  # Django's RedisCache builds a client for every call
        loops["redis_get"] = (lambda: kept.get("oauthhub:bench:absent"), nullcontext)
    loops.update({
        "is_revoked_no": (lambda: revocation.is_revoked(next(unlisted)), nullcontext),
        "is_revoked_yes": (lambda: revocation.is_revoked(next(listed)), nullcontext),
        "validate": (validate_one, nullcontext),
        "validate_check": (validate_and_check, nullcontext),
        "drf": (drf_accepts, nullcontext),
        "drf_unchecked": (drf_accepts, lambda: mock.patch.object(revocation, "is_revoked", lambda jti: False)),
        "drf_revoked": (drf_refuses, nullcontext),
    })
    # Interleaved rounds, so a burst of other load on the machine hits every loop alike.
    measured = {key: {"count": 0, "wall": 0.0, "cpu": 0.0} for key in loops}
    with override_settings(OAUTHHUB={**settings.OAUTHHUB, "RESOURCE_SERVER": {"WORKSPACE": SLUG}}):
        for _ in range(spec["rounds"]):
            for key, (operation, context) in loops.items():
                with context():
                    part = timed(operation, seconds / spec["rounds"], max(1, cap // spec["rounds"]))
                for name in measured[key]:
                    measured[key][name] += part[name]
    return measured


def repeat(operation, repeats: int, seconds: float) -> list[dict]:
    """Up to ``repeats`` results of ``operation()`` (which times itself): at least three (or
    ``repeats``), more only while ``seconds`` have not passed."""
    runs, deadline = [], time.perf_counter() + seconds
    while len(runs) < repeats:
        runs.append(operation())
        if len(runs) >= 3 and time.perf_counter() >= deadline:
            break
    return runs


def measure_rebuild(spec: dict) -> dict:
    """Part 3: ``--records`` more revoked records, then the list rebuilt after a flush."""
    from datetime import timedelta
    from uuid import uuid4

    from django.core.cache import caches
    from django.utils import timezone

    from oauthhub import revocation
    from oauthhub.conf import hub_settings
    from oauthhub.models import IssuedToken, Workspace

    seconds, cap = spec["seconds"], spec["max_iterations"]
    cache = caches[hub_settings.CACHE_ALIAS]
    workspace = Workspace.objects.get(slug=SLUG)
    now = timezone.now()
    began = time.perf_counter()
    IssuedToken.objects.bulk_create(
        (
            IssuedToken(workspace=workspace, jti=f"bench-{uuid4().hex}", expires=now + timedelta(hours=1),
                        revoked_at=now)
            for _ in range(spec["records"])
        ),
        batch_size=1000,
    )
    created = time.perf_counter() - began
    query = IssuedToken.objects.revoked().filter(expires__gt=now - revocation.MARGIN)
    all_jtis = list(query.values_list("jti", flat=True))

    def clocked(operation) -> dict:
        cpu, wall = time.process_time(), time.perf_counter()
        value = operation()
        return {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu, "value": value}

    def flushed(operation):
        def run() -> dict:
            cache.clear()
            return clocked(operation)

        return run

    result = {"records_created": spec["records"], "create_seconds": created, "listed": len(all_jtis)}
    result["query"] = repeat(lambda: clocked(lambda: len(list(query.only("jti", "expires")))),
                             spec["load_repeats"], seconds)
    result["first_check"] = repeat(flushed(lambda: revocation.is_revoked(all_jtis[0])), 3, seconds)
    result["load"] = repeat(flushed(revocation.load), spec["load_repeats"], seconds)

    # The list was just loaded. Does the cache still hold every revoked jti? Bounded in time: a
    # cache that lost the marker would make each call below load the whole list again.
    deadline, found, asked = time.perf_counter() + seconds, 0, 0
    for jti in all_jtis:
        found += revocation.is_revoked(jti)
        asked += 1
        if time.perf_counter() >= deadline:
            break
    result["coverage"] = {"asked": asked, "revoked": found, "seconds": seconds}
    # With the whole list in place: the check itself does not depend on the list's length.
    listed, unlisted = cycle(all_jtis), cycle(spec["active_jtis"])
    result["is_revoked_no"] = timed(lambda: revocation.is_revoked(next(unlisted)), seconds, cap)
    result["is_revoked_yes"] = timed(lambda: revocation.is_revoked(next(listed)), seconds, cap)
    return result


# Endpoint, from the parent -------------------------------------------------------------


def form_headers(credentials: dict) -> dict:
    return {
        "Authorization": basic_auth(credentials["client_id"], credentials["client_secret"]),
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json",
    }


def post_form(conn: http.client.HTTPConnection, path: str, form: dict, headers: dict) -> tuple[int, bytes]:
    conn.request("POST", path, body=urlencode(form), headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def issue_tokens(server: Server, holder: dict, count: int) -> list[str]:
    headers = form_headers(holder)
    conn = http.client.HTTPConnection(HOST, server.port, timeout=60)
    tokens = []
    try:
        for _ in range(count):
            status, body = post_token(conn, TOKEN_PATH, headers)
            if status != 200:
                raise RuntimeError(f"token endpoint: HTTP {status}: {body[:500].decode(errors='replace')}")
            tokens.append(json.loads(body)["access_token"])
    finally:
        conn.close()
    return tokens


def revoke_tokens(server: Server, holder: dict, tokens: list[str]) -> None:
    """RFC 7009, by the client that holds them, as an app logging out would."""
    headers = form_headers(holder)
    conn = http.client.HTTPConnection(HOST, server.port, timeout=60)
    try:
        for token in tokens:
            status, body = post_form(conn, REVOKE_PATH, {"token": token, "token_type_hint": "access_token"}, headers)
            if status != 200:
                raise RuntimeError(f"revocation endpoint: HTTP {status}: {body[:500].decode(errors='replace')}")
    finally:
        conn.close()


def parse_mix(text: str) -> list[str]:
    """"2:1:1" → the request pattern active, active, revoked, unknown."""
    try:
        weights = [int(part) for part in text.split(":")]
    except ValueError:
        weights = []
    if len(weights) != len(KINDS) or any(w < 0 for w in weights) or not any(weights):
        raise argparse.ArgumentTypeError("use three non-negative weights active:revoked:unknown, e.g. 2:1:1")
    return [kind for kind, weight in zip(KINDS, weights) for _ in range(weight)]


def introspection(pools: dict[str, list[str]], pattern: list[str], api: dict):
    """``send`` for drive_requests: request n asks about a token of kind pattern[n mod len]."""
    headers = form_headers(api)

    def send(conn: http.client.HTTPConnection, number: int) -> Sent:
        kind = pattern[number % len(pattern)]
        pool = pools[kind]
        token = pool[(number // len(pattern)) % len(pool)]
        status, body = post_form(conn, INTROSPECT_PATH, {"token": token, "token_type_hint": "access_token"}, headers)
        problem = None
        if status == 200:
            try:
                active = json.loads(body).get("active")
            except ValueError:
                active = None
            if active is not (kind == "active"):
                problem = f"{kind} token answered {body[:300].decode(errors='replace')}"
        return status, body, kind, problem

    return send


def check_answers(server: Server, send, count: int) -> None:
    """Requests 0 … count-1, untimed: with count = len(pattern) × largest pool, every token once."""
    conn = http.client.HTTPConnection(HOST, server.port, timeout=60)
    try:
        for number in range(count):
            status, body, kind, problem = send(conn, number)
            if status != 200 or problem:
                raise RuntimeError(f"introspection, {kind} token: HTTP {status}: {problem or body[:300]!r}")
    finally:
        conn.close()


# Report ------------------------------------------------------------------------------


def ms_pair(latencies: list[float]) -> str:
    ms = [value * 1000 for value in latencies]
    return f"{percentile(ms, 0.50):.1f} / {percentile(ms, 0.95):.1f}"


def report_endpoint(result: Result, pattern: list[str], pools: dict[str, list[str]], workers: int) -> None:
    print("\n1. Introspection endpoint (POST /bench/oauth2/introspect, caller with can_introspect=True):\n")
    shares = ", ".join(
        f"{kind} {pattern.count(kind) / len(pattern):.0%} ({len(pools[kind])} tokens)"
        for kind in KINDS if pattern.count(kind)
    )
    print(f"  mix                : {shares}; unknown = random 43-character strings")
    print(f"  requests completed : {result.completed} in {result.elapsed:.2f} s")
    print(f"  non-200            : {result.non_200}" + (f"  {result.statuses}" if result.non_200 else ""))
    print(f"  wrong answers      : {result.wrong}")
    if result.errors:
        print(f"  connection errors  : {result.errors}")
    print(f"  introspections/s   : {result.rate:.1f}")
    print(f"  latency p50 / p95  : {ms_pair(result.latencies)} ms")
    for kind in KINDS:
        if kind in result.by_kind:
            values = result.by_kind[kind]
            print(f"    {kind:<8}         : {ms_pair(values)} ms ({len(values)} requests)")
    if result.completed:
        per_request = result.worker_cpu / result.completed * 1000
        print(f"  worker CPU         : {result.worker_cpu:.1f} s ({per_request:.1f} ms per request)")
    print(
        f"  machine CPU busy   : {result.machine_busy:.0%} of {os.cpu_count()} CPUs "
        f"(load generator {result.client_cpu:.1f} s, rest: workers, database, cache, other processes)"
    )
    if result.worker_rss_kib:
        rss = ", ".join(f"{kib / 1024:.1f}" for kib in result.worker_rss_kib)
        print(f"  peak RSS (VmHWM)   : {rss} MiB across {len(result.worker_rss_kib)} of {workers} workers")
    if result.first_failure:
        print(f"  first failure      : {result.first_failure}")


def report_single(results: dict[str, Result]) -> None:
    if not results:
        return
    print("\nOne kind at a time, one client thread:\n")
    print("| token | requests | per second | p50 / p95 ms | worker CPU ms/request |")
    print("|---|---:|---:|---:|---:|")
    for kind, result in results.items():
        worker = f"{result.worker_cpu / result.completed * 1000:.1f}" if result.completed else "—"
        print(f"| {kind} | {result.completed} | {result.rate:.1f} | {ms_pair(result.latencies)} | {worker} |")
    for kind, result in results.items():
        if result.non_200 or result.errors or result.wrong:
            print(f"{kind}: non-200 {result.statuses}, wrong {result.wrong}, errors {result.errors}: "
                  f"{result.first_failure}")


LOOPS = {
    "cache_get": "cache.get, one absent key",
    "redis_get": "redis-py GET with a kept client (what the round trip costs)",
    "is_revoked_no": "revocation.is_revoked(jti), jti not listed",
    "is_revoked_yes": "revocation.is_revoked(jti), jti listed",
    "validate": "validate() alone, no revocation check",
    "validate_check": "validate() + is_revoked()",
    "drf": "DRF view, JWTAuthentication (validate + check)",
    "drf_unchecked": "DRF view, is_revoked patched out",
    "drf_revoked": "DRF view, revoked token (401)",
}


def loop_row(label: str, measured: dict) -> str:
    count, wall, cpu = measured["count"], measured["wall"], measured["cpu"]
    return (
        f"| {label} | {count / wall:,.0f} | {wall / count * 1e6:,.0f} | {cpu / count * 1e6:,.0f} |"
        if count and wall else f"| {label} | — | — | — |"
    )


def report_in_process(measured: dict, cache_label: str, rounds: int) -> None:
    loops, rebuild = measured["loops"], measured["rebuild"]
    print(f"\n2. In-process, one thread, cache {cache_label} ({measured['backend']}), RS256 tokens, "
          f"loops interleaved in {rounds} rounds:\n")
    print("| operation | per second | wall µs/op | CPU µs/op |")
    print("|---|---:|---:|---:|")
    for key, label in LOOPS.items():
        if key in loops:
            print(loop_row(label, loops[key]))

    def ms(runs: list[dict], field: str = "wall") -> str:
        values = [run[field] * 1000 for run in runs]
        if len(values) == 1:
            return f"{values[0]:,.1f}"
        return f"{min(values):,.1f} / {statistics.median(values):,.1f} / {max(values):,.1f}"

    print(
        f"\n3. Rebuilding the list after a cache flush ({rebuild['records_created']:,} revoked records added in "
        f"{rebuild['create_seconds']:.1f} s; {rebuild['listed']:,} on the list):\n"
    )
    print("| operation | runs | wall ms (min / median / max) | CPU ms (median) |")
    print("|---|---:|---:|---:|")
    rows = {
        "query": "the list's query alone (rows → objects)",
        "load": "cache.clear(), then revocation.load()",
        "first_check": "cache.clear(), then one is_revoked() (loads the list)",
    }
    for key, label in rows.items():
        runs = rebuild[key]
        cpu = statistics.median(run["cpu"] for run in runs) * 1000
        print(f"| {label} | {len(runs)} | {ms(runs)} | {cpu:,.1f} |")
    loaded = {run["value"] for run in rebuild["load"]}
    coverage = rebuild["coverage"]
    print(f"\nload() returned {', '.join(f'{n:,}' for n in sorted(loaded))} (tokens on the list).")
    print(
        f"After load(), is_revoked() said True for {coverage['revoked']:,} of {coverage['asked']:,} revoked jtis "
        f"asked ({coverage['revoked'] / coverage['asked']:.1%})"
        + ("." if coverage["asked"] == rebuild["listed"]
           else f" (of {rebuild['listed']:,}: stopped after {coverage['seconds']:g} s).")
    )
    print("\nWith the whole list loaded:\n")
    print("| operation | per second | wall µs/op | CPU µs/op |")
    print("|---|---:|---:|---:|")
    print(loop_row("is_revoked(jti), jti not listed", rebuild["is_revoked_no"]))
    print(loop_row("is_revoked(jti), jti of the list", rebuild["is_revoked_yes"]))
    timed_loops = [*loops.values(), rebuild["is_revoked_no"], rebuild["is_revoked_yes"]]
    shares = [m["cpu"] / m["wall"] for m in timed_loops if m["wall"]]
    print(f"\nThe in-process thread got {min(shares):.0%}–{max(shares):.0%} of a CPU during its loops "
          "(below 100%: waiting on the cache or the database, or other processes took the core).")


# Redis ---------------------------------------------------------------------------------


def redis_database(url: str):
    """The Redis client for the run's database; it must be empty, since cleanup flushes it."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5)
    keys = client.dbsize()
    if keys:
        raise SystemExit(
            f"Redis database {url} holds {keys} keys; this script flushes its database when done. "
            "Pick an empty one with --redis-db (or flush it yourself if a crashed run left them)."
        )
    return client


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each measurement (default 5)")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads (default 8)")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--cache", choices=["locmem", "redis"], default="locmem",
                        help="Django cache of the server and the in-process loops (default locmem)")
    parser.add_argument("--redis-db", type=int, default=13,
                        help=f"database number on {HOST}:{REDIS_PORT}; must be empty, flushed afterwards (default 13)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--mix", type=parse_mix, default=parse_mix("2:1:1"),
                        help="introspected tokens, active:revoked:unknown (default 2:1:1)")
    parser.add_argument("--active", type=int, default=100, help="active JWTs issued for the mix (default 100)")
    parser.add_argument("--revoked", type=int, default=50, help="JWTs issued, then revoked (default 50)")
    parser.add_argument("--unknown", type=int, default=50, help="unknown token strings (default 50)")
    parser.add_argument("--records", type=int, default=10_000,
                        help="revoked records added before the rebuild is timed (default 10000)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="in-process loops run interleaved, in this many rounds of N / rounds s (default 5)")
    parser.add_argument("--load-repeats", type=int, default=5, help="timed rebuilds, at most (default 5)")
    parser.add_argument("--max-requests", type=int, default=100_000, help="cap on introspection requests")
    parser.add_argument("--max-iterations", type=int, default=1_000_000, help="cap on each in-process loop")
    parser.add_argument("--conn-max-age", type=int, help="PostgreSQL CONN_MAX_AGE (default: settings' 600)")
    parser.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--measure", metavar="SPEC", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.setup:
        run_setup()
        return 0
    if args.measure:
        run_measure(args.measure)
        return 0
    if args.seconds <= 0 or args.seconds > 600 or not 1 <= args.concurrency <= 256:
        parser.error("use 0 < --seconds <= 600 and 1 <= --concurrency <= 256")
    if not all(1 <= n <= 1000 for n in (args.active, args.revoked, args.unknown)):
        parser.error("use 1 to 1000 for --active, --revoked and --unknown")
    if not 1 <= args.records <= 200_000 or not 1 <= args.load_repeats <= 20 or not 0 <= args.redis_db <= 15:
        parser.error("use 1 <= --records <= 200000, 1 <= --load-repeats <= 20, 0 <= --redis-db <= 15")
    if not 1 <= args.rounds <= 50:
        parser.error("use 1 <= --rounds <= 50")

    exit_on_sigterm()
    redis_url = f"redis://{HOST}:{REDIS_PORT}/{args.redis_db}" if args.cache == "redis" else None
    cache_label = redis_url or "local memory"
    print(
        f"revocation benchmark: {args.database}, cache {cache_label}, {args.seconds:g} s per measurement, "
        f"{args.concurrency} client threads, gunicorn {args.workers} sync workers, "
        f"{os.cpu_count()} CPUs (load generator on the same machine)"
        + (f", CONN_MAX_AGE={args.conn_max_age}" if args.conn_max_age is not None else "")
    )
    print(f"code: {code_version()}")
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    redis_client = redis_database(redis_url) if redis_url else None
    tmpdir = Path(tempfile.mkdtemp(prefix="oauthhub-bench-revocation-"))
    databases = Databases(args.database, tmpdir)
    server: Server | None = None
    try:
        env = child_env("config.settings", databases.create("revocation"), secrets.token_urlsafe(50),
                        args.conn_max_age)
        if redis_url:
            env["REDIS_URL"] = redis_url
        setup = run_child(SCRIPT, ["--setup"], env, name="oauthhub")
        print(f"workspace {SLUG}: {setup['token_format']} {setup['algorithm']} tokens, cache {setup['cache']}")
        expected = "RedisCache" if redis_url else "LocMemCache"
        if not setup["cache"].endswith(expected):
            raise RuntimeError(f"the settings chose {setup['cache']}, not {expected}")

        server = start_server("oauthhub", env, "config.wsgi:application", tmpdir, args.workers)
        wait_until_answering(server, args.workers)
        print(f"gunicorn pid {server.proc.pid} on {HOST}:{server.port}; issuing and revoking tokens…")
        began = time.perf_counter()
        tokens = issue_tokens(server, setup["holder"], args.active + args.revoked)
        pools = {
            "active": tokens[: args.active],
            "revoked": tokens[args.active:],
            "unknown": [secrets.token_urlsafe(32) for _ in range(args.unknown)],
        }
        revoke_tokens(server, setup["holder"], pools["revoked"])
        print(f"{len(tokens)} JWTs issued, {len(pools['revoked'])} revoked in {time.perf_counter() - began:.1f} s")

        send = introspection(pools, args.mix, setup["api"])
        span = len(args.mix) * max(len(pools[kind]) for kind in set(args.mix))
        check_answers(server, send, span)
        print(f"every token introspected at least once (untimed, {span} requests); driving load…")
        endpoint = drive_requests(
            server, send,
            seconds=args.seconds, concurrency=args.concurrency,
            max_requests=args.max_requests, request_timeout=60.0,
        )  # fmt: skip
        endpoint.name = "introspection"
        # What each kind costs on its own: one client thread, so no queueing in the latency.
        single = {}
        for kind in KINDS:
            if kind in args.mix and not (endpoint.non_200 or endpoint.errors or endpoint.wrong):
                single[kind] = drive_requests(
                    server, introspection(pools, [kind], setup["api"]),
                    seconds=args.seconds, concurrency=1, max_requests=args.max_requests, request_timeout=60.0,
                )  # fmt: skip
        server.stop()  # the in-process loops get the CPUs to themselves (and other users' load)
        if endpoint.non_200 or endpoint.errors:
            print(f"gunicorn log tail:\n{server.log_tail(15)}")

        spec = {
            "seconds": args.seconds,
            "max_iterations": args.max_iterations,
            "records": args.records,
            "load_repeats": args.load_repeats,
        "rounds": args.rounds,
            "active_tokens": pools["active"],
            "revoked_tokens": pools["revoked"],
            "active_jtis": [jose_part(token, 1)["jti"] for token in pools["active"]],
            "revoked_jtis": [jose_part(token, 1)["jti"] for token in pools["revoked"]],
        }
        spec_path = tmpdir / "measure.json"
        spec_path.write_text(json.dumps(spec))
        print("measuring in-process…")
        in_process = run_child(
            SCRIPT, ["--measure", str(spec_path)], env,
            name="in-process", what="measurement", timeout=14 * (args.seconds + 30) + 600,
        )  # fmt: skip

        report_endpoint(endpoint, args.mix, pools, args.workers)
        report_single(single)
        report_in_process(in_process, cache_label, args.rounds)
        print("\nload average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        failed = any(r.non_200 or r.errors or r.wrong for r in (endpoint, *single.values()))
        return 1 if failed else 0
    finally:
        if server is not None:
            server.stop()
        databases.drop_all()
        shutil.rmtree(tmpdir, ignore_errors=True)
        if redis_client is not None:
            try:
                redis_client.flushdb()  # only the run's own database number
            except Exception as exc:  # noqa: BLE001 (report, keep cleaning up)
                print(f"warning: could not flush {redis_url}: {exc}", file=sys.stderr)
            redis_client.close()


if __name__ == "__main__":
    sys.exit(main())

"""JWT access tokens: issuance through the token endpoint, validation in-process, raw jwcrypto.

For each signing algorithm oauthhub offers (RS256, PS256, ES256, EdDSA, HS256),
and for opaque tokens as a baseline, this script measures:

1. tokens issued per second by the real token endpoint (``client_credentials``,
   oauthhub under gunicorn on 127.0.0.1, the load generator of
   ``bench/token_endpoint.py``), one workspace per algorithm created with
   ``signing_algorithm=<alg>``; creating the workspace generates its keys;
2. tokens validated per second, in one thread, by
   ``oauthhub.validation.validate(token, key_source=WorkspaceKeys(slug), …)`` as
   JWTAuthentication calls it, and through a DRF APIView with JWTAuthentication
   and HasScope called directly with a django.test.RequestFactory request, using
   tokens the endpoint issued in step 1;
3. the raw jwcrypto rate for the same key and the same header and claims:
   ``JWT.make_signed_token`` + ``serialize``, and ``JWT(jwt=…, key=…)``
   (deserialize + verify), with the key object already loaded.

    .venv/bin/python bench/jwt.py [--seconds N] [--concurrency C]
                                  [--database sqlite|postgres]

Each measurement lasts N seconds (default 5) or until its count cap is reached.
The endpoint is driven once per row; the in-process loops (the two above, and
the header parse, key lookup and verify with a freshly built JWK, which show
where validation's time goes) run 7 times per JWT algorithm, so a run takes
about 41 × N seconds plus setup.

Only 127.0.0.1 is ever contacted. Django runs only in the child processes
(``--setup``, ``--measure``); the parent is the load generator. gunicorn, temp
files and the database are removed in a ``finally``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from itertools import cycle
from pathlib import Path

if not __package__:  # run as a script: bench/ is sys.path[0], where this file would shadow PyJWT's ``jwt``
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench._harness import (  # noqa: E402
    HOST,
    Databases,
    Result,
    Server,
    basic_auth,
    child_env,
    code_version,
    drive,
    exit_on_sigterm,
    jose_part,
    percentile,
    post_token,
    print_result,
    run_child,
    start_server,
    timed,
    wait_until_answering,
    warm_up,
)

SCRIPT = Path(__file__).resolve()

# label: (signing algorithm of the workspace, token format)
ROWS = {
    "RS256": ("RS256", "jwt"),
    "PS256": ("PS256", "jwt"),
    "ES256": ("ES256", "jwt"),
    "EdDSA": ("EdDSA", "jwt"),
    "HS256": ("HS256", "jwt"),
    "opaque": ("RS256", "opaque"),  # its keys are generated anyway; none signs
}
TOKENS_PER_ALGORITHM = 4  # real tokens from the endpoint, cycled through by the in-process loops


def slug(label: str) -> str:
    return f"bench-{label.lower()}"


# Setup, in a child process with DJANGO_SETTINGS_MODULE set --------------------------


def run_setup() -> None:
    """Migrate, then per row a workspace (its keys come from post_save), default scope ``read``, one client."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)

    from oauthhub.models import Client, Scope, SigningKey, Workspace

    result = {}
    for label, (algorithm, token_format) in ROWS.items():
        began = time.perf_counter()
        workspace = Workspace(
            slug=slug(label), name=f"Benchmark {label}", signing_algorithm=algorithm, token_format=token_format
        )
        workspace.full_clean()
        workspace.save()
        created = time.perf_counter() - began
        scope = Scope.objects.create(workspace=workspace, name="read", description="Read", is_default=True)
        client = Client(
            workspace=workspace,
            name=f"Benchmark client {label}",
            client_type=Client.Kind.CONFIDENTIAL,
            grant_types=["client_credentials"],
        )
        secret = client.set_new_secret()
        client.full_clean()
        client.save()
        client.allowed_scopes.set([scope])
        active = workspace.signing_keys.get(state=SigningKey.State.ACTIVE)
        result[label] = {
            "slug": workspace.slug,
            "client_id": client.client_id,
            "client_secret": secret,
            "kid": active.kid,
            "key_algorithm": active.algorithm,
            "keys": workspace.signing_keys.count(),
            "create_seconds": created,
        }
    print_result(result)


# In-process measurements, in a child process ------------------------------------------


def run_measure(spec_path: str) -> None:
    import django

    django.setup()
    spec = json.loads(Path(spec_path).read_text())
    view = probe_view()
    results = {
        label: measure_row(label, row, view, spec["seconds"], spec["max_iterations"])
        for label, row in spec["rows"].items()
    }
    print_result(results)


def probe_view():
    """Like tests/resource_views.WhoAmI: a token with scope ``read`` gets its subject back."""
    from rest_framework.response import Response
    from rest_framework.views import APIView

    from oauthhub.contrib.rest_framework import HasScope, JWTAuthentication

    class Probe(APIView):
        authentication_classes = [JWTAuthentication]
        permission_classes = [HasScope]
        required_scopes = ["read"]

        def get(self, request):
            return Response({"sub": request.user.pk, "scopes": sorted(request.auth.scopes)})

    return Probe.as_view()


def measure_row(label: str, row: dict, view, seconds: float, cap: int) -> dict:
    """Every in-process loop for one workspace, with the tokens its endpoint issued."""
    from django.conf import settings
    from django.test import RequestFactory, override_settings
    from jwcrypto import jwk, jws, jwt

    from oauthhub import keys
    from oauthhub.models import Workspace
    from oauthhub.validation import WorkspaceKeys, validate

    tokens, workspace_slug = row["tokens"], row["slug"]
    header, claims = jose_part(tokens[0], 0), jose_part(tokens[0], 1)
    issuer, audience, algorithm, kid = claims["iss"], claims["aud"], header["alg"], header["kid"]
    measured = {}

    # 2. oauthhub: what JWTAuthentication does once it has the token string.
    pending = cycle(tokens)

    def validate_one():
        validate(next(pending), key_source=WorkspaceKeys(workspace_slug), issuer=issuer, audience=audience)

    measured["validate"] = timed(validate_one, seconds, cap)

    # The same through DRF: JWTAuthentication reads OAUTHHUB["RESOURCE_SERVER"] and derives issuer
    # and audience from the request, so the Host is the one the tokens were issued on. The requests
    # are built once; a server builds them anyway, whatever authenticates them.
    host = issuer.split("/")[2]
    factory = RequestFactory()
    requests = cycle([factory.get("/probe", HTTP_AUTHORIZATION=f"Bearer {t}", HTTP_HOST=host) for t in tokens])

    def drf_one():
        response = view(next(requests))
        response.render()
        if response.status_code != 200:
            raise RuntimeError(f"{label}: DRF view answered {response.status_code}: {response.content[:300]!r}")

    with override_settings(OAUTHHUB={**settings.OAUTHHUB, "RESOURCE_SERVER": {"WORKSPACE": workspace_slug}}):
        measured["drf"] = timed(drf_one, seconds, cap)

    # Where validate's time goes, beyond one verify: it parses the token once for its header,
    # then looks the key up (workspace and key records from the cache, a new JWK from the record).
    measured["header_parse"] = timed(lambda: jws.JWS().deserialize(tokens[0]), seconds, cap)
    measured["key_lookup"] = timed(lambda: WorkspaceKeys(workspace_slug).key(kid), seconds, cap)

    # 3. jwcrypto alone, with the workspace's own key loaded once.
    record = keys.signing_key(Workspace.objects.get(slug=workspace_slug))
    if record.kid != kid:
        raise RuntimeError(f"{label}: the tokens were signed by {kid}, the active key is {record.kid}")
    private, public = record.private(), record.verification_key()

    def sign_one():
        token = jwt.JWT(header=header, claims=claims)
        token.make_signed_token(private)
        return token.serialize()

    measured["raw_sign"] = timed(sign_one, seconds, cap)
    # What jwcrypto signed must pass oauthhub's checks, else the comparison is off.
    validate(sign_one(), key_source=WorkspaceKeys(workspace_slug), issuer=issuer, audience=audience)

    pending_raw = cycle(tokens)
    measured["raw_verify"] = timed(
        lambda: jwt.JWT(jwt=next(pending_raw), key=public, algs=[algorithm], expected_type="JWS"), seconds, cap
    )
    # The same with a JWK built from its JSON form for each token, as a key lookup returns it for
    # RS/PS/ES/EdDSA (jwcrypto then loads it into a cryptography key object on first use).
    key_json = record.public_jwk or public.export(as_dict=True)  # HS256 publishes nothing: the secret
    measured["raw_verify_new_key"] = timed(
        lambda: jwt.JWT(jwt=next(pending_raw), key=jwk.JWK(**key_json), algs=[algorithm], expected_type="JWS"),
        seconds,
        cap,
    )
    return measured


# Token endpoint, from the parent -------------------------------------------------------


def fetch_tokens(server: Server, path: str, credentials: dict, count: int) -> list[str]:
    headers = {
        "Authorization": basic_auth(credentials["client_id"], credentials["client_secret"]),
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json",
    }
    tokens = []
    conn = http.client.HTTPConnection(HOST, server.port, timeout=60)
    try:
        for _ in range(count):
            status, body = post_token(conn, path, headers)
            if status != 200:
                raise RuntimeError(f"{server.name} {path}: HTTP {status}: {body[:500].decode(errors='replace')}")
            tokens.append(json.loads(body)["access_token"])
    finally:
        conn.close()
    return tokens


def check_tokens(label: str, tokens: list[str], credentials: dict) -> None:
    """The endpoint issued what the workspace is configured for."""
    algorithm, token_format = ROWS[label]
    for token in tokens:
        if token_format == "opaque":
            if token.count(".") == 2:
                raise RuntimeError(f"{label}: expected an opaque token, got a JWS")
            continue
        header = jose_part(token, 0)
        if (header.get("alg"), header.get("kid"), header.get("typ")) != (algorithm, credentials["kid"], "at+jwt"):
            raise RuntimeError(f"{label}: unexpected JWS header {header}")


# Report ------------------------------------------------------------------------------


def rate(measured: dict | None) -> str:
    return f"{measured['count'] / measured['wall']:,.0f}" if measured and measured["wall"] else "—"


def cpu_us(measured: dict | None) -> str:
    return f"{measured['cpu'] / measured['count'] * 1e6:,.0f}" if measured and measured["count"] else "—"


def report(endpoint: dict[str, Result], in_process: dict[str, dict]) -> None:
    print("\nThroughput (operations per second of wall time; in-process: one thread):\n")
    print(
        "| algorithm | issued/s (endpoint) | validated/s (oauthhub) | validated/s (DRF view) "
        "| raw sign/s | raw verify/s |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for label, result in endpoint.items():
        row = in_process.get(label, {})
        print(
            f"| {label} | {result.rate:,.1f} | {rate(row.get('validate'))} | {rate(row.get('drf'))} "
            f"| {rate(row.get('raw_sign'))} | {rate(row.get('raw_verify'))} |"
        )

    print("\nToken endpoint:\n")
    print("| algorithm | tokens | worker CPU ms/token | p50 / p95 ms | machine CPU busy |")
    print("|---|---:|---:|---:|---:|")
    for label, result in endpoint.items():
        ms = [latency * 1000 for latency in result.latencies]
        worker = f"{result.worker_cpu / result.completed * 1000:.1f}" if result.completed else "—"
        print(
            f"| {label} | {result.ok} | {worker} | {percentile(ms, 0.50):.1f} / {percentile(ms, 0.95):.1f} "
            f"| {result.machine_busy:.0%} |"
        )
    for label, result in endpoint.items():
        if result.non_200 or result.errors:
            print(f"{label}: non-200 {result.non_200} {result.statuses}, connection errors {result.errors}")
        if result.first_failure:
            print(f"{label}: first failure: {result.first_failure}")

    if not in_process:
        return
    print("\nIn-process, CPU µs per operation:\n")
    columns = {
        "validate": "validate",
        "drf": "DRF view",
        "header_parse": "header parse",
        "key_lookup": "key lookup",
        "raw_sign": "raw sign",
        "raw_verify": "raw verify",
        "raw_verify_new_key": "raw verify, new JWK",
    }
    print("| algorithm | " + " | ".join(columns.values()) + " |")
    print("|---|" + "---:|" * len(columns))
    for label, row in in_process.items():
        print(f"| {label} | " + " | ".join(cpu_us(row.get(key)) for key in columns) + " |")
    shares = [m["cpu"] / m["wall"] for row in in_process.values() for m in row.values() if m["wall"]]
    print(
        f"\nThe in-process thread got {min(shares):.0%}–{max(shares):.0%} of a CPU during its loops "
        "(below 100%: other processes took the core)."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each measurement (default 5)")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads (default 8)")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--max-requests", type=int, default=100_000, help="cap on requests per workspace")
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

    exit_on_sigterm()
    print(
        f"JWT benchmark: {args.database}, {args.seconds:g} s per measurement, "
        f"{args.concurrency} client threads, gunicorn {args.workers} sync workers, "
        f"{os.cpu_count()} CPUs (load generator on the same machine)"
        + (f", CONN_MAX_AGE={args.conn_max_age}" if args.conn_max_age is not None else "")
    )
    print(f"code: {code_version()}")
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    tmpdir = Path(tempfile.mkdtemp(prefix="oauthhub-bench-jwt-"))
    databases = Databases(args.database, tmpdir)
    server: Server | None = None
    endpoint: dict[str, Result] = {}
    tokens: dict[str, list[str]] = {}
    try:
        env = child_env("config.settings", databases.create("jwt"), secrets.token_urlsafe(50), args.conn_max_age)
        workspaces = run_child(SCRIPT, ["--setup"], env, name="oauthhub")
        for label, ws in workspaces.items():
            print(
                f"{label:<7} workspace {ws['slug']}: {ws['keys']} {ws['key_algorithm']} keys generated, "
                f"created in {ws['create_seconds'] * 1000:.0f} ms; active kid {ws['kid'][:12]}…"
            )

        server = start_server("oauthhub", env, "config.wsgi:application", tmpdir, args.workers)
        wait_until_answering(server, args.workers)
        print(f"gunicorn pid {server.proc.pid} on {HOST}:{server.port}, driving load…")
        for label, credentials in workspaces.items():
            path = f"/{credentials['slug']}/oauth2/token"
            failure = warm_up(server, path, credentials, count=2 * args.workers)
            if failure:
                raise RuntimeError(f"{label}: warm-up request failed: {failure}")
            result = drive(
                server, path, credentials,
                seconds=args.seconds, concurrency=args.concurrency,
                max_requests=args.max_requests, request_timeout=60.0,
            )  # fmt: skip
            result.name = label
            endpoint[label] = result
            tokens[label] = fetch_tokens(server, path, credentials, TOKENS_PER_ALGORITHM)
            check_tokens(label, tokens[label], credentials)
        server.stop()  # the in-process loops get the CPUs to themselves (and other users' load)

        spec = {
            "seconds": args.seconds,
            "max_iterations": args.max_iterations,
            "rows": {
                label: {"slug": workspaces[label]["slug"], "tokens": tokens[label]}
                for label, (_, token_format) in ROWS.items()
                if token_format == "jwt"
            },
        }
        spec_path = tmpdir / "measure.json"
        spec_path.write_text(json.dumps(spec))
        print("validating and signing in-process…")
        in_process = run_child(
            SCRIPT, ["--measure", str(spec_path)], env,
            name="in-process", what="measurement", timeout=7 * len(spec["rows"]) * (args.seconds + 30) + 120,
        )  # fmt: skip

        report(endpoint, in_process)
        print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        return 0 if not any(r.non_200 or r.errors for r in endpoint.values()) else 1
    finally:
        if server is not None:
            server.stop()
        databases.drop_all()
        shutil.rmtree(tmpdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

"""Token endpoint throughput: oauthhub against stock django-oauth-toolkit.

Stock DOT checks a client secret with Django's password hasher (PBKDF2, one
million iterations), so every client_credentials request burns about half a
second of CPU. oauthhub stores a keyed SHA-256 digest instead. This script
measures what that buys, end to end, through gunicorn:

    .venv/bin/python bench/token_endpoint.py [--seconds N] [--concurrency C]
                                             [--database sqlite|postgres]

For each server it builds a throwaway database (a temp SQLite file, or a fresh
PostgreSQL database on 127.0.0.1:5432 as user postgres), migrates it, creates
one confidential client_credentials client, starts gunicorn on a loopback port,
and posts grant_type=client_credentials with HTTP Basic auth from C threads for
N seconds. Servers, temp files and databases are removed in a ``finally``.

Only 127.0.0.1 is ever contacted. Django is imported only in the child
processes (``--setup``), never in the load generator.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
import tempfile
from pathlib import Path

if not __package__:  # run as a script: put the repository root where bench/ was (bench/jwt.py would shadow PyJWT)
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench._harness import (  # noqa: E402
    HOST,
    Databases,
    Result,
    Server,
    child_env,
    drive,
    exit_on_sigterm,
    percentile,
    print_result,
    run_child,
    start_server,
    wait_until_answering,
    warm_up,
)

SERVERS = {
    # name: (settings module, WSGI application, token path)
    "oauthhub": ("config.settings", "config.wsgi:application", "/bench/oauth2/token"),
    "stock DOT": ("bench.stock_dot.settings", "bench.stock_dot.wsgi:application", "/o/token/"),
}


# Setup, run in a child process with DJANGO_SETTINGS_MODULE set ---------------


def setup_oauthhub() -> dict:
    """What ``oauthhub_create_workspace`` would do: workspace, default scope, client."""
    from oauthhub.models import Client, Scope, Workspace

    workspace = Workspace(slug="bench", name="Benchmark")
    workspace.full_clean()
    workspace.save()
    scope = Scope.objects.create(workspace=workspace, name="read", description="Read", is_default=True)
    client = Client(
        workspace=workspace,
        name="Benchmark client",
        client_type=Client.Kind.CONFIDENTIAL,
        grant_types=["client_credentials"],
    )
    secret = client.set_new_secret()
    client.full_clean()
    client.save()
    client.allowed_scopes.set([scope])
    return {"client_id": client.client_id, "client_secret": secret, "stored": client.client_secret[:16] + "…"}


def setup_stock() -> dict:
    """A stock DOT Application; ClientSecretField hashes the secret on save."""
    from oauth2_provider.generators import generate_client_secret
    from oauth2_provider.models import Application

    secret = generate_client_secret()
    app = Application.objects.create(
        name="Benchmark client",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,
        hash_client_secret=True,
    )
    app.refresh_from_db()
    assert app.client_secret != secret, "stock DOT did not hash the secret"
    return {"client_id": app.client_id, "client_secret": secret, "stored": app.client_secret[:32] + "…"}


def run_setup(kind: str) -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    result = setup_oauthhub() if kind == "oauthhub" else setup_stock()
    print_result(result)


# Report ----------------------------------------------------------------------


def report(result: Result, workers: int) -> None:
    ms = [latency * 1000 for latency in result.latencies]
    print(f"\n== {result.name}")
    print(f"  requests completed : {result.completed} in {result.elapsed:.2f} s")
    print(f"  non-200            : {result.non_200}" + (f"  {result.statuses}" if result.non_200 else ""))
    if result.errors:
        print(f"  connection errors  : {result.errors}")
    print(f"  tokens/s           : {result.rate:.1f}")
    print(f"  latency p50 / p95  : {percentile(ms, 0.50):.1f} ms / {percentile(ms, 0.95):.1f} ms")
    if result.completed:
        per_request = result.worker_cpu / result.completed * 1000
        print(f"  worker CPU         : {result.worker_cpu:.1f} s ({per_request:.1f} ms per request)")
    print(
        f"  machine CPU busy   : {result.machine_busy:.0%} of {os.cpu_count()} CPUs "
        f"(load generator {result.client_cpu:.1f} s, rest: workers, database, other processes)"
    )
    if result.worker_rss_kib:
        rss = ", ".join(f"{kib / 1024:.1f}" for kib in result.worker_rss_kib)
        print(f"  peak RSS (VmHWM)   : {rss} MiB across {len(result.worker_rss_kib)} of {workers} workers")
    if result.first_failure:
        print(f"  first failure      : {result.first_failure}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="load duration per server (default 10)")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads (default 8)")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--max-requests", type=int, default=100_000, help="cap on requests per server")
    parser.add_argument(
        "--conn-max-age", type=int, help="PostgreSQL CONN_MAX_AGE for both servers (default: settings' 600)"
    )
    parser.add_argument("--setup", choices=["oauthhub", "stock"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.setup:
        run_setup(args.setup)
        return 0
    if args.seconds <= 0 or args.seconds > 600 or not 1 <= args.concurrency <= 256:
        parser.error("use 0 < --seconds <= 600 and 1 <= --concurrency <= 256")

    exit_on_sigterm()
    print(
        f"token endpoint benchmark: {args.database}, {args.seconds:g} s per server, "
        f"{args.concurrency} client threads, gunicorn {args.workers} sync workers, "
        f"{os.cpu_count()} CPUs (load generator on the same machine)"
        + (f", CONN_MAX_AGE={args.conn_max_age}" if args.conn_max_age is not None else "")
    )
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    tmpdir = Path(tempfile.mkdtemp(prefix="oauthhub-bench-"))
    databases = Databases(args.database, tmpdir)
    servers: list[Server] = []
    results: dict[str, Result] = {}
    try:
        for name, (settings_module, wsgi_app, path) in SERVERS.items():
            label = "oauthhub" if name == "oauthhub" else "stock"
            env = child_env(
                settings_module, databases.create(label), secrets.token_urlsafe(50), args.conn_max_age
            )
            credentials = run_child(Path(__file__).resolve(), ["--setup", label], env, name=name)
            print(f"\n{name}: client {credentials['client_id'][:12]}…, stored secret {credentials['stored']}")

            server = start_server(name, env, wsgi_app, tmpdir, args.workers)
            servers.append(server)
            wait_until_answering(server, args.workers)
            failure = warm_up(server, path, credentials, count=args.workers)
            if failure:
                print(f"{name}: warm-up request failed: {failure}")
            print(f"{name}: gunicorn pid {server.proc.pid} on {HOST}:{server.port}{path}, driving load…")
            results[name] = drive(
                server, path, credentials,
                seconds=args.seconds, concurrency=args.concurrency,
                max_requests=args.max_requests, request_timeout=60.0,
            )  # fmt: skip
            server.stop()
            if results[name].non_200 or results[name].errors:
                tail = server.log_tail(15)
                if tail:
                    print(f"{name}: gunicorn log tail:\n{tail}")

        for result in results.values():
            report(result, args.workers)
        ours, stock = results["oauthhub"], results["stock DOT"]
        ratio = f"{ours.rate / stock.rate:.1f}x" if stock.rate else "n/a (stock DOT issued no token)"
        print(f"\nratio oauthhub / stock DOT (tokens/s): {ratio}")
        if ours.completed and stock.completed and ours.worker_cpu:
            cpu_ratio = (stock.worker_cpu / stock.completed) / (ours.worker_cpu / ours.completed)
            print(f"ratio stock DOT / oauthhub (worker CPU per request): {cpu_ratio:.0f}x")
        print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        return 0 if not (ours.non_200 or ours.errors) else 1
    finally:
        for server in servers:
            server.stop()
        databases.drop_all()
        shutil.rmtree(tmpdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

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
import base64
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote_plus, urlencode

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = "127.0.0.1"
PG_PORT = 5432
PG_USER = "postgres"

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
    print("SETUP-RESULT " + json.dumps(result))


# Databases -------------------------------------------------------------------


class Databases:
    """Creates throwaway databases and drops (or deletes) them all on cleanup."""

    def __init__(self, engine: str, tmpdir: Path) -> None:
        self.engine = engine
        self.tmpdir = tmpdir
        self.pg_names: list[str] = []

    def _pg(self):
        import psycopg

        return psycopg.connect(host=HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True)

    def create(self, label: str) -> str:
        """A DATABASE_URL for a new, empty database."""
        if self.engine == "sqlite":
            return f"sqlite:///{self.tmpdir / (label + '.sqlite3')}"
        name = f"bench_{label}_{secrets.token_hex(4)}"
        with self._pg() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.pg_names.append(name)
        return f"postgres://{PG_USER}@{HOST}:{PG_PORT}/{name}"

    def drop_all(self) -> None:
        if not self.pg_names:
            return
        with self._pg() as conn:
            for name in self.pg_names:
                try:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                except Exception as exc:  # keep dropping the others
                    print(f"warning: could not drop database {name}: {exc}", file=sys.stderr)
        self.pg_names.clear()


# Servers ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def child_env(
    settings_module: str, database_url: str, secret_key: str, conn_max_age: int | None = None
) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "OAUTHHUB_"))
        and key not in {"DATABASE_URL", "REDIS_URL", "CONN_MAX_AGE", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE=settings_module,
        DJANGO_ENV="development",
        DEBUG="0",  # DEBUG keeps every SQL query in memory; neither server runs with it
        SECRET_KEY=secret_key,  # shared by setup and server: oauthhub's digest is keyed with it
        DATABASE_URL=database_url,
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    if conn_max_age is not None:  # else the settings' default (600 s on PostgreSQL)
        env["CONN_MAX_AGE"] = str(conn_max_age)
    return env


@dataclass
class Server:
    name: str
    proc: subprocess.Popen
    port: int
    log: Path

    def workers(self) -> list[int]:
        """PIDs whose parent is the gunicorn master."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # Field 4 (ppid) follows the parenthesised command name.
            if int(stat.rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                pids.append(int(entry.name))
        return sorted(pids)

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def proc_status_kib(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def machine_cpu_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies over all CPUs since boot, from /proc/stat."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return sum(values[:8]) - idle, sum(values[:8])


def proc_cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    except (OSError, IndexError, ValueError):
        return 0.0


def start_server(name: str, env: dict[str, str], wsgi_app: str, tmpdir: Path, workers: int) -> Server:
    port = free_port()
    log = tmpdir / f"gunicorn-{name.replace(' ', '-')}.log"
    cmd = [
        str(Path(PYTHON).with_name("gunicorn")),
        "--bind", f"{HOST}:{port}",
        "--workers", str(workers),
        "--worker-class", "sync",
        "--timeout", "120",
        "--backlog", "256",
        "--chdir", str(ROOT),
        "--error-logfile", str(log),
        wsgi_app,
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    return Server(name, proc, port, log)


def wait_until_answering(server: Server, workers: int, timeout: float = 60.0) -> None:
    """Any HTTP answer will do; then wait until every worker has forked."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.name}: gunicorn exited ({server.proc.returncode}):\n{server.log_tail()}")
        try:
            conn = http.client.HTTPConnection(HOST, server.port, timeout=5)
            conn.request("GET", "/")
            conn.getresponse().read()
            conn.close()
            if len(server.workers()) >= workers:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{server.name}: no answer on {HOST}:{server.port} after {timeout:.0f}s:\n{server.log_tail()}")


# Load ------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0  # connection errors / timeouts, no HTTP status
    first_failure: str | None = None
    elapsed: float = 0.0
    worker_cpu: float = 0.0
    worker_rss_kib: list[int] = field(default_factory=list)
    machine_busy: float = float("nan")  # share of all CPUs busy during the run, any process
    client_cpu: float = 0.0  # CPU seconds of this load generator during the run

    @property
    def completed(self) -> int:
        return sum(self.statuses.values())

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)

    @property
    def non_200(self) -> int:
        return self.completed - self.ok

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))  # nearest rank
    return ordered[index]


def basic_auth(client_id: str, secret: str) -> str:
    """RFC 6749 §2.3.1: form-encode, then base64."""
    raw = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def post_token(conn: http.client.HTTPConnection, path: str, headers: dict) -> tuple[int, bytes]:
    conn.request("POST", path, body=urlencode({"grant_type": "client_credentials"}), headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def drive(
    server: Server,
    path: str,
    credentials: dict,
    *,
    seconds: float,
    concurrency: int,
    max_requests: int,
    request_timeout: float,
) -> Result:
    """C threads post until ``seconds`` have passed or ``max_requests`` have been sent.

    A request started before the deadline is allowed to finish; throughput is
    200 responses divided by the wall time until the last one finished.
    """
    headers = {
        "Authorization": basic_auth(credentials["client_id"], credentials["client_secret"]),
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json",
    }
    result = Result(server.name)
    lock = threading.Lock()
    sent = 0

    def worker() -> None:
        nonlocal sent
        conn = http.client.HTTPConnection(HOST, server.port, timeout=request_timeout)
        latencies: list[float] = []
        try:
            while time.monotonic() < deadline:
                with lock:
                    if sent >= max_requests:
                        return
                    sent += 1
                began = time.perf_counter()
                try:
                    status, body = post_token(conn, path, headers)
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()  # reconnects on the next request
                    with lock:
                        result.errors += 1
                        result.first_failure = result.first_failure or f"{type(exc).__name__}: {exc}"
                    continue
                latencies.append(time.perf_counter() - began)
                with lock:
                    result.statuses[status] = result.statuses.get(status, 0) + 1
                    if status != 200 and result.first_failure is None:
                        result.first_failure = f"HTTP {status}: {body[:500].decode(errors='replace')}"
        finally:
            conn.close()
            with lock:
                result.latencies.extend(latencies)

    pids = server.workers()
    cpu_before = sum(proc_cpu_seconds(pid) for pid in pids)
    machine_before = machine_cpu_jiffies()
    client_before = sum(os.times()[:2])
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    start = time.monotonic()
    deadline = start + seconds
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + request_timeout + 5)
    result.elapsed = time.monotonic() - start
    result.worker_cpu = sum(proc_cpu_seconds(pid) for pid in pids) - cpu_before
    result.client_cpu = sum(os.times()[:2]) - client_before
    busy, total = (after - before for after, before in zip(machine_cpu_jiffies(), machine_before))
    if total:
        result.machine_busy = busy / total
    result.worker_rss_kib = [proc_status_kib(pid, "VmHWM") or 0 for pid in server.workers()]
    return result


def warm_up(server: Server, path: str, credentials: dict, count: int) -> str | None:
    """A few untimed requests (imports, first connection); returns the first failure."""
    headers = {
        "Authorization": basic_auth(credentials["client_id"], credentials["client_secret"]),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    for _ in range(count):
        conn = http.client.HTTPConnection(HOST, server.port, timeout=60)
        try:
            status, body = post_token(conn, path, headers)
        finally:
            conn.close()
        if status != 200 or b"access_token" not in body:
            return f"HTTP {status}: {body[:500].decode(errors='replace')}"
    return None


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
            setup = subprocess.run(
                [PYTHON, str(Path(__file__).resolve()), "--setup", label],
                env=env, cwd=ROOT, capture_output=True, text=True, timeout=300,
            )  # fmt: skip
            lines = [line for line in setup.stdout.splitlines() if line.startswith("SETUP-RESULT ")]
            if setup.returncode != 0 or not lines:
                raise RuntimeError(f"{name}: setup failed ({setup.returncode}):\n{setup.stdout}\n{setup.stderr}")
            credentials = json.loads(lines[-1].split(" ", 1)[1])
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

"""What the benchmarks share: throwaway databases, gunicorn on loopback, a threaded load generator.

Only 127.0.0.1 is ever contacted. Nothing here imports Django: the load
generator stays out of the servers' way, and Django runs only in the child
processes a benchmark starts (``--setup`` and the like).
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote_plus, urlencode

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = "127.0.0.1"
PG_PORT = 5432
PG_USER = "postgres"


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
    by_kind: dict[str, list[float]] = field(default_factory=dict)  # latencies per kind of request, if named
    wrong: int = 0  # 200 responses whose body was not the expected answer

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


# What a driven request returns: HTTP status, body, the kind of request ("" if
# there is only one), and what was wrong with a 200 answer (None if nothing).
Sent = tuple[int, bytes, str, str | None]


def drive_requests(
    server: Server,
    send: Callable[[http.client.HTTPConnection, int], Sent],
    *,
    seconds: float,
    concurrency: int,
    max_requests: int,
    request_timeout: float,
) -> Result:
    """C threads call ``send(conn, n)`` for n = 0, 1, … until ``seconds`` have passed or ``max_requests`` were sent.

    A request started before the deadline is allowed to finish; throughput is
    200 responses divided by the wall time until the last one finished.
    """
    result = Result(server.name)
    lock = threading.Lock()
    sent = 0

    def worker() -> None:
        nonlocal sent
        conn = http.client.HTTPConnection(HOST, server.port, timeout=request_timeout)
        latencies: list[float] = []
        by_kind: dict[str, list[float]] = {}
        try:
            while time.monotonic() < deadline:
                with lock:
                    if sent >= max_requests:
                        return
                    number = sent
                    sent += 1
                began = time.perf_counter()
                try:
                    status, body, kind, problem = send(conn, number)
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()  # reconnects on the next request
                    with lock:
                        result.errors += 1
                        result.first_failure = result.first_failure or f"{type(exc).__name__}: {exc}"
                    continue
                latency = time.perf_counter() - began
                latencies.append(latency)
                if kind:
                    by_kind.setdefault(kind, []).append(latency)
                with lock:
                    result.statuses[status] = result.statuses.get(status, 0) + 1
                    if status != 200 and result.first_failure is None:
                        result.first_failure = f"HTTP {status}: {body[:500].decode(errors='replace')}"
                    if status == 200 and problem:
                        result.wrong += 1
                        result.first_failure = result.first_failure or problem
        finally:
            conn.close()
            with lock:
                result.latencies.extend(latencies)
                for kind, values in by_kind.items():
                    result.by_kind.setdefault(kind, []).extend(values)

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
    """``drive_requests`` posting grant_type=client_credentials with HTTP Basic client authentication."""
    headers = {
        "Authorization": basic_auth(credentials["client_id"], credentials["client_secret"]),
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json",
    }

    def send(conn: http.client.HTTPConnection, number: int) -> Sent:
        return (*post_token(conn, path, headers), "", None)

    return drive_requests(
        server, send,
        seconds=seconds, concurrency=concurrency, max_requests=max_requests, request_timeout=request_timeout,
    )  # fmt: skip


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


# Process ------------------------------------------------------------------------


def code_version() -> str:
    """The commit measured, and whether the working tree differed from it."""
    try:
        git = ["git", "-C", str(ROOT)]
        commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10)
        dirty = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no", "--", "oauthhub", "config"],
                               capture_output=True, text=True, timeout=10)  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "unknown (git failed)"
    if commit.returncode != 0:
        return "unknown (not a git checkout)"
    changed = len(dirty.stdout.splitlines())
    suffix = f" + uncommitted changes to {changed} files in oauthhub/ and config/" if changed else ""
    return commit.stdout.strip() + suffix


def exit_on_sigterm() -> None:
    """Make SIGTERM raise SystemExit, so the ``finally`` blocks stop servers and drop databases."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


# In-process loops (run in a child, where Django is set up) ------------------------


def timed(operation: Callable[[], object], seconds: float, max_iterations: int) -> dict:
    """Call ``operation`` for ``seconds`` (or ``max_iterations`` times) in this thread.

    One untimed call first, so a broken setup fails before the clock starts.
    """
    operation()
    count = 0
    cpu_before = time.process_time()
    start = time.perf_counter()
    deadline = start + seconds
    while count < max_iterations:
        operation()
        count += 1
        if time.perf_counter() >= deadline:
            break
    wall = time.perf_counter() - start
    return {"count": count, "wall": wall, "cpu": time.process_time() - cpu_before}


# Child processes ----------------------------------------------------------------

RESULT_MARKER = "CHILD-RESULT "


def print_result(result: dict) -> None:
    """In a child: hand ``result`` to the parent (the last such line of stdout wins)."""
    print(RESULT_MARKER + json.dumps(result), flush=True)


def run_child(
    script: Path, args: list[str], env: dict[str, str], *, name: str, what: str = "setup", timeout: float = 300.0
) -> dict:
    """Run ``script args`` with ``env`` from the repository root; return what it passed to print_result.

    subprocess.run kills the child if it outlives ``timeout``.
    """
    done = subprocess.run(
        [PYTHON, str(script), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_MARKER)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{name}: {what} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return json.loads(lines[-1].split(" ", 1)[1])


def jose_part(token: str, index: int) -> dict:
    """The header (0) or payload (1) of a compact JWS, parsed by jwcrypto, not verified."""
    from jwcrypto import jws

    parsed = jws.JWS()
    parsed.deserialize(token)
    return parsed.jose_header if index == 0 else json.loads(parsed.objects["payload"])

"""A real oauthhub server process on loopback, sharing the test database.

Interop tests talk to it over HTTP with third-party OAuth client libraries,
exactly as an application would.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    auth = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
    return f"postgres://{auth}@{settings['HOST'] or 'localhost'}:{settings['PORT'] or 5432}/{settings['NAME']}"


class ServerProcess:
    def __init__(self, env: dict[str, str]):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}", "--workers", "1",
             "--threads", "4", "--log-level", "warning", "tests.wsgi:application"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("server exited:\n" + self.process.stdout.read().decode())
            try:
                requests.get(self.url + "/auth/healthz-probe", timeout=5)
                return
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not start within 20 s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture
def server_factory(transactional_db):
    """Start oauthhub server processes on the test database; stopped after the test."""
    started: list[ServerProcess] = []

    def start(**extra_env: str) -> ServerProcess:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": _database_url(), **extra_env}
        server = ServerProcess(env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def live_oauthhub(server_factory):
    return server_factory()


class _HiddenInputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "hidden" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value") or ""


def hidden_inputs(html: str) -> dict[str, str]:
    parser = _HiddenInputs()
    parser.feed(html)
    return parser.fields


@pytest.fixture
def browser_login():
    """A requests session logged in to the live server as a user, like a browser."""

    def login(server: ServerProcess, username: str, password: str) -> requests.Session:
        session = requests.Session()
        page = session.get(server.url + "/accounts/login/")
        fields = hidden_inputs(page.text)
        response = session.post(
            server.url + "/accounts/login/",
            data={**fields, "username": username, "password": password},
            headers={"Referer": server.url + "/accounts/login/"},
            allow_redirects=False,
        )
        assert response.status_code == 302, response.text
        return session

    return login


def consent(session: requests.Session, authorization_url: str) -> str:
    """Open the consent page, press Allow, return the redirect URL the client receives."""
    page = session.get(authorization_url, allow_redirects=False)
    assert page.status_code == 200, page.text
    fields = hidden_inputs(page.text)
    response = session.post(
        authorization_url, data={**fields, "allow": "Authorize"},
        headers={"Referer": authorization_url}, allow_redirects=False,
    )
    assert response.status_code == 302, response.text
    return response.headers["Location"]

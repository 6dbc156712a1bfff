"""Smoke tests of the runnable project in config/: deploy checks, urls, settings parsing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import database_from_url

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


PRODUCTION = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "x" * 20 + "production-secret-key-for-the-check-only-0123456789",
    "ALLOWED_HOSTS": "auth.example.com",
    "OAUTHHUB_ISSUER_BASE_URL": "https://auth.example.com",
    "OAUTHHUB_KEY_ENCRYPTION_KEY": "k" * 50,
    "DATABASE_URL": "postgres://oauthhub@db.example.com/oauthhub",
}


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_without_a_key_encryption_key():
    env = {key: value for key, value in PRODUCTION.items() if key != "OAUTHHUB_KEY_ENCRYPTION_KEY"}
    result = manage("check", "--deploy", **env)
    assert "oauthhub.W004" in result.stderr + result.stdout


def test_production_refuses_to_start_without_secret_key():
    env = {key: value for key, value in PRODUCTION.items() if key != "SECRET_KEY"}
    result = manage("check", **env, SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_no_missing_migrations():
    result = manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr


def test_database_url_parsing():
    pg = database_from_url("postgres://u:p%40ss@db:6543/name?sslmode=require")
    assert (pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"], pg["NAME"]) == ("u", "p@ss", "db", "6543", "name")
    assert pg["OPTIONS"] == {"sslmode": "require"}
    assert pg["CONN_MAX_AGE"] > 0 and pg["CONN_HEALTH_CHECKS"] is True
    assert database_from_url("sqlite:////tmp/x.sqlite3")["NAME"] == "/tmp/x.sqlite3"
    with pytest.raises(Exception, match="DATABASE_URL"):
        database_from_url("mysql://x/y")


def test_project_urls_resolve():
    script = (
        "import django; django.setup();"
        "from django.urls import resolve, reverse;"
        "print(reverse('oauthhub:token', kwargs={'workspace': 'demo'}));"
        "print(resolve('/demo/oauth2/authorize').url_name);"
        "print(resolve('/.well-known/oauth-authorization-server/demo').url_name);"
        "print(resolve('/admin/').app_name); print(resolve('/accounts/login/').url_name)"
    )
    env = {key: value for key, value in os.environ.items() if key not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL"}}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "/demo/oauth2/token", "authorize", "authorization-server-metadata", "admin", "login"
    ]
